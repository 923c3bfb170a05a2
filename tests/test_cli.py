"""`subwh run`'s first-run convenience: a demo company when there is nothing to load; `subwh bench`'s
options."""

from orchestration import bench
from orchestration.cli import main, wants_demo_company


def test_a_demo_company_is_generated_on_a_first_run_only(settings):
    assert wants_demo_company(settings)  # no landing files, no warehouse: a new user's first run
    (settings.landing_dir / "stripe").mkdir(parents=True)
    (settings.landing_dir / "stripe" / "stripe_events_2024-01-01.jsonl.gz").write_bytes(b"")
    assert not wants_demo_company(settings)  # their own files
    (settings.landing_dir / "stripe" / "stripe_events_2024-01-01.jsonl.gz").unlink()
    settings.warehouse_dir.mkdir(parents=True)
    settings.warehouse_path.touch()
    assert not wants_demo_company(settings)  # an empty landing zone beside a warehouse: no made-up data


def test_bench_options_reach_the_bench(monkeypatch, tmp_path):
    calls = []
    monkeypatch.setattr(bench, "run_bench", lambda labels, **kwargs: calls.append((labels, kwargs)) or tmp_path)
    assert main(["bench", "--events", "100M", "--no-peer", "--no-floor", "--work-dir", str(tmp_path)]) == 0
    assert main(["bench"]) == 0
    (labels, options), (default_labels, defaults) = calls
    assert labels == ["100M"] and not options["peer"] and not options["floor"] and options["work_dir"] == tmp_path
    assert default_labels == ["1M", "10M"] and defaults["peer"] and defaults["floor"]
