"""Opening the working warehouse: UTC, and retries while another process holds it."""

from __future__ import annotations

import contextlib
import ctypes
import gc
import os
import re
import time
from pathlib import Path

import duckdb
import pyarrow

# DuckDB memory_limit when SUBWH_DUCKDB_MEMORY_LIMIT is unset (also the default in dbt_project/profiles.yml)
DEFAULT_MEMORY_LIMIT = "2.5GB"
# DuckDB memory_limit of the orchestrator's own connections when SUBWH_ORCHESTRATOR_MEMORY_LIMIT is unset
DEFAULT_ORCHESTRATOR_MEMORY_LIMIT = "1GB"
LOCK_ERROR_MARKERS = ("Could not set lock", "Conflicting lock")


class WarehouseLockedError(RuntimeError):
    """The working warehouse stayed locked by another process through every retry."""


def connect(
    path: Path | str, read_only: bool = False, attempts: int = 6, first_wait_seconds: float = 0.5
) -> duckdb.DuckDBPyConnection:
    """Open a DuckDB file; on a lock held by another process, retry with exponential backoff, then
    fail with a message that names the holder and what to do."""
    wait, waited = first_wait_seconds, 0.0
    for attempt in range(1, attempts + 1):
        try:
            con = duckdb.connect(str(path), read_only=read_only)
            break
        except duckdb.IOException as exc:
            if not any(m in str(exc) for m in LOCK_ERROR_MARKERS):
                raise
            if attempt == attempts:
                raise WarehouseLockedError(_locked_message(Path(path), str(exc), waited)) from exc
            time.sleep(wait)
            waited += wait
            wait *= 2
    return configure(con)


def configure(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """The settings of every orchestrator connection: UTC (day buckets) and the orchestrator's memory limit."""
    con.execute("set TimeZone = 'UTC'")
    con.execute(f"set memory_limit = '{orchestrator_memory_limit()}'")
    return con


def memory_limit() -> str:
    """DuckDB's memory ceiling, the same as dbt's connections get (profiles.yml); DuckDB spills to disk
    beyond it. 2.5GB keeps a whole run (dbt's DuckDB plus the Dagster process) under 4 GiB."""
    return os.environ.get("SUBWH_DUCKDB_MEMORY_LIMIT", DEFAULT_MEMORY_LIMIT)


def orchestrator_memory_limit() -> str:
    """DuckDB's memory ceiling inside the orchestrator's process (extract, raw gates, publish, report). They
    stream, so a larger cache did not make them faster (2.5GB against 1GB, on the 12 largest days of
    the 100M bench); what DuckDB caches here adds to the process's peak."""
    return os.environ.get("SUBWH_ORCHESTRATOR_MEMORY_LIMIT", DEFAULT_ORCHESTRATOR_MEMORY_LIMIT)


def release_memory() -> None:
    """Free what a finished step left in reference cycles and hand the memory back to the operating
    system: Arrow's pool (pandas 3 keeps strings there) and glibc's malloc both keep freed blocks for
    reuse. The orchestrator held 4.6 GiB of the raw gates' peak through the 100M bench's dbt build,
    which runs beside it."""
    gc.collect()
    pyarrow.default_memory_pool().release_unused()
    with contextlib.suppress(OSError):  # not glibc (macOS): its allocator returns memory by itself
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _locked_message(path: Path, duckdb_message: str, waited: float) -> str:
    holder = re.search(r"held in (.+?) \(PID (\d+)\)", duckdb_message)
    who = f"process {holder.group(2)} ({holder.group(1)})" if holder else "another process"
    return (
        f"{path} is locked by {who}; gave up after {waited:.0f}s of retries. The working warehouse is "
        f"written by the pipeline only: BI tools and analysts read {path.with_name('serving.duckdb')} or "
        f"the Parquet files in {path.with_name('marts')}. Close that process and run again."
    )
