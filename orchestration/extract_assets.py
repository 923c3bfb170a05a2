"""Extract assets: landing files -> raw tables, with a blocking reconciliation check."""

import dagster as dg

from orchestration.dbt import WAREHOUSE_POOL
from orchestration.extract import SOURCES, load_source, reconcile
from orchestration.resources import WarehouseResource, retry_when_locked


def _build_extract_asset(source: str) -> dg.AssetsDefinition:
    key = dg.AssetKey(["raw", f"{source}_events"])

    @dg.asset(
        key=key,
        group_name="extract",
        pool=WAREHOUSE_POOL,
        kinds={"duckdb", "python"},
        # the API pull writes landing files for this asset (orchestration/triggers.py)
        deps=[dg.AssetKey(["landing", "stripe_api_events"])] if source == "stripe" else [],
        description=f"New {source} landing files loaded into raw.{source}_events; bad lines to "
        f"raw.quarantine_{source}_events. Each file once (by content hash).",
    )
    def _extract(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
        with retry_when_locked(context), warehouse.connection() as con:
            result = load_source(con, warehouse.landing_path, source, load_id=context.run.run_id)
            total = con.execute(f"select count(*) from raw.{source}_events").fetchone()[0]
        context.log.info(
            f"{source}: {result.files_loaded} new files, {result.files_skipped} already loaded; "
            f"{result.lines_read} lines read = {result.lines_loaded} loaded + {result.lines_quarantined} quarantined"
        )
        return dg.MaterializeResult(
            metadata={
                "files_loaded": result.files_loaded,
                "files_skipped": result.files_skipped,
                "lines_read": result.lines_read,
                "lines_loaded": result.lines_loaded,
                "lines_quarantined": result.lines_quarantined,
                "quarantine_reasons": dict(sorted(result.reasons.items())),
                "raw_rows_total": total,
            }
        )

    @dg.asset_check(
        asset=key,
        name="lines_read_equal_loaded_plus_quarantined",
        blocking=True,
        description="Every landing line is either loaded or quarantined, for every file ever loaded.",
    )
    def _reconciles(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        with warehouse.connection() as con:
            broken = reconcile(con, source)
        return dg.AssetCheckResult(
            passed=not broken,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={
                "files_not_reconciling": len(broken),
                "sample": [f"{f}: read {r}, loaded {loaded}, quarantined {q}" for f, r, loaded, q in broken[:5]],
            },
        )

    return _extract, _reconciles


extract_assets = []
extract_checks = []
for _source in SOURCES:
    _asset, _check = _build_extract_asset(_source)
    extract_assets.append(_asset)
    extract_checks.append(_check)
