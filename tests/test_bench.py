"""`subwh bench` on a tiny company: every phase runs, the floor's marts equal the pipeline's published
ones and the peer's DAU/WAU/MAU equal engagement_daily. The timings themselves are not asserted
(benchmarks measure, tests do not time)."""

import json
import subprocess
import sys

import duckdb
import pytest
import yaml

from orchestration.bench import bench_size, failure_note, markdown, ratios, tree_rss_bytes

pytestmark = pytest.mark.slow
HOLD_200_MB = 'import sys; b = b"x" * (200 * 2**20); print(1, flush=True); sys.stdin.read()'


def test_every_phase_runs_and_the_floor_and_peer_compute_the_same_numbers(tmp_path):
    size = bench_size("tiny", 15_000, tmp_path, seed=3, peer=True)

    phases = {p["name"]: p for p in size["phases"]}
    assert list(phases) == ["generate", "floor", "pipeline", "peer", "first_daily", "incremental"]
    assert all(p["ok"] for p in phases.values()), [p["note"] for p in phases.values()]
    assert all(p["seconds"] > 0 and p["peak_rss_bytes"] > 0 for p in phases.values())
    # The runs used the project's instance settings (one run at a time, no telemetry), stored in the bench's home.
    instance = yaml.safe_load((tmp_path / "tiny" / "dagster_home" / "dagster.yaml").read_text())
    assert instance["telemetry"] == {"enabled": False} and instance["concurrency"]["runs"]["max_concurrent_runs"] == 1
    assert "storage" not in instance and (tmp_path / "tiny" / "dagster_home" / "storage").is_dir()
    assert size["agreement"] == {
        "floor_marts_equal_pipeline": True,
        "floor_marts_differing": [],
        "peer_engagement_equal_pipeline": True,
    }
    # The floor's warehouse is gone once its marts are digested: at 100M it would not fit beside the pipeline's.
    assert not (tmp_path / "tiny" / "floor").exists()
    assert phases["pipeline"]["rows"] == size["history_rows"] > size["incremental_rows"] > 0
    size["ratios"] = ratios(size)
    assert set(size["ratios"]) == {"pipeline_over_floor", "peer_over_pipeline", "incremental_over_full"}
    results = {"machine": {"cpu": "x", "cores": 2, "memory_gib": 1}, "started_at": "now", "code": "abc1234"}
    table = markdown({**results, "sizes": [size]})
    assert "| tiny | pipeline |" in table and "floor_marts_equal_pipeline: True" in table
    assert "code abc1234" in table
    json.dumps(size)  # the results file is plain JSON

    # The measured daily run is in steady state: the backfill's loads were moved two days back (aged),
    # so the newest 24 hours of loads are the daily runs' few days of calls, not the whole history.
    with duckdb.connect(str(tmp_path / "tiny" / "pipeline" / "warehouse.duckdb"), read_only=True) as con:
        in_lookback, held = con.execute("""
            with calls as (select loaded_at from intermediate.int_tracks_stitched_to_users)
            select count(*) filter (where loaded_at >= (select max(loaded_at) - interval 24 hour from calls)), count(*)
            from calls""").fetchone()
    assert 0 < in_lookback < held / 10, (in_lookback, held)


def test_peak_memory_counts_the_children_of_a_phase():
    """A shell whose child holds 200 MB: the shell alone is small, its tree is not."""
    shell = subprocess.Popen(
        ["sh", "-c", f"{sys.executable} -c '{HOLD_200_MB}'"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        assert shell.stdout.readline().strip() == b"1"
        assert tree_rss_bytes(shell.pid) >= 200 * 2**20
    finally:
        shell.communicate(b"")


def test_a_failed_phase_says_how_it_ended_even_when_it_printed_nothing():
    assert failure_note(1, ["ValueError: bad"]) == "exit 1: ValueError: bad"
    assert failure_note(-15, []) == "killed by SIGTERM"
    assert failure_note(-9, ["reading day 3"]) == "killed by SIGKILL: reading day 3"
