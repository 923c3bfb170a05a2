"""What starts runs, and what is kept when one fails.

- `landing_files_sensor`: starts `refresh_warehouse` when the landing zone's files change (a new file,
  a replaced one). The run key is a fingerprint of the files, so one change starts one run; the extract
  itself skips files already loaded (by content hash).
- `daily_refresh` (in definitions.py): the same job every day at 03:00 UTC.
- `stripe_api_events` + `pull_stripe_events` + `hourly_stripe_pull`: the Stripe API pull as an asset,
  its own job and schedule. It writes a landing file, which the sensor then loads.
- `record_run_failures`: on any failed run, one JSON line in `<warehouse>/run_failures.jsonl` with the
  failed steps, the failed checks and the first error. `subwh run` writes the same line itself, since
  sensors only run under the Dagster daemon.
All are off until turned on in the UI (or `dagster sensor start` / `dagster schedule start`), so
opening the UI never starts a run by itself.
"""

import hashlib
import json
import os
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg

from orchestration.extract import SOURCES, landing_files
from orchestration.settings import Settings, load_settings
from orchestration.stripe_api import StripeAPIError, StripeClient, pull_events

FAILURES_FILE = "run_failures.jsonl"
# Runs started by `subwh run` carry this tag: a later one can tell that a run left STARTED in the
# instance was its own, killed before it could record the end, and the failure sensor leaves their
# failures to `subwh run`, which records them itself.
HEADLESS_TAG = {"subwh/launched_by": "subwh run"}


def launched_by_subwh_run(run: dg.DagsterRun) -> bool:
    """Whether `subwh run` started this run (it carries HEADLESS_TAG)."""
    return HEADLESS_TAG.items() <= run.tags.items()


def landing_fingerprint(landing_dir: Path) -> tuple[str, int]:
    """A digest of every landing file's name, size and modification time, and how many there are."""
    digest, count = hashlib.sha256(), 0
    for source in SOURCES:
        for path in landing_files(landing_dir, source):
            stat = path.stat()
            digest.update(f"{source}/{path.name}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
            count += 1
    return digest.hexdigest()[:32], count


def build_landing_files_sensor(job_name: str) -> dg.SensorDefinition:
    @dg.sensor(
        name="landing_files_sensor",
        job_name=job_name,
        minimum_interval_seconds=60,
        default_status=dg.DefaultSensorStatus.STOPPED,
        description="Starts a refresh when files in the landing zone are added or replaced.",
    )
    def landing_files_sensor(context: dg.SensorEvaluationContext):
        fingerprint, count = landing_fingerprint(load_settings().landing_dir)
        if count == 0:
            return dg.SkipReason("the landing zone has no files")
        if fingerprint == context.cursor:
            return dg.SkipReason(f"no change among the {count} landing files")
        context.update_cursor(fingerprint)
        return dg.RunRequest(run_key=f"landing-{fingerprint}", tags={"subwh/landing_files": str(count)})

    return landing_files_sensor


def root_error_line(error) -> str:
    """The first line of the innermost cause of a Dagster error (the user's exception, not the wrapper
    that says a step failed)."""
    while error.cause is not None:
        error = error.cause
    lines = error.message.strip().splitlines()
    return lines[0] if lines else error.cls_name or ""


def record_failure(
    settings: Settings, run_id: str, job_name: str, failed_steps: list[str], failed_checks: list[str], error: str
) -> Path:
    """Append one line about a failed run to `<warehouse>/run_failures.jsonl`; returns the file."""
    path = settings.warehouse_dir / FAILURES_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    line = {
        "failed_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "run_id": run_id,
        "job": job_name,
        "failed_steps": failed_steps,
        "failed_checks": failed_checks,
        "error": error,
    }
    with path.open("a") as handle:
        handle.write(json.dumps(line) + "\n")
    return path


@dg.run_failure_sensor(
    name="record_run_failures",
    default_status=dg.DefaultSensorStatus.STOPPED,
    description=f"Records each failed run (steps, checks, first error) in <warehouse>/{FAILURES_FILE}.",
)
def record_run_failures(context: dg.RunFailureSensorContext) -> None:
    from orchestration.publish_assets import failed_checks

    if launched_by_subwh_run(context.dagster_run):
        return  # `subwh run` recorded it already

    steps = sorted({event.step_key for event in context.get_step_failure_events() if event.step_key})
    checks = failed_checks(context.instance, context.dagster_run.run_id, blocking_only=False)
    step_errors = [root_error_line(e.event_specific_data.error) for e in context.get_step_failure_events()]
    error = (step_errors or [(context.failure_event.message or "").strip()])[0]
    path = record_failure(
        load_settings(), context.dagster_run.run_id, context.dagster_run.job_name, steps, checks, error
    )
    context.log.info(f"recorded the failure of run {context.dagster_run.run_id} in {path}")


class StripeAPIResource(dg.ConfigurableResource):
    """Stripe API access for the pull: the key comes from STRIPE_API_KEY (never from config files)."""

    base_url: str = "https://api.stripe.com"

    def client(self) -> StripeClient:
        api_key = os.environ.get("STRIPE_API_KEY", "").strip()
        if not api_key:
            raise dg.Failure("set STRIPE_API_KEY (a restricted key with read access to events) to pull from Stripe")
        return StripeClient(api_key=api_key, base_url=self.base_url.rstrip("/"))


@dg.asset(
    key=dg.AssetKey(["landing", "stripe_api_events"]),
    group_name="extract",
    kinds={"stripe", "python"},
    description="New events from Stripe's /v1/events (cursor, paging, backoff on 429/5xx) written to one "
    "landing file; raw/stripe_events loads it on the next refresh.",
)
def stripe_api_events(context: dg.AssetExecutionContext, stripe_api: StripeAPIResource) -> dg.MaterializeResult:
    landing = load_settings().landing_dir
    try:
        result = pull_events(stripe_api.client(), landing)
    except StripeAPIError as exc:
        raise dg.Failure(f"{exc}; nothing written, the cursor did not move") from exc
    context.log.info(f"pulled {result.events_written} new Stripe events ({result.retries} retried requests)")
    return dg.MaterializeResult(
        metadata={
            "events_written": result.events_written,
            "file": str(result.file) if result.file else "none (no new events)",
            "retried_requests": result.retries,
        }
    )


pull_stripe_job = dg.define_asset_job(
    name="pull_stripe_events",
    selection=dg.AssetSelection.assets(stripe_api_events),
    description="Pull new Stripe events into the landing zone (the landing sensor then loads them).",
)

hourly_stripe_pull = dg.ScheduleDefinition(
    name="hourly_stripe_pull",
    job=pull_stripe_job,
    cron_schedule="15 * * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.STOPPED,
)
