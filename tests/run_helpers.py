"""Helpers shared by the test suites: a small generated company, digests of what was published, the
"nothing lost" reconciliation, and running dbt/mf as an analyst would."""

import gzip
import os
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb

from orchestration.extract import reconcile
from orchestration.generator import GeneratorConfig, generate
from orchestration.generator.inject import apply_injections
from orchestration.settings import DBT_PROJECT_DIR, Settings

SEED, USERS, DAYS = 4, 60, 40


def clock(offset: timedelta):
    """A datetime whose now() runs `offset` from the real clock, to patch over a module's `datetime`:
    the extract's load times for a run on another day, or on a machine whose clock was set back."""

    class _Shifted(datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime.now(tz) + offset

    return _Shifted


def company(root, injections: list[str] | None = None) -> Settings:
    settings = Settings(landing_dir=root / "landing", warehouse_dir=root / "warehouse")
    generate(GeneratorConfig(out_dir=settings.landing_dir, seed=SEED, users=USERS, start=date(2024, 1, 1), days=DAYS))
    if injections:
        apply_injections(settings.landing_dir, injections, SEED)
    return settings


def mart_digests(settings: Settings, without: frozenset = frozenset()) -> dict:
    """Row count and an order-independent hash of every published mart."""
    with duckdb.connect(str(settings.serving_path), read_only=True) as con:
        tables = [r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'").fetchall()]  # fmt: skip
        return {
            t: con.execute(f"select count(*), sum(hash(x::varchar)) from marts.{t} as x").fetchone()
            for t in tables
            if t not in without
        }


def lines_in_files(settings: Settings, source: str) -> int:
    """Lines of every distinct landing file (a file dropped twice counts once: it is loaded once)."""
    seen, total = set(), 0
    for path in sorted((settings.landing_dir / source).glob("*.jsonl*")):
        data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
        if data not in seen:
            seen.add(data)
            total += data.count(b"\n")
    return total


def assert_nothing_lost(settings: Settings, every_file_loaded: bool = True) -> None:
    """Each loaded file's lines are loaded or quarantined, no row comes from a file missing from the
    manifest (a half-loaded file), and, when every file was loaded, the totals equal the files' lines."""
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        for source in ("stripe", "segment"):
            assert reconcile(con, source) == []
            stray = con.execute(f"""
                select count(*) from (
                    select source_file from raw.{source}_events
                    union all select source_file from raw.quarantine_{source}_events)
                where source_file not in (select file_name from raw.load_manifest)""").fetchone()[0]
            assert stray == 0, f"{source}: rows from files the manifest does not list"
            if every_file_loaded:
                loaded = con.execute(f"select count(*) from raw.{source}_events").fetchone()[0]
                quarantined = con.execute(f"select count(*) from raw.quarantine_{source}_events").fetchone()[0]
                assert loaded + quarantined == lines_in_files(settings, source), source


def run_dbt_tool(tool: str, *args: str, env: dict | None = None, returncode: int = 0) -> subprocess.CompletedProcess:
    """Run a tool of the project's venv (dbt, mf) in dbt_project/, as an analyst would, expecting
    `returncode` (1: dbt found failing tests); otherwise its output is the assertion message."""
    result = subprocess.run(
        [str(Path(sys.executable).parent / tool), *args],
        cwd=DBT_PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, **(env or {})},
    )
    assert result.returncode == returncode, result.stdout[-3000:] + result.stderr[-3000:]
    return result
