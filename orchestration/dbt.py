"""The dbt project as Dagster assets: every model an asset, every dbt test an asset check."""

import sys
from pathlib import Path

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from orchestration.settings import DBT_PROJECT_DIR, PROJECT_ROOT

WAREHOUSE_POOL = "warehouse"

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR, target="duckdb")
# The dbt installed beside this Python (the project's venv), whether or not the venv is on PATH.
DBT_EXECUTABLE = str(Path(sys.executable).parent / "dbt")


def dbt_resource() -> DbtCliResource:
    return DbtCliResource(project_dir=dbt_project, profiles_dir=str(DBT_PROJECT_DIR), dbt_executable=DBT_EXECUTABLE)


def _sources_newer_than_manifest() -> bool:
    manifest = dbt_project.manifest_path
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    watched = [
        DBT_PROJECT_DIR / "dbt_project.yml",
        *DBT_PROJECT_DIR.glob("models/**/*"),
        *DBT_PROJECT_DIR.glob("macros/**/*"),
        *DBT_PROJECT_DIR.glob("tests/**/*"),
        *(PROJECT_ROOT / "seeds").glob("*"),
    ]
    return any(path.stat().st_mtime > built for path in watched if path.is_file())


def ensure_manifest() -> None:
    """Parse the dbt project when its manifest is missing or older than its files (no network)."""
    if _sources_newer_than_manifest():
        dbt_resource().cli(["parse", "--quiet"], target_path=dbt_project.target_path).wait()


ensure_manifest()


class Translator(DagsterDbtTranslator):
    def get_group_name(self, dbt_resource_props) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "reference"
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[1] if len(fqn) > 2 else super().get_group_name(dbt_resource_props)


@dbt_assets(
    manifest=dbt_project.manifest_path, project=dbt_project, dagster_dbt_translator=Translator(), pool=WAREHOUSE_POOL
)
def warehouse_dbt_assets(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    """`dbt build`: seeds, models and their tests, in dependency order."""
    yield from dbt.cli(["build"], context=context).stream()


def mart_model_names() -> list[str]:
    """Public marts: the models under models/marts/."""
    import json

    manifest = json.loads(dbt_project.manifest_path.read_text())
    return sorted(
        node["name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["fqn"][1:2] == ["marts"]
    )
