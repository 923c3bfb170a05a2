"""Usage calls: the track calls of a user's everyday work in the product (USAGE_EVENTS), seven in ten
generated events. The simulation says when a user starts being active and until when they stay
(`active_until`); this module draws their active days, how many calls they make on each, and each
call (its time within six hours of the day's start, its event, the client clock's skew), and
formats its JSON line, for a whole simulated day of every user at once, with numpy and Arrow. Made
one Python call at a time, these calls were most of the generator's time; this way it needs about
half the instructions per event (see the README). The simulation's other track calls (signup,
onboarding) are formatted the same way, a day at a time (`TrackCalls`).

The lines are the ones `segment_calls.track_line` writes for the same call, field for field.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from orchestration.generator import segment_calls as seg
from orchestration.generator.catalog import USAGE_EVENTS
from orchestration.generator.text_columns import TextColumn, digits, fixed_width

DAY = 86_400
HOUR = 3_600
# log(1 - p_return): the chance of staying away another day, by whether the user activated
_LOG_STAY_AWAY = {True: math.log(1 - 0.5), False: math.log(1 - 0.15)}
_ENDED = np.iinfo(np.int64).max  # a chain's next active day once it has ended
_NO_LINES = pa.array([], pa.binary())
_EVENTS_JSON = pa.array([orjson.dumps(event).decode() for event in USAGE_EVENTS])


class UsageDays:
    """Every user's active days, and the usage calls drawn for them.

    A user's active days are a chain: from the first one, each following day brings the user back
    with chance p_return (0.5 once activated, 0.15 if not), so the gap to the next active day is
    geometric (capped at 60 days, give or take an hour), and the chain ends at the first active day
    after the user's `active_until`, which the simulation moves (a churn shortens it, a reactivation
    extends it and starts a second chain). The chains of every user move a simulated day at a time,
    with numpy: as one entry per active day in the simulation's heap, they were 343,000 of its
    413,000 entries in a shard of 20,000 signups. A chain reads `active_until` as it stands at the
    end of the day (a reactivation that day counts from the day's start)."""

    def __init__(self, rng: np.random.Generator, end_ts: int):
        self.rng = rng
        self.end_ts = end_ts  # nothing happens at or after it
        # per user (by the index `add_user` gave)
        self.who = TextColumn()  # their userId and anonymousId members (segment_calls.track_parts)
        self.context = TextColumn()  # their context object on /app
        self.active_until = np.zeros(1024, dtype=np.int64)
        self.log_stay_away = np.zeros(1024)  # log(1 - p_return)
        # per chain: its next active day's start and its user; chains started since the last `advance`
        self.chain_next = np.zeros(0, dtype=np.int64)
        self.chain_user = np.zeros(0, dtype=np.int64)
        self.started: list[tuple[int, int]] = []
        # active days moved past since `lines` last drew their calls: their starts and users
        self.starts: list[np.ndarray] = []
        self.users: list[np.ndarray] = []

    def add_user(self, who: str, context: str, activated: bool) -> int:
        """Register a user; returns their index."""
        index = self.who.count
        if index == len(self.active_until):
            self.active_until = np.resize(self.active_until, 2 * index)
            self.log_stay_away = np.resize(self.log_stay_away, 2 * index)
        self.who.append(who)
        self.context.append(context)
        self.log_stay_away[index] = _LOG_STAY_AWAY[activated]
        return index

    def set_active_until(self, user: int, ts: int) -> None:
        self.active_until[user] = ts

    def start(self, user: int, first_ts: int) -> None:
        """Start a chain of active days whose first is at `first_ts`."""
        if first_ts < self.end_ts:
            self.started.append((first_ts, user))

    def advance(self, before: int) -> None:
        """Move every chain past its active days that start before `before`."""
        if self.started:
            first, user = zip(*self.started, strict=True)
            self.chain_next = np.concatenate([self.chain_next, np.array(first, dtype=np.int64)])
            self.chain_user = np.concatenate([self.chain_user, np.array(user, dtype=np.int64)])
            self.started = []
        while True:
            due = np.flatnonzero(self.chain_next < before)
            if not len(due):
                break
            start, user = self.chain_next[due], self.chain_user[due]
            active = start <= self.active_until[user]
            start, user = start[active], user[active]
            self.starts.append(start)
            self.users.append(user)
            # days until the next active one, by inverse transform: P(gap > g) = (1 - p_return) ** g
            gap = 1 + np.floor(np.log1p(-self.rng.random(len(start))) / self.log_stay_away[user]).astype(np.int64)
            following = start + np.minimum(gap, 60) * DAY + self.rng.integers(-HOUR, HOUR + 1, len(start))
            moved = np.full(len(due), _ENDED, dtype=np.int64)
            moved[active] = np.where(following < self.end_ts, following, _ENDED)
            self.chain_next[due] = moved
        ended = self.chain_next == _ENDED
        if ended.sum() > len(ended) // 2:
            self.chain_next, self.chain_user = self.chain_next[~ended], self.chain_user[~ended]

    def lines(self, numbers: Callable[[int], np.ndarray], id_prefix: str) -> tuple[np.ndarray, pa.Array]:
        """Draw the calls of the active days moved past since the last `lines`, in the order they were
        moved past, and forget those days: each call's time (whole seconds) and its JSON line (an
        Arrow binary array of them). Calls at or after the end are dropped, as `Company.track` drops
        them. `numbers(n)` gives the next n numbers of message ids, which are `id_prefix` and the
        number in 11 digits."""
        if not self.starts:
            return np.zeros(0, dtype=np.int64), _NO_LINES
        starts, users = np.concatenate(self.starts), np.concatenate(self.users)
        self.starts, self.users = [], []
        calls = self.rng.integers(1, 6, len(starts))  # one to five calls a day
        of_day = np.repeat(np.arange(len(calls)), calls)  # each call's active day
        n = len(of_day)
        ts = np.repeat(starts, calls) + self.rng.integers(0, 6 * HOUR + 1, n)
        event = self.rng.integers(0, len(USAGE_EVENTS), n)
        skew = self.rng.uniform(-2, 2, n)
        kept = ts < self.end_ts
        ts, event, skew, of_day = ts[kept], event[kept], skew[kept], of_day[kept]
        if not len(ts):
            return ts, _NO_LINES
        user = users[of_day]
        who, context = self.who.take(user), self.context.take(user)
        return ts, track_lines(ts, skew, _EVENTS_JSON.take(event), id_prefix, numbers(len(ts)), who, context)


class TrackCalls:
    """The other track calls (signup, onboarding: each with its own properties and page), made by the
    simulation one at a time and kept until the simulated day ends, to be formatted together by
    `track_lines` instead of one by one (`segment_calls.track_line`)."""

    def __init__(self) -> None:
        self.calls: list = []  # per call: time, skew, event, properties' JSON, who, context

    def add(self, ts: float, skew: float, event: str, properties: dict, who: str, context: str) -> None:
        """A call at `ts` (seconds) from a client whose clock is `skew` seconds off; `who` and
        `context` as `segment_calls.track_parts` makes them."""
        self.calls.extend((ts, skew, event, orjson.dumps(properties).decode() if properties else "{}", who, context))

    def lines(self, numbers: Callable[[int], np.ndarray], id_prefix: str) -> tuple[np.ndarray, pa.Array]:
        """The calls added since the last `lines`, in that order, and forget them: each call's time
        and its JSON line (an Arrow binary array of them). `numbers` and `id_prefix` make message
        ids, as for `UsageDays.lines`."""
        calls, self.calls = self.calls, []
        if not calls:
            return np.zeros(0), _NO_LINES
        times = np.array(calls[0::6], dtype=np.float64)
        event_json = pa.array([seg.event_name_json(e) for e in calls[2::6]], pa.string())
        columns = [pa.array(calls[k::6], pa.string()) for k in (4, 5, 3)]  # who, context, properties
        return times, track_lines(times, np.array(calls[1::6]), event_json, id_prefix, numbers(len(times)), *columns)


def track_lines(
    ts: np.ndarray,
    skew: np.ndarray,
    events: pa.Array,
    id_prefix: str,
    numbers: np.ndarray,
    who: pa.Array,
    context: pa.Array,
    properties: pa.Array | None = None,
) -> pa.Array:
    """`segment_calls.track_line` for many calls at once, each line with its newline: times in seconds
    (whole, as an integer array, or not), the client clock's skew, the events' JSON text, message ids
    (`id_prefix` and the number in 11 digits), the users' `who` and `context` text, and the
    properties' JSON text (None: every call's are empty).

    The message id and the three times have the same width on every line: numpy writes them into
    two blocks of fixed-width rows, which Arrow then joins with the parts that vary."""
    if np.issubdtype(ts.dtype, np.integer):
        stamp, received = ts * 1000, ts * 1000 + 350
    else:
        stamp, received = _millis(ts), _millis(ts + 0.35)
    message_id = fixed_width([f',"messageId":"{id_prefix}'.encode(), digits(numbers), b'",'])
    times = fixed_width(
        [
            b',"timestamp":"',
            *_iso(stamp),
            b'","sentAt":"',
            *_iso(_millis(ts + skew)),  # the client's clock, skewed
            b'","receivedAt":"',
            *_iso(received),  # the collector's clock, a little later
            b'","properties":' + (b"" if properties is not None else b'{},"context":'),
        ]
    )
    if properties is None:
        parts = [events, message_id, who, times, context]
    else:
        parts = [events, message_id, who, times, properties, ',"context":', context]
    return pc.binary_join_element_wise('{"type":"track","event":', *parts, "}\n", "").cast(pa.binary())


_CLOCK = np.frombuffer("".join(seg.CLOCK).encode(), np.uint8).reshape(-1, 9)  # HH:MM:SS. by second of day
_MILLIS = np.frombuffer("".join(seg.MILLIS).encode(), np.uint8).reshape(-1, 4)  # mmmZ by millisecond


def _millis(seconds: np.ndarray) -> np.ndarray:
    """Epoch seconds as epoch milliseconds the way `segment_calls.iso` reads them: the fraction
    rounded to the microsecond (half to even), then cut to the millisecond."""
    whole = np.floor(seconds)
    return (whole.astype(np.int64) * 1_000_000 + np.round((seconds - whole) * 1e6).astype(np.int64)) // 1000


def _iso(millis: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Epoch milliseconds as Segment writes times, as the bytes of their three parts: `2024-01-31T`,
    `12:00:05.` and `250Z` (segment_calls.iso's lookups, in numpy: one row per time)."""
    seconds, ms = np.divmod(millis, 1000)
    day, second = np.divmod(seconds, 86_400)
    first = int(day.min())
    prefixes = "".join(seg.day_prefix(d) for d in range(first, int(day.max()) + 1))
    return np.frombuffer(prefixes.encode(), np.uint8).reshape(-1, 11)[day - first], _CLOCK[second], _MILLIS[ms]
