"""`labctl diff`: what merging would do to Azure, offline (the engine: labctl/review/engine.py)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
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
    from labctl.review.changes import PlanDiff

BaseOption = Annotated[
    str | None,
    typer.Option(
        "--base",
        help="Revision to compare with (commit, tag, branch). Default: the merge base of HEAD with "
        "origin/main, else main.",
        show_default=False,
    ),
]
ExitCodeOption = Annotated[
    bool, typer.Option("--exit-code", help="Exit 1 when there are changes (0 otherwise).")
]
BaseSnapshotOption = Annotated[
    Path | None,
    typer.Option(
        "--base-snapshot", help="Compare this `labctl plan --json` file instead of planning --base."
    ),
]
HeadSnapshotOption = Annotated[
    Path | None,
    typer.Option(
        "--head-snapshot", help="Compare this `labctl plan --json` file instead of the working tree."
    ),
]
MaxCharsOption = Annotated[
    int | None,
    typer.Option(
        "--max-chars",
        min=2000,
        help="Markdown only: keep the report under this many characters (a pull request comment must stay "
        "under 65,536): created resources one line each, then sections left out, with a note.",
        show_default=False,
    ),
]
FullOutputOption = Annotated[
    Path | None,
    typer.Option(
        "--full-output", help="With --max-chars: also write the whole, uncapped report to this file."
    ),
]
FullReportUrlOption = Annotated[
    str | None,
    typer.Option(
        "--full-report-url",
        help="With --max-chars: where the full report is (e.g. the workflow run), linked from the note.",
        show_default=False,
    ),
]


@dataclass(frozen=True)
class _Cap:
    """How a markdown report is kept under a pull request comment's size."""

    max_chars: int | None
    full_output: Path | None
    full_report_url: str | None

    def check(self, fmt: Format) -> None:
        if fmt is not Format.markdown and (
            self.max_chars is not None or self.full_output or self.full_report_url
        ):
            raise UsageError("--max-chars, --full-output and --full-report-url go with --format markdown")
        if self.max_chars is None and (self.full_output or self.full_report_url):
            raise UsageError("--full-output and --full-report-url go with --max-chars")


def diff(
    base: BaseOption = None,
    stack: StackOption = None,
    fmt: FormatOption = Format.text,
    exit_code: ExitCodeOption = False,
    output: OutputOption = None,
    project_dir: ProjectDirOption = DEFAULT_PROJECT_DIR,
    base_snapshot: BaseSnapshotOption = None,
    head_snapshot: HeadSnapshotOption = None,
    max_chars: MaxCharsOption = None,
    full_output: FullOutputOption = None,
    full_report_url: FullReportUrlOption = None,
) -> None:
    """What merging would do to Azure: creates, updates, replaces and deletes, by property, offline."""
    if (base_snapshot is None) != (head_snapshot is None):
        raise UsageError("pass both --base-snapshot and --head-snapshot, or neither")
    cap = _Cap(max_chars, full_output, full_report_url)
    cap.check(fmt)
    if base_snapshot is not None and head_snapshot is not None:
        results = [_diff_snapshot_files(base_snapshot, head_snapshot, stack)]
    else:
        results = _diff_revisions(base, stack, project_dir)
    _emit_diff(results, fmt, output, cap)
    if exit_code and any(r.has_changes for r in results):
        raise typer.Exit(EXIT_PROBLEMS)


def _diff_snapshot_files(base_snapshot: Path, head_snapshot: Path, stack: str | None) -> PlanDiff:
    from labctl.review.engine import diff_snapshots

    old = load_plan_snapshot(base_snapshot, "--base-snapshot")
    new = load_plan_snapshot(head_snapshot, "--head-snapshot")
    stack_name = stack or stack_of(new) or "?"
    return diff_snapshots(
        old, new, stack=stack_name, base_label=str(base_snapshot), head_label=str(head_snapshot)
    )


def _diff_revisions(base: str | None, stack: str | None, project_dir: Path) -> list[PlanDiff]:
    """Without --stack: every stack whose file exists on either side (a new stack shows all it creates, a deleted
    stack file all it would destroy), one section each."""
    from labctl import interrupt_state

    interrupt_state.clean_up_on_interrupt()  # Ctrl+C removes the base's git worktree and the temporary folders
    from labctl.review.engine import diff_snapshots, secret_config_changes
    from labctl.review.revisions import plan_stack_revisions

    names = [CommandContext.create(stack, project_dir).stack] if stack else None
    return [
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


def _emit_diff(results: list[PlanDiff], fmt: Format, output: Path | None, cap: _Cap) -> None:
    from labctl.review.report import render_markdown, render_text

    if fmt is Format.markdown:
        if cap.full_output is not None:
            emit("\n".join(render_markdown(r) for r in results), cap.full_output)
        # The cap is shared: each stack's section gets its part of it.
        share = None if cap.max_chars is None else max(2000, cap.max_chars // len(results) - 2)
        emit(
            "\n".join(
                render_markdown(r, max_chars=share, full_report_url=cap.full_report_url) for r in results
            ),
            output,
        )
    elif fmt is Format.json:
        emit_json([asdict(r) for r in results], output)
    else:
        emit("\n".join(render_text(r) for r in results), output)


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
