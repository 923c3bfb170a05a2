"""Dagster resources: the working warehouse (paths from the environment)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb

from orchestration.warehouse import connect


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
