"""`labctl usage --format html -o report.html`: the after-class report, one self-contained file.

A summary table (tokens, estimated cost against each cap, refusals) and a chart per participant: their tokens per
day, stacked by deployment. Charts are plotly (a well-kept library, MIT): interactive (hover for the numbers) and,
with plotly.js embedded once in the page, readable offline, attachable to an e-mail, with no CDN. matplotlib's SVGs
would be static and slower to draw for 30 people; the embedded script (about 4.7 MB) is the price of interactivity.
Every name and label is HTML-escaped: participant names, deployments and models come from logs.
"""

from __future__ import annotations

import datetime as dt
import html
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from labctl.classroom.usage import UsageReport
from labctl.classroom.usage_times import window_label

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
section.participant { margin-top: 2em; }
p.note { color: #666; font-size: 0.9em; }
"""


def _day(value: Any) -> str:
    """A row's day: the query bins by UTC day (Log Analytics' bin), so the label is that UTC date."""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d")
    return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00")).strftime("%Y-%m-%d")


def daily_series(rows: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, dict[str, int]]]:
    """participant -> deployment -> day -> tokens."""
    series: dict[str, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
    for row in rows:
        tokens = int(row.get("prompt_tokens") or 0) + int(row.get("completion_tokens") or 0)
        day = _day(row.get("day"))
        by_day = series[str(row.get("participant") or "(no key)")][str(row.get("deployment") or "(unknown)")]
        by_day[day] = by_day.get(day, 0) + tokens
    return series


def _chart(name: str, deployments: Mapping[str, Mapping[str, int]], days: list[str]) -> str:
    import plotly.graph_objects as go

    figure = go.Figure(
        [
            go.Bar(name=deployment, x=days, y=[per_day.get(d, 0) for d in days])
            for deployment, per_day in deployments.items()
        ]
    )
    figure.update_layout(
        barmode="stack",
        title=f"Tokens per day: {name}",
        xaxis_title="day",
        yaxis_title="tokens",
        height=320,
        margin={"l": 60, "r": 20, "t": 50, "b": 40},
    )
    return figure.to_html(full_html=False, include_plotlyjs=False, div_id=f"chart-{name}")


def render_html(
    report: UsageReport, daily_rows: Sequence[Mapping[str, Any]], *, stack: str, zone: str
) -> str:
    from plotly.offline import get_plotlyjs

    currency = report.prices.currency
    series = daily_series(daily_rows)
    days = sorted({d for deployments in series.values() for per in deployments.values() for d in per})
    e = html.escape
    rows = []
    for p in report.participants:
        cost = "n/a" if p.cost is None else f"{p.cost:,.4f}"
        cap = "" if p.cost_cap is None else f"{p.cost_cap:,.2f}"
        share = "" if p.cost is None or p.cost_cap is None else f"{p.cost / p.cost_cap:.0%}"
        cells = [e(p.participant), e(p.state)]
        numbers = [
            f"{p.total_tokens:,}",
            f"{p.calls:,}",
            cost,
            cap,
            share,
            str(p.refused_403),
            str(p.refused_429),
        ]
        rows.append(
            "<tr>"
            + "".join(f"<td>{c}</td>" for c in cells)
            + "".join(f'<td class="n">{n}</td>' for n in numbers)
            + "</tr>"
        )
    headers = [
        "participant",
        "state",
        "tokens",
        "calls",
        f"est. cost ({e(currency)})",
        "cap",
        "of cap",
        "403",
        "429",
    ]
    sections = []
    for p in report.participants:
        deployments = series.get(p.participant)
        chart = _chart(p.participant, deployments, days) if deployments else "<p>No calls in this window.</p>"
        sections.append(
            f'<section class="participant" id="participant-{e(p.participant)}"><h2>{e(p.participant)}</h2>{chart}</section>'
        )
    title = f"aoai-lab usage: stack {e(stack)}"
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            f"<title>{title}</title><style>{_STYLE}</style>",
            # plotly.js once, inline: the file works offline and as an attachment.
            f'<script type="text/javascript">{get_plotlyjs()}</script>',
            "</head><body>",
            f"<h1>{title}</h1>",
            f"<p>{e(window_label(report, zone))}. Estimated cost {report.total_cost:,.4f} {e(currency)} "
            f"(prices checked {e(report.prices.checked)}; an estimate, not the bill).</p>",
            '<table id="summary"><thead><tr>' + "".join(f"<th>{h}</th>" for h in headers) + "</tr></thead>",
            "<tbody>" + "".join(rows) + "</tbody></table>",
            '<p class="note">Days are UTC days; the window above is in the class\'s time zone. Logs arrive 5-15 minutes after the calls.</p>',
            *sections,
            "</body></html>",
        ]
    )
