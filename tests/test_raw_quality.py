"""Raw-data gates: the Great Expectations suites name the bad lines, and a failing batch keeps
blocking publication until it is dealt with."""

import gc
import hashlib
import json
from datetime import UTC, date, datetime, timedelta

import dagster as dg
import pytest
from dagster_dbt import get_asset_key_for_model
from run_helpers import clock, company

from orchestration import extract, raw_quality
from orchestration.dbt import warehouse_dbt_assets
from orchestration.definitions import JOB_NAME, build_definitions
from orchestration.extract import ensure_raw_schema, load_source
from orchestration.generator import GeneratorConfig, generate
from orchestration.raw_quality import accept_pending_loads, load_config, pending_batch, validate_batch, validate_pending
from orchestration.runner import run_everything
from orchestration.triggers import HEADLESS_TAG, stripe_api_events
from orchestration.warehouse import connect

NOW = datetime(2024, 7, 1, tzinfo=UTC)


def _stripe(event_id: str, created: int = 1717243200, **obj) -> str:
    body = {"id": "in_1", "object": "invoice", **obj}
    return json.dumps(
        {"id": event_id, "object": "event", "type": "invoice.paid", "created": created, "data": {"object": body}}
    )


@pytest.fixture
def con(tmp_path):
    connection = connect(tmp_path / "w.duckdb")
    ensure_raw_schema(connection)
    yield connection
    connection.close()


def _failures(findings) -> dict[str, list[str]]:
    return {f"{f.expectation}({f.column})": f.sample for f in findings if not f.passed}


def test_stripe_suite_names_each_bad_line(tmp_path, con):
    landing = tmp_path / "landing"
    (landing / "stripe").mkdir(parents=True)
    lines = [
        _stripe("evt_ok", currency="usd", amount_due=1200),
        _stripe("evt_currency", currency="xyz", amount_due=1200),
        _stripe("evt_float", currency="eur", amount_due=12.5),
        _stripe("evt_future", created=int(NOW.timestamp()) + 3 * 86400, currency="usd"),
        _stripe("evt_ancient", created=631152000, currency="usd"),  # 1990
    ]
    (landing / "stripe" / "day.jsonl").write_text("\n".join(lines) + "\n")
    load_source(con, landing, "stripe", "load-1")

    findings = validate_batch(pending_batch(con, "stripe"), "stripe", load_config(), NOW)

    failures = _failures(findings)
    assert set(failures) == {"values_to_be_in_set(currency)", "values_to_be_null(non_integer_amount_field)",
                             "values_to_be_between(occurred_at)"}  # fmt: skip
    assert failures["values_to_be_in_set(currency)"] == ["stripe/day.jsonl:2 currency='xyz'"]
    assert failures["values_to_be_null(non_integer_amount_field)"] == [
        "stripe/day.jsonl:3 non_integer_amount_field='amount_due'"
    ]
    assert [s.split(" ")[0] for s in failures["values_to_be_between(occurred_at)"]] == [
        "stripe/day.jsonl:4",
        "stripe/day.jsonl:5",
    ]
    assert all(f.blocking for f in findings if not f.passed)


def test_segment_suite_blocks_calls_without_identity_and_reports_unknown_events(tmp_path, con):
    landing = tmp_path / "landing"
    (landing / "segment").mkdir(parents=True)
    call = {"type": "track", "event": "Signed Up", "timestamp": "2024-06-01T09:14:03.218Z"}
    lines = [
        json.dumps(dict(call, messageId="m1", userId="u1")),
        json.dumps(dict(call, messageId="m2")),  # neither userId nor anonymousId
        json.dumps(dict(call, messageId="m3", userId="u1", event="Teleport Used")),
    ]
    (landing / "segment" / "day.jsonl").write_text("\n".join(lines) + "\n")
    load_source(con, landing, "segment", "load-1")

    findings = validate_batch(pending_batch(con, "segment"), "segment", load_config(), NOW)

    blocking = {f"{f.expectation}({f.column})": f.sample for f in findings if not f.passed and f.blocking}
    reported = {f"{f.expectation}({f.column})": f.sample for f in findings if not f.passed and not f.blocking}
    assert blocking == {"values_to_be_in_set(has_identity)": ["segment/day.jsonl:2 has_identity=False"]}
    assert reported == {"values_to_be_in_set(event_name)": ["segment/day.jsonl:3 event_name='Teleport Used'"]}


def test_accepted_loads_leave_the_pending_batch(tmp_path, con):
    landing = tmp_path / "landing"
    (landing / "stripe").mkdir(parents=True)
    (landing / "stripe" / "a.jsonl").write_text(_stripe("evt_1", currency="usd") + "\n")
    load_source(con, landing, "stripe", "load-1")
    assert len(pending_batch(con, "stripe")) == 1
    assert accept_pending_loads(con, NOW) == 1
    assert len(pending_batch(con, "stripe")) == 0
    (landing / "stripe" / "b.jsonl").write_text(_stripe("evt_2", currency="usd") + "\n")
    load_source(con, landing, "stripe", "load-2")
    assert pending_batch(con, "stripe")["source_file"].tolist() == ["stripe/b.jsonl"]


def test_a_load_whose_clock_stepped_back_is_still_pending(tmp_path, con, monkeypatch):
    landing = tmp_path / "landing"
    (landing / "stripe").mkdir(parents=True)
    (landing / "stripe" / "a.jsonl").write_text(_stripe("evt_1", currency="usd") + "\n")
    load_source(con, landing, "stripe", "load-1")
    accept_pending_loads(con, NOW)

    monkeypatch.setattr(extract, "datetime", clock(-timedelta(hours=1)))
    (landing / "stripe" / "b.jsonl").write_text(_stripe("evt_2", currency="usd") + "\n")
    load_source(con, landing, "stripe", "load-2")
    loaded_at = dict(con.execute("select event_id, loaded_at from raw.stripe_events").fetchall())
    assert loaded_at["evt_2"] < loaded_at["evt_1"]  # the pending load sorts before the accepted one
    assert pending_batch(con, "stripe")["source_file"].tolist() == ["stripe/b.jsonl"]


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.slow
def test_an_unknown_currency_blocks_publishing_until_dealt_with(settings):
    """A published warehouse, then a day with an invoice in an unknown currency: the run stops at the
    raw gate naming the file and line, the serving copy stays byte for byte, and a second run (no new
    files) is blocked again rather than publishing the bad rows."""
    generate(GeneratorConfig(out_dir=settings.landing_dir, seed=4, users=40, start=date(2024, 1, 1), days=40))
    instance = dg.DagsterInstance.ephemeral()
    assert run_everything(settings, instance=instance).published
    before = _digest(settings.serving_path)
    bad_day = settings.landing_dir / "stripe" / "stripe_events_2024-02-10.jsonl"
    bad_day.write_text(_stripe("evt_bad_currency", created=1707566400, currency="xyz", amount_due=900) + "\n")

    for _ in range(2):
        summary = run_everything(settings, instance=instance)
        assert not summary.published
        assert "raw/stripe_events:unpublished_rows_meet_expectations" in summary.checks_failed
        assert (
            "raw/stripe_events:unpublished_rows_meet_expectations (1 expectations failed; "
            "e.g. stripe/stripe_events_2024-02-10.jsonl:1 currency='xyz')"
        ) in summary.failure_details
        assert _digest(settings.serving_path) == before
    failures = [
        event.dagster_event.event_specific_data
        for event in instance.all_logs(instance.get_runs(limit=1)[0].run_id)
        if event.dagster_event and event.dagster_event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION
    ]
    gate = next(e for e in failures if e.check_name == "unpublished_rows_meet_expectations" and not e.passed)
    assert gate.metadata["failing_rows_sample"].value == ["stripe/stripe_events_2024-02-10.jsonl:1 currency='xyz'"]


def test_a_large_batch_is_validated_in_chunks_with_the_same_result(tmp_path, con):
    landing = tmp_path / "landing"
    (landing / "stripe").mkdir(parents=True)
    bad = {10, 2100, 4500}  # one bad currency in each of three chunks of 2048 rows
    lines = [_stripe(f"evt_{i}", currency="xyz" if i in bad else "usd", amount_due=100) for i in range(5000)]
    (landing / "stripe" / "day.jsonl").write_text("\n".join(lines) + "\n")
    load_source(con, landing, "stripe", "load-1")
    config = load_config()

    chunked, rows = validate_pending(con, "stripe", config, NOW, rows_per_chunk=2048)
    whole = validate_batch(pending_batch(con, "stripe"), "stripe", config, NOW)

    assert rows == 5000
    assert [(f.expectation, f.column, f.passed, f.unexpected_count, f.rows) for f in chunked] == [
        (f.expectation, f.column, f.passed, f.unexpected_count, f.rows) for f in whole
    ]
    currency = next(f for f in chunked if f.column == "currency" and f.blocking)
    assert currency.unexpected_count == 3
    assert gc.get_freeze_count() == 0  # what the gate set aside from its collections is back
    assert currency.sample == [f"stripe/day.jsonl:{i + 1} currency='xyz'" for i in sorted(bad)]


def test_a_failing_chunk_gives_the_collector_back_what_the_gate_set_aside(tmp_path, con, monkeypatch):
    """The gate freezes what the process holds so that its per-chunk collections skip it; after an
    error those objects must be collectable again, or whatever of them turns to garbage stays."""
    landing = tmp_path / "landing"
    (landing / "stripe").mkdir(parents=True)
    (landing / "stripe" / "day.jsonl").write_text(_stripe("evt_1") + "\n")
    load_source(con, landing, "stripe", "load-1")

    def broken(*args):
        assert gc.get_freeze_count() > 0
        raise RuntimeError("GX failed")

    monkeypatch.setattr(raw_quality, "validate_batch", broken)
    with pytest.raises(RuntimeError, match="GX failed"):
        validate_pending(con, "stripe", load_config(), NOW)
    assert gc.get_freeze_count() == 0


def test_samples_are_the_first_failing_lines_in_file_order_whatever_the_load_order(tmp_path, con):
    """Rows reach the suite in the order DuckDB scans them (here: day2, loaded first, then day1) and in
    chunks; the samples are still the first failing lines by file name and line number."""
    landing = tmp_path / "landing"
    (landing / "stripe").mkdir(parents=True)
    bad = {"day1": {3000, 4100}, "day2": {5, 2500, 2600, 4999}}  # spread over chunks of 2048 rows

    def write(day: str) -> None:
        lines = [
            _stripe(f"evt_{day}_{i}", currency="xyz" if i in bad[day] else "usd", amount_due=1) for i in range(5000)
        ]
        (landing / "stripe" / f"{day}.jsonl").write_text("\n".join(lines) + "\n")

    write("day2")
    load_source(con, landing, "stripe", "load-1")
    write("day1")
    load_source(con, landing, "stripe", "load-2")
    config = load_config()

    findings, rows = validate_pending(con, "stripe", config, NOW, rows_per_chunk=2048)

    currency = next(f for f in findings if f.column == "currency" and f.blocking)
    assert rows == 10_000 and currency.unexpected_count == 6
    expected = [f"stripe/day1.jsonl:{i + 1}" for i in sorted(bad["day1"])]
    expected += [f"stripe/day2.jsonl:{i + 1}" for i in sorted(bad["day2"])]
    assert currency.sample == [f"{where} currency='xyz'" for where in expected[: config.sample_size]]


@pytest.mark.slow
def test_a_publish_without_the_readers_of_pending_loads_leaves_them_pending(tmp_path):
    """The publish asset materialized on its own publishes, but accepts no load: the gates and the
    staging guard did not look at the pending ones. The next whole run checks and accepts them. A run
    of every asset but the orphans (a model that takes in only the pending loads) accepts none either."""
    settings = company(tmp_path)
    instance = dg.DagsterInstance.ephemeral()
    assert run_everything(settings, instance=instance).published
    with connect(settings.warehouse_path) as con:
        loads = con.execute("select count(*) from raw.accepted_loads").fetchone()[0]
        con.execute("delete from raw.accepted_loads where load_id = (select max(load_id) from raw.accepted_loads)")

    def accepted() -> int:
        with connect(settings.warehouse_path, read_only=True) as con:
            return con.execute("select count(*) from raw.accepted_loads").fetchone()[0]

    defs = build_definitions(settings)
    job = defs.resolve_job_def(JOB_NAME)
    publish_only = job.execute_in_process(
        instance=instance, asset_selection=[dg.AssetKey(["serving", "published_marts"])], tags=HEADLESS_TAG
    )
    assert publish_only.success
    assert accepted() == loads - 1
    assert run_everything(settings, instance=instance).published
    assert accepted() == loads

    with connect(settings.warehouse_path) as con:
        con.execute("delete from raw.accepted_loads where load_id = (select max(load_id) from raw.accepted_loads)")
    not_built = [
        get_asset_key_for_model([warehouse_dbt_assets], model)
        for model in ("int_orphan_events_identified", "data_quality_summary")  # and the mart counting them
    ]
    everything_else = dg.AssetSelection.all() - dg.AssetSelection.assets(stripe_api_events, *not_built)
    without_orphans = job.execute_in_process(
        instance=instance,
        asset_selection=list(everything_else.resolve(defs.resolve_asset_graph())),
        tags=HEADLESS_TAG,
    )
    assert without_orphans.success
    assert accepted() == loads - 1
