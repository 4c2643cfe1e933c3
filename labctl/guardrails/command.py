"""`labctl check`: the lab's guardrails (labctl/guardrails/rules.py) over a plan; exit 1 on a mandatory violation."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

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


def check(
    stack: StackOption = None,
    fmt: FormatOption = Format.text,
    output: OutputOption = None,
    project_dir: ProjectDirOption = DEFAULT_PROJECT_DIR,
    snapshot: Annotated[
        Path | None,
        typer.Option(
            "--snapshot", help="Check this `labctl plan --json` file instead of planning the stack."
        ),
    ] = None,
    availability: Annotated[
        Path | None,
        typer.Option(
            "--availability",
            help="A `labctl preflight --save-availability` file: judge the budget by the subscription's offer in it.",
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
    from labctl.guardrails.report import check_markdown, check_plain, check_table
    from labctl.guardrails.rules import RULES, evaluate, from_snapshot
    from labctl.plan.runtime import PlanError, plan_stack

    try:
        as_of = dt.date.fromisoformat(today) if today else None
    except ValueError:
        raise UsageError(f"--today {today!r} is not a date (YYYY-MM-DD)") from None
    if snapshot is not None:
        data = load_plan_snapshot(snapshot)
        stack_name = stack or stack_of(data) or "?"
    else:
        ctx = CommandContext.create(stack, project_dir)
        stack_name = ctx.stack
        try:
            plan = plan_stack(ctx.stack, ctx.project_dir)
        except (PlanError, FileNotFoundError) as exc:
            raise ConfigError(str(exc)) from None
        for warning in plan.warnings:  # e.g. checks skipped because a value is encrypted
            print_warning(ctx.err_console, warning)
        data = plan.snapshot()
    from labctl.guardrails.policy_expressions import POLICY_EXPRESSIONS_RULE

    # Not in RULES: it needs tree-sitter, which the policy pack's virtualenv does not have (policy_expressions.py).
    rules = [*RULES, POLICY_EXPRESSIONS_RULE]
    if availability is not None:
        from labctl.guardrails.offer import budget_offer_rule, offer_quota_id
        from labctl.preflight.offers.arm_data import load_snapshot

        _, header = load_snapshot(availability)
        quota_id = offer_quota_id(header)
        if quota_id is None:
            raise UsageError(
                f"{availability} records no subscription offer. Fix: save it again with `labctl preflight "
                "--save-availability` (live, not from another snapshot)"
            )
        rules.append(budget_offer_rule(quota_id))
    from labctl.guardrails.dev_examples import dev_examples_rule

    examples_rule = dev_examples_rule(stack_name)
    if examples_rule is not None:
        rules.append(examples_rule)
    violations = evaluate(from_snapshot(data), today=as_of, rules=rules)
    mandatory = [v for v in violations if v.rule.severity == "mandatory"]
    if fmt is Format.json:
        emit_json(
            {
                "stack": stack_name,
                "rules": len(rules),
                "mandatory": len(mandatory),
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
        emit(check_markdown(stack_name, violations, len(rules)), output)
    elif output is not None:
        emit(check_plain(stack_name, violations, len(rules)), output)
    else:
        check_table(stack_name, violations, len(rules))
    if mandatory:
        raise typer.Exit(EXIT_PROBLEMS)
