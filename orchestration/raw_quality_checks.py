"""Raw-data gates as Dagster asset checks: the GX suites of orchestration/raw_quality.py on every raw
row not yet published. The blocking check stops the run before dbt (and so before publishing); the
reported one (unknown event names and types, volume against the trailing days) only warns."""

from datetime import UTC, datetime

import dagster as dg

from orchestration.extract import SOURCES
from orchestration.raw_quality import load_config, quarantine_finding, validate_pending, volume_ratio
from orchestration.resources import WarehouseResource


def _build_checks(source: str) -> list[dg.AssetChecksDefinition]:
    asset = dg.AssetKey(["raw", f"{source}_events"])

    @dg.multi_asset_check(
        specs=[
            dg.AssetCheckSpec(
                name="unpublished_rows_meet_expectations",
                asset=asset,
                blocking=True,
                description="Great Expectations suite on every raw row not yet published: ids, types, "
                "timestamps in range, known currencies, integer amounts; and the share of quarantined lines. "
                "A failure blocks the run.",
            ),
            dg.AssetCheckSpec(
                name="unpublished_rows_reported",
                asset=asset,
                description="Reported, not blocking: unknown event names or types, volume against the "
                "trailing days (thresholds in orchestration/quality.yml).",
            ),
        ],
        name=f"raw_{source}_expectations",
    )
    def _checks(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource):
        config = load_config()
        with warehouse.connection() as con:
            findings, rows_checked = validate_pending(con, source, config, datetime.now(UTC))
            ratio = volume_ratio(con, source, config.volume_trailing_days)
            findings.append(quarantine_finding(con, source, config))
        blocking = [f for f in findings if f.blocking]
        reported = [f for f in findings if not f.blocking]
        failed = [f for f in blocking if not f.passed]
        for finding in failed:
            context.log.error(f"raw.{source}_events: {finding.describe()}")
        yield dg.AssetCheckResult(
            check_name="unpublished_rows_meet_expectations",
            asset_key=asset,
            passed=not failed,
            severity=dg.AssetCheckSeverity.ERROR,
            description="; ".join(f.describe() for f in failed)[:2000] or None,
            metadata={
                "rows_checked": rows_checked,
                "expectations_failed": len(failed),
                **{f"unexpected_{f.expectation}_{f.column}": f.unexpected_count for f in blocking},
                "failing_rows_sample": [line for f in failed for line in f.sample],
            },
        )
        volume_ok = ratio is None or config.volume_min_ratio <= ratio <= config.volume_max_ratio
        yield dg.AssetCheckResult(
            check_name="unpublished_rows_reported",
            asset_key=asset,
            passed=volume_ok and all(f.passed for f in reported),
            severity=dg.AssetCheckSeverity.WARN,
            metadata={
                "volume_ratio_to_trailing_files": ratio if ratio is not None else "no accepted history yet",
                **{f"unexpected_{f.expectation}_{f.column}": f.unexpected_count for f in reported},
                "sample": [line for f in reported for line in f.sample],
            },
        )

    return _checks


raw_quality_checks = [_build_checks(source) for source in SOURCES]
