"""The report: one self-contained HTML file (plotly.js inlined, no network needed to open it) built from
the serving copy after each publish.

Charts: MRR and ARR trend; the MRR movements waterfall over the whole history (it must reconcile to the
cent: starting MRR + movements = ending MRR, or the report is not written); NRR and logo churn trends;
the revenue cohort heatmap (NRR by months since first payment); the user retention heatmap (weekly
cohorts, share active per week since signup); the onboarding funnel; the time-to-value distribution;
the onboarding experiment with 95% intervals; and the re-engagement queue by reason.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import duckdb

from orchestration.warehouse import configure

MOVEMENTS = (
    ("new_mrr", "New"),
    ("expansion_mrr", "Expansion"),
    ("reactivation_mrr", "Reactivation"),
    ("contraction_mrr", "Contraction"),
    ("churned_mrr", "Churn"),
    ("fx_impact_mrr", "FX"),
)


class ReportError(RuntimeError):
    """The marts do not support a chart as drawn (a bridge that does not reconcile)."""


@dataclass(frozen=True)
class Chart:
    chart_id: str
    title: str
    figure: object  # plotly.graph_objects.Figure
    caption: str


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict]:
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _num(value) -> float | None:
    return None if value is None else float(value)


def mrr_charts(con: duckdb.DuckDBPyConnection) -> list[Chart]:
    import plotly.graph_objects as go

    months = _rows(con, "select * from marts.mrr_movements order by month")
    if not months:
        return []
    x = [m["month"] for m in months]
    trend = go.Figure()
    trend.add_scatter(x=x, y=[_num(m["ending_mrr"]) for m in months], name="MRR", mode="lines+markers")
    trend.add_scatter(x=x, y=[_num(m["ending_arr"]) for m in months], name="ARR", mode="lines", yaxis="y2")
    trend.update_layout(yaxis={"title": "MRR"}, yaxis2={"title": "ARR", "overlaying": "y", "side": "right"})

    starting = months[0]["starting_mrr"]
    totals = {column: sum((m[column] for m in months), Decimal(0)) for column, _ in MOVEMENTS}
    ending = months[-1]["ending_mrr"]
    gap = starting + sum(totals.values()) - ending
    if gap != 0:
        raise ReportError(f"MRR movements do not reconcile: starting + movements - ending = {gap}")
    waterfall = go.Figure(
        go.Waterfall(
            x=[f"Starting {x[0]:%b %Y}"] + [label for _, label in MOVEMENTS] + [f"Ending {x[-1]:%b %Y}"],
            measure=["absolute"] + ["relative"] * len(MOVEMENTS) + ["total"],
            y=[_num(starting)] + [_num(totals[column]) for column, _ in MOVEMENTS] + [0],
            connector={"line": {"color": "#999"}},
        )
    )
    return [
        Chart("mrr-trend", "MRR and ARR", trend, "Month-end MRR and ARR in the reporting currency."),
        Chart(
            "mrr-waterfall",
            "Where MRR moved",
            waterfall,
            f"Starting MRR plus every movement equals ending MRR exactly ({_money(ending)}), "
            f"from {x[0]:%B %Y} to {x[-1]:%B %Y}.",
        ),
    ]


def _p_value(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def _money(value: Decimal) -> str:
    return f"{value:,.2f}"


def retention_charts(con: duckdb.DuckDBPyConnection) -> list[Chart]:
    import plotly.graph_objects as go

    churn = _rows(con, "select * from marts.churn_monthly order by month")
    charts = []
    if churn:
        x = [m["month"] for m in churn]
        trends = go.Figure()
        trends.add_scatter(x=x, y=[_num(m["net_revenue_retention"]) for m in churn], name="NRR", mode="lines+markers")
        trends.add_scatter(x=x, y=[_num(m["gross_revenue_retention"]) for m in churn], name="GRR", mode="lines+markers")
        trends.add_scatter(
            x=x, y=[_num(m["logo_churn_rate"]) for m in churn], name="Logo churn", mode="lines+markers", yaxis="y2"
        )
        trends.update_layout(
            yaxis={"title": "retention", "tickformat": ".0%"},
            yaxis2={"title": "logo churn", "overlaying": "y", "side": "right", "tickformat": ".1%"},
        )
        charts.append(
            Chart("retention-trends", "NRR, GRR and logo churn", trends, "Monthly; empty where a rate is undefined.")
        )
    cohorts = _rows(con, "select * from marts.revenue_cohorts order by cohort_month, months_since")
    if cohorts:
        charts.append(
            Chart(
                "revenue-cohorts",
                "Revenue cohorts: net revenue retention",
                _heatmap(cohorts, "cohort_month", "months_since", "net_revenue_retention", "%b %Y"),
                "Rows: month of first payment. Columns: months since. MRR retained over the cohort's initial MRR.",
            )
        )
    users = _rows(
        con,
        "select * from marts.user_retention where cohort_grain = 'week' and period_unit = 'week' "
        "order by cohort_start, period_number",
    )
    if users:
        charts.append(
            Chart(
                "user-retention",
                "User retention by signup week",
                _heatmap(users, "cohort_start", "period_number", "retention_rate", "%d %b %Y"),
                "Share of each week's signups active in week n after signup (empty until the week is over).",
            )
        )
    return charts


def _heatmap(rows: list[dict], row_key: str, column_key: str, value_key: str, row_format: str):
    import plotly.graph_objects as go

    row_values = sorted({r[row_key] for r in rows})
    column_values = sorted({r[column_key] for r in rows})
    cells = {(r[row_key], r[column_key]): _num(r[value_key]) for r in rows}
    z = [[cells.get((row, column)) for column in column_values] for row in row_values]
    figure = go.Figure(
        go.Heatmap(
            z=z,
            x=column_values,
            y=[f"{row:{row_format}}" for row in row_values],
            colorscale="Blues",
            zmin=0,
            hoverongaps=False,
        )
    )
    figure.update_layout(yaxis={"autorange": "reversed"})
    return figure


def activation_charts(con: duckdb.DuckDBPyConnection) -> list[Chart]:
    import plotly.graph_objects as go

    charts = []
    steps = _rows(con, "select * from marts.onboarding_funnel order by step_number")
    if steps:
        funnel = go.Figure(
            go.Funnel(
                y=[s["step_name"] for s in steps], x=[s["users"] for s in steps], textinfo="value+percent initial"
            )
        )
        charts.append(Chart("onboarding-funnel", "Onboarding funnel", funnel, "Users reaching each step in order."))
    hours = [
        float(r[0])
        for r in con.execute(
            "select hours_to_value from marts.fct_user_activation where hours_to_value is not null"
        ).fetchall()
    ]
    if hours:
        distribution = go.Figure(go.Histogram(x=hours, nbinsx=40))
        distribution.update_layout(xaxis={"title": "hours from signup to activation"}, yaxis={"title": "users"})
        charts.append(Chart("time-to-value", "Time to value", distribution, f"{len(hours):,} activated users."))
    variants = _rows(con, "select * from marts.onboarding_experiments order by is_control desc, variant")
    if variants:
        rates = [_num(v["activation_rate"]) for v in variants]
        experiment = go.Figure(
            go.Bar(
                x=[v["variant"] for v in variants],
                y=rates,
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": [_num(v["activation_rate_ci_high"]) - r for v, r in zip(variants, rates, strict=True)],
                    "arrayminus": [r - _num(v["activation_rate_ci_low"]) for v, r in zip(variants, rates, strict=True)],
                },
            )
        )
        experiment.update_layout(yaxis={"title": "activation rate", "tickformat": ".0%"})
        treated = [v for v in variants if not v["is_control"] and v["p_value"] is not None]
        caption = "; ".join(
            f"{v['variant']}: lift {_num(v['absolute_lift']):+.3f} "
            f"[{_num(v['absolute_lift_ci_low']):+.3f}, {_num(v['absolute_lift_ci_high']):+.3f}], "
            f"{_p_value(_num(v['p_value']))}"
            for v in treated
        )
        charts.append(
            Chart(
                "onboarding-experiment",
                f"Onboarding experiment {variants[0]['experiment_id']}",
                experiment,
                "Activation rate per variant with 95% Wilson intervals. " + caption,
            )
        )
    queue = _rows(con, "select reason, count(*) as users from marts.reengagement_queue group by reason order by 2 desc")
    total = sum(q["users"] for q in queue)
    bars = go.Figure(go.Bar(x=[q["reason"] for q in queue], y=[q["users"] for q in queue]))
    charts.append(
        Chart("reengagement-queue", f"Re-engagement queue: {total:,} users", bars, "Users to nudge now, by reason.")
    )
    return charts


def build_report(serving_path: Path, report_path: Path) -> dict[str, int]:
    """Write the report from the published marts; returns how many charts of each section it drew."""
    import plotly.io as pio
    from plotly.offline import get_plotlyjs

    con = duckdb.connect(str(serving_path), read_only=True)
    try:
        configure(con)
        sections = {
            "Revenue": mrr_charts(con),
            "Retention": retention_charts(con),
            "Activation": activation_charts(con),
        }
    finally:
        con.close()
    body = []
    for section, charts in sections.items():
        body.append(f"<h2>{section}</h2>")
        for chart in charts:
            chart.figure.update_layout(margin={"t": 30, "b": 40}, height=420, template="plotly_white")
            div = pio.to_html(chart.figure, full_html=False, include_plotlyjs=False, div_id=chart.chart_id)
            body.append(
                f'<section class="chart" data-chart="{chart.chart_id}"><h3>{html.escape(chart.title)}</h3>'
                f"{div}<p>{html.escape(chart.caption)}</p></section>"
            )
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Subscription analytics report</title>
<style>body{{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#222}}
section.chart{{margin-bottom:2.5em}} p{{color:#555}}</style>
<script type="text/javascript">{get_plotlyjs()}</script></head>
<body><h1>Subscription analytics</h1>
<p>Built {datetime.now(UTC):%Y-%m-%d %H:%M} UTC from {html.escape(serving_path.name)} (the published marts).</p>
{"".join(body)}
</body></html>
"""
    tmp = report_path.with_name(f".{report_path.name}.tmp")
    tmp.write_text(page)
    tmp.replace(report_path)
    return {section: len(charts) for section, charts in sections.items()}
