"""`subwh run`'s first-run convenience: a demo company when there is nothing to load; `subwh bench`'s
and `subwh generate`'s options."""

import pytest

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


def test_generate_takes_event_counts_as_bench_writes_them(monkeypatch, tmp_path):
    from orchestration import generator

    asked = []
    realized = {"events": {"stripe": 0, "segment": 0}, "files": 0}
    monkeypatch.setattr(generator, "generate", lambda cfg: asked.append(cfg.users) or {"realized": realized})
    for text in ("7000", "7k", "7K", "1M"):
        main(["generate", "--events", text, "--out", str(tmp_path)])
    assert asked == [100, 100, 100, 14_285]  # 70 events a signup
    for text in ("0", "-5", "1.5M", "M", "ten"):
        with pytest.raises(SystemExit):
            main(["generate", "--events", text, "--out", str(tmp_path)])
