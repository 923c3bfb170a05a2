"""The benchmark's floor: what DuckDB alone costs to turn the landing files into the same marts.

`python -m orchestration.bench_floor LANDING FLOOR_DIR MANIFEST SEEDED_WAREHOUSE`

One SQL statement per source reads every landing file into a raw table of the shape the dbt sources
expect; then every model of the dbt project runs, in dependency order, as the SQL dbt compiled for it
(views stay views, the rest become tables, contracted marts are cast to their contract's types). No
dbt, no Dagster, no quality gates, no publish. The reference seeds (a few rows) are copied from a
warehouse that `dbt seed` filled before the clock started, rather than parsed again.
"""

from __future__ import annotations

import json
import sys
import time
from graphlib import TopologicalSorter
from pathlib import Path

import duckdb

from orchestration.extract import ensure_raw_schema
from orchestration.pii import hash_key, keyed_hasher
from orchestration.warehouse import memory_limit

ID_PATH = {"stripe": "$.id", "segment": "$.messageId"}


def timed(step: str, con: duckdb.DuckDBPyConnection, sql: str) -> None:
    """Run one statement and print its time, so a failure (out of memory, say) names its step."""
    started = time.perf_counter()
    try:
        con.execute(sql)
    except duckdb.Error as error:
        raise RuntimeError(f"floor: {step} failed after {time.perf_counter() - started:.1f}s: {error}") from error
    print(f"floor: {step} {time.perf_counter() - started:.1f}s", flush=True)


def load_raw(con: duckdb.DuckDBPyConnection, landing: Path) -> None:
    ensure_raw_schema(con)
    for source, id_path in ID_PATH.items():
        files = str(landing / source / "*.jsonl.gz")
        sql = f"""
            insert into raw.{source}_events
            select json->>'{id_path}', json, filename, row_number() over (partition by filename), 'floor', now()
            from read_ndjson_objects('{files}', filename = true)"""
        timed(f"raw.{source}_events", con, sql)


def run_models(con: duckdb.DuckDBPyConnection, manifest: dict) -> int:
    models = {uid: node for uid, node in manifest["nodes"].items() if node["resource_type"] == "model"}
    graph = {uid: [d for d in node["depends_on"]["nodes"] if d in models] for uid, node in models.items()}
    for uid in TopologicalSorter(graph).static_order():
        node = models[uid]
        relation = node["relation_name"]
        sql = node["compiled_code"]
        if node["config"].get("contract", {}).get("enforced"):
            casts = ", ".join(
                f'cast("{name}" as {column["data_type"]}) as "{name}"' for name, column in node["columns"].items()
            )
            sql = f"select {casts} from ({sql}) as model"
        kind = "view" if node["config"]["materialized"] == "view" else "table"
        con.execute(f"create schema if not exists {relation.rsplit('.', 1)[0]}")
        timed(node["name"], con, f"create {kind} {relation} as {sql}")
    return len(models)


def main(landing: Path, floor_dir: Path, manifest_path: Path, seeded_warehouse: Path) -> None:
    floor_dir.mkdir(parents=True, exist_ok=True)
    manifest = json.loads(manifest_path.read_text())
    # named like the pipeline's working file, so dbt's compiled relation names ("warehouse"...) resolve
    con = duckdb.connect(str(floor_dir / "warehouse.duckdb"))
    con.execute("set TimeZone = 'UTC'")
    con.execute(f"set memory_limit = '{memory_limit()}'")
    con.create_function(
        "pii_hash",
        keyed_hasher(hash_key(floor_dir)),
        [duckdb.sqltype("VARCHAR")],
        duckdb.sqltype("VARCHAR"),
        null_handling="special",
        side_effects=False,
    )
    started = time.perf_counter()
    load_raw(con, landing)
    loaded = time.perf_counter()
    con.execute(f"attach '{seeded_warehouse}' as seeded (read_only)")
    con.execute("create schema if not exists reference")
    seeds = "select table_name from information_schema.tables where table_catalog = 'seeded' and table_schema = ?"
    for (table,) in con.execute(seeds, ["reference"]).fetchall():
        con.execute(f"create table reference.{table} as select * from seeded.reference.{table}")
    con.execute("detach seeded")
    models = run_models(con, manifest)
    con.close()
    print(f"floor: raw load {loaded - started:.1f}s, {models} models {time.perf_counter() - loaded:.1f}s")


if __name__ == "__main__":
    main(*(Path(arg) for arg in sys.argv[1:5]))
