"""`labctl check`: the lab's guardrails (labctl/guardrails/rules.py) over a plan; exit 1 on a mandatory violation."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from labctl.context import CommandContext
from labctl.errors import EXIT_PROBLEMS, ConfigError, UsageError
from labctl.options import (
    DEFAULT_PROJECT_DIR,
    Format,
    FormatOption,
    OutputOption,
    ProjectDirOption,
    StackOption,
)
from labctl.output import emit, emit_json, load_plan_snapshot, print_warning
from labctl.snapshot import stack_of

if TYPE_CHECKING:
    from labctl.guardrails.model import Rule, Violation


SnapshotOption = Annotated[
    Path | None,
    typer.Option("--snapshot", help="Check this `labctl plan --json` file instead of planning the stack."),
]
AvailabilityOption = Annotated[
    Path | None,
    typer.Option(
        "--availability",
        help="A `labctl preflight --save-availability` file: judge the budget by the subscription's offer in it.",
    ),
]
TodayOption = Annotated[
    str | None,
    typer.Option(
        "--today",
        help="Judge expiry as of this date (YYYY-MM-DD). Default: today (UTC).",
        show_default=False,
    ),
]


def check(
    stack: StackOption = None,
    fmt: FormatOption = Format.text,
    output: OutputOption = None,
    project_dir: ProjectDirOption = DEFAULT_PROJECT_DIR,
    snapshot: SnapshotOption = None,
    availability: AvailabilityOption = None,
    today: TodayOption = None,
) -> None:
    """Run the lab's guardrails on the plan; exit 1 on any mandatory violation (the policy pack's rules)."""
    from labctl.guardrails.rules import evaluate, from_snapshot

    try:
        as_of = dt.date.fromisoformat(today) if today else None
    except ValueError:
        raise UsageError(f"--today {today!r} is not a date (YYYY-MM-DD)") from None
    stack_name, data = _plan_data(stack, project_dir, snapshot)
    rules = _rules(stack_name, availability)
    violations = evaluate(from_snapshot(data), today=as_of, rules=rules)
    _emit_check(stack_name, violations, len(rules), fmt, output)
    if any(v.rule.severity == "mandatory" for v in violations):
        raise typer.Exit(EXIT_PROBLEMS)


def _plan_data(stack: str | None, project_dir: Path, snapshot: Path | None) -> tuple[str, dict[str, Any]]:
    """The stack's name and its plan: the --snapshot file, or the stack planned now."""
    from labctl.plan.runtime import PlanError, plan_stack

    if snapshot is not None:
        data = load_plan_snapshot(snapshot)
        return stack or stack_of(data) or "?", data
    ctx = CommandContext.create(stack, project_dir)
    try:
        plan = plan_stack(ctx.stack, ctx.project_dir)
    except (PlanError, FileNotFoundError) as exc:
        raise ConfigError(str(exc)) from None
    for warning in plan.warnings:  # e.g. checks skipped because a value is encrypted
        print_warning(ctx.err_console, warning)
    return ctx.stack, plan.snapshot()


def _rules(stack_name: str, availability: Path | None) -> list[Rule]:
    """The policy pack's rules, and those only labctl can run: policy expressions, the offer's budget, the dev
    stack's examples."""
    from labctl.guardrails.dev_examples import dev_examples_rule
    from labctl.guardrails.policy_expressions import POLICY_EXPRESSIONS_RULE
    from labctl.guardrails.rules import RULES

    # Not in RULES: it needs tree-sitter, which the policy pack's virtualenv does not have (policy_expressions.py).
    rules = [*RULES, POLICY_EXPRESSIONS_RULE]
    if availability is not None:
        rules.append(_budget_offer_rule(availability))
    examples_rule = dev_examples_rule(stack_name)
    if examples_rule is not None:
        rules.append(examples_rule)
    return rules


def _budget_offer_rule(availability: Path) -> Rule:
    from labctl.guardrails.offer import budget_offer_rule, offer_quota_id
    from labctl.preflight.offers.arm_data import load_snapshot

    _, header = load_snapshot(availability)
    quota_id = offer_quota_id(header)
    if quota_id is None:
        raise UsageError(
            f"{availability} records no subscription offer. Fix: save it again with `labctl preflight "
            "--save-availability` (live, not from another snapshot)"
        )
    return budget_offer_rule(quota_id)


def _emit_check(
    stack_name: str, violations: list[Violation], rules: int, fmt: Format, output: Path | None
) -> None:
    from labctl.guardrails.report import check_markdown, check_plain, check_table

    if fmt is Format.json:
        emit_json(
            {
                "stack": stack_name,
                "rules": rules,
                "mandatory": sum(1 for v in violations if v.rule.severity == "mandatory"),
                "violations": [
                    {
                        "rule": v.rule.id,
                        "severity": v.rule.severity,
                        "resource": v.resource_name,
                        "urn": v.urn,
                        "problem": v.message,
                        "fix": v.rule.fix,
                    }
                    for v in violations
                ],
            },
            output,
        )
    elif fmt is Format.markdown:
        emit(check_markdown(stack_name, violations, rules), output)
    elif output is not None:
        emit(check_plain(stack_name, violations, rules), output)
    else:
        check_table(stack_name, violations, rules)
