"""Sensors and retries: a landing change starts one run, a failed run is recorded, a locked warehouse
is retried with backoff."""

import json
import subprocess
import sys
import time
from functools import partial

import dagster as dg
import duckdb

from orchestration import resources
from orchestration.extract_assets import extract_assets
from orchestration.resources import WarehouseResource
from orchestration.triggers import FAILURES_FILE, HEADLESS_TAG, build_landing_files_sensor, record_run_failures
from orchestration.warehouse import connect


def test_the_landing_sensor_starts_one_run_per_change(settings):
    sensor = build_landing_files_sensor("refresh_warehouse")
    assert "no files" in sensor(dg.build_sensor_context()).skip_message
    (settings.landing_dir / "segment").mkdir(parents=True)
    (settings.landing_dir / "segment" / "day1.jsonl").write_text('{"messageId": "m1"}\n')
    (settings.landing_dir / "segment" / ".upload.jsonl").write_text("half a file")  # hidden: not landing data

    first = sensor(dg.build_sensor_context())
    assert isinstance(first, dg.RunRequest) and first.tags["subwh/landing_files"] == "1"
    cursor = first.run_key.removeprefix("landing-")
    assert "no change" in sensor(dg.build_sensor_context(cursor=cursor)).skip_message

    (settings.landing_dir / "segment" / "day2.jsonl").write_text('{"messageId": "m2"}\n')
    second = sensor(dg.build_sensor_context(cursor=cursor))
    assert isinstance(second, dg.RunRequest) and second.run_key != first.run_key


def test_a_failed_run_is_recorded_with_its_step_and_error(settings):
    @dg.asset
    def breaks():
        raise ValueError("landing/stripe/x.jsonl.gz:7: something named")

    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize([breaks], instance=instance, raise_on_error=False)
    context = dg.build_run_status_sensor_context(
        sensor_name="record_run_failures",
        dagster_instance=instance,
        dagster_run=result.dagster_run,
        dagster_event=result.get_run_failure_event(),
    ).for_run_failure()

    record_run_failures(context)

    [line] = (settings.warehouse_dir / FAILURES_FILE).read_text().splitlines()
    recorded = json.loads(line)
    assert recorded["run_id"] == result.run_id and recorded["failed_steps"] == ["breaks"]
    assert "x.jsonl.gz:7: something named" in recorded["error"]

    # a failed `subwh run` records itself; the sensor (under a daemon on the same instance) skips it
    headless = dg.materialize([breaks], instance=instance, raise_on_error=False, tags=HEADLESS_TAG)
    record_run_failures(
        dg.build_run_status_sensor_context(
            sensor_name="record_run_failures",
            dagster_instance=instance,
            dagster_run=headless.dagster_run,
            dagster_event=headless.get_run_failure_event(),
        ).for_run_failure()
    )
    assert len((settings.warehouse_dir / FAILURES_FILE).read_text().splitlines()) == 1


def test_an_extract_that_finds_the_warehouse_locked_is_retried_with_backoff(settings, monkeypatch):
    settings.warehouse_dir.mkdir(parents=True)
    (settings.landing_dir / "stripe").mkdir(parents=True)
    (settings.landing_dir / "stripe" / "day1.jsonl").write_text(
        '{"id": "evt_1", "type": "customer.created", "created": 1704067200, "data": {"object": {}}}\n'
    )
    duckdb.connect(str(settings.warehouse_path)).close()
    # another process holds the working file for a few seconds
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb, time; c = duckdb.connect({str(settings.warehouse_path)!r}); "
         "print('held', flush=True); time.sleep(4)"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert holder.stdout.readline().strip() == "held"
    monkeypatch.setattr(resources, "connect", partial(connect, attempts=1))  # no waiting inside connect()
    monkeypatch.setattr(resources, "LOCK_RETRY_FIRST_WAIT_SECONDS", 1)  # then 1 s, 2 s, 4 s
    stripe_extract = next(a for a in extract_assets if a.key == dg.AssetKey(["raw", "stripe_events"]))
    started = time.monotonic()

    result = dg.materialize(
        [stripe_extract],
        resources={"warehouse": WarehouseResource(warehouse_dir=str(settings.warehouse_dir),
                                                  landing_dir=str(settings.landing_dir))},
        selection=[stripe_extract.key],
    )  # fmt: skip

    holder.wait()
    retries = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_UP_FOR_RETRY]
    assert result.success and 1 <= len(retries) <= 3
    assert time.monotonic() - started >= 3  # waited for the holder, with growing pauses
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        assert con.execute("select count(*) from raw.stripe_events").fetchone()[0] == 1


def test_the_orchestrator_and_dbt_have_their_own_duckdb_memory_limits(tmp_path, monkeypatch):
    """The orchestrator's connections get SUBWH_ORCHESTRATOR_MEMORY_LIMIT (1GB unless set), not dbt's
    SUBWH_DUCKDB_MEMORY_LIMIT: the orchestrator streams, and what its DuckDB caches adds to a run's peak."""
    monkeypatch.delenv("SUBWH_ORCHESTRATOR_MEMORY_LIMIT", raising=False)
    monkeypatch.setenv("SUBWH_DUCKDB_MEMORY_LIMIT", "3GB")
    with connect(tmp_path / "a.duckdb") as con:
        assert con.execute("select current_setting('memory_limit')").fetchone()[0] == "953.6 MiB"  # 1GB
    monkeypatch.setenv("SUBWH_ORCHESTRATOR_MEMORY_LIMIT", "500MB")
    with connect(tmp_path / "b.duckdb") as con:
        assert con.execute("select current_setting('memory_limit')").fetchone()[0] == "476.8 MiB"  # 500MB
