"""Headless materialization of everything, with progress and a one-line summary."""

from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from orchestration.definitions import JOB_NAME, build_definitions
from orchestration.publish_assets import check_detail
from orchestration.run_lock import RunInProgressError, exclusive_run
from orchestration.settings import Settings
from orchestration.triggers import HEADLESS_TAG, launched_by_subwh_run, record_failure, root_error_line

IN_PROGRESS = [dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING]


@dataclass
class RunSummary:
    success: bool
    published: bool
    checks_passed: int = 0
    checks_failed: list[str] = field(default_factory=list)
    failure_details: list[str] = field(default_factory=list)
    failed_steps: list[str] = field(default_factory=list)
    mart_rows: dict[str, int] = field(default_factory=dict)
    serving_path: Path | None = None
    report_path: Path | None = None
    error: str | None = None

    def line(self) -> str:
        rows = ", ".join(f"{name} {n:,}" for name, n in self.mart_rows.items()) or "none"
        checks = f"checks {self.checks_passed} passed, {len(self.checks_failed)} failed"
        if self.published:
            report = f" | report: {self.report_path}" if self.report_path else ""
            return f"published: {rows} | {checks} | serving: {self.serving_path}{report}"
        why = f" ({', '.join(self.checks_failed[:5])})" if self.checks_failed else ""
        return f"NOT published{why} | {checks} | previous serving copy untouched: {self.serving_path}"


def run_everything(
    settings: Settings, instance: dg.DagsterInstance | None = None, full_refresh: bool = False
) -> RunSummary:
    """Materialize, check and publish everything once (`full_refresh`: from an empty working warehouse,
    reloading every landing file). Refuses (RunInProgressError) while another run works on the same
    warehouse: interleaved steps could publish marts another run built and never checked."""
    instance = instance or dg.DagsterInstance.get()
    with exclusive_run(settings.warehouse_dir):
        _close_interrupted_runs(instance)
        if full_refresh:
            for path in (
                settings.warehouse_path,
                settings.warehouse_path.with_name(settings.warehouse_path.name + ".wal"),
            ):
                if path.exists():
                    print(f"full refresh: removing {path}", flush=True)
                    path.unlink()
        defs = build_definitions(settings)
        job = defs.resolve_job_def(JOB_NAME)
        result = job.execute_in_process(instance=instance, raise_on_error=False, tags=HEADLESS_TAG)
    summary = _summarize(result, settings)
    if not (summary.success and summary.published):
        # what the run-failure sensor records for daemon runs (sensors do not run here)
        record_failure(
            settings,
            result.run_id,
            JOB_NAME,
            summary.failed_steps,
            sorted(summary.failure_details),
            summary.error or "not published",
        )
    return summary


def _close_interrupted_runs(instance: dg.DagsterInstance) -> None:
    """Holding the lock, no other `subwh run` is alive: one still marked in progress was killed, and is
    recorded as failed. A run launched from the UI and still in progress makes this one refuse to start."""
    for run in instance.get_runs(filters=dg.RunsFilter(job_name=JOB_NAME, statuses=IN_PROGRESS)):
        if launched_by_subwh_run(run):
            instance.report_run_failed(run, message="interrupted: the `subwh run` process ended before the run did")
        else:
            raise RunInProgressError(
                f"Dagster run {run.run_id} ({run.status.value}) is in progress on this instance; "
                "this run did nothing. Wait for it to finish, or cancel it in the UI, then run again."
            )


def _summarize(result: dg.ExecuteInProcessResult, settings: Settings) -> RunSummary:
    summary = RunSummary(success=result.success, published=False, serving_path=settings.serving_path)
    for event in result.all_events:
        if event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.event_specific_data
            if evaluation.passed:
                summary.checks_passed += 1
            else:
                summary.checks_failed.append(f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}")
                summary.failure_details.append(
                    f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}{check_detail(evaluation)}"
                )
        elif event.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION:
            materialization = event.event_specific_data.materialization
            if materialization.asset_key == dg.AssetKey(["serving", "report"]):
                summary.report_path = settings.report_path
            if materialization.asset_key == dg.AssetKey(["serving", "published_marts"]):
                summary.published = True
                summary.mart_rows = {
                    k.removeprefix("rows_"): v.value
                    for k, v in materialization.metadata.items()
                    if k.startswith("rows_")
                }
        elif event.event_type == dg.DagsterEventType.STEP_FAILURE:
            summary.failed_steps.append(event.step_key)
            if summary.error is None:
                summary.error = root_error_line(event.event_specific_data.error)
    return summary
