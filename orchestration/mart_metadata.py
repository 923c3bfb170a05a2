"""Row counts and headline numbers of the marts, attached to their Dagster materializations as
numeric metadata (the UI plots numeric metadata over runs).

They are read after `dbt build` has finished: while dbt runs it holds DuckDB's write lock and no
other connection can open the file.
"""

from __future__ import annotations

import duckdb

# model -> {metadata key: SQL returning one number}. Keep each query cheap: it runs on every build.
HEADLINES: dict[str, dict[str, str]] = {
    "customer_health_evaluation": {
        "holdout_auc": "select auc from marts.customer_health_evaluation where sample = 'holdout'",
        "training_auc": "select auc from marts.customer_health_evaluation where sample = 'training'",
        "holdout_customer_months": (
            "select customer_months from marts.customer_health_evaluation where sample = 'holdout'"
        ),
    },
    "fct_user_activation": {
        "activation_rate": (
            "select avg(case when is_activated then 1.0 else 0.0 end) from marts.fct_user_activation "
            "where is_activation_window_complete"
        ),
        "median_hours_to_value": "select median(hours_to_value) from marts.fct_user_activation",
    },
    "mrr_movements": {
        "ending_mrr": "select ending_mrr from marts.mrr_movements order by month desc limit 1",
        "ending_arr": "select ending_arr from marts.mrr_movements order by month desc limit 1",
    },
    "churn_monthly": {
        "net_revenue_retention": (
            "select net_revenue_retention from marts.churn_monthly "
            "where net_revenue_retention is not null order by month desc limit 1"
        ),
    },
}


def mart_metadata(con: duckdb.DuckDBPyConnection, models: set[str]) -> dict[str, dict[str, float | int]]:
    """For each mart of `models`: its row count (`dagster/row_count`, which the UI shows and plots) and
    its headline numbers, if any; a NULL headline is left out."""
    numbers: dict[str, dict[str, float | int]] = {}
    for model in sorted(models):
        values: dict[str, float | int] = {
            "dagster/row_count": con.execute(f"select count(*) from marts.{model}").fetchone()[0]
        }
        for key, sql in HEADLINES.get(model, {}).items():
            row = con.execute(sql).fetchone()
            if row and row[0] is not None:
                values[key] = float(row[0])
        numbers[model] = values
    return numbers
