"""dbt vars are written into SQL, so each is checked: a hostile or malformed value stops the build with
a message naming the var, and a non-zero exit, before any SQL runs."""

import json
import os
import subprocess

import pytest

from orchestration.dbt import DBT_EXECUTABLE
from orchestration.settings import DBT_PROJECT_DIR


def _compile(tmp_path, select: str, dbt_vars: dict) -> subprocess.CompletedProcess:
    env = {**os.environ, "SUBWH_WAREHOUSE_PATH": str(tmp_path / "w.duckdb"), "TZ": "UTC"}
    command = [DBT_EXECUTABLE, "compile", "--select", select, "--vars", json.dumps(dbt_vars)]
    command += ["--profiles-dir", str(DBT_PROJECT_DIR), "--target-path", str(tmp_path / "target")]
    command += ["--log-path", str(tmp_path / "logs")]
    return subprocess.run(command, cwd=DBT_PROJECT_DIR, env=env, capture_output=True, text=True)


@pytest.mark.parametrize(
    ("select", "dbt_vars", "message"),
    [
        (
            "int_fx_rates_by_month",
            {"reporting_currency": "usd' or 1=1 --"},
            "var 'reporting_currency' must be a lowercase 3-letter ISO code",
        ),
        (
            "int_user_milestones_reached",
            {"activation_milestones": {"activated": {"window_days": 7, "criteria": [
                {"event": "Project Created", "where": {"x') or true --": "1"}}]}}},
            "property name x') or true -- must be a plain identifier",
        ),
        (
            "int_user_milestones_reached",
            {"activation_milestones": {"activated": {"window_days": "seven", "criteria": [{"event": "A"}]}}},
            "activation_milestones.activated.window_days must be a positive whole number",
        ),
        ("customer_ltv", {"ltv_churn_window_months": -3}, "ltv_churn_window_months must be a positive whole number"),
    ],
)  # fmt: skip
def test_a_bad_var_stops_compilation_with_its_name(tmp_path, select, dbt_vars, message):
    result = _compile(tmp_path, select, dbt_vars)
    assert result.returncode != 0
    assert message in result.stdout + result.stderr


def test_an_ordinary_value_with_a_quote_is_quoted_not_executed(tmp_path):
    result = _compile(tmp_path, "int_user_signups", {"signup_event": "Signed Up'; drop table raw.stripe_events; --"})
    assert result.returncode == 0, result.stdout
    compiled = next((tmp_path / "target").rglob("int_user_signups.sql")).read_text()
    assert "event_name = 'Signed Up''; drop table raw.stripe_events; --'" in compiled
