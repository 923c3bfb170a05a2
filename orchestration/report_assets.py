"""The report asset: report.html from the serving copy, after each publish."""

import dagster as dg

from orchestration.publish_assets import published_marts
from orchestration.report import build_report
from orchestration.resources import WarehouseResource


@dg.asset(
    key=dg.AssetKey(["serving", "report"]),
    deps=[published_marts],
    group_name="publish",
    kinds={"html", "plotly"},
    description="report.html beside the serving copy: MRR, movements, retention, cohorts, activation, the "
    "onboarding experiment and the re-engagement queue, drawn from the published marts (opens offline).",
)
def report(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    warehouse_dir = warehouse.warehouse_path.parent
    path = warehouse_dir / "report.html"
    charts = build_report(warehouse_dir / "serving.duckdb", path)
    context.log.info(f"report: {sum(charts.values())} charts in {path}")
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(path)),
            "charts": sum(charts.values()),
            **{f"charts_{section.lower()}": n for section, n in charts.items()},
        }
    )
