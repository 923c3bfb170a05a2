"""Run the dbt project on Apache Spark and compare every public mart with DuckDB's.

Used by `make test-spark`, in its own virtualenv (dbt-spark, pyspark). Input: a warehouse directory
that the DuckDB pipeline has built (`subwh run`): its raw tables are loaded into a local Spark
session, `dbt build --target spark` runs in this process (dbt-spark's `session` method picks up the
session), and each mart Spark built must equal the published DuckDB mart row for row: the same
values, money exact. Prints one line per mart and exits 1 on any difference.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections import Counter
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
sys.path.insert(0, str(PROJECT_ROOT))  # orchestration.pii (standard library only; not installed here)
RAW_TABLES = (
    "stripe_events",
    "segment_events",
    "load_manifest",
    "quarantine_stripe_events",
    "quarantine_segment_events",
)


def spark_session(work_dir: Path):
    from pyspark.sql import SparkSession

    metastore = work_dir / "metastore_db"
    return (
        SparkSession.builder.master("local[2]")
        .appName("subscription-warehouse-spark-check")
        .enableHiveSupport()
        .config("spark.sql.warehouse.dir", str(work_dir / "spark-warehouse"))
        .config("spark.hadoop.javax.jdo.option.ConnectionURL", f"jdbc:derby:;databaseName={metastore};create=true")
        .config("spark.driver.extraJavaOptions", f"-Dderby.system.home={work_dir}")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )


def register_functions(spark, warehouse_dir: Path) -> None:
    """pii_hash(), the keyed hash the staging models call, with the DuckDB run's key: the key stays in
    this process, out of the SQL (orchestration/pii.py)."""
    from orchestration.pii import hash_key, keyed_hasher

    spark.udf.register("pii_hash", keyed_hasher(hash_key(warehouse_dir)), "string")


def load_raw(spark, warehouse_path: Path, work_dir: Path) -> dict[str, int]:
    """Copy the raw tables (what the extract assets loaded) into Spark's `raw` database."""
    counts = {}
    with duckdb.connect(str(warehouse_path), read_only=True) as con:
        con.execute("set TimeZone = 'UTC'")
        for table in RAW_TABLES:
            path = work_dir / "raw" / f"{table}.parquet"
            path.parent.mkdir(parents=True, exist_ok=True)
            con.execute(f"copy (select * from raw.{table}) to '{path}' (format parquet)")
            counts[table] = con.execute(f"select count(*) from raw.{table}").fetchone()[0]
    spark.sql("create database if not exists raw")
    for table in RAW_TABLES:
        frame = spark.read.parquet(str(work_dir / "raw" / f"{table}.parquet"))
        frame.write.mode("overwrite").saveAsTable(f"raw.{table}")
    return counts


def dbt_build_on_spark(work_dir: Path) -> bool:
    from dbt.cli.main import dbtRunner

    args = ["build", "--target", "spark", "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
    args += ["--target-path", str(work_dir / "target"), "--log-path", str(work_dir / "logs")]
    return dbtRunner().invoke(args).success


def _normal(value):
    """A value in a form both engines' results compare by: exact for decimals, dates and text."""
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, 9)
    if isinstance(value, Decimal):
        return value.normalize()
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, (date, str, bool, int)) or value is None:
        return value
    return str(value)


def compare_marts(spark, serving_path: Path) -> list[str]:
    problems = []
    with duckdb.connect(str(serving_path), read_only=True) as con:
        con.execute("set TimeZone = 'UTC'")
        marts = [row[0] for row in con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts' order by 1"
        ).fetchall()]  # fmt: skip
        for name in marts:
            result = con.execute(f"select * from marts.{name}")
            columns = [d[0] for d in result.description]
            duck = Counter(tuple(_normal(v) for v in row) for row in result.fetchall())
            frame = spark.table(f"marts.{name}")
            missing = [c for c in columns if c not in frame.columns]
            if missing:
                problems.append(f"{name}: Spark lacks columns {missing}")
                continue
            on_spark = Counter(tuple(_normal(row[c]) for c in columns) for row in frame.select(*columns).collect())
            if duck == on_spark:
                print(f"  equal  {name}: {sum(duck.values())} rows")
                continue
            only_duck, only_spark = duck - on_spark, on_spark - duck
            problems.append(
                f"{name}: {sum(duck.values())} rows on DuckDB, {sum(on_spark.values())} on Spark; "
                f"{sum(only_duck.values())} only on DuckDB, e.g. {list(only_duck)[:2]}; "
                f"{sum(only_spark.values())} only on Spark, e.g. {list(only_spark)[:2]}; columns {columns}"
            )
            print(f"  DIFFERENT {name}")
    if not marts:
        problems.append("no published marts found in the DuckDB serving copy")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse-dir", type=Path, required=True, help="built by `subwh run` (DuckDB)")
    parser.add_argument("--work-dir", type=Path, required=True, help="Spark's warehouse, metastore and dbt target")
    args = parser.parse_args(argv)
    os.environ["TZ"] = "UTC"
    args.work_dir.mkdir(parents=True, exist_ok=True)
    spark = spark_session(args.work_dir.resolve())
    register_functions(spark, args.warehouse_dir)
    counts = load_raw(spark, args.warehouse_dir / "warehouse.duckdb", args.work_dir.resolve())
    print(f"spark: loaded raw tables {counts}")
    if not dbt_build_on_spark(args.work_dir.resolve()):
        print("spark: dbt build failed (see the log above)", file=sys.stderr)
        return 1
    problems = compare_marts(spark, args.warehouse_dir / "serving.duckdb")
    for problem in problems:
        print(f"spark: {problem}", file=sys.stderr)
    print(f"spark: {'FAILED' if problems else 'every public mart equal on Spark and DuckDB'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
