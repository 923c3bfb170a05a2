"""Keyed hashing of direct identifiers (emails) before anything reaches the marts.

`pii_hash(text)` is HMAC-SHA256 of the trimmed, lower-cased text under a secret key, as hex. The same
person's email hashes the same in Stripe and in Segment, so the hash can join them, while nobody without
the key can test a guessed email against it. The key:
- comes from `SUBWH_PII_HASH_KEY` when set (hex or any text; keep it in a secret store), else
- from `<warehouse dir>/.pii_hash_key`, created on first use with 32 random bytes, readable by the
  owner only. Losing it changes every hash on the next full rebuild; back it up with the warehouse.

The key lives in this Python process only: dbt's compiled SQL, `target/` and the logs carry the function
name, never the key, and SQL cannot read it back (it is not a DuckDB variable or setting). In dbt the
function is registered on every DuckDB connection by orchestration/dbt_plugin.py (profiles.yml
`plugins`); on Spark, register the same function in the session (docs/spark.md).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

KEY_ENV = "SUBWH_PII_HASH_KEY"
KEY_FILE_NAME = ".pii_hash_key"


def hash_key(warehouse_dir: Path) -> bytes:
    """The secret key: from the environment, else the warehouse's key file (created when missing)."""
    from_env = os.environ.get(KEY_ENV, "").strip()
    if from_env:
        return from_env.encode()
    path = warehouse_dir / KEY_FILE_NAME
    if not path.exists():
        warehouse_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32) + "\n")
    return path.read_text().strip().encode()


def keyed_hasher(key: bytes):
    """`text -> hex HMAC-SHA256` of the normalised text; NULL (None) and blank stay NULL."""

    def pii_hash(text: str | None) -> str | None:
        if text is None or not text.strip():
            return None
        return hmac.new(key, text.strip().lower().encode(), hashlib.sha256).hexdigest()

    return pii_hash
