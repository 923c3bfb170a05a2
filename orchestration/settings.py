"""Where things live. Every location comes from the environment (a `.env` file is honoured)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from dotenv import load_dotenv

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
SEEDS_DIR = PROJECT_ROOT / "seeds"

# Telemetry off for every tool this process starts (dbt, GX, Dagster read these).
TELEMETRY_OFF = {
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
    "DO_NOT_TRACK": "1",
    "GX_ANALYTICS_ENABLED": "False",
}


@dataclass(frozen=True)
class Settings:
    landing_dir: Path
    warehouse_dir: Path

    @property
    def warehouse_path(self) -> Path:
        """The working DuckDB file: written by the orchestrator only."""
        return self.warehouse_dir / "warehouse.duckdb"

    @property
    def serving_path(self) -> Path:
        """The published copy that BI tools and analysts read."""
        return self.warehouse_dir / "serving.duckdb"

    @property
    def marts_dir(self) -> Path:
        return self.warehouse_dir / "marts"

    @property
    def report_path(self) -> Path:
        return self.warehouse_dir / "report.html"


def load_settings() -> Settings:
    """Read locations from the environment; relative paths are taken from the current directory."""
    load_dotenv(PROJECT_ROOT / ".env", override=False)
    landing = Path(os.environ.get("SUBWH_LANDING_DIR", "data/landing")).expanduser().resolve()
    warehouse = Path(os.environ.get("SUBWH_WAREHOUSE_DIR", "warehouse")).expanduser().resolve()
    return Settings(landing_dir=landing, warehouse_dir=warehouse)


def prepare_environment(settings: Settings) -> None:
    """Export what child processes (dbt) need: absolute paths, UTC and telemetry off."""
    for key, value in TELEMETRY_OFF.items():
        os.environ.setdefault(key, value)
    os.environ.setdefault("DAGSTER_HOME", str(PROJECT_ROOT))
    os.environ["SUBWH_WAREHOUSE_PATH"] = str(settings.warehouse_path)
    os.environ["SUBWH_LANDING_DIR"] = str(settings.landing_dir)
    os.environ["SUBWH_WAREHOUSE_DIR"] = str(settings.warehouse_dir)
    settings.warehouse_dir.mkdir(parents=True, exist_ok=True)
