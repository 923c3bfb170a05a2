import pytest

from orchestration.settings import Settings


@pytest.fixture
def settings(tmp_path, monkeypatch) -> Settings:
    """An isolated landing zone and warehouse for one test."""
    landing, warehouse = tmp_path / "landing", tmp_path / "warehouse"
    monkeypatch.setenv("SUBWH_LANDING_DIR", str(landing))
    monkeypatch.setenv("SUBWH_WAREHOUSE_DIR", str(warehouse))
    return Settings(landing_dir=landing, warehouse_dir=warehouse)
