"""`labctl diff` and `labctl check`: reviewing what a change does to Azure, offline."""

from __future__ import annotations

import datetime as dt
import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from labctl.project import PROJECT_DIR

if TYPE_CHECKING:
    from labctl.review.engine import PropertyChange
    from labctl.guardrails.rules import Violation

# Exit codes: 0 fine, 1 what the user asked to be told (changes with --exit-code, mandatory violations),
# 2 could not tell (git, plan or file errors).
EXIT_ERROR = 2


class Format(StrEnum):
    text = "text"
    markdown = "markdown"


StackOption = Annotated[str, typer.Option("--stack", "-s", help="Stack name: reads Pulumi.<stack>.yaml.")]
ProjectDirOption = Annotated[
    Path, typer.Option("--project-dir", help="Folder holding Pulumi.yaml.", show_default=False)
]
FormatOption = Annotated[
    Format, typer.Option("--format", "-f", help="text for a terminal, markdown for a pull request comment.")
]
OutputOption = Annotated[
    Path | None, typer.Option("--output", "-o", help="Write the report to this file instead of stdout.")
]

_err = Console(stderr=True)


def _fail(message: str) -> typer.Exit:
    _err.print(f"[red]error:[/red] {message}", highlight=False)
    return typer.Exit(EXIT_ERROR)


def _emit(text: str, output: Path | None) -> None:
    # Plain writes, not rich: the report must be byte-for-byte the same on every terminal and in CI.
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")


def _load_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise _fail(f"can't read snapshot {path}: {exc}") from None


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
    stack: StackOption = "dev",
    fmt: FormatOption = Format.text,
    exit_code: Annotated[
        bool, typer.Option("--exit-code", help="Exit 1 when there are changes (0 otherwise).")
    ] = False,
    output: OutputOption = None,
    project_dir: ProjectDirOption = PROJECT_DIR,
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
    from labctl.review.engine import diff_snapshots, render_markdown, render_text, secret_config_changes
    from labctl.review.revisions import RevisionError, plan_revisions

    if (base_snapshot is None) != (head_snapshot is None):
        raise _fail("pass both --base-snapshot and --head-snapshot, or neither")
    if fmt is not Format.markdown and (max_chars is not None or full_output or full_report_url):
        raise _fail("--max-chars, --full-output and --full-report-url go with --format markdown")
    if max_chars is None and (full_output or full_report_url):
        raise _fail("--full-output and --full-report-url go with --max-chars")
    if base_snapshot is not None and head_snapshot is not None:
        old, new = _load_json(base_snapshot), _load_json(head_snapshot)
        labels = (str(base_snapshot), str(head_snapshot))
        secrets: list[PropertyChange] = []
    else:
        try:
            base_side, head_side = plan_revisions(project_dir, stack, base)
        except RevisionError as exc:
            raise _fail(str(exc)) from None
        old, new = base_side.snapshot, head_side.snapshot
        labels = (base_side.label, head_side.label)
        secrets = secret_config_changes(base_side.stack_config, head_side.stack_config)
    result = diff_snapshots(
        old, new, stack=stack, base_label=labels[0], head_label=labels[1], secret_config=secrets
    )
    if fmt is Format.markdown:
        if full_output is not None:
            _emit(render_markdown(result), full_output)
        _emit(render_markdown(result, max_chars=max_chars, full_report_url=full_report_url), output)
    else:
        _emit(render_text(result), output)
    if exit_code and result.has_changes:
        raise typer.Exit(1)


def check(
    stack: StackOption = "dev",
    fmt: FormatOption = Format.text,
    output: OutputOption = None,
    project_dir: ProjectDirOption = PROJECT_DIR,
    snapshot: Annotated[
        Path | None,
        typer.Option(
            "--snapshot", help="Check this `labctl plan --json` file instead of planning the stack."
        ),
    ] = None,
    today: Annotated[
        str | None,
        typer.Option(
            "--today",
            help="Judge expiry as of this date (YYYY-MM-DD). Default: today (UTC).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Run the lab's guardrails on the plan; exit 1 on any mandatory violation (the policy pack's rules)."""
    from labctl.guardrails.rules import RULES, evaluate, from_snapshot
    from labctl.plan.runtime import PlanError, plan_stack

    try:
        as_of = dt.date.fromisoformat(today) if today else None
    except ValueError:
        raise _fail(f"--today {today!r} is not a date (YYYY-MM-DD)") from None
    if snapshot is not None:
        data = _load_json(snapshot)
    else:
        try:
            data = plan_stack(stack, project_dir).snapshot()
        except (PlanError, FileNotFoundError) as exc:
            raise _fail(str(exc)) from None
    violations = evaluate(from_snapshot(data), today=as_of)
    mandatory = [v for v in violations if v.rule.severity == "mandatory"]
    if fmt is Format.markdown:
        _emit(_check_markdown(stack, violations, len(RULES)), output)
    elif output is not None:
        _emit(_check_plain(stack, violations, len(RULES)), output)
    else:
        _check_table(stack, violations, len(RULES))
    if mandatory:
        raise typer.Exit(1)


def _verdict(stack: str, violations: list[Violation], rule_count: int) -> str:
    mandatory = sum(1 for v in violations if v.rule.severity == "mandatory")
    advisory = len(violations) - mandatory
    if not violations:
        return f"All {rule_count} guardrails pass for stack {stack}."
    return f"{mandatory} mandatory and {advisory} advisory violation(s) for stack {stack}."


def _check_table(stack: str, violations: list[Violation], rule_count: int) -> None:
    console = Console()
    if violations:
        table = Table(title=f"Guardrail violations: stack {stack}", show_lines=True)
        for column in ("rule", "severity", "resource", "problem", "fix"):
            table.add_column(column, overflow="fold")
        for v in violations:
            style = "red" if v.rule.severity == "mandatory" else "yellow"
            table.add_row(
                v.rule.id, f"[{style}]{v.rule.severity}[/{style}]", v.resource_name, v.message, v.rule.fix
            )
        console.print(table)
    console.print(_verdict(stack, violations, rule_count), highlight=False, markup=False)


def _check_plain(stack: str, violations: list[Violation], rule_count: int) -> str:
    lines = [
        f"{v.rule.severity} {v.rule.id} {v.resource_name}: {v.message} Fix: {v.rule.fix}" for v in violations
    ]
    return "\n".join([*lines, _verdict(stack, violations, rule_count)]) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _check_markdown(stack: str, violations: list[Violation], rule_count: int) -> str:
    out = [f"### Guardrails for stack `{stack}`", ""]
    if violations:
        out += ["| | rule | resource | problem | fix |", "|---|---|---|---|---|"]
        for v in violations:
            mark = "❌ mandatory" if v.rule.severity == "mandatory" else "⚠️ advisory"
            out.append(
                f"| {mark} | `{v.rule.id}` | `{_cell(v.resource_name)}` | {_cell(v.message)} | {_cell(v.rule.fix)} |"
            )
        out.append("")
    out.append(_verdict(stack, violations, rule_count))
    return "\n".join(out) + "\n"


def register(app: typer.Typer) -> None:
    app.command("diff")(diff)
    app.command("check")(check)
