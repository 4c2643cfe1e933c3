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
    ReportFormat,
    StackOption,
)
from labctl.output import emit, emit_json, load_plan_snapshot
from labctl.snapshot import stack_of

if TYPE_CHECKING:
    pass


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
    from labctl.review.revisions import plan_stack_revisions

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
        results = [diff_snapshots(old, new, stack=stack_name, base_label=labels[0], head_label=labels[1])]
    else:
        # Without --stack: every stack whose file exists on either side (a new stack shows all it creates, a
        # deleted stack file all it would destroy), one section each.
        names = [CommandContext.create(stack, project_dir).stack] if stack else None
        results = [
            diff_snapshots(
                sides.base.snapshot,
                sides.head.snapshot,
                stack=sides.stack,
                base_label=sides.base.label,
                head_label=sides.head.label,
                secret_config=secret_config_changes(sides.base.stack_config, sides.head.stack_config),
            )
            for sides in plan_stack_revisions(project_dir, names, base)
        ]
    if fmt is Format.markdown:
        if full_output is not None:
            emit("\n".join(render_markdown(r) for r in results), full_output)
        # The cap is shared: each stack's section gets its part of it.
        share = None if max_chars is None else max(2000, max_chars // len(results) - 2)
        emit(
            "\n".join(render_markdown(r, max_chars=share, full_report_url=full_report_url) for r in results),
            output,
        )
    elif fmt is Format.json:
        import dataclasses

        emit_json([dataclasses.asdict(r) for r in results], output)
    else:
        emit("\n".join(render_text(r) for r in results), output)
    if exit_code and any(r.has_changes for r in results):
        raise typer.Exit(EXIT_PROBLEMS)


def stacks(
    changed_since: Annotated[
        str | None,
        typer.Option(
            "--changed-since",
            help="Only the stacks a change since this revision concerns: their stack file was added or modified, "
            "or the program changed (then every stack). Deleted stack files are reported on stderr, never listed.",
            show_default=False,
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Same as --format json (kept for existing CI).")
    ] = False,
    fmt: Annotated[
        ReportFormat,
        typer.Option(
            "--format", "-f", case_sensitive=False, help="text: one per line; json: a list (CI matrix)."
        ),
    ] = ReportFormat.text,
    output: OutputOption = None,
    project_dir: ProjectDirOption = DEFAULT_PROJECT_DIR,
) -> None:
    """The project's stacks (Pulumi.<stack>.yaml), one per line: what CI loops over instead of a fixed `dev`."""
    import json

    from rich.console import Console

    from labctl.output import print_warning
    from labctl.review.stacks import select_stacks

    # A bad revision or a folder outside git: 2; git itself failing: 4 (the RevisionError carries its code).
    selection = select_stacks(project_dir, changed_since)
    if selection.deleted:
        print_warning(
            Console(stderr=True),
            f"stack file(s) deleted: {', '.join(selection.deleted)}; their stacks are not deployed or destroyed by "
            "this: run `labctl down --stack <name>` to tear one down",
        )
    as_json = as_json or fmt is ReportFormat.json
    emit(
        json.dumps(selection.stacks) + "\n" if as_json else "".join(f"{s}\n" for s in selection.stacks),
        output,
    )
