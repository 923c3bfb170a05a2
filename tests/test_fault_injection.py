"""Fault injection (`subwh generate --inject`): for each fault, four outcomes. Nothing lost (lines read =
loaded + quarantined), nothing bad published, a clear error where one is due (file and line named),
and a rerun changes nothing."""

import json

import dagster as dg
import duckdb
import pytest
from run_helpers import assert_nothing_lost, company, mart_digests

from orchestration.generator.inject import BLOCKING, HARMLESS
from orchestration.runner import run_everything

pytestmark = pytest.mark.slow


def test_harmless_noise_leaves_every_mart_as_without_it(clean_digests, tmp_path):
    """Duplicates, redeliveries days later, a conflicting second copy, late and shuffled lines, other
    timezone offsets, malformed lines of every kind, a BOM, new fields, a 1 MB line and a file dropped
    twice: every mart equals the clean run's; the broken lines are quarantined with their reasons."""
    injections = [f"{kind}=0.02" if kind != "very_long" else "very_long=0.002" for kind in HARMLESS]
    settings = company(tmp_path, injections)
    instance = dg.DagsterInstance.ephemeral()
    summary = run_everything(settings, instance=instance)
    assert summary.published, summary.failure_details
    noisy = mart_digests(settings)
    assert {t: d for t, d in noisy.items() if t != "data_quality_summary"} == {
        t: d for t, d in clean_digests.items() if t != "data_quality_summary"
    }
    assert_nothing_lost(settings)
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        reasons = dict(con.execute("select reason, count(*) from raw.quarantine_stripe_events group by 1").fetchall())
        repeats = con.execute("select sum(repeat_deliveries) from marts.data_quality_summary").fetchone()[0]
        manifest = con.execute("select count(*) from raw.load_manifest where file_name like '%redropped%'").fetchone()
    assert set(reasons) == {"blank line", "not valid JSON", "invalid UTF-8 at byte 0", "not a JSON object"}
    assert repeats > 0 and manifest == (0,)  # the same bytes under a new name are not loaded again

    run_everything(settings, instance=instance)
    assert mart_digests(settings) == noisy  # a rerun changes nothing


@pytest.mark.parametrize("kind", BLOCKING)
def test_a_fault_the_gates_catch_is_never_published(tmp_path, kind):
    """The run stops before dbt with the failing check named and an example file:line; no serving copy
    is written; every line is loaded or quarantined; a second run is blocked the same way."""
    settings = company(tmp_path, [f"{kind}=0.05"])
    instance = dg.DagsterInstance.ephemeral()
    for _ in range(2):
        summary = run_everything(settings, instance=instance)
        assert not summary.published
        assert not settings.serving_path.exists()
        gate = [d for d in summary.failure_details if "unpublished_rows_meet_expectations" in d]
        assert gate and ".jsonl.gz:" in gate[0], summary.failure_details
    recorded = [json.loads(line) for line in (settings.warehouse_dir / "run_failures.jsonl").read_text().splitlines()]
    assert len(recorded) == 2 and all(gate[0] in r["failed_checks"] for r in recorded)  # each failed run, once
    assert_nothing_lost(settings)


def test_a_run_under_another_timezone_publishes_the_same_marts(clean_digests, tmp_path, monkeypatch):
    """Every connection pins UTC, so a machine set to Los Angeles time builds the same marts."""
    import time

    monkeypatch.setenv("TZ", "America/Los_Angeles")
    time.tzset()
    try:
        settings = company(tmp_path, [])
        assert run_everything(settings, instance=dg.DagsterInstance.ephemeral()).published
        digests = mart_digests(settings)
    finally:
        monkeypatch.setenv("TZ", "UTC")
        time.tzset()
    assert {t: d for t, d in digests.items() if t != "data_quality_summary"} == {
        t: d for t, d in clean_digests.items() if t != "data_quality_summary"
    }


def test_a_failing_dbt_test_blocks_publishing_and_keeps_the_previous_copy(tmp_path):
    """A price of a type the marts do not know passes the raw gate but fails dim_plans' accepted_values
    test: the run does not publish, names the test, and the serving copy stays byte for byte."""
    import hashlib
    import json

    settings = company(tmp_path, [])
    instance = dg.DagsterInstance.ephemeral()
    assert run_everything(settings, instance=instance).published
    before = hashlib.sha256(settings.serving_path.read_bytes()).hexdigest()
    price = {"id": "price_odd", "object": "price", "type": "metered_custom", "currency": "usd", "unit_amount": 100,
             "product": "prod_team", "active": True, "created": 1706000000}  # fmt: skip
    event = {"id": "evt_odd_price", "object": "event", "type": "price.created", "created": 1706000000,
             "api_version": "2024-06-20", "data": {"object": price}}  # fmt: skip
    (settings.landing_dir / "stripe" / "stripe_events_2024-01-23.extra.jsonl").write_text(json.dumps(event) + "\n")

    summary = run_everything(settings, instance=instance)

    assert not summary.published
    assert any("dim_plans" in check and "accepted_values" in check for check in summary.checks_failed)
    assert hashlib.sha256(settings.serving_path.read_bytes()).hexdigest() == before
    assert_nothing_lost(settings)


def test_refunds_credit_notes_and_orphans_are_kept_and_reported(clean_digests, tmp_path):
    """Refunds and credit notes are staged and leave MRR alone (a refund is not churn). Invoices and
    charges of a customer never seen are staged and counted as orphans without creating a customer or
    MRR. Track calls from a user who never identified are counted as orphans and, by the activation
    rules (a user is whoever sends calls), as users: only the product marts change."""
    import json

    from conftest import REVENUE_MARTS

    settings = company(tmp_path, ["refunds=0.5", "orphans=0.02"])
    injected = json.loads((settings.landing_dir / "generator_params.json").read_text())["injected"]
    instance = dg.DagsterInstance.ephemeral()

    summary = run_everything(settings, instance=instance)

    assert summary.published, summary.failure_details
    published = mart_digests(settings)
    assert {t: published[t] for t in REVENUE_MARTS} == {t: clean_digests[t] for t in REVENUE_MARTS}
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        one = lambda sql: con.execute(sql).fetchone()  # noqa: E731
        refunds = one("select count(*), sum(amount_minor) from staging.stg_stripe__refunds")
        notes = one("select count(*), sum(amount_minor) from staging.stg_stripe__credit_notes")
        refunded = one("select count(*), sum(amount_refunded_minor) from staging.stg_stripe__charges "
                       "where amount_refunded_minor > 0")  # fmt: skip
        orphans = one("select sum(orphan_events) from marts.data_quality_summary")[0]
        orphan_users = one("select count(*) from marts.fct_user_activation where user_id like 'usr_orphan_%'")[0]
        users = one("select count(*) from marts.fct_user_activation")[0]
        orphan_tracks = one("select count(*) from staging.stg_segment__events where user_id like 'usr_orphan_%'")[0]
    assert refunds[0] == injected["refunds"] // 3 > 0  # three events per refunded charge
    assert refunds == notes == refunded
    assert orphans == injected["orphans"]
    assert orphan_users == orphan_tracks and users == clean_digests["fct_user_activation"][0] + orphan_users
    assert_nothing_lost(settings)
    run_everything(settings, instance=instance)
    assert mart_digests(settings) == published  # a rerun changes nothing
