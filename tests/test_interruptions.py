"""Runs that end badly: killed mid-extract and mid-dbt, two runs at once, another process holding a
warehouse file, a full disk. Each run is a real `subwh run` process. After each: nothing lost, nothing
unchecked published (the previous serving copy stays byte for byte), a clear error where one is due,
and the next undisturbed run publishes exactly what a run that was never disturbed publishes."""

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest
from run_helpers import assert_nothing_lost, company, mart_digests

pytestmark = pytest.mark.slow

# Runs `subwh run` in this process group, optionally killing the whole group (this process and its dbt
# child) with SIGKILL at a chosen point: `extract:N` just before the N-th landing file's transaction
# commits (each file its own group, as a large backfill's groups would be); `dbt` once dbt has started
# building the marts.
HARNESS = """
import os, signal, sys, threading, time
import orchestration.extract as extract

def die():
    os.killpg(0, signal.SIGKILL)

kill_at = os.environ.get("KILL_AT", "")
if kill_at.startswith("extract:"):
    nth, calls, original = int(kill_at.split(":")[1]), [0], extract.load_files
    extract.GROUP_BYTES = 1

    class DiesAtCommit:
        def __init__(self, con):
            self._con = con
        def execute(self, sql, *args):
            if sql == "commit":
                die()
            return self._con.execute(sql, *args)
        def __getattr__(self, name):
            return getattr(self._con, name)

    def load_files(con, *args, **kwargs):
        calls[0] += 1
        return original(DiesAtCommit(con) if calls[0] == nth else con, *args, **kwargs)

    extract.load_files = load_files
elif kill_at == "dbt":
    import dagster_dbt
    original_cli = dagster_dbt.DbtCliResource.cli

    def cli(self, args, **kwargs):
        invocation = original_cli(self, args, **kwargs)
        if list(args)[:1] == ["build"]:
            marts = invocation.target_path / "run" / "subscription_warehouse" / "models" / "marts"
            def watch():
                while not marts.exists():
                    time.sleep(0.02)
                die()
            threading.Thread(target=watch, daemon=True).start()
        return invocation

    dagster_dbt.DbtCliResource.cli = cli

from orchestration.cli import main
sys.exit(main(["run"]))
"""


def _env(settings, kill_at: str = "", **extra: str) -> dict:
    return {
        **os.environ,
        "SUBWH_LANDING_DIR": str(settings.landing_dir),
        "SUBWH_WAREHOUSE_DIR": str(settings.warehouse_dir),
        "DAGSTER_HOME": str(settings.landing_dir.parent / "dagster_home"),
        "KILL_AT": kill_at,
        **extra,
    }


def _start(settings, kill_at: str = "", **extra_env: str) -> subprocess.Popen:
    (settings.landing_dir.parent / "dagster_home").mkdir(exist_ok=True)
    return subprocess.Popen(
        [sys.executable, "-c", HARNESS],
        env=_env(settings, kill_at, **extra_env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, so a kill takes dbt with it
    )


def _run(settings, kill_at: str = "", **extra_env: str) -> subprocess.CompletedProcess:
    proc = _start(settings, kill_at, **extra_env)
    out, err = proc.communicate(timeout=600)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _published_state(settings) -> tuple[str, str]:
    """The serving file's bytes and the Parquet folder the marts link points at."""
    return _sha(settings.serving_path), os.readlink(settings.marts_dir)


def _same_as_undisturbed(settings, clean_digests) -> None:
    def comparable(digests):
        return {t: d for t, d in digests.items() if t != "data_quality_summary"}

    assert comparable(mart_digests(settings)) == comparable(clean_digests)


def test_a_run_killed_mid_extract_loses_nothing_and_the_next_run_completes(clean_digests, tmp_path):
    settings = company(tmp_path)

    killed = _run(settings, kill_at="extract:5")

    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    assert not settings.serving_path.exists()
    assert_nothing_lost(settings, every_file_loaded=False)  # 4 files committed, the 5th left no row
    rerun = _run(settings)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert "published" in rerun.stdout
    assert_nothing_lost(settings)
    _same_as_undisturbed(settings, clean_digests)
    instance = dg.DagsterInstance.from_config(str(tmp_path / "dagster_home"))
    statuses = [run.status for run in instance.get_runs()]
    assert sorted(s.value for s in statuses) == ["FAILURE", "SUCCESS"]  # the killed run is recorded


def test_a_run_killed_mid_dbt_leaves_the_previous_publication_and_the_next_run_completes(clean_digests, tmp_path):
    settings = company(tmp_path)
    assert _run(settings).returncode == 0
    before = _published_state(settings)

    killed = _run(settings, kill_at="dbt")

    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    assert _published_state(settings) == before
    rerun = _run(settings)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert_nothing_lost(settings)
    _same_as_undisturbed(settings, clean_digests)


def test_a_second_run_refuses_while_one_is_in_progress(clean_digests, tmp_path):
    settings = company(tmp_path)
    first = _start(settings)
    lock = settings.warehouse_dir / ".run.lock"
    deadline = time.monotonic() + 120
    while not (lock.exists() and lock.read_text().startswith("pid")):
        assert time.monotonic() < deadline and first.poll() is None, "the first run never took the lock"
        time.sleep(0.05)

    second = _run(settings)

    assert second.returncode == 1
    assert "another run is in progress" in second.stderr and f"pid {first.pid}" in second.stderr
    out, err = first.communicate(timeout=600)
    assert first.returncode == 0, err[-3000:]
    assert_nothing_lost(settings)
    _same_as_undisturbed(settings, clean_digests)


def test_readers_holding_the_files(clean_digests, tmp_path):
    """A BI tool holding the serving copy open does not stop publishing (it keeps reading the copy it
    opened). A process holding the working file stops the run with a message naming that process."""
    settings = company(tmp_path)
    assert _run(settings).returncode == 0
    hold = (
        "import duckdb, sys, time; con = duckdb.connect(sys.argv[1], read_only=True); "
        "n = con.execute('select count(*) from marts.fct_mrr').fetchone()[0]; print(n, flush=True); "
        "sys.stdin.readline(); print(con.execute('select count(*) from marts.fct_mrr').fetchone()[0], flush=True)"
    )
    bi = subprocess.Popen(
        [sys.executable, "-c", hold, str(settings.serving_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    rows_seen = bi.stdout.readline()
    assert _run(settings).returncode == 0  # published while the BI tool held the old copy
    out, _ = bi.communicate("\n", timeout=60)
    assert out == rows_seen  # the reader kept a consistent view of the copy it had opened

    analyst = subprocess.Popen(
        [sys.executable, "-c", hold, str(settings.warehouse_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    analyst.stdout.readline()
    before = _published_state(settings)
    blocked = _run(settings, SUBWH_LOCK_RETRIES="1")  # one Dagster retry after 30 s (3 by default)
    analyst.communicate("\n", timeout=60)

    assert blocked.returncode == 1
    assert "Retrying in 30s (1 of 1)" in blocked.stderr, blocked.stderr[-3000:]
    assert f"is locked by process {analyst.pid}" in blocked.stderr, blocked.stderr[-3000:]
    assert "serving.duckdb" in blocked.stderr  # says where readers should go
    assert _published_state(settings) == before
    assert _run(settings).returncode == 0
    _same_as_undisturbed(settings, clean_digests)


def test_a_full_disk_fails_clearly_keeps_the_publication_and_recovers(clean_digests, tmp_path):
    """The warehouse directory on a small tmpfs: the first run publishes; with the disk then filled, a
    run fails naming the cause and leaves the published copy; once space is freed the next run
    completes."""
    volume = tmp_path / "volume"
    volume.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=160m", "tmpfs", str(volume)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"needs permission to mount a tmpfs to fill a disk safely: {mounted.stderr.decode().strip()}")
    try:
        settings = company(tmp_path)
        settings = type(settings)(landing_dir=settings.landing_dir, warehouse_dir=volume / "warehouse")
        assert _run(settings).returncode == 0
        before = _published_state(settings)
        ballast = volume / "ballast"
        free = shutil.disk_usage(volume).free
        with open(ballast, "wb") as f:
            f.write(b"\0" * (free - 256 * 1024))

        failed = _run(settings)

        assert failed.returncode == 1
        assert "No space left on device" in failed.stdout + failed.stderr, failed.stderr[-3000:]
        assert _published_state(settings) == before
        ballast.unlink()
        rerun = _run(settings)
        assert rerun.returncode == 0, rerun.stderr[-3000:]
        assert_nothing_lost(settings)
        _same_as_undisturbed(settings, clean_digests)
    finally:
        subprocess.run(["umount", str(volume)], check=False)
