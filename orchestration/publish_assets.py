"""The publish asset: runs after the marts, and only when every error-severity check of the run passed."""

from datetime import UTC, datetime

import dagster as dg
from dagster_dbt import get_asset_key_for_model

from orchestration.dbt import WAREHOUSE_POOL, mart_model_names, pending_load_readers, warehouse_dbt_assets
from orchestration.publish import publish_marts
from orchestration.raw_quality import accept_pending_loads
from orchestration.raw_quality_checks import raw_quality_checks
from orchestration.resources import WarehouseResource, retry_when_locked

MARTS = mart_model_names()

# What reads only the loads not yet accepted: the raw gates, every incremental dbt model (its window
# starts at the oldest pending load), and the dbt models and tests that call one of the pending-load
# macros (orchestration.dbt.PENDING_LOADS_MACROS: the staging guard, the orphans, the list of users
# whose calls changed and the per-user models that recompute them). A publish
# accepts the pending loads only when its run evaluated every such check and built every such model,
# so a run that skipped one (the publish asset materialized on its own, a subset of the models) leaves
# its loads to the next run.
PENDING_LOAD_READERS = frozenset(
    [key.to_user_string() for checks in raw_quality_checks for key in checks.check_keys] + pending_load_readers()
)


def _run_events(instance: dg.DagsterInstance, run_id: str, event_type: dg.DagsterEventType) -> list:
    records = instance.get_records_for_run(run_id=run_id, of_type=event_type, limit=100_000).records
    return [record.event_log_entry.dagster_event for record in records]


def _check_evaluations(instance: dg.DagsterInstance, run_id: str) -> list:
    events = _run_events(instance, run_id, dg.DagsterEventType.ASSET_CHECK_EVALUATION)
    return [event.event_specific_data for event in events]


def _materialized(instance: dg.DagsterInstance, run_id: str) -> set[str]:
    events = _run_events(instance, run_id, dg.DagsterEventType.ASSET_MATERIALIZATION)
    return {event.asset_key.to_user_string() for event in events}


def _label(evaluation) -> str:
    return evaluation.asset_check_key.to_user_string()


def _failed(evaluations: list, blocking_only: bool) -> list[str]:
    return sorted(
        _label(evaluation) + check_detail(evaluation)
        for evaluation in evaluations
        if not evaluation.passed and (not blocking_only or evaluation.severity == dg.AssetCheckSeverity.ERROR)
    )


def failed_checks(instance: dg.DagsterInstance, run_id: str, blocking_only: bool) -> list[str]:
    """Checks that failed in a run (dbt tests and our own checks; only error-severity ones when
    `blocking_only`), each with how many rows failed and where to look when the check says."""
    return _failed(_check_evaluations(instance, run_id), blocking_only)


def check_detail(evaluation) -> str:
    """(N rows failed; e.g. file:line ...) for a failed check, from its metadata."""
    metadata = evaluation.metadata or {}
    count = metadata.get("dagster_dbt/failed_row_count") or metadata.get("expectations_failed")
    parts = []
    if count is not None:
        unit = "expectations" if "expectations_failed" in metadata else "rows"
        parts.append(f"{count.value} {unit} failed")
    sample = metadata.get("failing_rows_sample")
    if sample is not None and sample.value:
        parts.append(f"e.g. {', '.join(sample.value[:3])}")
    return f" ({'; '.join(parts)})" if parts else ""


@dg.asset(
    key=dg.AssetKey(["serving", "published_marts"]),
    deps=[get_asset_key_for_model([warehouse_dbt_assets], name) for name in MARTS],
    group_name="publish",
    pool=WAREHOUSE_POOL,
    kinds={"duckdb", "parquet"},
    description="Replaces serving.duckdb and marts/*.parquet in one step, only if the run's checks passed.",
)
def published_marts(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    # the run's checks, read once: the blocking ones that failed keep it from publishing, and which
    # ones ran decides whether the pending loads are accepted
    evaluations = _check_evaluations(context.instance, context.run.run_id)
    failed = _failed(evaluations, blocking_only=True)
    if failed:
        raise dg.Failure(
            description=f"Not published: {len(failed)} blocking check(s) failed; the previous serving copy "
            f"is untouched. Failed: {', '.join(failed[:10])}. Failing dbt rows: `dbt test --select <test> "
            "--store-failures` from dbt_project/; raw lines: raw.quarantine_<source>_events and the check's metadata.",
            metadata={"failed_checks": failed},
        )
    warehouse_dir = warehouse.warehouse_path.parent
    counts = publish_marts(warehouse.warehouse_path, warehouse_dir / "serving.duckdb", warehouse_dir / "marts", MARTS)
    ran = {_label(evaluation) for evaluation in evaluations} | _materialized(context.instance, context.run.run_id)
    skipped = sorted(PENDING_LOAD_READERS - ran)
    if skipped:
        accepted = 0
        context.log.warning(f"pending loads left pending: this run did not evaluate or build {', '.join(skipped)}")
    else:
        # their rows passed; the next runs check only newer loads
        with retry_when_locked(context), warehouse.connection() as con:
            accepted = accept_pending_loads(con, datetime.now(UTC))
    context.log.info(f"published {len(counts)} marts to {warehouse_dir / 'serving.duckdb'}; {accepted} loads accepted")
    return dg.MaterializeResult(
        metadata={
            "serving_path": str(warehouse_dir / "serving.duckdb"),
            **{f"rows_{name}": count for name, count in counts.items()},
        }
    )
