"""Headless materialization of everything, with progress and a one-line summary."""

from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from orchestration.definitions import JOB_NAME, build_definitions
from orchestration.publish_assets import check_detail
from orchestration.settings import Settings


@dataclass
class RunSummary:
    success: bool
    published: bool
    checks_passed: int = 0
    checks_failed: list[str] = field(default_factory=list)
    failure_details: list[str] = field(default_factory=list)
    mart_rows: dict[str, int] = field(default_factory=dict)
    serving_path: Path | None = None
    error: str | None = None

    def line(self) -> str:
        rows = ", ".join(f"{name} {n:,}" for name, n in self.mart_rows.items()) or "none"
        checks = f"checks {self.checks_passed} passed, {len(self.checks_failed)} failed"
        if self.published:
            return f"published: {rows} | {checks} | serving: {self.serving_path}"
        why = f" ({', '.join(self.checks_failed[:5])})" if self.checks_failed else ""
        return f"NOT published{why} | {checks} | previous serving copy untouched: {self.serving_path}"


def run_everything(settings: Settings, instance: dg.DagsterInstance | None = None) -> RunSummary:
    defs = build_definitions(settings)
    job = defs.resolve_job_def(JOB_NAME)
    instance = instance or dg.DagsterInstance.get()
    result = job.execute_in_process(instance=instance, raise_on_error=False)
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
            if materialization.asset_key == dg.AssetKey(["serving", "published_marts"]):
                summary.published = True
                summary.mart_rows = {
                    k.removeprefix("rows_"): v.value
                    for k, v in materialization.metadata.items()
                    if k.startswith("rows_")
                }
        elif event.event_type == dg.DagsterEventType.STEP_FAILURE and summary.error is None:
            summary.error = event.event_specific_data.error.message.strip().splitlines()[0]
    return summary
