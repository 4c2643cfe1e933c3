"""`labctl handout --send`: every handout e-mailed from the instructor's own mailbox (Microsoft Graph, or an SMTP
server), one result per message, resumable: the state file beside the handouts (mail_state.py) says who has their
key already, so running the same command again sends only the rest and never a key twice."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.table import Table
from rich.text import Text

from labctl.azure.deadline import Deadline
from labctl.classroom.mail_errors import MailFailure
from labctl.context import CommandContext
from labctl.errors import EXIT_AZURE, EXIT_OK, EXIT_PROBLEMS, UsageError

DEFAULT_TIMEOUT_S = 600.0


@dataclass(frozen=True)
class SendOptions:
    dry_run: bool = False
    report: str = "table"  # or json
    timeout_s: float = DEFAULT_TIMEOUT_S
    smtp_host: str | None = None
    smtp_port: int | None = None
    smtp_user: str | None = None
    graph_client_id: str | None = None
    tenant: str | None = None
    device_code: bool = False
    # For tests: a fake Graph on loopback, a fake credential, the loopback SMTP server's CA.
    graph_url: str | None = None
    credential: Any = None
    ssl_context: Any = None
    session: Any = None

    @property
    def via(self) -> str:
        return "smtp" if self.smtp_host else "graph"


@dataclass(frozen=True)
class Result:
    participant: str
    to: str
    result: str  # sent, already sent, failed, not sent, would send
    message_id: str = ""
    detail: str = ""


def smtp_settings(send: SendOptions, sender: str | None) -> Any:
    from labctl.classroom.mail_smtp import DEFAULT_PORT, PASSWORD_VARIABLE, SmtpSettings

    user = send.smtp_user or os.environ.get("LABCTL_SMTP_USER") or None
    password = os.environ.get(PASSWORD_VARIABLE)
    if user and not password:
        raise UsageError(
            f"--smtp-user {user} needs a password, and it is read from the environment only. Fix: set "
            f"{PASSWORD_VARIABLE} (e.g. `read -s {PASSWORD_VARIABLE}; export {PASSWORD_VARIABLE}`)"
        )
    from_address = sender or os.environ.get("LABCTL_MAIL_FROM") or (user if user and "@" in user else None)
    if not from_address:
        raise UsageError(
            "the e-mails need a sender. Fix: pass --from 'Name <you@uni.es>' (or set LABCTL_MAIL_FROM)"
        )
    return SmtpSettings(str(send.smtp_host), send.smtp_port or DEFAULT_PORT, user, password, from_address)


def make_sender(send: SendOptions, sender: str | None) -> Any:
    if send.via == "smtp":
        from labctl.classroom.mail_smtp import SmtpSender

        return SmtpSender(smtp_settings(send, sender), ssl_context=send.ssl_context)
    from labctl.classroom.mail_graph import GRAPH_CLI_CLIENT_ID, GRAPH_URL, GraphSender, graph_credential

    credential = send.credential
    if credential is None:
        client_id = send.graph_client_id or os.environ.get("LABCTL_GRAPH_CLIENT_ID") or GRAPH_CLI_CLIENT_ID
        credential = graph_credential(client_id, send.tenant, device_code=send.device_code)
    return GraphSender(credential, base_url=send.graph_url or GRAPH_URL, session=send.session)


def send_handouts(ctx: CommandContext, ready: Any, options: Any) -> int:
    from labctl.classroom.handout_mail import mail_content
    from labctl.classroom.mail_state import SendState

    send: SendOptions = options.send
    if ready.info.preview:
        raise UsageError("a preview has placeholder keys: it is never sent. Fix: drop --preview to send")
    state = SendState.load(options.out, ctx.stack)
    pairs = [(s, mail_content(ready.info, s, ready.texts)) for s in ready.students]
    results: list[Result] = []
    todo = []
    for student, content in pairs:
        done = state.already_sent(student.name, student.key)
        if done is not None:
            results.append(
                Result(
                    student.name,
                    content.to_address,
                    "already sent",
                    done.message_id,
                    f"{done.via}, {done.at}",
                )
            )
        else:
            todo.append((student, content))
    if send.dry_run:
        results += [Result(s.name, c.to_address, "would send", detail=send.via) for s, c in todo]
        return _report(ctx, send, results, state.path, dry_run=True)
    deadline = Deadline(send.timeout_s)
    fatal: str | None = None
    sender = make_sender(send, options.sender) if todo else None
    try:
        if sender is not None:
            try:
                sender.open(deadline)
            except MailFailure as exc:
                fatal = str(exc)
        for student, content in todo:
            if fatal is None and deadline.expired():
                fatal = f"the --timeout deadline ({send.timeout_s:g} s) passed"
            if fatal is not None:
                results.append(Result(student.name, content.to_address, "not sent", detail="stopped (below)"))
                continue
            try:
                message_id = sender.send(content, deadline)
            except MailFailure as exc:
                results.append(Result(student.name, content.to_address, "failed", detail=str(exc)))
                if exc.fatal:
                    fatal = str(exc)
                continue
            state.record(
                student.name, to=content.to_address, via=sender.via, message_id=message_id, key=student.key
            )
            results.append(Result(student.name, content.to_address, "sent", message_id))
    finally:
        if sender is not None:
            sender.close()
    return _report(ctx, send, results, state.path, dry_run=False, fatal=fatal)


def _report(
    ctx: CommandContext,
    send: SendOptions,
    results: list[Result],
    state: Path,
    *,
    dry_run: bool,
    fatal: str | None = None,
) -> int:
    counts = {
        k: sum(1 for r in results if r.result == k)
        for k in ("sent", "already sent", "failed", "not sent", "would send")
    }
    if send.report == "json":
        data = {
            "via": send.via,
            "dryRun": dry_run,
            "stateFile": str(state),
            "counts": {k.replace(" ", "_"): v for k, v in counts.items()},
            "results": [
                {
                    "participant": r.participant,
                    "to": r.to,
                    "result": r.result,
                    "messageId": r.message_id,
                    "detail": r.detail,
                }
                for r in results
            ],
        }
        ctx.console.file.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    else:
        table = Table(
            "participant",
            "to",
            "result",
            "detail",
            title=f"E-mails via {send.via}" + (" (dry run)" if dry_run else ""),
        )
        for r in results:
            style = {"sent": "green", "failed": "red", "not sent": "yellow"}.get(r.result, "")
            table.add_row(
                Text(r.participant), Text(r.to), Text(r.result, style=style), Text(r.detail or r.message_id)
            )
        ctx.err_console.print(table)
    if fatal:
        ctx.err_console.print(Text(f"error: {fatal}"), highlight=False)
    summary = ", ".join(f"{v} {k}" for k, v in counts.items() if v)
    ctx.err_console.print(Text(f"{summary}. State: {state} (no keys in it)."), highlight=False)
    if dry_run:
        return EXIT_OK
    if counts["failed"] or counts["not sent"]:
        ctx.err_console.print(
            Text(
                "Not everyone has their key. Fix the cause above, then run the same command again: it sends only "
                "the rest (never a key twice)."
            ),
            highlight=False,
        )
        return EXIT_AZURE if fatal else EXIT_PROBLEMS
    return EXIT_OK
