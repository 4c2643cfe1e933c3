"""`labctl handout`, given a CommandContext and its options: which outputs, which participants, which language,
the guards, then the files (and, with --send, the e-mails: mail_run.py)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from labctl.classroom.handout import ClassInfo, Student
from labctl.classroom.i18n import Texts
from labctl.context import CommandContext
from labctl.errors import EXIT_OK, EXIT_PROBLEMS, LabctlError, UsageError
from labctl.project import stack_file

if TYPE_CHECKING:
    from stacks.config.sections import LabSettings


@dataclass(frozen=True)
class HandoutOptions:
    out: Path
    fmt: str = "md"
    outputs_file: Path | None = None
    only: tuple[str, ...] = ()
    lang: str | None = None
    delimiter: str | None = None
    preview: bool = False
    sender: str | None = None
    send: Any = None  # mail_run.SendOptions when --send


@dataclass
class Prepared:
    """Everything the files and the e-mails need, checked."""

    info: ClassInfo
    students: list[Student]
    texts: Texts
    delimiter: str
    missing: list[str] = field(default_factory=list)
    suspended: list[str] = field(default_factory=list)


def _texts(settings: LabSettings, lang: str | None) -> Texts:
    from labctl.classroom.i18n import texts

    code = (lang or settings.class_language).strip().lower()
    try:
        return texts(code)
    except LookupError as exc:
        where = "--lang" if lang else "aoai-lab:classLanguage"
        raise UsageError(f"{where}: {exc}") from None


def _outputs(ctx: CommandContext, options: HandoutOptions) -> tuple[Mapping[str, Any], bool]:
    """(the outputs, True when they come from a plan: a preview). A plan snapshot given as --outputs without
    --preview is refused (handout_guard); --preview without --outputs plans the stack here (mock runtime)."""
    from labctl.classroom.handout_guard import refuse_plan_snapshot
    from labctl.pulumi_cli import read_stack_outputs
    from labctl.snapshot import STACK_TYPE, resources, stack_of

    if options.preview and options.outputs_file is None:
        from labctl.errors import ConfigError
        from labctl.plan.runtime import PlanError, plan_stack

        try:
            return plan_stack(ctx.stack, ctx.project_dir).outputs, True
        except (PlanError, FileNotFoundError) as exc:
            raise ConfigError(str(exc)) from None
    raw = read_stack_outputs(ctx.stack, options.outputs_file, ctx.project_dir)
    if refuse_plan_snapshot(raw, str(options.outputs_file), preview=options.preview):
        planned = stack_of(raw)
        if planned and planned != ctx.stack:
            raise UsageError(
                f"{options.outputs_file} is the plan of stack {planned}, not of stack {ctx.stack}. Fix: "
                f"`labctl plan --stack {ctx.stack} --json FILE`, or pass --stack {planned}"
            )
        stack = next(r for r in resources(raw) if r.get("type") == STACK_TYPE)
        return dict(stack.get("outputs") or {}), True
    return raw, options.preview


def prepare(ctx: CommandContext, options: HandoutOptions) -> Prepared:
    from labctl.classroom.handout import class_info, students_from
    from labctl.classroom.handout_guard import refuse_other_stack
    from labctl.classroom.handout_select import select
    from labctl.pulumi_cli import parse_outputs

    settings = ctx.settings
    tx = _texts(settings, options.lang)
    data, preview = _outputs(ctx, options)
    if preview:
        data = {k: v for k, v in data.items() if k != "participantKeys"}
    outputs = parse_outputs(dict(data), need_keys=not preview)
    lab = settings.name
    refuse_other_stack(outputs.stack, outputs.lab_name, ctx.stack, lab)
    # The participants as the program deploys them (validated and normalised once, by stacks/config).
    participants = list(settings.participants)
    if options.only:
        participants = select(participants, options.only, stack_file(ctx.stack, ctx.project_dir).name)
    keys = {p.name: tx.t("preview_key") for p in participants} if preview else outputs.participant_keys
    students, missing = students_from(participants, keys, settings.limits_of)
    starts_on = settings.starts_on
    info = class_info(outputs, starts_on=starts_on.isoformat() if starts_on else None)
    if info.ends_on is None:
        # Outputs of an older deployment: the stack file says when the class ends.
        info = dataclasses.replace(info, ends_on=settings.expires_on.isoformat())
    info = dataclasses.replace(
        info, time_zone=settings.time_zone, lab=outputs.lab_name or lab, preview=preview
    )
    if not students:
        raise LabctlError(
            f"no participant of stack {ctx.stack} has a key in the outputs. Fix: add participants "
            f"(`labctl roster import`) and run `pulumi up --stack {ctx.stack}`",
            EXIT_PROBLEMS,
        )
    delimiter = options.delimiter or (";" if tx.code == "es" else ",")
    suspended = [p.name for p in participants if p.state == "suspended" and p.name not in missing]
    return Prepared(info, students, tx, delimiter, missing, suspended)


def file_names(students: list[Student], fmt: str) -> list[str]:
    from labctl.classroom.handout_files import CSV_NAME

    names = [f"{s.name}.env" for s in students]
    if fmt in ("md", "html", "eml"):
        names += [f"{s.name}.{fmt}" for s in students]
    if fmt == "csv":
        names.append(CSV_NAME)
    return names


def _say_err(ctx: CommandContext, text: str) -> None:
    from rich.text import Text

    ctx.err_console.print(Text(text), highlight=False)


def run_handout(ctx: CommandContext, options: HandoutOptions) -> int:
    from labctl.classroom.handout_files import WriteOptions, write_handouts
    from labctl.classroom.handout_guard import refuse_tracked_folder
    from labctl.classroom.run import _say
    from labctl.output import print_warning

    ready = prepare(ctx, options)
    fmt = "eml" if options.send is not None else options.fmt
    if not ready.info.preview:
        refuse_tracked_folder(options.out, file_names(ready.students, fmt))
    written = write_handouts(
        options.out,
        ready.info,
        ready.students,
        WriteOptions(fmt=fmt, texts=ready.texts, delimiter=ready.delimiter, sender=options.sender),
    )
    what = {"csv": "one CSV row each", "eml": "one e-mail draft (.eml) each"}.get(fmt, f"one {fmt} page each")
    kind = "preview handouts (placeholder keys)" if ready.info.preview else "handouts"
    # With --send, stdout is the report (JSON with --format json): what was written goes to stderr.
    say = _say if options.send is None else _say_err
    say(
        ctx,
        f"Wrote {kind} for {len(ready.students)} participant(s) of stack {ctx.stack} to {options.out} "
        f"({ready.texts.t('language')}): {what}, plus a .env.",
    )
    code = EXIT_OK
    if options.send is not None:
        from labctl.classroom.mail_run import send_handouts

        code = send_handouts(ctx, ready, options)
    else:
        _say(
            ctx,
            f"{len(written)} files, readable by you only. Send each to its student, then delete the folder.",
        )
    if ready.suspended:
        print_warning(
            ctx.err_console, f"suspended (their keys are refused until resumed): {', '.join(ready.suspended)}"
        )
    if ready.missing and not ready.info.preview:
        print_warning(
            ctx.err_console,
            f"no key in the outputs yet for {', '.join(ready.missing)} (added since the last `pulumi up`?): no "
            f"handout. Fix: `pulumi up --stack {ctx.stack}`, then `labctl handout --only "
            f"{' '.join(ready.missing)}`",
        )
        return EXIT_PROBLEMS
    return code
