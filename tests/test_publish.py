import duckdb

from orchestration.publish import publish_marts, read_serving_counts


def test_publish_into_a_directory_whose_name_has_a_quote(tmp_path):
    warehouse_dir = tmp_path / "o'brien's warehouse"
    warehouse_dir.mkdir()
    working = warehouse_dir / "warehouse.duckdb"
    with duckdb.connect(str(working)) as con:
        con.execute("create schema marts")
        con.execute("create table marts.reengagement_queue as select 1 as user_id union all select 2")

    counts = publish_marts(working, warehouse_dir / "serving.duckdb", warehouse_dir / "marts", ["reengagement_queue"])

    assert counts == {"reengagement_queue": 2}
    assert read_serving_counts(warehouse_dir / "serving.duckdb") == {"reengagement_queue": 2}
    assert (warehouse_dir / "marts" / "reengagement_queue.parquet").exists()
    assert (warehouse_dir / "marts" / "reengagement_queue.csv").read_text().splitlines()[0] == "user_id"
