import dagster as dg
from dagster_dbt import get_asset_key_for_model

from orchestration.dbt import pending_load_readers, warehouse_dbt_assets
from orchestration.definitions import JOB_NAME, build_definitions


def test_definitions_load_with_every_model_and_test(settings):
    defs = build_definitions(settings)
    repo = defs.get_repository_def()
    keys = repo.asset_graph.get_all_asset_keys()
    for model in ("dim_customers", "fct_subscriptions", "fct_mrr", "mrr_movements"):
        assert get_asset_key_for_model([warehouse_dbt_assets], model) in keys
    # the dbt sources are the extract assets, so extract runs upstream of staging
    staging = get_asset_key_for_model([warehouse_dbt_assets], "stg_stripe__events")
    assert dg.AssetKey(["raw", "stripe_events"]) in repo.asset_graph.get(staging).parent_keys
    check_keys = repo.asset_graph.asset_check_keys
    assert any(k.name == "lines_read_equal_loaded_plus_quarantined" for k in check_keys)
    assert any("assert_mrr_bridge_reconciles" in k.name for k in check_keys)
    assert defs.resolve_job_def(JOB_NAME) is not None
    assert defs.resolve_schedule_def("daily_refresh").cron_schedule == "0 3 * * *"


def test_a_generic_test_that_reads_pending_loads_counts_among_their_readers():
    """A generic test's dbt node lists only its test macro; the macro it calls to scope itself to the
    pending loads is found through the macros' own dependencies, so a publish waits for the test."""
    readers = pending_load_readers()
    assert "staging/stg_stripe__events:assert_every_raw_event_id_is_staged" in readers  # a singular test
    assert (
        "intermediate/int_tracks_stitched_to_users:"
        "unique_since_pending_loads_int_tracks_stitched_to_users_message_id__stitched_through"
    ) in readers
