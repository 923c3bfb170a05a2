"""Great Expectations suites on the raw data that has not been published yet.

The batch a suite validates is every raw row whose load has not been accepted: a load is accepted
when a run that contained it published (orchestration/publish_assets.py). So a batch that fails keeps
failing, and keeps blocking publication, until the cause is fixed: the next run cannot slip it
through by validating only its own new files.

Rows are pulled from DuckDB into pandas frames (GX's SQL path does not work with DuckDB) with the
fields the expectations need already extracted; `source_file` (as a pandas category) and
`line_number` travel along so a failure names the lines. A large batch (the first run of a long
backfill) is validated in chunks of ROWS_PER_CHUNK rows, so memory stays bounded whatever the batch
size, and the chunks' results are added up; samples are the first failing lines in file and line
order, whatever order the rows came in. Thresholds live in orchestration/quality.yml.
"""

from __future__ import annotations

import contextlib
import csv
import gc
import logging
import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd
import yaml

from orchestration.prefetch import fetched_ahead
from orchestration.settings import SEEDS_DIR

CONFIG_PATH = Path(__file__).with_name("quality.yml")
AMOUNT_FIELDS = ("amount", "amount_due", "amount_paid", "amount_remaining", "subtotal", "total", "unit_amount")
SEGMENT_CALL_TYPES = ("track", "identify", "group", "alias", "page", "screen")
ROWS_PER_CHUNK = 500_000
DUCKDB_VECTOR_ROWS = 2048  # DuckDB hands frames out in whole vectors of this many rows
# True while a row's load is pending, i.e. no run that contained it has published yet
# (accept_pending_loads); for any raw table with a load_id: rows, quarantined lines, manifest entries.
UNACCEPTED = "load_id not in (select load_id from raw.accepted_loads)"


@dataclass(frozen=True)
class QualityConfig:
    earliest_event: datetime
    future_tolerance_hours: int
    volume_trailing_days: int
    volume_min_ratio: float
    volume_max_ratio: float
    sample_size: int
    max_quarantine_rate: float
    known_stripe_event_types: tuple[str, ...]


def load_config(path: Path = CONFIG_PATH) -> QualityConfig:
    raw = yaml.safe_load(path.read_text())
    return QualityConfig(
        earliest_event=datetime.fromisoformat(str(raw["earliest_event"])).replace(tzinfo=UTC),
        future_tolerance_hours=int(raw["future_tolerance_hours"]),
        volume_trailing_days=int(raw["volume"]["trailing_days"]),
        volume_min_ratio=float(raw["volume"]["min_ratio"]),
        volume_max_ratio=float(raw["volume"]["max_ratio"]),
        sample_size=int(raw["sample_size"]),
        max_quarantine_rate=float(raw["max_quarantine_rate"]),
        known_stripe_event_types=tuple(raw["known_stripe_event_types"]),
    )


@dataclass
class Finding:
    """One expectation's outcome on the batch."""

    expectation: str
    column: str
    passed: bool
    blocking: bool
    unexpected_count: int = 0
    rows: int = 0
    sample: list[str] = field(default_factory=list)
    # (source_file, line_number) of each sample line. Rows come unsorted (sorting a first run's 100M
    # rows cost more memory than the validation), so chunks' samples are merged into file and line order
    sample_at: list[tuple[str, int]] = field(default_factory=list)

    def describe(self) -> str:
        where = "; ".join(self.sample)
        return f"{self.expectation}({self.column}): {self.unexpected_count} of {self.rows} rows" + (
            f", e.g. {where}" if where else ""
        )


def ensure_acceptance_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        "create table if not exists raw.accepted_loads (load_id varchar primary key, accepted_at timestamptz not null)"
    )


def accept_pending_loads(con: duckdb.DuckDBPyConnection, accepted_at: datetime) -> int:
    """Mark every load present in the raw tables as accepted (called once a run has published)."""
    ensure_acceptance_table(con)
    before = con.execute("select count(*) from raw.accepted_loads").fetchone()[0]
    con.execute(
        f"""
        insert into raw.accepted_loads
        select distinct load_id, ?::timestamptz from raw.load_manifest
        where {UNACCEPTED}""",
        [accepted_at],
    )
    return con.execute("select count(*) from raw.accepted_loads").fetchone()[0] - before


def _pending(source: str) -> str:
    """The unaccepted rows. The load-time bound selects no other rows (a row carries its manifest
    entry's load time, and the bound is the oldest among the unaccepted entries, whatever the clock
    did) but lets DuckDB skip the accepted history's row groups unread: on the 100M bench's
    warehouse, finding one day's Segment rows took 7.7-15 s (every payload read) and 0.2 s with it."""
    return f"""
        from raw.{source}_events as events
        where events.{UNACCEPTED}
            and events.loaded_at >= (
                select min(manifest.loaded_at) from raw.load_manifest as manifest
                where manifest.source = '{source}' and manifest.{UNACCEPTED}
            )"""


def pending_batch(con: duckdb.DuckDBPyConnection, source: str) -> pd.DataFrame:
    """The unaccepted raw rows of `source`, with the fields the suite checks, in one frame."""
    ensure_acceptance_table(con)
    return _with_timestamps(con.execute(_pending_sql(con, source)).df())


def pending_chunks(con: duckdb.DuckDBPyConnection, source: str, rows_per_chunk: int = ROWS_PER_CHUNK):
    """The same rows as pending_batch, as a series of frames of about `rows_per_chunk` rows."""
    ensure_acceptance_table(con)
    result = con.execute(_pending_sql(con, source))
    vectors = max(1, rows_per_chunk // DUCKDB_VECTOR_ROWS)
    while True:
        frame = result.fetch_df_chunk(vectors)
        if frame.empty:
            return
        yield _with_timestamps(frame.reset_index(drop=True))


def _with_timestamps(frame: pd.DataFrame) -> pd.DataFrame:
    if "occurred_at" in frame:
        frame["occurred_at"] = pd.to_datetime(frame["occurred_at"], utc=True)
    return frame


def _pending_files_type(con: duckdb.DuckDBPyConnection, source: str) -> str:
    """An ENUM of the names of the source's pending files, in name order (VARCHAR when there are
    none). A pending row's file is its unaccepted manifest entry's. Cast to it, `source_file` reaches
    pandas as a category, not a string per row: the pull of the 10M bench's Segment rows (without
    their event ids) took 13.7 s instead of 17.2 s."""
    names = con.execute(
        f"""select distinct file_name from raw.load_manifest
            where source = ? and {UNACCEPTED} order by file_name""",
        [source],
    ).fetchall()
    if not names:
        return "varchar"
    return "enum(" + ", ".join("'" + name.replace("'", "''") + "'" for (name,) in names) + ")"


def _pending_sql(con: duckdb.DuckDBPyConnection, source: str) -> str:
    """The checked fields of the pending rows, with the line each comes from. Each payload is parsed
    once per list of paths (json_extract with a list), not once per field: the Stripe payloads are
    large. No event id: no expectation reads it (the extract quarantined lines without one), and its
    text cost 3.6 s of the 20.8 s pull of the 10M bench's Segment rows."""
    source_file = f"source_file::{_pending_files_type(con, source)} as source_file"
    if source == "stripe":
        amount_paths = ", ".join(f"'$.data.object.{name}'" for name in AMOUNT_FIELDS)
        amount_checks = " ".join(
            f"when json_type(amounts[{i}]) not in ('UBIGINT', 'BIGINT', 'NULL') then '{name}'"
            for i, name in enumerate(AMOUNT_FIELDS, start=1)
        )
        sql = f"""
            select
                {source_file}, line_number,
                fields[1] as event_type,
                to_timestamp(try_cast(fields[2] as bigint)) as occurred_at,
                lower(fields[3]) as currency,
                case {amount_checks} end as non_integer_amount_field
            from (
                select
                    source_file, line_number,
                    json_extract_string(payload, ['$.type', '$.created', '$.data.object.currency']) as fields,
                    json_extract(payload, [{amount_paths}]) as amounts
                {_pending(source)}
            ) as events"""
    else:
        sql = f"""
            select
                {source_file}, line_number,
                fields[1] as call_type,
                fields[2] as event_name,
                coalesce(nullif(fields[3], ''), nullif(fields[4], '')) is not null as has_identity,
                coalesce(try_cast(fields[5] as timestamptz), try_cast(fields[6] as timestamptz)) as occurred_at
            from (
                select
                    source_file, line_number,
                    json_extract_string(
                        payload, ['$.type', '$.event', '$.userId', '$.anonymousId', '$.timestamp', '$.receivedAt']
                    ) as fields
                {_pending(source)}
            ) as events"""
    return sql


def volume_ratio(con: duckdb.DuckDBPyConnection, source: str, trailing_days: int) -> float | None:
    """Rows per loaded file in the pending batch / the same over the accepted history (last N days'
    files); None without history. Daily files make this "today's volume vs the trailing days"."""
    row = con.execute(
        """
        with files as (
            select manifest.file_name, manifest.lines_loaded,
                manifest.load_id in (select load_id from raw.accepted_loads) as accepted,
                row_number() over (
                    partition by manifest.load_id in (select load_id from raw.accepted_loads)
                    order by manifest.file_name desc) as recency
            from raw.load_manifest as manifest where manifest.source = ?
        )
        select
            avg(case when not accepted then lines_loaded end),
            avg(case when accepted and recency <= ? then lines_loaded end)
        from files""",
        [source, trailing_days],
    ).fetchone()
    pending, history = row
    if pending is None or not history:
        return None
    return float(pending) / float(history)


def quarantine_finding(con: duckdb.DuckDBPyConnection, source: str, config: QualityConfig) -> Finding:
    """Lines quarantined among the unpublished loads, against max_quarantine_rate: a few broken lines
    are set aside and reported, a large share (a renamed field, a new format) stops publication."""
    read, quarantined = con.execute(
        f"""
        select coalesce(sum(lines_read), 0), coalesce(sum(lines_quarantined), 0) from raw.load_manifest
        where source = ? and {UNACCEPTED}""",
        [source],
    ).fetchone()
    reasons = con.execute(
        f"""
        select source_file || ':' || line_number || ' ' || reason
        from raw.quarantine_{source}_events
        where {UNACCEPTED}
        order by source_file, line_number limit ?""",
        [config.sample_size],
    ).fetchall()
    return Finding(
        expectation="quarantine_rate_at_most",
        column=f"{config.max_quarantine_rate:g}",
        passed=read == 0 or quarantined / read <= config.max_quarantine_rate,
        blocking=True,
        unexpected_count=int(quarantined),
        rows=int(read),
        sample=[row[0] for row in reasons],
    )


def known_currencies(seeds_dir: Path = SEEDS_DIR) -> list[str]:
    with open(seeds_dir / "currencies.csv", newline="") as handle:
        return sorted(row["currency_code"] for row in csv.DictReader(handle))


def known_event_names(seeds_dir: Path = SEEDS_DIR) -> list[str]:
    with open(seeds_dir / "event_taxonomy.csv", newline="") as handle:
        return sorted(row["event_name"] for row in csv.DictReader(handle))


def _expectations(source: str, config: QualityConfig, now: datetime) -> list[tuple[object, bool]]:
    """(GX expectation, blocking) pairs for a source."""
    import great_expectations as gx

    latest = pd.Timestamp(now) + pd.Timedelta(hours=config.future_tolerance_hours)
    earliest = pd.Timestamp(config.earliest_event)
    # No not-null expectations on event_id or occurred_at: the extract quarantines every line without
    # an id or a parsable time (the same expressions as _pending_sql's), and event_id is a NOT NULL
    # column, so they could never fail. Together they took 18 s of the gate's 89 s at 10M events.
    common = [
        (
            gx.expectations.ExpectColumnValuesToBeBetween(column="occurred_at", min_value=earliest, max_value=latest),
            True,
        ),
    ]
    if source == "stripe":
        return common + [
            (gx.expectations.ExpectColumnValuesToMatchRegex(column="event_type", regex=r"^[a-z_]+(\.[a-z_]+)+$"), True),
            (gx.expectations.ExpectColumnValuesToBeInSet(column="currency", value_set=known_currencies()), True),
            (gx.expectations.ExpectColumnValuesToBeNull(column="non_integer_amount_field"), True),
            (
                gx.expectations.ExpectColumnValuesToBeInSet(
                    column="event_type", value_set=list(config.known_stripe_event_types)
                ),
                False,
            ),
        ]
    return common + [
        (gx.expectations.ExpectColumnValuesToBeInSet(column="call_type", value_set=list(SEGMENT_CALL_TYPES)), True),
        (gx.expectations.ExpectColumnValuesToBeInSet(column="has_identity", value_set=[True]), True),
        (gx.expectations.ExpectColumnValuesToBeInSet(column="event_name", value_set=known_event_names()), False),
    ]


def _shown(value) -> str:
    """A failing value as a reader wants it in a message: Python literals, ISO timestamps."""
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        value = value.item()
    return repr(value)


def validate_batch(frame: pd.DataFrame, source: str, config: QualityConfig, now: datetime) -> list[Finding]:
    """Run the source's suite on `frame` (an ephemeral GX context, pandas)."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx
    from great_expectations.execution_engine import pandas_execution_engine

    # GX fingerprints every frame under this size (an md5 of pandas' hash of each row) for a batch
    # marker that nothing here reads, and does it twice per validation (getting the batch, then again
    # inside validate): on the 10M bench's Segment rows, 18.6 s of the gate's 38.4 s. The validation
    # itself is unchanged.
    pandas_execution_engine.HASH_THRESHOLD = 0
    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = {"globally": False, "metric_calculations": False}
    batch = (
        context.data_sources.add_pandas(f"{source}_raw")
        .add_dataframe_asset("pending")
        .add_batch_definition_whole_dataframe("all")
        .get_batch(batch_parameters={"dataframe": frame})
    )
    expectations = _expectations(source, config, now)
    # One suite, validated once, so GX resolves the metrics of every expectation in one go. On a
    # 500,000-row Segment chunk: 0.77 s expectation by expectation, 0.23 s as a suite.
    suite = gx.ExpectationSuite(name=f"{source}_raw", expectations=[expectation for expectation, _ in expectations])
    results = {
        (result.expectation_config.type, result.expectation_config.kwargs["column"]): result
        for result in batch.validate(suite, result_format="COMPLETE").results
    }
    findings = []
    for expectation, blocking in expectations:
        result = results[(expectation.expectation_type, expectation.column)]
        details = result.result or {}
        column = expectation.column
        first = (
            frame.loc[details.get("unexpected_index_list") or [], ["source_file", "line_number"]]
            .sort_values(["source_file", "line_number"])
            .index[: config.sample_size]
        )
        sample_at = [(frame.at[i, "source_file"], int(frame.at[i, "line_number"])) for i in first]
        sample = [
            f"{name}:{line} {column}={_shown(frame.at[i, column])}"
            for (name, line), i in zip(sample_at, first, strict=True)
        ]
        findings.append(
            Finding(
                expectation=re.sub(r"^expect_column_", "", expectation.expectation_type),
                column=expectation.column,
                passed=bool(result.success),
                blocking=blocking,
                unexpected_count=int(details.get("unexpected_count") or 0),
                rows=len(frame),
                sample=sample,
                sample_at=sample_at,
            )
        )
    return findings


@contextlib.contextmanager
def _collecting_only_new_objects():
    """`gc.collect()` inside walks only the objects made inside: what the process already holds
    (Dagster's definitions, the dbt manifest, GX: about 0.5M objects, 0.2 s a walk) is frozen out of
    the collector until the block ends, however it ends."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _added_up(totals: list[Finding], chunk: list[Finding], sample_size: int) -> list[Finding]:
    """One chunk's findings added to the totals so far: passed on every chunk, counts summed, the
    first failing lines by (file, line) kept as samples."""
    if not totals:
        return chunk
    for total, part in zip(totals, chunk, strict=True):
        total.passed = total.passed and part.passed
        total.unexpected_count += part.unexpected_count
        total.rows += part.rows
        located = zip(total.sample_at + part.sample_at, total.sample + part.sample, strict=True)
        first = sorted(located)[:sample_size]
        total.sample_at, total.sample = [at for at, _ in first], [line for _, line in first]
    return totals


def validate_pending(
    con: duckdb.DuckDBPyConnection,
    source: str,
    config: QualityConfig,
    now: datetime,
    rows_per_chunk: int = ROWS_PER_CHUNK,
) -> tuple[list[Finding], int]:
    """Run the suite over every unaccepted row, chunk by chunk; (findings added up, rows checked).
    An expectation passes when it passed on every chunk; samples are the first failing lines."""
    merged: list[Finding] = []
    rows = 0
    with _collecting_only_new_objects():
        # the next chunk is pulled from DuckDB (without the GIL) while GX validates this one
        for frame in fetched_ahead(pending_chunks(con, source, rows_per_chunk)):
            rows += len(frame)
            findings = validate_batch(frame, source, config, now)
            # GX leaves each chunk's frame in reference cycles, freed only at Python's next full
            # collection: collect now. On the 100M warehouse's Segment rows, first 50 chunks:
            # 3.0 GB without, 1.9 GB with.
            gc.collect()
            merged = _added_up(merged, findings, config.sample_size)
    return merged, rows
