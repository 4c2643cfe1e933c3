"""Reporting smoke results: the table for people, one JSON row per call for machines. User text (participant and
deployment names from the outputs file, messages from Azure) is never read as markup."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.text import Text

from labctl.lifecycle.smoke_probe import ProbeResult
from labctl.tables import Column, print_table


def result_row(r: ProbeResult) -> dict[str, Any]:
    """One call for `--format json`: keys never appear (codes and messages are scrubbed, callers are names)."""
    return {
        "participant": r.probe.caller,
        "deployment": r.probe.deployment,
        "call": r.probe.kind,
        "ok": r.ok,
        "status": r.status,
        "latencyMs": round(r.latency_s * 1000),
        "tokens": r.tokens,
        "retries": r.retries,
        "region": r.region,
        "cause": r.cause,
        "code": r.code,
        "message": r.message,
        "hint": r.hint,
    }


def render_results(results: list[ProbeResult], console: Console, *, direct: bool) -> None:
    columns = [
        Column("participant"),
        Column("deployment"),
        Column("call", drop_rank=3),
        Column("HTTP", justify="right"),
        Column("latency", justify="right", drop_rank=2),
        Column("tokens", justify="right", drop_rank=1),
        Column("retries", justify="right", drop_rank=0),
        Column("region", drop_rank=4),
        Column("result"),
    ]
    # Participant and deployment names come from the outputs file, causes from Azure: Text, never markup.
    rows = [
        [
            r.probe.caller,
            r.probe.deployment,
            r.probe.kind,
            str(r.status) if r.status is not None else "-",
            f"{r.latency_s * 1000:.0f} ms",
            str(r.tokens) if r.tokens is not None else "-",
            str(r.retries) if r.retries is not None else "-",
            r.region or "-",
            Text("ok", style="green") if r.ok else Text(r.cause or "", style="red"),
        ]
        for r in results
    ]
    title = "labctl smoke: " + ("account, Entra ID" if direct else "through the gateway")
    print_table(console, columns, rows, title=title)
    failed = [r for r in results if not r.ok]
    seen: set[tuple[str | None, str | None]] = set()
    if failed:
        console.print("[bold]Likely causes[/bold]")
    for r in failed:
        if (r.cause, r.probe.deployment) in seen:
            continue
        seen.add((r.cause, r.probe.deployment))
        who = sorted(
            {f.probe.caller for f in failed if (f.cause, f.probe.deployment) == (r.cause, r.probe.deployment)}
        )
        console.print(
            f"- [red]{escape(r.cause or '')}[/red] on [cyan]{escape(r.probe.deployment)}[/cyan] "
            f"for {escape(', '.join(who))}: {escape(r.hint or '')}",
            highlight=False,
        )
        if r.message:
            console.print(f"  [dim]{escape(r.code or '')} {escape(r.message)}[/dim]", highlight=False)
    console.print(
        f"{len(results) - len(failed)}/{len(results)} calls succeeded"
        + (f", [red]{len(failed)} failed[/red]" if failed else "")
    )
