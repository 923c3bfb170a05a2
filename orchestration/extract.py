"""Landing files -> raw tables, losing nothing.

Each landing file (`<landing>/<source>/*.jsonl[.gz]`) is loaded once, keyed by the SHA-256 of its
bytes in `raw.load_manifest`. A file's name, size and modification time are kept with its hash
(`raw.landing_file_hashes`): a file whose three are unchanged since a run that saw it is not read
again, so a daily run reads its new files, not the whole landing zone (6.3 GB hashed a day at 100M
events). Every line becomes either a row of `raw.<source>_events` (its original
text kept as the payload, with file, line number, load id and load time) or a row of
`raw.quarantine_<source>_events` with the reason. A file's rows and its manifest entry are written in
one transaction (with the other files of its group), so an interrupted load leaves no trace of the
files it had not committed, and they are simply loaded on the next run.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from isal import igzip, isal_zlib

from orchestration.prefetch import fetched_ahead

LANDING_PATTERNS = ("*.jsonl.gz", "*.jsonl", "*.json.gz", "*.json")
# Files are committed in groups of at least GROUP_LINES lines (or GROUP_BYTES of text, whichever comes
# first). DuckDB writes an insert's full row groups (122,880 rows) straight to the file; fewer rows go
# to the write-ahead log and into the file again at the next checkpoint. Groups were first sized in
# bytes (128 MB): that fills row groups with Segment's lines (about 450 bytes) but not with Stripe's
# (about 1.6 KB, 85,000 lines a group), whose commits then took 16-18 s of a 30 s load on the 10M
# bench's files. By lines, on those files: Segment 51 s in groups of two row groups' lines, 44-45 s
# of four, 48 s of eight; Stripe 28-29 s at two or four (capped at 512 MB). A group's lines are held
# as one Arrow copy of its text (a file's bytes are dropped once split) and in DuckDB as they are
# written: the load's process peaked at 1.55 GB with four, 1.43 GB with two.
GROUP_LINES = 4 * 122_880
GROUP_BYTES = 512 * 1024**2
BYTE_ORDER_MARK = "\ufeff".encode()


@dataclass(frozen=True)
class SourceSpec:
    """What a source's lines must carry to be loaded: an id, a type and a parsable time."""

    name: str
    id_path: str
    type_path: str
    time_paths: tuple[str, ...]
    # a boolean SQL expression, true when the time is usable, over `times[1]`, `times[2]`, ...: the
    # values at `time_paths` as text
    time_check_sql: str


SOURCES = {
    "stripe": SourceSpec(
        name="stripe",
        id_path="$.id",
        type_path="$.type",
        time_paths=("$.created",),
        time_check_sql="try_cast(times[1] as bigint) is not null",
    ),
    "segment": SourceSpec(
        name="segment",
        id_path="$.messageId",
        type_path="$.type",
        # Segment sets receivedAt on every call; a call sent without `timestamp` happened when received
        time_paths=("$.timestamp", "$.receivedAt"),
        time_check_sql="coalesce(try_cast(times[1] as timestamptz), try_cast(times[2] as timestamptz)) is not null",
    ),
}


@dataclass
class LoadResult:
    source: str
    files_loaded: int = 0
    files_skipped: int = 0
    lines_read: int = 0
    lines_loaded: int = 0
    lines_quarantined: int = 0
    reasons: dict[str, int] = field(default_factory=dict)


class LandingPathError(ValueError):
    """A landing file that resolves outside the landing directory (symlink or `..`)."""


def ensure_raw_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists raw")
    con.execute("""
        create table if not exists raw.load_manifest (
            file_hash varchar primary key, source varchar not null, file_name varchar not null,
            load_id varchar not null, loaded_at timestamptz not null, lines_read bigint not null,
            lines_loaded bigint not null, lines_quarantined bigint not null)""")
    # the hash of each landing file already loaded (or a copy of one), with what its stat showed
    con.execute("""
        create table if not exists raw.landing_file_hashes (
            file_name varchar primary key, file_size bigint not null, modified_ns bigint not null,
            file_hash varchar not null)""")
    for source in SOURCES:
        con.execute(f"""
            create table if not exists raw.{source}_events (
                event_id varchar not null, payload json not null, source_file varchar not null,
                line_number bigint not null, load_id varchar not null, loaded_at timestamptz not null)""")
        con.execute(f"""
            create table if not exists raw.quarantine_{source}_events (
                source_file varchar not null, line_number bigint not null, raw_line varchar,
                reason varchar not null, load_id varchar not null, loaded_at timestamptz not null)""")


def landing_files(landing_dir: Path, source: str) -> list[Path]:
    """The source's landing files in name order (hidden files left out), each confined to the landing
    directory."""
    root = (landing_dir / source).resolve()
    if not root.is_dir():
        return []
    # hidden files (a tool's partial upload, a cursor) are never landing data
    found = sorted({p for pattern in LANDING_PATTERNS for p in root.glob(pattern) if not p.name.startswith(".")})
    for path in found:
        if not path.resolve().is_relative_to(root):
            raise LandingPathError(f"{path}: resolves outside the landing directory {root}; refusing it")
    return found


def split_lines(data: bytes) -> tuple[pa.Array, pa.Array, list[tuple[int, str, str]]]:
    """Split a file's bytes into numbered text lines, as Arrow arrays (line numbers, lines); undecodable
    lines are returned as rejects.

    A file of valid UTF-8 without a carriage return or a byte-order mark (nearly every file) becomes an
    Arrow array over one copy of its bytes less the newlines, found by one scan in C: no Python string
    per line (they cost memory: every line held as a Python string and again in Arrow). Any other file
    is split line by line in Python, which removes a CR ending and a leading BOM and sets aside exactly
    the lines that are not UTF-8. Both give the same lines: no multi-byte UTF-8 sequence contains the
    newline byte."""
    if b"\r" not in data and BYTE_ORDER_MARK not in data:
        try:
            lines = _lines_of(data).cast(pa.large_string())  # checks the UTF-8
        except pa.ArrowInvalid:
            pass
        else:
            return pa.array(np.arange(1, len(lines) + 1), pa.int64()), lines, []
    numbers, texts, rejects = _split_lines_one_by_one(data)
    return pa.array(numbers, pa.int64()), pa.array(texts, pa.large_string()), rejects


def _lines_of(data: bytes) -> pa.Array:
    """The lines of `data` (newline-separated; a newline at the end does not start a line) as an Arrow
    string array over a copy of the bytes without their newlines. Not checked for UTF-8.

    Arrow's split over the file as one binary value (no copy of its own) finds the newlines and copies
    the lines in C: on 20 days of the 10M bench's Segment files (740 MB) 0.3 s, where numpy's mask
    (a byte of mask per byte, then a masked copy) took 1.0 s."""
    if not data:
        return pa.array([], pa.large_binary())
    whole = pa.Array.from_buffers(
        pa.large_binary(), 1, [None, pa.py_buffer(np.array([0, len(data)], dtype=np.int64)), pa.py_buffer(data)]
    )
    lines = pc.split_pattern(whole, "\n").flatten()
    return lines.slice(0, len(lines) - 1) if data.endswith(b"\n") else lines


def _line_text(line: str) -> str:
    """A line's text without the CR of a CRLF ending or a leading byte-order mark."""
    return line.removesuffix("\r").removeprefix("\ufeff")


def _split_lines_one_by_one(data: bytes) -> tuple[list[int], list[str], list[tuple[int, str, str]]]:
    raw_lines = data.split(b"\n")
    if raw_lines and raw_lines[-1] == b"":
        raw_lines.pop()  # the newline that ends the last line does not start another
    numbers, texts, rejects = [], [], []
    for number, raw in enumerate(raw_lines, start=1):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            shown = raw.decode("utf-8", errors="replace").removesuffix("\r")
            rejects.append((number, shown, f"invalid UTF-8 at byte {exc.start}"))
            continue
        numbers.append(number)
        texts.append(_line_text(text))
    return numbers, texts, rejects


def _classify_sql(spec: SourceSpec) -> str:
    """One row per line of `batch` (file_index, line_number, event_id, reason), `reason` NULL when the
    line is loadable. Each line is parsed once for every field at once (not once per field); a line
    that is not JSON fails that parse. Only a line without an id is parsed again, for its root type:
    a path into an array or a scalar finds nothing, so every line that is not an object lands there
    (that second parse of every line was a fifth of the classification's time)."""
    paths = ", ".join(f"'{path}'" for path in (spec.id_path, spec.type_path, *spec.time_paths))
    return f"""
        with parsed as (
            select file_index, line_number, line, try(json_extract_string(line, [{paths}])) as fields
            from batch
        ),
        named as (
            select file_index, line_number, line, fields is not null as is_json, fields[1] as event_id,
                   fields[2] as event_type, fields[3:] as times
            from parsed
        )
        select
            file_index,
            line_number,
            event_id,
            case
                -- a blank line never parses, and trim() costs as much as the parse: test it only then
                when not is_json and trim(line) = '' then 'blank line'
                when not is_json then 'not valid JSON'
                -- CASE evaluates a branch only for the lines that reach it: the root type is parsed
                -- for the lines without an id
                when coalesce(event_id, '') = '' and try(json_type(line)) <> 'OBJECT' then 'not a JSON object'
                when coalesce(event_id, '') = '' then 'missing field {spec.id_path.removeprefix("$.")}'
                when coalesce(event_type, '') = '' then 'missing field {spec.type_path.removeprefix("$.")}'
                when not ({spec.time_check_sql}) then 'missing or unparsable time field'
            end as reason
        from named
    """


@dataclass(frozen=True)
class LandingFile:
    """A landing file read and split into lines (split_lines), ready to load."""

    name: str  # relative to the landing directory, as stored in source_file
    file_hash: str
    line_numbers: pa.Array
    lines: pa.Array
    rejects: list[tuple[int, str, str]]  # (line number, text shown, reason): lines that are not UTF-8
    text_bytes: int  # the size of its text (gunzipped)

    @classmethod
    def of(cls, name: str, file_hash: str, data: bytes) -> LandingFile:
        return cls(name, file_hash, *split_lines(data), text_bytes=len(data))

    @property
    def lines_read(self) -> int:
        return len(self.lines) + len(self.rejects)


def load_files(
    con: duckdb.DuckDBPyConnection,
    spec: SourceSpec,
    files: list[LandingFile],
    load_id: str,
    loaded_at: datetime,
) -> list[LoadResult]:
    """Load a group of files in one transaction: their rows, quarantined lines and manifest entries
    commit together or not at all. Returns each file's counts, in the order given."""
    results = [LoadResult(source=spec.name, files_loaded=1) for _ in files]
    numbers, lines, indices, rejects = [], [], [], []
    for index, landing_file in enumerate(files):
        numbers.append(landing_file.line_numbers)
        lines.append(landing_file.lines)
        indices.append(pa.array(np.full(len(landing_file.lines), index, dtype=np.int32)))
        rejects += [(landing_file.name, number, text, reason) for number, text, reason in landing_file.rejects]
        results[index].lines_read = landing_file.lines_read
        results[index].lines_quarantined = len(landing_file.rejects)
        for _, _, reason in landing_file.rejects:
            key = reason.split(" at byte")[0]
            results[index].reasons[key] = results[index].reasons.get(key, 0) + 1
    batch = pa.table(
        {
            "file_index": pa.chunked_array(indices, pa.int32()),
            "line_number": pa.chunked_array(numbers, pa.int64()),
            "line": pa.chunked_array(lines, pa.large_string()),
        }
    )
    del numbers, lines, indices
    # a row's source_file is the name at its file's position in the group (SQL lists are 1-based)
    params = {"files": [landing_file.name for landing_file in files], "load_id": load_id, "loaded_at": loaded_at}
    # the verdicts (no line text: copying the lines into a table cost more than joining them back)
    lines_with_verdicts = "batch inner join classified using (file_index, line_number)"
    con.execute("begin transaction")
    try:
        con.register("batch", batch)
        con.execute(f"create or replace temp table classified as {_classify_sql(spec)}")
        con.execute(
            f"""
            insert into raw.{spec.name}_events
            select classified.event_id, batch.line::json, $files[file_index + 1], line_number, $load_id, $loaded_at
            from {lines_with_verdicts} where classified.reason is null""",
            params,
        )
        con.execute(
            f"""
            insert into raw.quarantine_{spec.name}_events
            select $files[file_index + 1], line_number, batch.line, classified.reason, $load_id, $loaded_at
            from {lines_with_verdicts} where classified.reason is not null""",
            params,
        )
        con.unregister("batch")
        if rejects:
            con.executemany(
                f"insert into raw.quarantine_{spec.name}_events values (?, ?, ?, ?, ?, ?)",
                [(name, number, text, reason, load_id, loaded_at) for name, number, text, reason in rejects],
            )
        counts = con.execute(
            "select file_index, coalesce(reason, '') as reason, count(*) from classified group by all"
        ).fetchall()
        con.execute("drop table classified")
        for index, reason, n in counts:
            result = results[index]
            if reason:
                result.reasons[reason] = result.reasons.get(reason, 0) + n
                result.lines_quarantined += n
            else:
                result.lines_loaded += n
        con.executemany(
            "insert into raw.load_manifest values (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                [
                    landing_file.file_hash,
                    spec.name,
                    landing_file.name,
                    load_id,
                    loaded_at,
                    result.lines_read,
                    result.lines_loaded,
                    result.lines_quarantined,
                ]
                for landing_file, result in zip(files, results, strict=True)
            ],
        )
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    return results


def decompress_landing_bytes(path: Path, raw: bytes) -> bytes:
    """The file's text bytes: gunzipped when its name ends in .gz (by ISA-L, which inflates these
    files in about 0.7x zlib's time; every member of a multi-member file, as gzip does)."""
    if path.name.endswith(".gz"):
        try:
            return igzip.decompress(raw)
        except (OSError, EOFError, isal_zlib.error) as exc:  # not gzip; cut short; a corrupt block
            raise ValueError(f"{path}: not a readable gzip file ({exc})") from exc
    return raw


@dataclass(frozen=True)
class FileStat:
    size: int
    modified_ns: int


def _read_ahead(
    paths: list[Path], landing_dir: Path, known: set[str], seen: dict[str, tuple[FileStat, str]]
) -> Iterator[tuple[str, FileStat, str, LandingFile | None]]:
    """Each file's name (relative to the landing directory), stat, SHA-256 and lines (None when the
    hash was already in `known`). A file whose name, size and modification time are as `seen`
    recorded them with a known hash is not read: it is that hash. The next file is read, hashed,
    gunzipped and split in a thread (each step releases the GIL) while the caller loads the current
    one; its bytes are dropped once split. The stat is taken before the read: a file changed in
    between shows another stat next time, and is read again then."""
    root = landing_dir.resolve()

    def read(path: Path) -> tuple[str, FileStat, str, LandingFile | None]:
        name = str(path.relative_to(root))
        status = path.stat()
        stat = FileStat(status.st_size, status.st_mtime_ns)
        recorded = seen.get(name)
        if recorded is not None and recorded[0] == stat and recorded[1] in known:
            return name, stat, recorded[1], None
        raw = path.read_bytes()
        file_hash = hashlib.sha256(raw).hexdigest()
        if file_hash in known:
            return name, stat, file_hash, None
        return name, stat, file_hash, LandingFile.of(name, file_hash, decompress_landing_bytes(path, raw))

    return fetched_ahead(map(read, paths))


def load_source(
    con: duckdb.DuckDBPyConnection,
    landing_dir: Path,
    source: str,
    load_id: str,
    group_lines: int | None = None,
    group_bytes: int | None = None,
) -> LoadResult:
    """Load every landing file of `source` not loaded before (by content hash). Files are committed in
    groups, each in one transaction: a group closes at `group_lines` lines or `group_bytes` of text
    (GROUP_LINES and GROUP_BYTES by default)."""
    spec = SOURCES[source]
    ensure_raw_schema(con)
    # With DuckDB's default 16 MB threshold the write-ahead log is checkpointed into the file over and
    # over, rewriting the same row groups: one checkpoint at the end is faster (a third less time on
    # Stripe's large lines) and leaves a smaller file.
    con.execute("set checkpoint_threshold = '1GB'")
    # DuckDB inserts on all its threads, and each leaves a part-filled row group behind each insert;
    # its checkpoint then merges neighbouring part-filled groups ("vacuum"), rewriting about every row
    # loaded. The raw tables are only appended to (no deletes to clean up), so the merge only costs:
    # on the 10M bench's Segment files the final checkpoint took 15.7 s with it and 0.3 s without, and
    # the file grew to 2.4 GB instead of 1.25 GB. Set for this load only.
    con.execute("set max_vacuum_tasks = 0")
    try:
        return _load_new_files(con, landing_dir, spec, load_id, group_lines or GROUP_LINES, group_bytes or GROUP_BYTES)
    finally:
        con.execute("reset max_vacuum_tasks")


def _load_new_files(
    con: duckdb.DuckDBPyConnection,
    landing_dir: Path,
    spec: SourceSpec,
    load_id: str,
    group_lines: int,
    group_bytes: int,
) -> LoadResult:
    source = spec.name
    total = LoadResult(source=source)
    known = {
        row[0] for row in con.execute("select file_hash from raw.load_manifest where source = ?", [source]).fetchall()
    }
    seen = {
        name: (FileStat(size, modified_ns), file_hash)
        for name, size, modified_ns, file_hash in con.execute(
            "select file_name, file_size, modified_ns, file_hash from raw.landing_file_hashes where file_name like ?",
            [f"{source}/%"],
        ).fetchall()
    }
    group: list[LandingFile] = []
    hashed: dict[str, tuple[FileStat, str]] = {}

    def commit_group() -> None:
        for result in load_files(con, spec, group, load_id, datetime.now(UTC)):
            total.files_loaded += 1
            total.lines_read += result.lines_read
            total.lines_loaded += result.lines_loaded
            total.lines_quarantined += result.lines_quarantined
            for reason, n in result.reasons.items():
                total.reasons[reason] = total.reasons.get(reason, 0) + n
        group.clear()

    for name, stat, file_hash, landing_file in _read_ahead(
        landing_files(landing_dir, source), landing_dir, known, seen
    ):
        if seen.get(name) != (stat, file_hash):
            hashed[name] = (stat, file_hash)
        if file_hash in known:  # loaded before, or the same bytes under another name earlier in this run
            total.files_skipped += 1
            continue
        known.add(file_hash)
        group.append(landing_file)
        if sum(f.lines_read for f in group) >= group_lines or sum(f.text_bytes for f in group) >= group_bytes:
            commit_group()
    if group:
        commit_group()
    # recorded once every file is committed: a hash recorded is always one loaded
    if hashed:
        con.executemany(
            "insert or replace into raw.landing_file_hashes values (?, ?, ?, ?)",
            [[name, stat.size, stat.modified_ns, file_hash] for name, (stat, file_hash) in hashed.items()],
        )
    if total.files_loaded or hashed:
        con.execute("checkpoint")
    return total


def reconcile(con: duckdb.DuckDBPyConnection, source: str) -> list[tuple]:
    """Files whose lines read differ from lines loaded + quarantined (empty when nothing is lost). A file
    is its name within its load: a file rewritten under the same name is loaded again as new bytes,
    and each copy is counted against its own rows."""
    return con.execute(f"""
        with loaded as (
            select source_file, load_id, count(*) as n from raw.{source}_events group by all
        ), quarantined as (
            select source_file, load_id, count(*) as n from raw.quarantine_{source}_events group by all
        )
        select manifest.file_name, manifest.lines_read,
               coalesce(loaded.n, 0) as lines_loaded, coalesce(quarantined.n, 0) as lines_quarantined
        from raw.load_manifest as manifest
        left join loaded on loaded.source_file = manifest.file_name and loaded.load_id = manifest.load_id
        left join quarantined
            on quarantined.source_file = manifest.file_name and quarantined.load_id = manifest.load_id
        where manifest.source = '{source}'
          and manifest.lines_read <> coalesce(loaded.n, 0) + coalesce(quarantined.n, 0)
        order by manifest.file_name
    """).fetchall()
