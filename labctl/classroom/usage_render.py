"""`labctl usage` output: a table for people, CSV and JSON for spreadsheets and scripts.

Names, deployments and models come from logs: they are printed as plain text, never as rich markup.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from labctl.spreadsheet import formula_safe_dict_writer

from .usage import ParticipantUsage, UsageReport

CSV_COLUMNS = (
    "participant",
    "deployment",
    "model",
    "calls",
    "prompt_tokens",
    "completion_tokens",
    "total_tokens",
    "refused_429",
    "refused_403",
    "backend_429",
    "blocked_prompt",
    "blocked_completion",
    "estimated_cost",
)


def _money(value: float | None, currency: str) -> str:
    if value is None:
        return "n/a"
    return f"{value:,.4f} {currency}" if value < 1 else f"{value:,.2f} {currency}"


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


@dataclass(frozen=True)
class _Column:
    header: str
    cells: list[str]
    priority: int  # lower stays longer when the terminal is narrow
    numeric: bool = True

    @property
    def width(self) -> int:
        # Cell width plus padding (2) and the border (1): rich's default box.
        return max([len(self.header), *(len(c) for c in self.cells)]) + 3


def _fitted(columns: list[_Column], width: int) -> list[_Column]:
    """Drop the least important columns until the table fits `width`; names are never cut (they fold instead)."""
    kept = list(columns)
    while len(kept) > 2 and sum(c.width for c in kept) + 1 > width:
        kept.remove(max(kept[1:], key=lambda c: c.priority))
    return kept


def _table(title: str, columns: list[_Column], width: int) -> Table:
    table = Table(title=Text(title), title_justify="left")
    kept = _fitted(columns, width)
    for c in kept:
        if c.numeric:
            table.add_column(c.header, justify="right", no_wrap=True)
        else:
            # A name folds onto the next line when the terminal is too narrow: never an ellipsis.
            table.add_column(c.header, justify="left", overflow="fold")
    for i in range(len(columns[0].cells)):
        table.add_row(*(Text(c.cells[i]) for c in kept))
    return table


def _spend(p: ParticipantUsage, currency: str) -> str:
    spent = _money(p.cost, currency)
    if p.cost_cap is None:
        return spent
    share = "" if p.cost is None else f" ({p.cost / p.cost_cap:.0%})"
    return f"{spent} of {p.cost_cap:,.2f}{share}"


def render_table(report: UsageReport, console: Console, zone: str = "UTC") -> None:
    """Participants by consumption, then per deployment; fits the console's width by dropping columns."""
    from labctl.classroom.usage_times import window_label

    width = console.width
    currency = report.prices.currency
    people = report.participants

    def quota(p: ParticipantUsage) -> str:
        share = _share(p.quota_share)
        if p.quota_share is not None and p.token_quota_period:
            share += f" of {p.token_quota:,}/{p.token_quota_period.lower()}"
        return share

    columns = [
        _Column("participant", [p.participant for p in people], 0, numeric=False),
        _Column("tokens", [f"{p.total_tokens:,}" for p in people], 1),
        _Column("est. cost (of cap)", [_spend(p, currency) for p in people], 2),
        _Column("state", [p.state for p in people], 3, numeric=False),
        _Column("calls", [f"{p.calls:,}" for p in people], 4),
        _Column("403", [str(p.refused_403) for p in people], 5),
        _Column("429", [str(p.refused_429) for p in people], 6),
        _Column("quota used", [quota(p) for p in people], 7),
        _Column("blocked", [str(p.blocked) for p in people], 8),
    ]
    console.print(_table(f"Usage per participant, {window_label(report, zone)}", columns, width))
    lines = report.lines
    if lines:
        detail = [
            _Column("participant", [line.participant for line in lines], 0, numeric=False),
            _Column("deployment", [line.deployment for line in lines], 1, numeric=False),
            _Column("prompt", [f"{line.prompt_tokens:,}" for line in lines], 2),
            _Column("completion", [f"{line.completion_tokens:,}" for line in lines], 3),
            _Column("calls", [f"{line.calls:,}" for line in lines], 4),
            _Column("deployment 429", [str(line.backend_429) for line in lines], 5),
            _Column("model", [line.model or "-" for line in lines], 6, numeric=False),
        ]
        console.print(_table("Per deployment", detail, width))
    console.print(
        Text(
            f"Estimated cost: {_money(report.total_cost, currency)} (prices checked {report.prices.checked}, "
            f"{report.prices.source}; an estimate, not the bill)."
        )
    )
    notes = []
    if report.unpriced_models:
        notes.append(f"no price for {', '.join(report.unpriced_models)}: add it under aoai-lab:prices")
    if any(line.backend_429 for line in report.lines):
        notes.append("'deployment 429' means the model deployment itself was full: raise its capacity")
    notes.append(
        "logs arrive 5-15 minutes after the calls; 'quota used' and the cost are over this window, not the quota "
        "period or the whole class; 403 = quota, cost cap or class window; 429 = tokens per minute"
    )
    for note in notes:
        console.print(Text(f"note: {note}", style="dim"))


def report_rows(report: UsageReport) -> list[dict[str, Any]]:
    return [
        {
            "participant": line.participant,
            "deployment": line.deployment,
            "model": line.model,
            "calls": line.calls,
            "prompt_tokens": line.prompt_tokens,
            "completion_tokens": line.completion_tokens,
            "total_tokens": line.total_tokens,
            "refused_429": line.refused_429,
            "refused_403": line.refused_403,
            "backend_429": line.backend_429,
            "blocked_prompt": line.blocked_prompt,
            "blocked_completion": line.blocked_completion,
            "estimated_cost": None if line.cost is None else round(line.cost, 6),
        }
        for line in report.lines
    ]


def render_csv(report: UsageReport) -> str:
    buffer = io.StringIO()
    writer = formula_safe_dict_writer(buffer, CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in report_rows(report):
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return buffer.getvalue()


def render_json(report: UsageReport) -> str:
    data = {
        "window": {"start": report.start.isoformat(), "end": report.end.isoformat()},
        "partial": report.partial,
        "prices": {
            "currency": report.prices.currency,
            "checked": report.prices.checked,
            "source": report.prices.source,
            "unitTokens": report.prices.unit_tokens,
        },
        "estimatedCost": round(report.total_cost, 6),
        "unpricedModels": report.unpriced_models,
        "participants": [
            {
                "participant": p.participant,
                "state": p.state,
                "calls": p.calls,
                "totalTokens": p.total_tokens,
                "refused429": p.refused_429,
                "refused403": p.refused_403,
                "blocked": p.blocked,
                "tokenQuota": p.token_quota,
                "tokenQuotaPeriod": p.token_quota_period,
                "quotaShare": None if p.quota_share is None else round(p.quota_share, 4),
                "estimatedCost": None if p.cost is None else round(p.cost, 6),
                "costCap": p.cost_cap,
            }
            for p in report.participants
        ],
        "rows": report_rows(report),
    }
    return json.dumps(data, indent=2) + "\n"
