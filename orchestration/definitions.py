"""Assembles the Dagster definitions: extract -> dbt -> publish -> report, one job, a daily schedule."""

import dagster as dg

from orchestration.dbt import dbt_resource, warehouse_dbt_assets
from orchestration.extract_assets import extract_assets, extract_checks
from orchestration.publish_assets import published_marts
from orchestration.raw_quality_checks import raw_quality_checks
from orchestration.report_assets import report
from orchestration.resources import WarehouseResource
from orchestration.settings import Settings, load_settings, prepare_environment

JOB_NAME = "refresh_warehouse"


def build_definitions(settings: Settings) -> dg.Definitions:
    prepare_environment(settings)
    everything_job = dg.define_asset_job(
        name=JOB_NAME,
        selection=dg.AssetSelection.all(),
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
        assets=[*extract_assets, warehouse_dbt_assets, published_marts, report],
        asset_checks=[*extract_checks, *raw_quality_checks],
        jobs=[everything_job],
        schedules=[daily_schedule],
        resources={
            "dbt": dbt_resource(),
            "warehouse": WarehouseResource(
                warehouse_dir=str(settings.warehouse_dir), landing_dir=str(settings.landing_dir)
            ),
        },
    )


defs = build_definitions(load_settings())
