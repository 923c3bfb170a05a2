import os
from datetime import date

import dagster as dg
import pytest
from run_helpers import company, mart_digests
from stripe_fixtures import write_hand_computed

from orchestration.generator import GeneratorConfig, generate
from orchestration.runner import run_everything
from orchestration.settings import Settings

# One keyed-hash key for every warehouse the tests build, so marts built in different directories
# compare equal (each warehouse would otherwise create its own random key: orchestration/pii.py).
os.environ["SUBWH_PII_HASH_KEY"] = "tests-only-key-3f9a1c"

REVENUE_MARTS = {
    "dim_customers",
    "dim_plans",
    "fct_subscriptions",
    "fct_mrr",
    "mrr_movements",
    "churn_monthly",
    "revenue_cohorts",
    "trial_conversion",
    "renewals_upcoming",
    "receivables",
    "customer_ltv",
    "cancellations_monthly",
}
PRODUCT_MARTS = {
    "fct_user_activation",
    "activation_rates",
    "onboarding_funnel",
    "onboarding_experiments",
    "user_retention",
    "engagement_daily",
    "feature_adoption",
    "referrals_monthly",
    "activation_impact",
    "reengagement_queue",
    "customer_health",
    "customer_health_evaluation",
}
QUALITY_MARTS = {"data_quality_summary"}
SEMANTIC_MARTS = {"metricflow_time_spine"}  # published so `mf query` runs on the serving copy
ALL_MARTS = REVENUE_MARTS | PRODUCT_MARTS | QUALITY_MARTS | SEMANTIC_MARTS


@pytest.fixture
def settings(tmp_path, monkeypatch) -> Settings:
    """An isolated landing zone and warehouse for one test."""
    landing, warehouse = tmp_path / "landing", tmp_path / "warehouse"
    monkeypatch.setenv("SUBWH_LANDING_DIR", str(landing))
    monkeypatch.setenv("SUBWH_WAREHOUSE_DIR", str(warehouse))
    return Settings(landing_dir=landing, warehouse_dir=warehouse)


@pytest.fixture(scope="session")
def published(tmp_path_factory):
    """One generated company (800 signups over 300 days, so the health score has earlier months to
    learn from and later ones to be judged on) plus hand-computed customers, run end to end once."""
    root = tmp_path_factory.mktemp("e2e")
    settings = Settings(landing_dir=root / "landing", warehouse_dir=root / "warehouse")
    params = generate(
        GeneratorConfig(out_dir=settings.landing_dir, seed=14, users=800, start=date(2024, 1, 1), days=300)
    )
    write_hand_computed(settings.landing_dir)
    instance = dg.DagsterInstance.ephemeral()
    summary = run_everything(settings, instance=instance)
    return settings, params, summary, instance


@pytest.fixture(scope="session")
def clean_digests(tmp_path_factory) -> dict:
    """Digests of the marts published from the fault suites' small company with no fault: what every
    disturbed run must end up publishing."""
    settings = company(tmp_path_factory.mktemp("clean"))
    assert run_everything(settings, instance=dg.DagsterInstance.ephemeral()).published
    return mart_digests(settings)
