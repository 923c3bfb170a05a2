"""The dbt project as Dagster assets: every model an asset, every dbt test an asset check."""

import json
import shutil
import sys
from functools import cached_property
from importlib.metadata import version
from pathlib import Path

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets, get_asset_key_for_model

from orchestration.mart_metadata import mart_metadata
from orchestration.resources import WarehouseResource
from orchestration.settings import DBT_PROJECT_DIR, PROJECT_ROOT

WAREHOUSE_POOL = "warehouse"
PARTIAL_PARSE_FILE = "partial_parse.msgpack"

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR, target="duckdb")
# The dbt installed beside this Python (the project's venv), whether or not the venv is on PATH.
DBT_EXECUTABLE = str(Path(sys.executable).parent / "dbt")


class WarehouseDbtCliResource(DbtCliResource):
    """dagster-dbt's resource, without its `dbt --version` subprocess (about 1.7 s per run): the dbt
    it runs is the one installed beside this Python, so its version is this venv's dbt-core."""

    @cached_property
    def _cli_version(self):
        from packaging.version import Version

        return Version(version("dbt-core"))


def dbt_resource() -> DbtCliResource:
    return WarehouseDbtCliResource(
        project_dir=dbt_project, profiles_dir=str(DBT_PROJECT_DIR), dbt_executable=DBT_EXECUTABLE
    )


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
def warehouse_dbt_assets(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):
    """`dbt build`: seeds, models and their data tests, in dependency order. Not the unit tests: they
    test the SQL against hand-written rows, not the data, so they cannot change from one run of the
    same code to the next (dbt's advice: run them in development and CI; `make test` does, and so
    does a `dbt build` by hand). At 100M events they took 8.6 s of every daily run.
    Marts report their row count and headline numbers (orchestration/mart_metadata.py) once dbt has
    released the warehouse; from the first mart on, events are held back and replayed in order
    (Dagster wants outputs in dependency order). dbt's own progress lines still stream as it runs."""
    marts = set(mart_model_names())
    invocation = dbt.cli(["build", "--exclude-resource-type", "unit_test"], context=context, raise_on_error=False)
    held: list = []
    for event in invocation.stream():
        if held or _model_name(event, context.assets_def.keys_by_output_name) in marts:
            held.append(event)
        else:
            yield event
    models = {_model_name(event, context.assets_def.keys_by_output_name) for event in held}
    numbers = {}
    if held and invocation.is_successful():
        with warehouse.connection(read_only=True) as con:
            numbers = mart_metadata(con, models & marts)
    for event in held:
        model = _model_name(event, context.assets_def.keys_by_output_name)
        if isinstance(event, dg.Output) and numbers.get(model):
            event = event.with_metadata({**event.metadata, **numbers[model]})
        yield event
    keep_parse_state(invocation.target_path)
    if not invocation.is_successful():
        raise invocation.get_error()


def keep_parse_state(run_target_path: Path) -> None:
    """Carry the parse state dbt saved in this run's target folder back to the project's, where
    dagster-dbt seeds the next run from. dbt keys that state on the profile, which holds the warehouse
    path: without this, a state parsed under another path (the import-time parse, a test's warehouse)
    would make every run parse the whole project again (about 3 s) instead of only what changed."""
    produced = run_target_path / PARTIAL_PARSE_FILE
    if produced.exists():
        kept = dbt_project.project_dir / dbt_project.target_path / PARTIAL_PARSE_FILE
        partial = kept.with_name(PARTIAL_PARSE_FILE + ".partial")
        shutil.copyfile(produced, partial)
        partial.replace(kept)


def _model_name(event, keys_by_output_name: dict[str, dg.AssetKey]) -> str | None:
    """The dbt model an Output or check result of the dbt assets belongs to."""
    if isinstance(event, dg.Output):
        return keys_by_output_name[event.output_name].path[-1]
    if isinstance(event, dg.AssetCheckResult) and event.asset_key is not None:
        return event.asset_key.path[-1]
    return None


def _manifest() -> dict:
    return json.loads(dbt_project.manifest_path.read_text())


def _manifest_nodes() -> list[dict]:
    return list(_manifest()["nodes"].values())


def mart_model_names() -> list[str]:
    """Public marts: the models under models/marts/."""
    return sorted(
        node["name"] for node in _manifest_nodes() if node["resource_type"] == "model" and node["fqn"][1:2] == ["marts"]
    )


# Calling one of these makes a dbt node read only the loads not yet accepted (macros/incremental.sql,
# macros/product/users_with_changed_calls.sql).
PENDING_LOADS_MACROS = {
    f"macro.subscription_warehouse.{name}"
    for name in ("pending_loads_only", "is_pending_load", "first_pending_load_time", "users_with_changed_calls")
}


def _macros_called(node: dict, macros: dict[str, dict]) -> set[str]:
    """The macros a dbt node calls, directly or through other macros: a generic test's node lists only
    its test macro, which lists what it calls."""
    called: set[str] = set()
    to_visit = list(node["depends_on"].get("macros", []))
    while to_visit:
        name = to_visit.pop()
        if name not in called:
            called.add(name)
            to_visit.extend(macros.get(name, {}).get("depends_on", {}).get("macros", []))
    return called


def pending_load_readers() -> list[str]:
    """The dbt models (as asset keys) and tests (as checks, 'asset:check') that take in only the loads
    not yet accepted: every node that calls one of PENDING_LOADS_MACROS, and every incremental model
    (an incremental run starts its window at the oldest pending load: incremental_cutoff)."""
    checks = {key.name: key for key in warehouse_dbt_assets.check_keys}
    manifest = _manifest()
    readers = []
    for node in manifest["nodes"].values():
        incremental = node["resource_type"] == "model" and node["config"].get("materialized") == "incremental"
        if not incremental and not PENDING_LOADS_MACROS.intersection(_macros_called(node, manifest["macros"])):
            continue
        if node["resource_type"] == "model":
            readers.append(get_asset_key_for_model([warehouse_dbt_assets], node["name"]).to_user_string())
        else:
            readers.append(checks[node["name"]].to_user_string())
    return sorted(readers)
