"""`labctl plan`: render what `pulumi up` would declare, offline (the real program under Pulumi's mock runtime).

This command is also how `labctl diff` plans an older revision (see labctl/cli.py): keep its options and its
imports from stacks/ as they are.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from labctl.context import CommandContext
from labctl.options import (
    DEFAULT_PROJECT_DIR,
    OutputOption,
    ProjectDirOption,
    ReportFormat,
    ReportFormatOption,
    StackOption,
)


def plan(
    stack: StackOption = None,
    json_file: Annotated[
        Path | None,
        typer.Option("--json", help="Write a deterministic snapshot (pulumi stack export shape)."),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only the summary.")] = False,
    project_dir: ProjectDirOption = DEFAULT_PROJECT_DIR,
    fmt: ReportFormatOption = ReportFormat.text,
    output: OutputOption = None,
) -> None:
    """Render what `pulumi up` would declare, offline: the real program under Pulumi's mock runtime."""
    from labctl.errors import ConfigError
    from labctl.plan.render import render_plan
    from labctl.plan.runtime import PlanError, plan_stack

    ctx = CommandContext.create(stack, project_dir)
    try:
        result = plan_stack(ctx.stack, ctx.project_dir)
    except (PlanError, FileNotFoundError) as exc:
        # The program refused the stack's config (or the file is gone): a config error.
        raise ConfigError(str(exc)) from None
    if json_file is not None:
        json_file.parent.mkdir(parents=True, exist_ok=True)
        json_file.write_text(result.to_json(), encoding="utf-8")
    if fmt is ReportFormat.json:
        # The snapshot itself (what --json FILE writes); warnings on stderr.
        from labctl.output import emit, print_warning

        emit(result.to_json(), output)
        for warning in result.warnings:
            print_warning(ctx.err_console, warning)
        return
    if quiet:
        azure = sum(1 for r in result.resources if r["type"].startswith("azure-native:"))
        ctx.console.print(f"{azure} Azure resources would be created for stack {ctx.stack}.")
        for warning in result.warnings:
            ctx.err_console.print(f"warning: {warning}", markup=False, highlight=False)
    else:
        render_plan(result, ctx.console)
    if json_file is not None:
        ctx.console.print(f"Snapshot written to {json_file}", markup=False, highlight=False)
