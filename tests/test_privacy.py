"""Direct identifiers: emails reach no mart, only their keyed hash does, and the key reaches no file
but its own (not the compiled SQL, not target/, not the logs, not the warehouse files)."""

import gzip
import json
import os
import stat

import duckdb
import pytest

from orchestration.pii import KEY_ENV, hash_key, keyed_hasher
from orchestration.settings import DBT_PROJECT_DIR


def test_the_hash_is_hmac_sha256_of_the_normalised_text():
    # RFC 4231, test case 2: HMAC-SHA256(key "Jefe", "what do ya want for nothing?")
    expected = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    pii_hash = keyed_hasher(b"Jefe")
    assert pii_hash("what do ya want for nothing?") == expected
    assert pii_hash("  What do ya want for NOTHING?\n") == expected  # trimmed and lower-cased first
    assert pii_hash(None) is None and pii_hash("  ") is None
    assert keyed_hasher(b"another key")("what do ya want for nothing?") != expected


def test_the_key_comes_from_the_environment_or_a_private_file(tmp_path, monkeypatch):
    monkeypatch.delenv(KEY_ENV, raising=False)
    first = hash_key(tmp_path)
    key_file = tmp_path / ".pii_hash_key"
    assert len(first) == 64 and hash_key(tmp_path) == first  # created once, then reused
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    monkeypatch.setenv(KEY_ENV, "from-the-secret-store")
    assert hash_key(tmp_path) == b"from-the-secret-store"


def _landing_emails(settings) -> dict[str, str]:
    """customer id -> email, from the Stripe customer events in the landing files."""
    emails = {}
    for path in sorted((settings.landing_dir / "stripe").glob("*.jsonl*")):
        data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
        for line in data.splitlines():
            event = json.loads(line)
            obj = event["data"]["object"]
            if obj.get("object") == "customer" and obj.get("email"):
                emails[obj["id"]] = obj["email"]
    return emails


@pytest.mark.slow
def test_no_mart_carries_an_email_and_the_key_stays_secret(published):
    settings, _, summary, _ = published
    assert summary.published
    key = hash_key(settings.warehouse_dir)
    pii_hash = keyed_hasher(key)
    emails = _landing_emails(settings)
    assert len(emails) > 100

    with duckdb.connect(str(settings.serving_path), read_only=True) as con:
        text_columns = con.execute(
            "select table_name, column_name from information_schema.columns "
            "where table_schema = 'marts' and data_type = 'VARCHAR'"
        ).fetchall()
        for table, column in text_columns:
            found = con.execute(
                f"select count(*) from marts.{table} where regexp_matches({column}, '[^@ ]+@[^@ ]+\\.[a-z]+')"
            ).fetchone()[0]
            assert found == 0, f"marts.{table}.{column} carries email addresses"
        hashes = dict(con.execute("select customer_id, email_hash from marts.dim_customers").fetchall())
    assert {c: hashes.get(c) for c in emails} == {c: pii_hash(e) for c, e in emails.items()}

    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        segment = con.execute("select count(distinct email_hash) from staging.stg_segment__identifies").fetchone()[0]
        matched = con.execute(
            "select count(*) from marts.dim_customers where email_hash in "
            "(select email_hash from staging.stg_segment__identifies)"
        ).fetchone()[0]
    assert segment > 0 and matched > 0.9 * len(emails)  # the same address hashes alike in both sources

    searched = 0
    for root in (DBT_PROJECT_DIR / "target", DBT_PROJECT_DIR / "logs", settings.warehouse_dir):
        for dirpath, _, files in os.walk(root):
            for name in files:
                path = os.path.join(dirpath, name)
                if name == ".pii_hash_key" or os.path.islink(path):
                    continue
                with open(path, "rb") as f:
                    assert key not in f.read(), f"the hash key leaked into {path}"
                searched += 1
    assert searched > 10
