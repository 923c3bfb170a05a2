"""Usage calls: the track calls of a user's everyday work in the product (USAGE_EVENTS), seven in ten
generated events. The simulation decides which days a user is active and how many calls they make
that day (`Company.active_day`); this module draws each call (its time within six hours of the day's
start, its event, the client clock's skew) and formats its JSON line, for a whole simulated day of
every user at once, with numpy and Arrow. Made one Python call at a time, these calls were most of
the generator's time; this way it needs about half the instructions per event (see the README).

The lines are the ones `segment_calls.track_line` writes for the same call, field for field.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from orchestration.generator import segment_calls as seg
from orchestration.generator.catalog import USAGE_EVENTS

HOUR = 3_600
_EVENTS_JSON = pa.array([orjson.dumps(event).decode() for event in USAGE_EVENTS])


class UsageDays:
    """The active days the simulation reported since `lines` last drew their calls, and the numpy
    generator that draws them."""

    def __init__(self, rng: np.random.Generator):
        self.rng = rng
        self.starts: list[int] = []  # the moment the user's active day starts (the simulation clock)
        self.who: list[str] = []  # their userId and anonymousId members (segment_calls.track_parts)
        self.context: list[str] = []  # their context object on /app

    def add(self, start: int, who: str, context: str) -> None:
        self.starts.append(start)
        self.who.append(who)
        self.context.append(context)

    def lines(
        self, end_ts: int, numbers: Callable[[int], np.ndarray], id_prefix: str
    ) -> tuple[np.ndarray, list[bytes]]:
        """Draw the calls of the days added since the last `lines`, in the order the days were added,
        and forget those days: each call's time (whole seconds) and its JSON line. Calls at or after
        `end_ts` are dropped, as `Company.track` drops them. `numbers(n)` gives the next n numbers of
        message ids, which are `id_prefix` and the number in 11 digits."""
        calls = self.rng.integers(1, 6, len(self.starts))  # one to five calls a day
        of_day = np.repeat(np.arange(len(calls)), calls)  # each call's active day
        n = len(of_day)
        ts = np.repeat(np.array(self.starts, dtype=np.int64), calls) + self.rng.integers(0, 6 * HOUR + 1, n)
        event = self.rng.integers(0, len(USAGE_EVENTS), n)
        skew = self.rng.uniform(-2, 2, n)
        kept = ts < end_ts
        ts, event, skew, of_day = ts[kept], event[kept], skew[kept], of_day[kept]
        who, context = pa.array(self.who).take(of_day), pa.array(self.context).take(of_day)
        self.starts, self.who, self.context = [], [], []
        if not len(ts):
            return ts, []
        return ts, track_lines(ts, skew, _EVENTS_JSON.take(event), id_prefix, numbers(len(ts)), who, context)


def track_lines(
    ts: np.ndarray,
    skew: np.ndarray,
    events: pa.Array,
    id_prefix: str,
    numbers: np.ndarray,
    who: pa.Array,
    context: pa.Array,
) -> list[bytes]:
    """`segment_calls.track_line` for many /app calls without properties at once: times in whole
    seconds, the client clock's skew, the events' JSON text, message ids (`id_prefix` and the number
    in 11 digits), and the users' `who` and `context` text."""
    digits = pc.utf8_lpad(pa.array(numbers).cast(pa.string()), 11, "0")
    line = pc.binary_join_element_wise(
        '{"type":"track","event":',
        events,
        ',"messageId":"',
        id_prefix,
        digits,
        '",',
        who,
        ',"timestamp":"',
        *_iso(ts * 1000),
        '","sentAt":"',
        *_iso(_millis(ts + skew)),  # the client's clock, skewed
        '","receivedAt":"',
        *_iso(ts * 1000 + 350),  # the collector's clock, a little later
        '","properties":{},"context":',
        context,
        "}",
        "",
    )
    return line.cast(pa.binary()).to_pylist()


_CLOCK = pa.array(seg.CLOCK)
_MILLIS = pa.array(seg.MILLIS)


def _millis(seconds: np.ndarray) -> np.ndarray:
    """Epoch seconds as epoch milliseconds the way `segment_calls.iso` reads them: the fraction
    rounded to the microsecond (half to even), then cut to the millisecond."""
    whole = np.floor(seconds)
    return (whole.astype(np.int64) * 1_000_000 + np.round((seconds - whole) * 1e6).astype(np.int64)) // 1000


def _iso(millis: np.ndarray) -> tuple[pa.Array, pa.Array, pa.Array]:
    """Epoch milliseconds as Segment writes times, in three parts to be joined: `2024-01-31T`,
    `12:00:05.` and `250Z` (segment_calls.iso's lookups, by Arrow's take: its strftime took 1.4 us
    a time, this 0.3 us)."""
    seconds, ms = np.divmod(millis, 1000)
    day, second = np.divmod(seconds, 86_400)
    days, inverse = np.unique(day, return_inverse=True)
    prefix = pa.array([seg.day_prefix(int(d)) for d in days]).take(inverse)
    return prefix, _CLOCK.take(second), _MILLIS.take(ms)
