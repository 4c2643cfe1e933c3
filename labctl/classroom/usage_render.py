"""`labctl usage` output: a table for people, CSV and JSON for spreadsheets and scripts.

Names, deployments and models come from logs: they are printed as plain text, never as rich markup.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from .usage import UsageReport

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


def render_table(report: UsageReport, console: Console) -> None:
    window = f"{report.start:%Y-%m-%d %H:%M} to {report.end:%Y-%m-%d %H:%M} UTC"
    people = Table(title=Text(f"Usage per participant, {window}"), title_justify="left")
    for column, justify in (
        ("participant", "left"),
        ("state", "left"),
        ("calls", "right"),
        ("tokens", "right"),
        ("429 limit", "right"),
        ("403 quota/window", "right"),
        ("blocked", "right"),
        ("quota used", "right"),
        ("est. cost", "right"),
    ):
        people.add_column(column, justify=justify)  # type: ignore[arg-type]
    currency = report.prices.currency
    for p in report.participants:
        quota = _share(p.quota_share)
        if p.quota_share is not None and p.token_quota_period:
            quota += f" of {p.token_quota:,}/{p.token_quota_period.lower()}"
        people.add_row(
            *(
                Text(str(v))
                for v in (
                    p.participant,
                    p.state,
                    f"{p.calls:,}",
                    f"{p.total_tokens:,}",
                    p.refused_429,
                    p.refused_403,
                    p.blocked,
                    quota,
                    _money(p.cost, currency),
                )
            )
        )
    console.print(people)

    detail = Table(title=Text("Per deployment"), title_justify="left")
    for column in ("participant", "deployment", "model", "calls", "prompt", "completion", "deployment 429"):
        detail.add_column(
            column, justify="left" if column in ("participant", "deployment", "model") else "right"
        )
    for line in report.lines:
        detail.add_row(
            *(
                Text(str(v))
                for v in (
                    line.participant,
                    line.deployment,
                    line.model or "-",
                    f"{line.calls:,}",
                    f"{line.prompt_tokens:,}",
                    f"{line.completion_tokens:,}",
                    line.backend_429,
                )
            )
        )
    if report.lines:
        console.print(detail)
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
        "logs arrive 5-15 minutes after the calls; 'quota used' is over this window, not the quota period"
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
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
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
            }
            for p in report.participants
        ],
        "rows": report_rows(report),
    }
    return json.dumps(data, indent=2) + "\n"
