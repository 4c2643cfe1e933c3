"""Every policy expression of an API Management policy document, checked offline (labctl/guardrails/
csharp_expressions.py): `check_policy_expressions(xml)` for tests and tools, and the `policy-expressions` rule of
`labctl check`.

The rule is `labctl check`'s only, not the policy pack's: it needs tree-sitter and tree-sitter-c-sharp (labctl's
dependencies), while the pack runs the standard-library rules of rules.py in its own small virtualenv
(policy/requirements.txt). The test suite runs the check on every policy the program renders, so a pull request that
breaks an expression fails CI either way.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass

from labctl.guardrails.model import Resource, Rule
from labctl.guardrails.policy_xml import policy_root

_MAX_SHOWN = 160


@dataclass(frozen=True)
class ExpressionProblem:
    policy: str  # which policy document (a resource name, a file)
    where: str  # the element and attribute holding the expression: inbound/choose/when/@condition
    expression: str
    problem: str

    def __str__(self) -> str:
        return f"{self.policy}: {self.where}: {self.problem}; the expression: {shorten(self.expression)}"


def shorten(expression: str) -> str:
    flat = " ".join(expression.split())
    return flat if len(flat) <= _MAX_SHOWN else flat[: _MAX_SHOWN - 3] + "..."


def policy_expressions(root: ET.Element) -> Iterator[tuple[str, str]]:
    """(where, expression) for every attribute value and element text that is a policy expression."""

    def visit(element: ET.Element, path: str) -> Iterator[tuple[str, str]]:
        here = f"{path}/{element.tag}" if path else element.tag
        for name, value in element.attrib.items():
            if value.strip()[:2] in ("@(", "@{"):
                yield f"{here}/@{name}", value
        if element.text and element.text.strip()[:2] in ("@(", "@{"):
            yield f"{here} (text)", element.text
        for child in element:
            yield from visit(child, here)

    # The document element is <policies> (or <fragment>); paths start below it.
    for child in root:
        yield from visit(child, "")


def check_policy_expressions(
    policy_xml: str, policy: str = "policy", fmt: str | None = None
) -> list[ExpressionProblem]:
    """Every problem of every expression in a policy document, `xml` (entities escaped, as Azure returns it and
    the program sends it) or `rawxml`."""
    from labctl.guardrails.csharp_expressions import expression_problems

    try:
        root = policy_root(policy_xml, fmt)
    except ET.ParseError as exc:
        return [ExpressionProblem(policy, "(document)", "", f"the policy is not well-formed XML ({exc})")]
    return [
        ExpressionProblem(policy, where, expression, problem)
        for where, expression in policy_expressions(root)
        for problem in expression_problems(expression)
    ]


def _policy_documents(r: Resource, _today: dt.date) -> Iterator[str]:
    value, fmt = r.get("value"), str(r.get("format") or "")
    if not r.type.startswith("azure-native:apimanagement:") or not isinstance(value, str):
        return
    if fmt.lower() not in ("xml", "rawxml"):
        return  # a link (xml-link, rawxml-link): the document is not in the plan
    for problem in check_policy_expressions(value, r.name, fmt):
        yield f"{problem.where}: {problem.problem}; the expression: {shorten(problem.expression)}"


POLICY_EXPRESSIONS_RULE = Rule(
    id="policy-expressions",
    severity="mandatory",
    scope="resource",
    title="Policy expressions are C# the gateway accepts",
    rationale="API Management checks policy expressions only a little when a policy is saved and runs them at call "
    "time: a syntax error or a type outside the allowed table fails students' calls, not `pulumi up` "
    "(learn.microsoft.com/azure/api-management/api-management-policy-expressions).",
    fix="Fix the expression in the policy's .xml file; labctl/guardrails/policy_expressions.yaml lists the types, "
    "members and context members policy expressions may use, with the page they come from.",
    check_resource=_policy_documents,
)
