"""`labctl usage`: one query (or a refresh every `--watch` seconds), the report, and its table, CSV, JSON or HTML.

Times are in the class's zone (aoai-lab:timeZone); spend is shown against each participant's costCap.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.text import Text

from labctl.context import CommandContext
from labctl.errors import EXIT_OK, EXIT_PROBLEMS, LabctlError, UsageError
from labctl.output import emit, print_warning

# Between refreshes (a name of its own, so a test can count the waits instead of sleeping through them).
pause = time.sleep


@dataclass(frozen=True)
class UsageOptions:
    since: str = "24h"
    fmt: str = "table"
    output: Path | None = None
    outputs_file: Path | None = None
    workspace: str | None = None
    logs_endpoint: str | None = None
    deadline_s: float = 60.0
    watch_s: float | None = None  # refresh every N seconds until Ctrl+C (table only)
    refreshes: int | None = None  # with --watch: stop after this many (scripts, tests)


@dataclass
class _Source:
    """What every refresh needs: the stack's settings (its participants and their budgets), prices, zone, the
    workspace and a signed-in client."""

    settings: Any  # LabSettings
    prices: Any
    zone: str
    workspace: str
    endpoint: str
    credential: Any


def _source(ctx: CommandContext, options: UsageOptions, credential: Any) -> _Source:
    from labctl.azure import signin
    from labctl.classroom.run import _workspace_from_outputs
    from labctl.classroom.usage import LOGS_ENDPOINTS
    from stacks.facts.prices import PriceError, load_prices

    settings = ctx.settings
    overrides = {model: price.model_dump(exclude_none=True) for model, price in settings.prices.items()}
    try:
        prices = load_prices().with_overrides(overrides)
    except PriceError as exc:
        raise LabctlError(str(exc), 3) from None
    workspace = options.workspace or _workspace_from_outputs(ctx, options.outputs_file)
    endpoint = options.logs_endpoint or LOGS_ENDPOINTS.get(ctx.cloud.name)
    if not endpoint:
        raise LabctlError(
            f"no Log Analytics endpoint known for cloud {ctx.cloud.name}. Fix: pass --logs-endpoint", 2
        )
    return _Source(
        settings=settings,
        prices=prices,
        zone=settings.time_zone or "UTC",
        workspace=workspace,
        endpoint=endpoint,
        credential=signin.SharedTokenCredential(credential or signin.default_credential(ctx.environment)),
    )


def _report(
    source: _Source, options: UsageOptions, *, daily: bool = False
) -> tuple[Any, list[dict[str, Any]]]:
    from labctl.azure.transport import shared_tls_transport
    from labctl.classroom.usage import DAILY_QUERY_FILE, build_report, parse_since, run_usage_query

    end = dt.datetime.now(dt.UTC)
    start = end - parse_since(options.since)
    with shared_tls_transport() as transport:
        kwargs = {
            "credential": source.credential,
            "endpoint": source.endpoint,
            "deadline_s": options.deadline_s,
            "transport": transport,
        }
        answer = run_usage_query(source.workspace, start, end, **kwargs)
        rows = (
            run_usage_query(source.workspace, start, end, query_file=DAILY_QUERY_FILE, **kwargs).rows
            if daily
            else []
        )
    report = build_report(answer, source.settings, source.prices, start, end)
    return report, rows


def run_usage(ctx: CommandContext, options: UsageOptions, *, credential: Any = None) -> int:
    """`credential` is for tests (a fake); otherwise DefaultAzureCredential for the stack's cloud."""
    from labctl.classroom.usage import parse_since
    from labctl.classroom.usage_render import render_csv, render_json, render_table

    parse_since(options.since)  # a bad --since is a usage error before anything else
    if options.fmt == "html" and options.output in (None, Path("-")):
        raise UsageError("the HTML report is a file. Fix: pass --output FILE, e.g. -o report.html")
    if options.watch_s is not None and (options.fmt != "table" or options.output is not None):
        raise UsageError("--watch refreshes the table on the screen. Fix: drop --format/--output, or --watch")
    source = _source(ctx, options, credential)
    if options.watch_s is not None:
        return _watch(ctx, source, options)
    report, rows = _report(source, options, daily=options.fmt == "html")
    if options.fmt == "html":
        from labctl.classroom.usage_html import render_html

        emit(render_html(report, rows, stack=ctx.stack, zone=source.zone), options.output)
        ctx.err_console.print(Text(f"Wrote the usage report of stack {ctx.stack} to {options.output}."))
    elif options.fmt == "table" and options.output is None:
        render_table(report, ctx.console, source.zone)
    elif options.fmt == "table":
        import io

        from rich.console import Console

        buffer = io.StringIO()
        render_table(report, Console(file=buffer, width=160, color_system=None), source.zone)
        emit(buffer.getvalue(), options.output)
    else:
        emit((render_json if options.fmt == "json" else render_csv)(report), options.output)
    if report.partial:
        print_warning(
            ctx.err_console,
            f"the workspace answered only part of the query, so the numbers may be low: {report.partial}. "
            "Fix: a shorter --since",
        )
        return EXIT_PROBLEMS
    return EXIT_OK


def _watch(ctx: CommandContext, source: _Source, options: UsageOptions) -> int:
    """Refresh the table in place every `watch_s` seconds (rich Live) until Ctrl+C or `refreshes` rounds."""
    import io

    from rich.console import Console, Group
    from rich.live import Live

    from labctl.classroom.usage_render import render_table

    assert options.watch_s is not None
    done = 0

    def frame() -> Group:
        report, _ = _report(source, options)
        buffer = io.StringIO()
        render_table(report, Console(file=buffer, width=ctx.console.width, color_system=None), source.zone)
        stamp = dt.datetime.now(dt.UTC).strftime("%H:%M:%S UTC")
        footer = f"refreshed {stamp}; every {options.watch_s:g} s; Ctrl+C to stop"
        return Group(Text(buffer.getvalue().rstrip("\n")), Text(footer, style="dim"))

    try:
        with Live(frame(), console=ctx.console, auto_refresh=False, transient=False) as live:
            done = 1
            while options.refreshes is None or done < options.refreshes:
                pause(options.watch_s)  # Ctrl+C lands here most of the time
                live.update(frame(), refresh=True)
                done += 1
    except KeyboardInterrupt:
        ctx.err_console.print(Text("Stopped watching."))
    return EXIT_OK
