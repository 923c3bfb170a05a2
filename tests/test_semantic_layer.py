"""The semantic layer: MetricFlow accepts the metric definitions, and `mf query` against the serving
copy returns the marts' own numbers."""

import csv
from datetime import date
from decimal import Decimal

import duckdb
import pytest
from run_helpers import run_dbt_tool


def test_metric_definitions_validate():
    result = run_dbt_tool("mf", "validate-configs", "--skip-dw")
    assert "ERRORS: 0" in result.stdout


def _query(settings, tmp_path, metrics: str, group_by: str | None = None) -> list[dict]:
    out = tmp_path / f"{metrics.replace(',', '_')}.csv"
    args = ["query", "--metrics", metrics, "--csv", str(out)]
    if group_by:
        args += ["--group-by", group_by, "--order", group_by]
    run_dbt_tool("mf", *args, env={"SUBWH_DBT_TARGET": "serving", "SUBWH_SERVING_PATH": str(settings.serving_path)})
    with open(out, newline="") as f:
        return list(csv.DictReader(f))


@pytest.mark.slow
def test_mf_query_on_the_serving_copy_returns_the_marts_numbers(published, tmp_path):
    settings, _, summary, _ = published
    assert summary.published
    # relations as dbt names them for the working file ("warehouse"."marts".*); the serving target
    # attaches the published copy under that name
    run_dbt_tool("dbt", "parse", "--quiet", env={"SUBWH_WAREHOUSE_PATH": str(settings.warehouse_path)})

    monthly = _query(settings, tmp_path, "mrr,net_revenue_retention,logo_churn_rate", "metric_time__month")
    overall = _query(settings, tmp_path, "activation_rate,trial_conversion_rate")[0]

    with duckdb.connect(str(settings.serving_path), read_only=True) as con:
        marts = {
            row[0]: row[1:]
            for row in con.execute("""
                select m.month, m.ending_mrr, c.net_revenue_retention, c.logo_churn_rate
                from marts.mrr_movements as m left join marts.churn_monthly as c on c.month = m.month""").fetchall()
        }
        activation = con.execute(
            "select avg(case when is_activated then 1.0 else 0.0 end) from marts.fct_user_activation "
            "where is_activation_window_complete"
        ).fetchone()[0]
        trials = con.execute(
            "select sum(converted) / sum(converted + not_converted) from marts.trial_conversion"
        ).fetchone()[0]
    assert len(monthly) == len(marts) > 6
    for row in monthly:
        month = date.fromisoformat(row["metric_time__month"][:10])
        mrr, nrr, churn = marts[month]
        assert Decimal(row["mrr"]).quantize(Decimal("0.01")) == mrr
        for got, want in ((row["net_revenue_retention"], nrr), (row["logo_churn_rate"], churn)):
            assert (got in ("", None)) == (want is None), month
            if want is not None:
                assert abs(float(got) - float(want)) < 5e-7, month
    assert abs(float(overall["activation_rate"]) - float(activation)) < 1e-9
    assert abs(float(overall["trial_conversion_rate"]) - float(trials)) < 1e-9
