"""How `labctl check` shows violations: a table for a terminal, plain lines for a file, markdown for a PR."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from labctl.guardrails.rules import Violation
from labctl.tables import Column, print_table


def _verdict(stack: str, violations: list[Violation], rule_count: int) -> str:
    mandatory = sum(1 for v in violations if v.rule.severity == "mandatory")
    advisory = len(violations) - mandatory
    if not violations:
        return f"All {rule_count} guardrails pass for stack {stack}."
    return f"{mandatory} mandatory and {advisory} advisory violation(s) for stack {stack}."


def check_table(
    stack: str, violations: list[Violation], rule_count: int, console: Console | None = None
) -> None:
    console = console or Console()
    if violations:
        columns = [Column(h) for h in ("severity", "rule", "resource", "problem", "fix")]
        rows = [
            [
                Text(v.rule.severity, style="red" if v.rule.severity == "mandatory" else "yellow"),
                # Rule ids, resource names and messages carry stack-file text: Text, never markup.
                v.rule.id,
                v.resource_name,
                v.message,
                v.rule.fix,
            ]
            for v in violations
        ]
        print_table(console, columns, rows, title=f"Guardrail violations: stack {stack}", show_lines=True)
    console.print(_verdict(stack, violations, rule_count), highlight=False, markup=False)


def check_plain(stack: str, violations: list[Violation], rule_count: int) -> str:
    lines = [
        f"{v.rule.severity} {v.rule.id} {v.resource_name}: {v.message} Fix: {v.rule.fix}" for v in violations
    ]
    return "\n".join([*lines, _verdict(stack, violations, rule_count)]) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def check_markdown(stack: str, violations: list[Violation], rule_count: int) -> str:
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
