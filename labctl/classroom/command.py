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


class HandoutFormat(StrEnum):
    md = "md"
    html = "html"
    csv = "csv"
    eml = "eml"
    table = "table"
    json = "json"


class HandoutLanguage(StrEnum):
    es = "es"
    en = "en"


def handout(
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            metavar="DIR",
            help="Folder for the handouts (created readable by you only; outside git or git-ignored). Required.",
            show_default=False,
        ),
    ] = None,
    out: Annotated[
        Path | None,
        # The first name of this option, kept so existing scripts keep working; -o/--output as everywhere else.
        typer.Option("--out", hidden=True),
    ] = None,
    stack: StackOption = None,
    fmt: Annotated[
        HandoutFormat | None,
        typer.Option(
            "--format",
            "-f",
            case_sensitive=False,
            help="md (default) or html: one page per student; csv: one row each; eml: one e-mail draft each. "
            "With --send: the report, table (default) or json.",
            show_default=False,
        ),
    ] = None,
    outputs: OutputsOption = None,
    only: Annotated[
        list[str] | None,
        typer.Option(
            "--only",
            metavar="NAME",
            help="Only these participants (name, e-mail or display name; repeat or separate with commas): "
            "late joiners, rotated keys.",
            show_default=False,
        ),
    ] = None,
    lang: Annotated[
        HandoutLanguage | None,
        typer.Option(
            "--lang",
            case_sensitive=False,
            help="The handouts' language (default: aoai-lab:classLanguage).",
            show_default=False,
        ),
    ] = None,
    delimiter: Annotated[
        str | None,
        typer.Option(
            "--delimiter",
            help="The CSV's delimiter: ',' or ';' (default: ';' for a Spanish class, as Spanish-locale Excel "
            "expects, else ',').",
            show_default=False,
        ),
    ] = None,
    preview: Annotated[
        bool,
        typer.Option(
            "--preview",
            help="Before deploying: the handouts from the plan (this stack under the mock runtime, or a "
            "`labctl plan --json` file as --outputs), with placeholder keys.",
        ),
    ] = False,
    sender: Annotated[
        str | None,
        typer.Option(
            "--from",
            metavar="ADDRESS",
            help="The From: of the e-mails (eml drafts, SMTP).",
            show_default=False,
        ),
    ] = None,
    project_dir: ProjectDirOption = DEFAULT_PROJECT_DIR,
) -> None:
    """One private file per participant: endpoint, key, deployments, limits, class window, a Python snippet,
    what the lab's refusals mean, plus a .env; or one e-mail each. Keys go to the files only, never to the
    screen."""
    from labctl.classroom.handout_run import HandoutOptions
    from labctl.classroom.run import run_handout
    from labctl.errors import UsageError

    if output is not None and out is not None and output != out:
        raise UsageError(f"--output {output} and --out {out} name two folders. Fix: give only --output DIR")
    folder = output or out
    if folder is None:
        raise UsageError("no folder for the handouts. Fix: pass --output DIR (-o DIR), e.g. -o handouts/")
    if str(folder) == "-":
        raise UsageError("the handouts are one file per participant, not one report. Fix: pass --output DIR")
    chosen = (fmt or HandoutFormat.md).value
    if chosen in ("table", "json"):
        raise UsageError(
            f"--format {chosen} is the report of --send. Fix: add --send, or use md, html, csv or eml"
        )
    if delimiter is not None and delimiter not in (",", ";"):
        raise UsageError(f"--delimiter {delimiter!r}: the CSV takes ',' or ';'. Fix: --delimiter ';' or ','")
    ctx = CommandContext.create(stack, project_dir)
    options = HandoutOptions(
        out=folder,
        fmt=chosen,
        outputs_file=outputs,
        only=tuple(only or ()),
        lang=lang.value if lang else None,
        delimiter=delimiter,
        preview=preview,
        sender=sender,
    )
    raise typer.Exit(run_handout(ctx, options))


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
