"""Assembles the Dagster definitions: extract -> dbt -> publish -> report in one job, with a daily schedule, a
new-files sensor and a run-failure sensor; the Stripe API pull in its own job (orchestration/triggers.py)."""

import dagster as dg

from orchestration.dbt import dbt_resource, warehouse_dbt_assets
from orchestration.extract_assets import extract_assets, extract_checks
from orchestration.publish_assets import published_marts
from orchestration.raw_quality_checks import raw_quality_checks
from orchestration.report_assets import report
from orchestration.resources import WarehouseResource
from orchestration.settings import Settings, load_settings, prepare_environment
from orchestration.triggers import (
    StripeAPIResource,
    build_landing_files_sensor,
    hourly_stripe_pull,
    pull_stripe_job,
    record_run_failures,
    stripe_api_events,
)

JOB_NAME = "refresh_warehouse"


def build_definitions(settings: Settings) -> dg.Definitions:
    prepare_environment(settings)
    everything_job = dg.define_asset_job(
        name=JOB_NAME,
        selection=dg.AssetSelection.all() - dg.AssetSelection.assets(stripe_api_events),
        description="Load new landing files, build and test every dbt model, then publish if all checks passed.",
    )
    daily_schedule = dg.ScheduleDefinition(
        name="daily_refresh",
        job=everything_job,
        cron_schedule="0 3 * * *",
        execution_timezone="UTC",
        default_status=dg.DefaultScheduleStatus.STOPPED,
    )
    return dg.Definitions(
        assets=[stripe_api_events, *extract_assets, warehouse_dbt_assets, published_marts, report],
        asset_checks=[*extract_checks, *raw_quality_checks],
        jobs=[everything_job, pull_stripe_job],
        schedules=[daily_schedule, hourly_stripe_pull],
        sensors=[build_landing_files_sensor(JOB_NAME), record_run_failures],
        resources={
            "stripe_api": StripeAPIResource(),
            "dbt": dbt_resource(),
            "warehouse": WarehouseResource(
                warehouse_dir=str(settings.warehouse_dir), landing_dir=str(settings.landing_dir)
            ),
        },
    )


defs = build_definitions(load_settings())
