"""Opening the working warehouse: UTC, a memory limit, and retries while another writer holds it."""

from __future__ import annotations

import time
from pathlib import Path

import duckdb

LOCK_ERROR_MARKERS = ("Could not set lock", "Conflicting lock")


def connect(
    path: Path | str, read_only: bool = False, attempts: int = 6, first_wait_seconds: float = 0.5
) -> duckdb.DuckDBPyConnection:
    """Open a DuckDB file; on a lock held by another process, retry with exponential backoff."""
    wait = first_wait_seconds
    for attempt in range(1, attempts + 1):
        try:
            con = duckdb.connect(str(path), read_only=read_only)
            break
        except duckdb.IOException as exc:
            if attempt == attempts or not any(m in str(exc) for m in LOCK_ERROR_MARKERS):
                raise
            time.sleep(wait)
            wait *= 2
    con.execute("set TimeZone = 'UTC'")
    return con
