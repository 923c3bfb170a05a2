"""Daily landing files: `<landing>/<source>/<source>_events_<YYYY-MM-DD>.jsonl.gz`.

Events are buffered per day and a day is written once the simulation clock has passed it. Lines
inside a day are shuffled (deterministically): both sources deliver at least once and unordered.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import orjson
import pyarrow as pa
from isal import igzip

SOURCES = ("stripe", "segment")


_DAYS: dict[int, str] = {}


def day_of(ts: float) -> str:
    """The UTC date of `ts` as YYYY-MM-DD."""
    day = int(ts // 86_400)
    text = _DAYS.get(day)
    if text is None:
        text = _DAYS[day] = datetime.fromtimestamp(day * 86_400, UTC).strftime("%Y-%m-%d")
    return text


class DailyWriter:
    def __init__(self, out_dir: Path, rng: np.random.Generator):
        self.out_dir = out_dir
        self.rng = rng
        # per (source, day): lines written one at a time, and Arrow arrays of lines written at once
        self.pending: dict[tuple[str, str], list[bytes]] = defaultdict(list)
        self.pending_arrays: dict[tuple[str, str], list[pa.Array]] = defaultdict(list)
        self.counts = {source: 0 for source in SOURCES}
        self.files_written = 0
        self.open_day = ""  # days before this one are written; their files are never rewritten
        for source in SOURCES:
            (out_dir / source).mkdir(parents=True, exist_ok=True)

    def write(self, source: str, ts: float, record: dict) -> None:
        # compact JSON in half json.dumps' time; the same bytes for this ASCII-only data (orjson
        # would write other text as UTF-8 where json.dumps writes \u escapes: both valid JSON)
        self.write_line(source, ts, orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE))

    def write_line(self, source: str, ts: float, line: bytes) -> None:
        """Buffer one JSON line (ending with its newline) for the file of `ts`'s day."""
        # An event dated on a day whose file is already written (a call a few minutes before midnight,
        # emitted just after it) is delivered late: it goes into the first open day's file.
        day = max(day_of(ts), self.open_day)
        self.pending[(source, day)].append(line)
        self.counts[source] += 1

    def write_lines(self, source: str, ts: np.ndarray, lines: pa.Array) -> None:
        """`write_line` for many lines at once (binary, each with its newline); `ts` holds their times
        (seconds)."""
        days = (ts // 86_400).astype(np.int64)
        if len(days) and days.min() == days.max():
            self.pending_arrays[(source, max(day_of(int(days[0]) * 86_400), self.open_day))].append(lines)
        elif len(days):
            by_day = np.argsort(days, kind="stable")
            for same_day in np.split(by_day, np.flatnonzero(np.diff(days[by_day])) + 1):
                day = day_of(int(days[same_day[0]]) * 86_400)
                self.pending_arrays[(source, max(day, self.open_day))].append(lines.take(same_day))
        self.counts[source] += len(lines)

    def flush_before(self, day: str) -> None:
        """Write every buffered day strictly before `day` (ISO date strings sort as dates)."""
        for key in sorted({k for k in (*self.pending, *self.pending_arrays) if k[1] < day}):
            self._write_day(*key)
        self.open_day = max(self.open_day, day)

    def close(self) -> None:
        for key in sorted({*self.pending, *self.pending_arrays}):
            self._write_day(*key)

    def _write_day(self, source: str, day: str) -> None:
        arrays = self.pending_arrays.pop((source, day), [])
        lines = self.pending.pop((source, day), [])
        if lines:
            arrays.append(pa.array(lines, pa.binary()))
        every = pa.concat_arrays(arrays)
        every = every.take(self.rng.permutation(len(every)))  # shuffled: the data buffer is the file's text
        offsets = np.frombuffer(every.buffers()[1], dtype=np.int32)
        text = memoryview(every.buffers()[2])[offsets[every.offset] : offsets[every.offset + len(every)]]
        path = self.out_dir / source / f"{source}_events_{day}.jsonl.gz"
        tmp = path.with_suffix(".gz.partial")
        # Intel's ISA-L deflate: standard gzip, 4x zlib's speed at its level 1 on these lines (and a
        # smaller file); with zlib, compression was about a seventh of the generator's time.
        # mtime=0: no clock in the gzip header, so a seed gives the same bytes on every run.
        tmp.write_bytes(igzip.compress(text, 1, mtime=0))
        tmp.replace(path)  # the extractor never sees a half-written file
        self.files_written += 1
