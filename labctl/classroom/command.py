"""The class commands: `labctl roster import|export`, `labctl handout`, `labctl participant suspend|resume|rotate`,
`labctl class pause|resume`, `labctl usage`. Each typer function builds the CommandContext and hands over to labctl/classroom/run.py, which
imports the implementation (the planner contract: nothing from stacks/ at import time)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from labctl.context import CommandContext
from labctl.options import (
    DEFAULT_PROJECT_DIR,
    ArmEndpointOption,
    OutputOption,
    ProjectDirOption,
    StackOption,
)

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
    help="Suspend, resume or rotate participants' keys: edits Pulumi.<stack>.yaml; `pulumi up` applies it, or "
    "--now changes the gateway at once.",
    no_args_is_help=True,
)


DelimiterOption = Annotated[
    str | None,
    typer.Option(
        "--delimiter",
        "-d",
        help="The CSV separator: ',', ';' (Excel in Spanish and most European locales), 'tab' or '|'. "
        "Import default: the one that makes the header a header.",
        show_default=False,
    ),
]


@roster_app.command("import")
def roster_import(
    file: Annotated[
        Path,
        typer.Argument(help="The class list: CSV (UTF-8 or Excel's CSV; ',' or ';') or an Excel .xlsx."),
    ],
    stack: StackOption = None,
    dry_run: DryRunOption = False,
    replace: Annotated[
        bool,
        typer.Option("--replace", help="Remove participants who are not in the file (their keys go too)."),
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="With --replace: remove without asking.")] = False,
    skip_invalid: Annotated[
        bool,
        typer.Option(
            "--skip-invalid", help="Import the valid rows; list the others (default: import nothing)."
        ),
    ] = False,
    delimiter: DelimiterOption = None,
    encoding: Annotated[
        str | None,
        typer.Option(
            "--encoding",
            help="The CSV's encoding (utf-8, cp1252, latin-1...). Default: UTF-8, UTF-16 or Windows-1252, "
            "recognised.",
            show_default=False,
        ),
    ] = None,
    project_dir: ProjectDirOption = DEFAULT_PROJECT_DIR,
) -> None:
    """Add and update participants from a class list (name/nombre, email/correo, optional token limits)."""
    from labctl.classroom.run import ImportOptions, run_roster_import

    ctx = CommandContext.create(stack, project_dir)
    options = ImportOptions(
        dry_run=dry_run,
        replace=replace,
        yes=yes,
        skip_invalid=skip_invalid,
        delimiter=delimiter,
        encoding=encoding,
    )
    raise typer.Exit(run_roster_import(ctx, file, options))


@roster_app.command("export")
def roster_export(
    file: Annotated[
        Path | None, typer.Argument(help="Write the CSV here (default: standard output).")
    ] = None,
    stack: StackOption = None,
    delimiter: DelimiterOption = None,
    project_dir: ProjectDirOption = DEFAULT_PROJECT_DIR,
) -> None:
    """Write the stack's participants as a CSV that `roster import` reads back (`-d ';'` for Excel in Spanish)."""
    from labctl.classroom.roster_files import parse_delimiter
    from labctl.classroom.run import run_roster_export

    ctx = CommandContext.create(stack, project_dir)
    raise typer.Exit(run_roster_export(ctx, file, parse_delimiter(delimiter or ",")))


NowOption = Annotated[
    bool,
    typer.Option(
        "--now",
        help="Change the gateway through Resource Manager at once (seconds), then record the same state in "
        "Pulumi.<stack>.yaml so the next `pulumi up` agrees. Needs an Azure sign-in.",
    ),
]
SubscriptionOption = Annotated[
    str | None,
    typer.Option(
        "--subscription",
        help="With --now: the lab's subscription id. Default: AZURE_SUBSCRIPTION_ID, else az's.",
    ),
]
NowTimeoutOption = Annotated[
    float,
    typer.Option("--timeout", min=1, max=600, help="With --now: overall deadline in seconds for Azure."),
]


def _now_options(
    now: bool,
    dry_run: bool,
    outputs: Path | None,
    subscription: str | None,
    arm_endpoint: str | None,
    timeout: float,
) -> Any:
    """What the participant and class commands share: --dry-run, and --now with where and how long."""
    from labctl.classroom.control import NowOptions

    return NowOptions(
        now=now,
        dry_run=dry_run,
        outputs_file=outputs,
        subscription=subscription,
        arm_endpoint=arm_endpoint,
        timeout=timeout,
    )


def _participant(action: str):
    def command(
        names: Annotated[
            list[str],
            typer.Argument(
                help="Participants: name (as in Pulumi.<stack>.yaml), e-mail or display name; several at once.",
                metavar="NAME...",
            ),
        ],
        stack: StackOption = None,
        dry_run: DryRunOption = False,
        now: NowOption = False,
        outputs: OutputsOption = None,
        subscription: SubscriptionOption = None,
        arm_endpoint: ArmEndpointOption = None,
        timeout: NowTimeoutOption = 60.0,
        project_dir: ProjectDirOption = DEFAULT_PROJECT_DIR,
    ) -> None:
        from labctl.classroom.control import run_participants

        ctx = CommandContext.create(stack, project_dir)
        options = _now_options(now, dry_run, outputs, subscription, arm_endpoint, timeout)
        raise typer.Exit(run_participants(ctx, names, action, options))

    command.__doc__ = {
        "suspend": "Suspend the participants' keys (state: suspended); --now does it on the gateway in seconds.",
        "resume": "Make suspended participants' keys work again; --now does it on the gateway in seconds.",
        "rotate": "Give the participants new keys (rotation: N+1); `pulumi up` generates them.",
    }[action]
    return command


for _action in ("suspend", "resume", "rotate"):
    participant_app.command(_action)(_participant(_action))


class_app = typer.Typer(
    help="Pause or resume the whole class: every participant key gets 503 'class paused' while paused.",
    no_args_is_help=True,
)


def _class(action: str):
    def command(
        stack: StackOption = None,
        dry_run: DryRunOption = False,
        now: NowOption = False,
        outputs: OutputsOption = None,
        subscription: SubscriptionOption = None,
        arm_endpoint: ArmEndpointOption = None,
        timeout: NowTimeoutOption = 60.0,
        project_dir: ProjectDirOption = DEFAULT_PROJECT_DIR,
    ) -> None:
        from labctl.classroom.control import run_class

        ctx = CommandContext.create(stack, project_dir)
        options = _now_options(now, dry_run, outputs, subscription, arm_endpoint, timeout)
        raise typer.Exit(run_class(ctx, action, options))

    command.__doc__ = {
        "pause": "Pause the class (aoai-lab:classPaused: true); --now sets the gateway's class-paused named value.",
        "resume": "Resume the class (removes aoai-lab:classPaused); --now sets the named value back to false.",
    }[action]
    return command


for _action in ("pause", "resume"):
    class_app.command(_action)(_class(_action))


class UsageFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    html = "html"


def usage(
    stack: StackOption = None,
    since: Annotated[str, typer.Option("--since", help="How far back: 90m, 24h, 7d, 2w.")] = "24h",
    fmt: Annotated[
        UsageFormat,
        typer.Option(
            "--format",
            "-f",
            case_sensitive=False,
            help="table, csv, json, or html (the after-class report with a chart per participant; needs -o FILE).",
        ),
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
    watch: Annotated[
        float | None,
        typer.Option(
            "--watch",
            min=5,
            metavar="SECONDS",
            help="Refresh the table every SECONDS (at least 5) until Ctrl+C; each refresh is one query.",
            show_default=False,
        ),
    ] = None,
    refreshes: Annotated[
        int | None,
        typer.Option(
            "--refreshes", min=1, help="With --watch: stop after this many tables.", show_default=False
        ),
    ] = None,
    project_dir: ProjectDirOption = DEFAULT_PROJECT_DIR,
) -> None:
    """Tokens, calls, 429s/403s and content-filter blocks per participant (biggest consumers first) and deployment,
    the share of each quota used and an estimated cost against each cost cap, from the lab's Log Analytics workspace
    (Entra ID; needs Log Analytics Reader). Times in the class's time zone."""
    from labctl.classroom.usage_run import UsageOptions, run_usage

    ctx = CommandContext.create(stack, project_dir)
    options = UsageOptions(
        since=since,
        fmt=fmt.value,
        output=output,
        outputs_file=outputs,
        workspace=workspace,
        logs_endpoint=logs_endpoint,
        deadline_s=timeout,
        watch_s=watch,
        refreshes=refreshes,
    )
    raise typer.Exit(run_usage(ctx, options))
