"""dbt docs: every model and every column is described (mart columns are typed too), and `dbt docs
generate` builds the site offline (catalog read from the working warehouse)."""

import json

import pytest
from run_helpers import run_dbt_tool

from orchestration.dbt import dbt_project, ensure_manifest


def test_every_model_is_described_and_every_mart_column_typed_and_described():
    ensure_manifest()
    manifest = json.loads(dbt_project.manifest_path.read_text())
    models = [n for n in manifest["nodes"].values() if n["resource_type"] == "model"]
    assert len(models) > 60
    assert [m["name"] for m in models if not m["description"].strip()] == []
    undescribed = [
        f"{m['name']}.{c['name']}"
        for m in models
        if m["fqn"][1:2] == ["marts"]
        for c in m["columns"].values()
        if not c["description"].strip() or not c.get("data_type")
    ]
    assert undescribed == []
    assert "subscription_report" in {e["name"] for e in manifest["exposures"].values()}


@pytest.mark.slow
def test_dbt_docs_generate_works_offline(published, tmp_path):
    settings, _, _, _ = published
    target = tmp_path / "docs"
    run_dbt_tool(
        "dbt", "docs", "generate", "--target-path", str(target), "--quiet",
        env={"SUBWH_WAREHOUSE_PATH": str(settings.warehouse_path)},
    )  # fmt: skip
    catalog = json.loads((target / "catalog.json").read_text())
    manifest = json.loads((target / "manifest.json").read_text())
    assert "model.subscription_warehouse.mrr_movements" in catalog["nodes"]
    undescribed = [
        f"{manifest['nodes'][unique_id]['name']}.{column}"
        for unique_id, node in catalog["nodes"].items()
        if unique_id.startswith("model.")
        for column in node["columns"]
        if not manifest["nodes"][unique_id]["columns"].get(column.lower(), {}).get("description", "").strip()
    ]
    assert undescribed == []  # every column of every built model, as the warehouse has them
    assert (target / "index.html").stat().st_size > 100_000  # the site itself, no CDN needed
