"""`labctl diff`: what merging would do to Azure, offline (the engine: labctl/review/engine.py)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from labctl.context import CommandContext
from labctl.errors import EXIT_PROBLEMS, UsageError
from labctl.options import (
    DEFAULT_PROJECT_DIR,
    Format,
    FormatOption,
    OutputOption,
    ProjectDirOption,
    StackOption,
)
from labctl.output import emit
from labctl.snapshot import load_plan_snapshot, stack_of

if TYPE_CHECKING:
    from labctl.review.changes import PropertyChange


def diff(
    base: Annotated[
        str | None,
        typer.Option(
            "--base",
            help="Revision to compare with (commit, tag, branch). Default: the merge base of HEAD with "
            "origin/main, else main.",
            show_default=False,
        ),
    ] = None,
    stack: StackOption = None,
    fmt: FormatOption = Format.text,
    exit_code: Annotated[
        bool, typer.Option("--exit-code", help="Exit 1 when there are changes (0 otherwise).")
    ] = False,
    output: OutputOption = None,
    project_dir: ProjectDirOption = DEFAULT_PROJECT_DIR,
    base_snapshot: Annotated[
        Path | None,
        typer.Option(
            "--base-snapshot", help="Compare this `labctl plan --json` file instead of planning --base."
        ),
    ] = None,
    head_snapshot: Annotated[
        Path | None,
        typer.Option(
            "--head-snapshot", help="Compare this `labctl plan --json` file instead of the working tree."
        ),
    ] = None,
    max_chars: Annotated[
        int | None,
        typer.Option(
            "--max-chars",
            min=2000,
            help="Markdown only: keep the report under this many characters (a pull request comment must stay "
            "under 65,536): created resources one line each, then sections left out, with a note.",
            show_default=False,
        ),
    ] = None,
    full_output: Annotated[
        Path | None,
        typer.Option(
            "--full-output", help="With --max-chars: also write the whole, uncapped report to this file."
        ),
    ] = None,
    full_report_url: Annotated[
        str | None,
        typer.Option(
            "--full-report-url",
            help="With --max-chars: where the full report is (e.g. the workflow run), linked from the note.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """What merging would do to Azure: creates, updates, replaces and deletes, by property, offline."""
    from labctl.review.engine import diff_snapshots, secret_config_changes
    from labctl.review.report import render_markdown, render_text
    from labctl.review.revisions import plan_revisions

    if (base_snapshot is None) != (head_snapshot is None):
        raise UsageError("pass both --base-snapshot and --head-snapshot, or neither")
    if fmt is not Format.markdown and (max_chars is not None or full_output or full_report_url):
        raise UsageError("--max-chars, --full-output and --full-report-url go with --format markdown")
    if max_chars is None and (full_output or full_report_url):
        raise UsageError("--full-output and --full-report-url go with --max-chars")
    if base_snapshot is not None and head_snapshot is not None:
        old = load_plan_snapshot(base_snapshot, "--base-snapshot")
        new = load_plan_snapshot(head_snapshot, "--head-snapshot")
        stack_name = stack or stack_of(new) or "?"
        labels = (str(base_snapshot), str(head_snapshot))
        secrets: list[PropertyChange] = []
    else:
        stack_name = CommandContext.create(stack, project_dir).stack
        base_side, head_side = plan_revisions(project_dir, stack_name, base)
        old, new = base_side.snapshot, head_side.snapshot
        labels = (base_side.label, head_side.label)
        secrets = secret_config_changes(base_side.stack_config, head_side.stack_config)
    result = diff_snapshots(
        old, new, stack=stack_name, base_label=labels[0], head_label=labels[1], secret_config=secrets
    )
    if fmt is Format.markdown:
        if full_output is not None:
            emit(render_markdown(result), full_output)
        emit(render_markdown(result, max_chars=max_chars, full_report_url=full_report_url), output)
    else:
        emit(render_text(result), output)
    if exit_code and result.has_changes:
        raise typer.Exit(EXIT_PROBLEMS)
