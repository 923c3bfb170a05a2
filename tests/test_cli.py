"""`subwh run`'s first-run convenience: a demo company when there is nothing to load."""

from orchestration.cli import wants_demo_company


def test_a_demo_company_is_generated_on_a_first_run_only(settings):
    assert wants_demo_company(settings)  # no landing files, no warehouse: a new user's first run
    (settings.landing_dir / "stripe").mkdir(parents=True)
    (settings.landing_dir / "stripe" / "stripe_events_2024-01-01.jsonl.gz").write_bytes(b"")
    assert not wants_demo_company(settings)  # their own files
    (settings.landing_dir / "stripe" / "stripe_events_2024-01-01.jsonl.gz").unlink()
    settings.warehouse_dir.mkdir(parents=True)
    settings.warehouse_path.touch()
    assert not wants_demo_company(settings)  # an empty landing zone beside a warehouse: no made-up data
