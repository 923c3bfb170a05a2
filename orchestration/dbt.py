"""The dbt project as Dagster assets: every model an asset, every dbt test an asset check."""

import json
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from importlib.metadata import version
from pathlib import Path
from queue import SimpleQueue
from threading import Thread
from typing import TypeVar

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets, get_asset_key_for_model

from orchestration.settings import DBT_PROJECT_DIR, PROJECT_ROOT

T = TypeVar("T")
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


# The line a mart's post-hook logs with its row count and headline numbers (macros/mart_numbers.sql).
MART_NUMBERS_PREFIX = "mart numbers: "


@dbt_assets(
    manifest=dbt_project.manifest_path, project=dbt_project, dagster_dbt_translator=Translator(), pool=WAREHOUSE_POOL
)
def warehouse_dbt_assets(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    """`dbt build`: seeds, models and their data tests, in dependency order. Not the unit tests: they
    test the SQL against hand-written rows, not the data, so they cannot change from one run of the
    same code to the next (dbt's advice: run them in development and CI; `make test` does, and so
    does a `dbt build` by hand). At 100M events they took 8.6 s of every daily run.
    Each event is passed on as dbt reports it, so Dagster records it while dbt goes on. Marts carry
    their row count and headline numbers, which their post-hook computed in dbt's own connection and
    logged just before the mart's result (mart_numbers)."""
    invocation = dbt.cli(["build", "--exclude-resource-type", "unit_test"], context=context, raise_on_error=False)
    numbers: dict[str, dict] = {}
    for dbt_event in read_ahead(invocation.stream_raw_events()):
        if reported := mart_numbers(dbt_event.raw_event):
            numbers[reported[0]] = reported[1]
            continue
        for event in dbt_event.to_default_asset_events(
            manifest=invocation.manifest,
            dagster_dbt_translator=invocation.dagster_dbt_translator,
            context=context,
            target_path=invocation.target_path,
            project=invocation.project,
        ):
            model = _model_name(event, context.assets_def.keys_by_output_name)
            if isinstance(event, dg.Output) and model in numbers:
                event = event.with_metadata({**event.metadata, **numbers.pop(model)})
            yield event
    keep_parse_state(invocation.target_path)
    if not invocation.is_successful():
        raise invocation.get_error()


def read_ahead(items: Iterator[T]) -> Iterator[T]:
    """`items`, read by a thread as fast as they come: Dagster takes about 20 ms to record an event,
    longer than dbt takes to run a small test, and dbt, writing its log lines into a full pipe,
    would wait for it."""
    queue: SimpleQueue = SimpleQueue()
    end = object()

    def read() -> None:
        try:
            for item in items:
                queue.put(item)
        except BaseException as exc:  # re-raised by the consumer
            queue.put(_Raised(exc))
        finally:
            queue.put(end)

    Thread(target=read, name="dbt-events", daemon=True).start()
    while (item := queue.get()) is not end:
        if isinstance(item, _Raised):
            raise item.exc
        yield item


@dataclass
class _Raised:
    exc: BaseException


def mart_numbers(raw_event: dict) -> tuple[str, dict] | None:
    """The model and numbers of a line logged by a mart's post-hook (MART_NUMBERS_PREFIX and a JSON
    object), None for any other dbt event."""
    message = raw_event["info"].get("msg", "")
    if raw_event["info"]["name"] != "JinjaLogInfo" or not message.startswith(MART_NUMBERS_PREFIX):
        return None
    model = raw_event["data"].get("node_info", {}).get("node_name")
    return model, json.loads(message.removeprefix(MART_NUMBERS_PREFIX))


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
