"""The class commands: `labctl roster import|export`, `labctl handout`, `labctl participant suspend|resume|rotate`,
`labctl usage`. Each typer function builds the CommandContext and hands over to labctl/classroom/run.py, which
imports the implementation (the planner contract: nothing from stacks/ at import time)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from labctl.context import CommandContext
from labctl.options import DEFAULT_PROJECT_DIR, OutputOption, ProjectDirOption, StackOption

OutputsOption = Annotated[
    Path | None,
    typer.Option(
        "--outputs",
        help="Read the stack outputs from this file (`pulumi stack output --json --show-secrets > FILE`) instead "
        "of the Pulumi CLI.",
        show_default=False,
    ),
]
DryRunOption = Annotated[bool, typer.Option("--dry-run", help="Show what would change; write nothing.")]

roster_app = typer.Typer(
    help="The class list: import a spreadsheet's CSV into Pulumi.<stack>.yaml, export it back.",
    no_args_is_help=True,
)
participant_app = typer.Typer(
    help="Suspend, resume or rotate one participant's key: edits Pulumi.<stack>.yaml; `pulumi up` applies it.",
    no_args_is_help=True,
)


@roster_app.command("import")
def roster_import(
    file: Annotated[Path, typer.Argument(help="The class list as CSV (UTF-8 or Excel's CSV; ',' or ';').")],
    stack: StackOption = None,
    dry_run: DryRunOption = False,
    replace: Annotated[
        bool,
        typer.Option("--replace", help="Remove participants who are not in the file (their keys go too)."),
    ] = False,
    project_dir: ProjectDirOption = DEFAULT_PROJECT_DIR,
) -> None:
    """Add and update participants from a class list (name/nombre, email/correo, optional token limits)."""
    from labctl.classroom.run import run_roster_import

    ctx = CommandContext.create(stack, project_dir)
    raise typer.Exit(run_roster_import(ctx, file, dry_run=dry_run, replace=replace))


@roster_app.command("export")
def roster_export(
    file: Annotated[
        Path | None, typer.Argument(help="Write the CSV here (default: standard output).")
    ] = None,
    stack: StackOption = None,
    project_dir: ProjectDirOption = DEFAULT_PROJECT_DIR,
) -> None:
    """Write the stack's participants as a CSV that `roster import` reads back."""
    from labctl.classroom.run import run_roster_export

    ctx = CommandContext.create(stack, project_dir)
    raise typer.Exit(run_roster_export(ctx, file))


def _participant(action: str):
    def command(
        name: Annotated[str, typer.Argument(help="The participant's name (as in Pulumi.<stack>.yaml).")],
        stack: StackOption = None,
        dry_run: DryRunOption = False,
        project_dir: ProjectDirOption = DEFAULT_PROJECT_DIR,
    ) -> None:
        from labctl.classroom.run import run_participant

        ctx = CommandContext.create(stack, project_dir)
        raise typer.Exit(run_participant(ctx, name, action, dry_run=dry_run))

    command.__doc__ = {
        "suspend": "Suspend the participant's key (state: suspended).",
        "resume": "Make a suspended participant's key work again.",
        "rotate": "Give the participant a new key (rotation: N+1).",
    }[action]
    return command


for _action in ("suspend", "resume", "rotate"):
    participant_app.command(_action)(_participant(_action))


class UsageFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


def usage(
    stack: StackOption = None,
    since: Annotated[str, typer.Option("--since", help="How far back: 90m, 24h, 7d, 2w.")] = "24h",
    fmt: Annotated[
        UsageFormat, typer.Option("--format", "-f", case_sensitive=False, help="table, csv or json.")
    ] = UsageFormat.table,
    output: OutputOption = None,
    outputs: OutputsOption = None,
    workspace: Annotated[
        str | None,
        typer.Option(
            "--workspace",
            help="Log Analytics workspace id (GUID). Default: the stack outputs' workspaceCustomerId.",
        ),
    ] = None,
    logs_endpoint: Annotated[
        str | None,
        typer.Option("--logs-endpoint", help="Log Analytics query endpoint (default: the stack's cloud's)."),
    ] = None,
    timeout: Annotated[
        float, typer.Option("--timeout", min=1, max=600, help="Overall deadline in seconds.")
    ] = 60.0,
    project_dir: ProjectDirOption = DEFAULT_PROJECT_DIR,
) -> None:
    """Tokens, calls, 429s/403s and content-filter blocks per participant and deployment, the share of each quota
    used and an estimated cost, from the lab's Log Analytics workspace (Entra ID; needs Log Analytics Reader)."""
    from labctl.classroom.run import UsageOptions, run_usage

    ctx = CommandContext.create(stack, project_dir)
    options = UsageOptions(
        since=since,
        fmt=fmt.value,
        output=output,
        outputs_file=outputs,
        workspace=workspace,
        logs_endpoint=logs_endpoint,
        deadline_s=timeout,
    )
    raise typer.Exit(run_usage(ctx, options))
