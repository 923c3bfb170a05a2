"""Incremental runs: a company delivered over four runs days apart publishes exactly what one full
build of all its files publishes, with redeliveries, late events and a clock that stepped back in
between."""

import shutil
from datetime import datetime, timedelta

import dagster as dg
import duckdb
import pytest
from run_helpers import assert_nothing_lost, company, mart_digests

from orchestration import extract
from orchestration.runner import run_everything

pytestmark = pytest.mark.slow


def _hold_back(settings, after_day: str, aside):
    """Move the landing files dated after `after_day` (and the re-dropped copies) out of the landing zone."""
    for path in sorted(settings.landing_dir.glob("*/*.jsonl.gz")):
        day = path.name.removesuffix(".jsonl.gz")[-10:]
        if day > after_day or "redropped" in path.name:
            (aside / path.parent.name).mkdir(parents=True, exist_ok=True)
            shutil.move(path, aside / path.parent.name / path.name)


def _deliver(settings, aside, up_to_day: str):
    """Move the held-back files dated up to `up_to_day` ("all": every one) back."""
    for path in sorted(aside.glob("*/*.jsonl.gz")):
        if path.name.removesuffix(".jsonl.gz")[-10:] <= up_to_day or up_to_day == "all":
            shutil.move(path, settings.landing_dir / path.parent.name / path.name)


def _clock(offset: timedelta):
    """A datetime whose now() runs `offset` from the real clock: the extract's load times for a run
    on another day, or on a machine whose clock was set back."""

    class _Shifted(datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime.now(tz) + offset

    return _Shifted


def test_daily_runs_publish_what_one_full_build_publishes(clean_digests, tmp_path, monkeypatch):
    # Late lines (moved 2 days on), redeliveries 3 days on and conflicting second copies cross the
    # run boundaries: a redelivered event staged by an earlier run must stay as first delivered.
    settings = company(tmp_path, ["late=0.03", "redelivered=0.03", "conflicting_payload=0.03", "duplicate_file"])
    aside = tmp_path / "not_yet_delivered"
    _hold_back(settings, "2024-01-25", aside)
    instance = dg.DagsterInstance.ephemeral()

    def run_loading_at(offset: timedelta, up_to_day: str | None):
        if up_to_day:
            _deliver(settings, aside, up_to_day)
        with monkeypatch.context() as patch:
            patch.setattr(extract, "datetime", _clock(offset))
            summary = run_everything(settings, instance=instance)
        assert summary.published, summary.failure_details

    run_loading_at(-timedelta(days=4), None)
    with duckdb.connect(str(settings.warehouse_path)) as con:
        # A mark no mart reads, on a row staged by the first run: a rebuild of the staging table would
        # lose it, an incremental run keeps it.
        marked = con.execute("""
            update staging.stg_segment__events set source_file = 'staged by the first run'
            where message_id = (select min(message_id) from staging.stg_segment__events)
            returning message_id""").fetchone()[0]

    # The second run loads with a clock two hours behind the first run's: its rows are older, by load
    # time, than what is already staged, and only the lookback window picks them up.
    run_loading_at(-timedelta(days=4, hours=2), "2024-01-31")
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        stepped_back = con.execute("""
            select count(*) from raw.segment_events
            where loaded_at < (select min(loaded_at) from raw.load_manifest where file_name like '%2024-01-25%')
            """).fetchone()[0]
    assert stepped_back > 0  # the second run's rows really do sort before the first run's

    # Two days later, then two more: the last run's lookback no longer reaches the first loads, so the
    # product models keep those rows and re-stitch only what the new loads tied.
    run_loading_at(-timedelta(days=2), "2024-02-04")
    run_loading_at(timedelta(0), "all")

    incremental = mart_digests(settings)
    without_loads = lambda digests: {t: d for t, d in digests.items() if t != "data_quality_summary"}  # noqa: E731
    assert without_loads(incremental) == without_loads(clean_digests)
    assert_nothing_lost(settings)
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        kept = con.execute(
            "select source_file from staging.stg_segment__events where message_id = ?", [marked]
        ).fetchone()[0]
        loads = con.execute("select count(*), sum(repeat_deliveries) from marts.data_quality_summary").fetchone()
        staged = {
            source: con.execute(f"select count(*) from staging.stg_{source}__events").fetchone()[0]
            for source in ("stripe", "segment")
        }
        distinct_raw = {
            source: con.execute(f"select count(distinct event_id) from raw.{source}_events").fetchone()[0]
            for source in ("stripe", "segment")
        }
        # The product models kept rows written by earlier runs: they were not rebuilt each time.
        runs_held = {
            model: con.execute(f"select count(distinct stitched_through) from intermediate.{model}").fetchone()[0]
            for model in ("int_tracks_stitched_to_users", "int_user_active_days", "int_active_users_by_day")
        }
    assert kept == "staged by the first run"
    assert loads[0] == 8 and loads[1] > 0  # four runs x two sources; the redeliveries are counted
    assert staged == distinct_raw
    assert all(held >= 2 for held in runs_held.values()), runs_held

    # A rerun with nothing new changes nothing.
    assert run_everything(settings, instance=instance).published
    assert mart_digests(settings) == incremental
