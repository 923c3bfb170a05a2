"""Generate a small company, add hand-computed customers, run everything in process, check the revenue marts.
(The `published` fixture is in conftest.py; the activation marts are checked in test_activation.py.)"""

import json
import os
import shutil
import subprocess
import sys
from decimal import Decimal

import duckdb
import pytest
from conftest import ALL_MARTS

from orchestration.dbt import DBT_EXECUTABLE
from orchestration.runner import run_everything
from orchestration.settings import DBT_PROJECT_DIR

pytestmark = pytest.mark.slow


def _serving(settings):
    return duckdb.connect(str(settings.serving_path), read_only=True)


def test_run_publishes_every_mart_with_all_checks_passing(published):
    settings, _, summary, _ = published
    assert summary.success, summary.error
    assert summary.published and summary.checks_failed == []
    assert summary.checks_passed > 20
    assert set(summary.mart_rows) == ALL_MARTS
    assert all((settings.marts_dir / f"{name}.parquet").exists() for name in summary.mart_rows)


def test_every_mart_materialization_reports_its_row_count_and_headlines(published):
    """Numeric metadata the Dagster UI plots across runs: each mart's row count, and headline numbers."""
    import dagster as dg

    settings, _, summary, instance = published
    for name, rows in summary.mart_rows.items():
        event = instance.get_latest_materialization_event(dg.AssetKey(["marts", name]))
        assert event.asset_materialization.metadata["dagster/row_count"].value == rows, name
    with _serving(settings) as con:
        ending_mrr, nrr = con.execute("""
            select m.ending_mrr, c.net_revenue_retention from marts.mrr_movements as m
            join marts.churn_monthly as c on c.month = m.month order by m.month desc limit 1""").fetchone()
    headline = {
        name: instance.get_latest_materialization_event(dg.AssetKey(["marts", name])).asset_materialization.metadata
        for name in ("mrr_movements", "churn_monthly", "fct_user_activation")
    }
    assert headline["mrr_movements"]["ending_mrr"].value == pytest.approx(float(ending_mrr))
    assert headline["churn_monthly"]["net_revenue_retention"].value == pytest.approx(float(nrr))
    assert 0 < headline["fct_user_activation"]["activation_rate"].value < 1


def test_serving_copy_is_readable_by_another_process(published):
    settings, *_ = published
    code = (
        f"import duckdb; c = duckdb.connect({str(settings.serving_path)!r}, read_only=True); "
        "print(c.execute('select count(*) from marts.fct_mrr').fetchone()[0])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert int(out.stdout) > 0


def test_hand_computed_customers_exact(published):
    settings, *_ = published
    with _serving(settings) as con:
        rows = con.execute("""
            select customer_id, strftime(month, '%Y-%m'), mrr, movement_mrr, fx_impact, movement
            from marts.fct_mrr where customer_id like 'cus_hand_%' and month <= '2024-05-01'
            order by customer_id, month""").fetchall()
    got = {(c, m): (mrr, mov_amt, fx, mov) for c, m, mrr, mov_amt, fx, mov in rows}
    D = Decimal
    # A: 3 x 29.00 USD; 5 seats from Feb 10 (+58.00); cancelled at period end, ended Mar 15; no row after.
    assert got[("cus_hand_a", "2024-01")] == (D("87.00"), D("87.00"), D("0.00"), "new")
    assert got[("cus_hand_a", "2024-02")] == (D("145.00"), D("58.00"), D("0.00"), "expansion")
    assert got[("cus_hand_a", "2024-03")] == (D("0.00"), D("-145.00"), D("0.00"), "churn")
    assert ("cus_hand_a", "2024-04") not in got
    # B: 120.00 EUR a year = 10.00 EUR a month; Jan rate 1.09 -> 10.90 USD;
    #    Feb rate 1.08583333 -> 10.86, the 0.04 drop is FX, not contraction.
    assert got[("cus_hand_b", "2024-01")] == (D("10.90"), D("10.90"), D("0.00"), "new")
    assert got[("cus_hand_b", "2024-02")] == (D("10.86"), D("0.00"), D("-0.04"), "retained")
    # C: 4200 JPY x 2 x (1 - 20%) = 6720 JPY (no minor unit) x 0.0066 = 44.352 -> 44.35 USD.
    assert got[("cus_hand_c", "2024-01")][:1] == (D("44.35"),)
    # D: a trial that never converted has no MRR rows.
    assert not any(c == "cus_hand_d" for c, _ in got)
    # E: churned in Feb, a gap month in March (no movement), back in April as a reactivation.
    assert got[("cus_hand_e", "2024-02")] == (D("0.00"), D("-12.00"), D("0.00"), "churn")
    assert got[("cus_hand_e", "2024-03")] == (D("0.00"), D("0.00"), D("0.00"), None)
    assert got[("cus_hand_e", "2024-04")] == (D("12.00"), D("12.00"), D("0.00"), "reactivation")


def test_bridge_holds_to_the_cent_every_month(published):
    settings, *_ = published
    with _serving(settings) as con:
        months = con.execute("select * from marts.mrr_movements order by month").fetchall()
        columns = [d[0] for d in con.description]
    previous_end = Decimal("0")
    assert len(months) >= 5
    for values in months:
        row = dict(zip(columns, values, strict=True))
        movements = sum(
            row[k]
            for k in ("new_mrr", "expansion_mrr", "contraction_mrr", "churned_mrr", "reactivation_mrr", "fx_impact_mrr")
        )
        assert row["starting_mrr"] + movements == row["ending_mrr"], row["month"]
        assert row["starting_mrr"] == previous_end
        previous_end = row["ending_mrr"]


def test_month_end_mrr_equals_the_simulations_own_record(published):
    """The generator tracked every subscription's MRR itself; the warehouse must agree exactly."""
    settings, params, *_ = published
    with _serving(settings) as con:
        rows = con.execute("""
            select strftime(month, '%Y-%m'), currency_code, sum(mrr_local_minor) from marts.fct_mrr
            where customer_id not like 'cus_hand_%' group by all""").fetchall()
    warehouse = {(m, c): v for m, c, v in rows}
    truth = params["realized"]["mrr_by_month_minor"]
    compared = 0
    for month, per_currency in truth.items():
        for currency, value in per_currency.items():
            assert warehouse.get((month, currency), Decimal(0)) == Decimal(value), (month, currency)
            compared += Decimal(value) > 0
    assert compared >= 10


def test_rerun_with_no_new_files_changes_nothing(published):
    settings, _, _, instance = published

    def digest():
        with _serving(settings) as con:
            return {
                t: con.execute(f"select count(*), sum(hash(x::varchar)) from marts.{t} as x").fetchone()
                for t in sorted(ALL_MARTS)
            }

    before = digest()
    summary = run_everything(settings, instance=instance)
    assert summary.published
    assert digest() == before
    params = json.loads((settings.landing_dir / "generator_params.json").read_text())
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        raw = con.execute("select count(*) from raw.stripe_events").fetchone()[0]
    assert raw == params["realized"]["events"]["stripe"] + 12  # generated + hand-written, loaded once


def test_logo_churn_equals_the_simulations_own_record(published):
    """Customers paying at each month end, and who stopped (by cancelling or by failed payment), as the
    simulation recorded them; the hand-written customers (all voluntary churns) are taken out first."""
    settings, params, *_ = published
    with _serving(settings) as con:
        rows = con.execute("""
            with hand as (
                select strftime(month, '%Y-%m') as month,
                    sum(case when previous_mrr_local_minor > 0 then 1 else 0 end) as start,
                    sum(case when movement = 'churn' then 1 else 0 end) as churned
                from marts.fct_mrr where customer_id like 'cus_hand_%' group by all
            )
            select strftime(churn.month, '%Y-%m'),
                churn.customers_start - coalesce(hand.start, 0),
                churn.customers_churned_voluntary - coalesce(hand.churned, 0),
                churn.customers_churned_involuntary
            from marts.churn_monthly as churn
            left join hand on hand.month = strftime(churn.month, '%Y-%m')""").fetchall()
    warehouse = {month: (start, voluntary, involuntary) for month, start, voluntary, involuntary in rows}
    truth = params["realized"]["churn_by_month"]
    for month, record in truth.items():
        expected = (record["customers_start"], record["churned_voluntary"], record["churned_involuntary"])
        assert warehouse.get(month, (0, 0, 0)) == expected, month
    assert sum(r["churned_voluntary"] + r["churned_involuntary"] for r in truth.values()) >= 5


def test_plan_term_and_currency_mix_recover_the_planted_mix(published):
    """Each trial picks plan, term and currency from the planted mix. With about 400 first subscriptions
    the standard error of a share is at most 0.025; the tolerance is 0.08 (over 3 standard errors)."""
    settings, params, *_ = published
    planted = params["planted"]
    with _serving(settings) as con:
        firsts = con.execute("""
            select plans.product_id, plans.recurring_interval, plans.interval_count, subs.currency_code
            from marts.fct_subscriptions as subs
            inner join marts.dim_plans as plans on plans.price_id = subs.price_id
            where subs.has_trial and subs.customer_id not like 'cus_hand_%'""").fetchall()
    n = len(firsts)
    assert n >= 300
    terms = {("month", 1): "monthly", ("month", 3): "quarterly", ("year", 1): "annual"}
    observed = {
        "plan_mix": [row[0].removeprefix("prod_") for row in firsts],
        "term_mix": [terms[(row[1], row[2])] for row in firsts],
        "currency_mix": [row[3] for row in firsts],
    }
    for mix, values in observed.items():
        for key, share in planted[mix].items():
            assert abs(values.count(key) / n - share) < 0.08, (mix, key, values.count(key) / n, share)


def test_every_dbt_unit_test_passes(published, tmp_path):
    """The dbt unit tests (hand-computed rows for each tricky rule) run here, not in the scheduled
    run: they test the SQL, not the data. On a copy of the built warehouse, where dbt finds the
    columns of every model a unit test mocks."""
    settings, *_ = published
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(settings.warehouse_path, warehouse)
    env = {**os.environ, "SUBWH_WAREHOUSE_PATH": str(warehouse), "TZ": "UTC"}
    command = [DBT_EXECUTABLE, "test", "--quiet", "--select", "test_type:unit"]
    command += ["--profiles-dir", str(DBT_PROJECT_DIR), "--target-path", str(tmp_path / "target")]
    command += ["--log-path", str(tmp_path / "logs")]
    done = subprocess.run(command, cwd=DBT_PROJECT_DIR, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    manifest = json.loads((tmp_path / "target" / "manifest.json").read_text())
    results = json.loads((tmp_path / "target" / "run_results.json").read_text())["results"]
    defined = set(manifest["unit_tests"])
    assert len(defined) >= 30
    assert {r["unique_id"] for r in results if r["status"] == "pass"} == defined
