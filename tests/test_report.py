"""The HTML report: built after publish, opens without a network, every chart renders in a real
browser (headless Chromium), and the MRR waterfall refuses to draw a bridge that does not reconcile."""

import re
import shutil
import subprocess

import duckdb
import pytest

from orchestration.report import ReportError, mrr_charts

CHARTS = {
    "mrr-trend",
    "mrr-waterfall",
    "retention-trends",
    "revenue-cohorts",
    "user-retention",
    "onboarding-funnel",
    "time-to-value",
    "onboarding-experiment",
    "reengagement-queue",
}


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.fail("chromium is not installed: `make test` installs Debian's chromium package when missing")
    return found


def _headless(*args: str) -> subprocess.CompletedProcess:
    base = ["--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--virtual-time-budget=20000"]
    return subprocess.run([_chromium(), *base, *args], capture_output=True, text=True, timeout=180)


@pytest.mark.slow
def test_every_chart_renders_in_a_browser_without_network(published, tmp_path):
    settings, _, summary, _ = published
    report = settings.warehouse_dir / "report.html"
    assert summary.published and report.exists()
    page = report.read_text()
    assert not re.search(r"""<(script|link|img)[^>]+(src|href)=["']?(https?:)?//""", page)  # nothing to fetch

    dom = _headless("--enable-logging=stderr", "--v=0", "--dump-dom", report.as_uri())
    screenshot = _headless("--window-size=1200,5600", f"--screenshot={tmp_path / 'report.png'}", report.as_uri())

    assert dom.returncode == 0, dom.stderr[-2000:]
    console = [line for line in dom.stderr.splitlines() if ":CONSOLE" in line]
    assert console == [], console  # no script errors or warnings
    sections = dict(re.findall(r'<section class="chart" data-chart="([a-z-]+)">(.*?)</section>', dom.stdout, re.S))
    assert set(sections) == CHARTS
    for chart, content in sections.items():
        assert 'class="main-svg"' in content, f"{chart} did not render"
    assert screenshot.returncode == 0 and (tmp_path / "report.png").stat().st_size > 50_000


def test_a_bridge_that_does_not_reconcile_is_not_drawn(tmp_path):
    con = duckdb.connect(str(tmp_path / "serving.duckdb"))
    con.execute("create schema marts")
    con.execute("""
        create table marts.mrr_movements as select * from (values
            (date '2024-01-01', 0.00, 100.00, 0.00, 0.00, 0.00, 0.00, 0.00, 0.00, 100.00, 1200.00),
            (date '2024-02-01', 100.00, 50.00, 10.00, -5.00, -20.00, 0.00, 0.00, 0.00, 135.01, 1620.12))
        as t(month, starting_mrr, new_mrr, expansion_mrr, contraction_mrr, churned_mrr, reactivation_mrr,
             fx_impact_mrr, net_new_mrr_unused, ending_mrr, ending_arr)""")
    con.execute("alter table marts.mrr_movements alter starting_mrr type decimal(18, 2)")
    for column in ("new_mrr", "expansion_mrr", "contraction_mrr", "churned_mrr", "reactivation_mrr", "fx_impact_mrr",
                   "ending_mrr"):  # fmt: skip
        con.execute(f"alter table marts.mrr_movements alter {column} type decimal(18, 2)")

    with pytest.raises(ReportError, match="do not reconcile: .* = -0.01"):
        mrr_charts(con)

    con.execute("update marts.mrr_movements set ending_mrr = 135.00 where month = date '2024-02-01'")
    waterfall = next(c for c in mrr_charts(con) if c.chart_id == "mrr-waterfall")
    assert waterfall.figure.data[0].y == (0.0, 150.0, 10.0, 0.0, -5.0, -20.0, 0.0, 0)
    assert "135.00" in waterfall.caption
