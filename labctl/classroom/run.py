"""What the class commands do, given a CommandContext (labctl/classroom/command.py parses the options).

Each returns an exit code (labctl/errors.py) or raises a LabctlError; user, file and Azure text is printed as
plain text, never as rich markup, and participant keys never reach the terminal.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.text import Text

from labctl.classroom.classfile import ClassFile
from labctl.context import CommandContext
from labctl.errors import EXIT_OK, EXIT_PROBLEMS, LabctlError
from labctl.output import print_warning
from labctl.project import load_stack_settings, stack_file
from labctl.stackfile import StackFileError


def class_file(ctx: CommandContext) -> ClassFile:
    """The stack file, loaded for editing its participants (commands that only read them read `ctx.settings`)."""
    return ClassFile(stack_file(ctx.stack, ctx.project_dir), ctx.identity.project)


def _say(ctx: CommandContext, text: str, style: str | None = None) -> None:
    ctx.console.print(Text(text, style=style or ""), highlight=False)


def warn_if_still_invalid(ctx: CommandContext) -> None:
    """After an edit: an edit works on a stack file that does not validate (that is how a broken entry is fixed),
    but `pulumi up` would refuse the file, so say so rather than leave "apply it with pulumi up" unqualified."""
    from stacks.config.load import ConfigError as SettingsError

    try:
        load_stack_settings(ctx.stack, ctx.project_dir)
    except (SettingsError, StackFileError) as exc:
        problems = getattr(exc, "problems", None) or [str(exc)]
        print_warning(
            ctx.err_console,
            f"{stack_file(ctx.stack, ctx.project_dir).name} still does not validate, so `pulumi up` will refuse "
            f"it until this is fixed: {problems[0]}"
            + (f" (and {len(problems) - 1} more: `labctl plan` lists them)" if len(problems) > 1 else ""),
        )


# ---- roster ----


@dataclass(frozen=True)
class ImportOptions:
    dry_run: bool = False
    replace: bool = False
    yes: bool = False
    skip_invalid: bool = False
    delimiter: str | None = None
    encoding: str | None = None


def run_roster_import(ctx: CommandContext, file: Path, options: ImportOptions) -> int:
    from labctl.classroom.enroll import apply_enrollment, plan_enrollment
    from labctl.classroom.roster import read_roster

    roster = read_roster(
        file, delimiter=options.delimiter, encoding=options.encoding, skip_invalid=options.skip_invalid
    )
    doc = class_file(ctx)
    plan = plan_enrollment(roster, doc.participants(), replace=options.replace)
    for warning in roster.warnings:
        print_warning(ctx.err_console, f"{file.name}: {warning}")
    _say(ctx, f"Stack {ctx.stack} ({ctx.stack_source}), {doc.path.name}, from {file.name}:")
    for line in plan.summary_lines():
        _say(ctx, f"  {line}", {"+": "green", "~": "yellow", "-": "red"}.get(line[:1]))
    _say(
        ctx,
        f"{len(plan.added)} to add, {len(plan.changed)} to change, {len(plan.removed)} to remove, "
        f"{plan.unchanged} unchanged.",
    )
    if roster.skipped:
        print_warning(
            ctx.err_console,
            f"{len(roster.skipped)} problem(s) in {file.name}; those rows are not imported (--skip-invalid):\n"
            + "\n".join(f"  - {p}" for p in roster.skipped),
        )
    if plan.kept:
        names = ", ".join(p["name"] for p in plan.kept)
        print_warning(
            ctx.err_console,
            f"{len(plan.kept)} participant(s) are not in {file.name} and stay: {names}. Pass --replace to remove them",
        )
    if not plan.has_changes:
        _say(ctx, f"Nothing to change in {doc.path.name}.")
        return EXIT_OK
    if options.dry_run:
        _say(ctx, f"Dry run: {doc.path.name} was not changed.")
        return EXIT_OK
    if plan.removed and not options.yes and not _confirm_removal(ctx, plan.removed):
        _say(ctx, f"Nothing written: {doc.path.name} was not changed.")
        return EXIT_PROBLEMS
    apply_enrollment(doc, plan)
    _say(ctx, f"Wrote {doc.path.name}. Next: review the change, `pulumi up --stack {ctx.stack}`, then")
    _say(ctx, f"`labctl handout --stack {ctx.stack} --output handouts/` for the new participants' keys.")
    warn_if_still_invalid(ctx)
    return EXIT_OK


def _confirm_removal(ctx: CommandContext, removed: list[dict[str, Any]]) -> bool:
    """--replace removes people (their keys stop working at the next `pulumi up`): a typed "yes" first."""
    import typer

    names = ", ".join(str(p.get("name")) for p in removed)
    try:
        answer = ctx.prompt(
            f"--replace removes {len(removed)} participant(s): {names}. Their keys stop working at the next "
            "`pulumi up`.\nType yes to remove them (or rerun with --yes), anything else to stop"
        )
    except typer.Abort:  # no terminal to answer from (CI, a closed stdin) or Ctrl+C: nothing removed
        _say(ctx, "No answer. Fix: rerun with --yes to remove them without asking")
        return False
    return str(answer).strip().lower() == "yes"


def run_roster_export(ctx: CommandContext, file: Path | None, delimiter: str = ",") -> int:
    from labctl.classroom.enroll import write_export

    participants = ctx.settings.participants
    text = write_export(file, participants, delimiter)
    if file is None:
        ctx.console.file.write(text)
    else:
        _say(ctx, f"Wrote {len(participants)} participant(s) of stack {ctx.stack} to {file}.")
    return EXIT_OK


# ---- handout ----


def run_handout(ctx: CommandContext, options: Any) -> int:
    """labctl/classroom/handout_run.py (options: HandoutOptions)."""
    from labctl.classroom.handout_run import run_handout as run

    return run(ctx, options)


# ---- usage (labctl/classroom/usage_run.py runs it) ----


def _workspace_from_outputs(ctx: CommandContext, outputs_file: Path | None) -> str:
    from labctl.pulumi_cli import parse_outputs, read_stack_outputs

    # Only the workspace id is needed: no --show-secrets, so no participant's key is read.
    data = read_stack_outputs(ctx.stack, outputs_file, ctx.project_dir, show_secrets=False)
    outputs = parse_outputs(data, need_keys=False)
    if not outputs.workspace_customer_id:
        raise LabctlError(
            f"the outputs of stack {ctx.stack} have no workspaceCustomerId. Fix: pass --workspace <workspace id>",
            4,
        )
    return outputs.workspace_customer_id
