"""dbt-duckdb plugin (profiles.yml `plugins`): functions the dbt project needs on every connection."""

from pathlib import Path

import duckdb
from dbt.adapters.duckdb.plugins import BasePlugin

from orchestration.pii import hash_key, keyed_hasher


class Plugin(BasePlugin):
    """dbt-duckdb plugin: registers `pii_hash(varchar) -> varchar` on each connection."""

    def configure_connection(self, conn: duckdb.DuckDBPyConnection) -> None:
        warehouse_file = Path(self.creds.path).resolve()
        conn.create_function(
            "pii_hash",
            keyed_hasher(hash_key(warehouse_file.parent)),
            [duckdb.sqltype("VARCHAR")],
            duckdb.sqltype("VARCHAR"),
            null_handling="special",
            side_effects=False,
        )
