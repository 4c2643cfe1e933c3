"""`labctl handout`: its options (typer). What it does: labctl/classroom/handout_run.py (files) and mail_run.py
(--send)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from labctl.classroom.command import OutputsOption
from labctl.context import CommandContext
from labctl.errors import UsageError
from labctl.options import DEFAULT_PROJECT_DIR, ProjectDirOption, StackOption


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


# ---- the options (what each means; `handout` below only lists them) ----

OutputDirOption = Annotated[
    Path | None,
    typer.Option(
        "--output",
        "-o",
        metavar="DIR",
        help="Folder for the handouts (created readable by you only; outside git or git-ignored). Required.",
        show_default=False,
    ),
]
# The first name of --output, kept so existing scripts keep working; -o/--output as everywhere else.
LegacyOutOption = Annotated[Path | None, typer.Option("--out", hidden=True)]
HandoutFormatOption = Annotated[
    HandoutFormat | None,
    typer.Option(
        "--format",
        "-f",
        case_sensitive=False,
        help="md (default) or html: one page per student; csv: one row each; eml: one e-mail draft each. "
        "With --send: the report, table (default) or json.",
        show_default=False,
    ),
]
OnlyOption = Annotated[
    list[str] | None,
    typer.Option(
        "--only",
        metavar="NAME",
        help="Only these participants (name, e-mail or display name; repeat or separate with commas): "
        "late joiners, rotated keys.",
        show_default=False,
    ),
]
LangOption = Annotated[
    HandoutLanguage | None,
    typer.Option(
        "--lang",
        case_sensitive=False,
        help="The handouts' language (default: aoai-lab:classLanguage).",
        show_default=False,
    ),
]
CsvDelimiterOption = Annotated[
    str | None,
    typer.Option(
        "--delimiter",
        help="The CSV's delimiter: ',' or ';' (default: ';' for a Spanish class, as Spanish-locale Excel "
        "expects, else ',').",
        show_default=False,
    ),
]
PreviewOption = Annotated[
    bool,
    typer.Option(
        "--preview",
        help="Before deploying: the handouts from the plan (this stack under the mock runtime, or a "
        "`labctl plan --json` file as --outputs), with placeholder keys.",
    ),
]
FromOption = Annotated[
    str | None,
    typer.Option(
        "--from", metavar="ADDRESS", help="The From: of the e-mails (eml drafts, SMTP).", show_default=False
    ),
]

# ---- --send and how it reaches a mailbox ----

SendOption = Annotated[
    bool,
    typer.Option(
        "--send",
        help="E-mail each handout from your own mailbox: Microsoft Graph (your Microsoft 365 sign-in), or an "
        "SMTP server with --smtp-host. Resumable: a second run sends only what the first did not.",
    ),
]
SendDryRunOption = Annotated[
    bool, typer.Option("--dry-run", help="With --send: list the recipients, send nothing.")
]
SmtpHostOption = Annotated[
    str | None,
    typer.Option(
        "--smtp-host",
        envvar="LABCTL_SMTP_HOST",
        help="Send through this SMTP server (STARTTLS).",
        show_default=False,
    ),
]
SmtpPortOption = Annotated[
    int | None,
    typer.Option(
        "--smtp-port", envvar="LABCTL_SMTP_PORT", min=1, max=65535, help="Default 587.", show_default=False
    ),
]
SmtpUserOption = Annotated[
    str | None,
    typer.Option(
        "--smtp-user",
        envvar="LABCTL_SMTP_USER",
        help="SMTP login; its password is read from LABCTL_SMTP_PASSWORD only.",
        show_default=False,
    ),
]
GraphClientIdOption = Annotated[
    str | None,
    typer.Option(
        "--graph-client-id",
        envvar="LABCTL_GRAPH_CLIENT_ID",
        help="The app you sign in to Microsoft Graph with (default: Microsoft Graph Command Line "
        "Tools). README: 'Keys to students'.",
        show_default=False,
    ),
]
TenantOption = Annotated[
    str | None,
    typer.Option(
        "--tenant", help="Your Entra tenant id or domain (default: your home tenant).", show_default=False
    ),
]
DeviceCodeOption = Annotated[
    bool, typer.Option("--device-code", help="Sign in to Graph with a code on another device (no browser).")
]
GraphUrlOption = Annotated[
    str | None,
    typer.Option("--graph-url", help="Microsoft Graph's base URL (a sovereign cloud's).", show_default=False),
]
SendTimeoutOption = Annotated[
    float, typer.Option("--timeout", min=1, max=3600, help="With --send: overall deadline in seconds.")
]


def handout(
    output: OutputDirOption = None,
    out: LegacyOutOption = None,
    stack: StackOption = None,
    fmt: HandoutFormatOption = None,
    outputs: OutputsOption = None,
    only: OnlyOption = None,
    lang: LangOption = None,
    delimiter: CsvDelimiterOption = None,
    preview: PreviewOption = False,
    sender: FromOption = None,
    send: SendOption = False,
    dry_run: SendDryRunOption = False,
    smtp_host: SmtpHostOption = None,
    smtp_port: SmtpPortOption = None,
    smtp_user: SmtpUserOption = None,
    graph_client_id: GraphClientIdOption = None,
    tenant: TenantOption = None,
    device_code: DeviceCodeOption = False,
    graph_url: GraphUrlOption = None,
    timeout: SendTimeoutOption = 600.0,
    project_dir: ProjectDirOption = DEFAULT_PROJECT_DIR,
) -> None:
    """One private file per participant: endpoint, key, deployments, limits, class window, a Python snippet,
    what the lab's refusals mean, plus a .env; or one e-mail each. Keys go to the files only, never to the
    screen."""
    from labctl.classroom.handout_run import HandoutOptions
    from labctl.classroom.run import run_handout

    folder = _folder(output, out)
    chosen = _format(fmt, send=send, preview=preview)
    _check_send_only(
        send, dry_run=dry_run, smtp_host=smtp_host, graph_client_id=graph_client_id, device_code=device_code
    )
    _check_delimiter(delimiter)
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
        send=_send_options(
            send,
            chosen,
            dry_run,
            timeout,
            smtp_host,
            smtp_port,
            smtp_user,
            graph_client_id,
            tenant,
            device_code,
            graph_url,
        ),
    )
    raise typer.Exit(run_handout(ctx, options))


# ---- the command line's own checks (usage errors, before the stack is read) ----


def _folder(output: Path | None, out: Path | None) -> Path:
    if output is not None and out is not None and output != out:
        raise UsageError(f"--output {output} and --out {out} name two folders. Fix: give only --output DIR")
    folder = output or out
    if folder is None:
        raise UsageError("no folder for the handouts. Fix: pass --output DIR (-o DIR), e.g. -o handouts/")
    if str(folder) == "-":
        raise UsageError("the handouts are one file per participant, not one report. Fix: pass --output DIR")
    return folder


def _format(fmt: HandoutFormat | None, *, send: bool, preview: bool) -> str:
    chosen = (fmt or (HandoutFormat.table if send else HandoutFormat.md)).value
    if chosen in ("table", "json") and not send:
        raise UsageError(
            f"--format {chosen} is the report of --send. Fix: add --send, or use md, html, csv or eml"
        )
    if send and chosen not in ("table", "json"):
        raise UsageError(
            f"with --send the handouts go as e-mails (and .eml copies); --format {chosen} is not one. Fix: "
            "--format table or json (the report), or drop --send"
        )
    if send and preview:
        raise UsageError("a preview has placeholder keys: it is never sent. Fix: drop --preview to send")
    return chosen


def _check_send_only(send: bool, **given: object) -> None:
    if any(given.values()) and not send:
        raise UsageError(
            "--dry-run, --smtp-host, --graph-client-id and --device-code go with --send. Fix: add --send"
        )


def _check_delimiter(delimiter: str | None) -> None:
    if delimiter is not None and delimiter not in (",", ";"):
        raise UsageError(f"--delimiter {delimiter!r}: the CSV takes ',' or ';'. Fix: --delimiter ';' or ','")


def _send_options(send: bool, report: str, dry_run: bool, timeout: float, *settings: object) -> object:
    if not send:
        return None
    from labctl.classroom.mail_run import SendOptions

    host, port, user, client_id, tenant, device_code, graph_url = settings
    return SendOptions(
        dry_run=dry_run,
        report=report,
        timeout_s=timeout,
        smtp_host=host,
        smtp_port=port,
        smtp_user=user,  # type: ignore[arg-type]
        graph_client_id=client_id,
        tenant=tenant,
        device_code=bool(device_code),
        graph_url=graph_url,  # type: ignore[arg-type]
    )
