"""Dagster resources: the working warehouse (paths from the environment)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb

from orchestration.warehouse import WarehouseLockedError, connect, release_memory

# A step that finds the warehouse locked (after connect()'s own retries, about 15 s) is retried by
# Dagster SUBWH_LOCK_RETRIES times (default 3), waiting LOCK_RETRY_FIRST_WAIT_SECONDS, then twice as
# long each time: about 4.5 minutes in all before the run fails naming the process that holds the file.
DEFAULT_LOCK_RETRIES = 3
LOCK_RETRY_FIRST_WAIT_SECONDS = 30


class WarehouseResource(dg.ConfigurableResource):
    """The working DuckDB file and the landing zone. Only the orchestrator writes the working file."""

    warehouse_dir: str
    landing_dir: str

    @property
    def warehouse_path(self) -> Path:
        return Path(self.warehouse_dir) / "warehouse.duckdb"

    @property
    def landing_path(self) -> Path:
        return Path(self.landing_dir)

    @contextmanager
    def connection(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        Path(self.warehouse_dir).mkdir(parents=True, exist_ok=True)
        con = connect(self.warehouse_path, read_only=read_only)
        try:
            yield con
        finally:
            con.close()
            release_memory()  # before the next step: dbt's own DuckDB process runs beside this one


@contextmanager
def retry_when_locked(context: dg.OpExecutionContext | dg.AssetExecutionContext) -> Iterator[None]:
    """Turn a warehouse held by another process into a Dagster retry with exponential backoff; other
    errors fail the step as usual."""
    try:
        yield
    except WarehouseLockedError as exc:
        retries = int(os.environ.get("SUBWH_LOCK_RETRIES", DEFAULT_LOCK_RETRIES))
        wait = LOCK_RETRY_FIRST_WAIT_SECONDS * 2**context.retry_number
        if context.retry_number < retries:
            context.log.warning(f"{exc} Retrying in {wait}s ({context.retry_number + 1} of {retries}).")
        raise dg.RetryRequested(max_retries=retries, seconds_to_wait=wait) from exc
