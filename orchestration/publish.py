"""Write-audit-publish: copy the audited marts to the serving copy, atomically.

BI tools and analysts read `serving.duckdb` (schema `marts`) and `marts/<name>.parquet`, never the
working file: DuckDB lets one process write a file and then locks every other reader out. The new
serving file is written beside the old one and swapped in with one rename; the Parquet folder is a
symlink swapped the same way, so a reader sees the previous publication or the new one, never a mix.
"""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from orchestration.warehouse import configure

# Written in a storage format that DuckDB 1.x drivers (JDBC, ODBC, duckdb-engine) can open.
SERVING_STORAGE_VERSION = "v1.0.0"
MART_SCHEMA = "marts"
# Marts also written as CSV beside their Parquet file, for tools that import files (a CRM).
CSV_EXPORTS = {"reengagement_queue"}


def publish_marts(warehouse_path: Path, serving_path: Path, marts_dir: Path, marts: list[str]) -> dict[str, int]:
    """Publish `marts` from the working warehouse; returns the row count of each."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    tmp_serving = serving_path.with_name(f".{serving_path.name}.{stamp}.tmp")
    versions_dir = marts_dir.parent / ".marts_versions"
    new_parquet_dir = versions_dir / stamp
    new_parquet_dir.mkdir(parents=True)
    counts: dict[str, int] = {}
    con = duckdb.connect()
    try:
        configure(con)
        con.execute(f"attach {_quoted(warehouse_path)} as working (read_only)")
        con.execute("use working")
        con.execute(f"attach {_quoted(tmp_serving)} as serving (storage_version '{SERVING_STORAGE_VERSION}')")
        con.execute(f"create schema serving.{MART_SCHEMA}")
        for name in marts:
            con.execute(f"create table serving.{MART_SCHEMA}.{name} as select * from {MART_SCHEMA}.{name}")
            con.execute(
                f"copy (select * from {MART_SCHEMA}.{name}) to {_quoted(new_parquet_dir / f'{name}.parquet')} "
                "(format parquet, compression zstd)"
            )
            if name in CSV_EXPORTS:
                csv_path = _quoted(new_parquet_dir / f"{name}.csv")
                con.execute(f"copy (select * from {MART_SCHEMA}.{name}) to {csv_path} (header true)")
            counts[name] = con.execute(f"select count(*) from serving.{MART_SCHEMA}.{name}").fetchone()[0]
        con.execute("detach serving")
    except BaseException:
        con.close()
        tmp_serving.unlink(missing_ok=True)
        shutil.rmtree(new_parquet_dir, ignore_errors=True)
        raise
    con.close()
    os.replace(tmp_serving, serving_path)
    _swap_symlink(marts_dir, new_parquet_dir)
    for old in versions_dir.iterdir():
        if old != new_parquet_dir:
            shutil.rmtree(old, ignore_errors=True)
    return counts


def _quoted(path: Path) -> str:
    """A path as an SQL string literal (a directory name may contain a quote)."""
    return "'" + str(path).replace("'", "''") + "'"


def _swap_symlink(link: Path, target: Path) -> None:
    if link.exists() and not link.is_symlink():
        shutil.rmtree(link)  # a folder left by something else: replace it with the managed link
    tmp_link = link.with_name(f".{link.name}.tmp")
    tmp_link.unlink(missing_ok=True)
    tmp_link.symlink_to(os.path.relpath(target, link.parent))
    os.replace(tmp_link, link)


def read_serving_counts(serving_path: Path) -> dict[str, int]:
    """Row counts of the published marts (read-only, as a BI tool would open it)."""
    con = duckdb.connect(str(serving_path), read_only=True)
    try:
        tables = [
            row[0]
            for row in con.execute(
                "select table_name from information_schema.tables where table_schema = ? order by 1", [MART_SCHEMA]
            ).fetchall()
        ]
        return {t: con.execute(f"select count(*) from {MART_SCHEMA}.{t}").fetchone()[0] for t in tables}
    finally:
        con.close()
