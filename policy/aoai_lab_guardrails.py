"""The policy pack's side of the guardrails: adapt what pulumi-policy passes to labctl's normalized view.

Each rule of labctl/guardrails/rules.py becomes one policy with the rule's id, severity and fix:
- "resource" rules -> ResourceValidationPolicy: `args.props` are the inputs the provider will receive, exactly
  what `labctl plan` snapshots.
- "stack" rules -> StackValidationPolicy: each resource's props are its *outputs*, with parent and dependencies.
  During a preview those are inputs plus unknowns for a resource about to be created, but Azure's state for one
  that exists; during `pulumi up`, Azure's state for all. Azure's state has no input-only names (resourceGroupName,
  serviceName...), has read-only fields (an account's properties.endpoint, provisioningState, capabilities...), and
  returns an API policy in `xml` format with its policy expressions entity-escaped, while the program sends
  `rawxml` with them raw. The rules read only properties present in both shapes, link resources by dependency,
  and parse a policy in either format (labctl.guardrails.policy_xml.policy_root); tests/test_policy_pack.py runs every
  stack rule on both shapes.

pulumi-policy wraps props in proxies that raise UnknownValueError on values a preview can't know yet; the
adapter turns those into labctl's "[unknown]" token so a rule decides for itself what an unknown means.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
    proxy,
)
from pulumi_policy.proxy import UnknownValueError
from pulumi_policy.secret import Secret

# The rules live in the project, not here: the pack and `labctl check` can't drift apart.
_PROJECT = Path(__file__).resolve().parent.parent
if str(_PROJECT) not in sys.path:
    sys.path.insert(0, str(_PROJECT))

from labctl.guardrails.rules import RULES, UNKNOWN, Resource, Rule, StackView  # noqa: E402

PACK_NAME = "aoai-lab-guardrails"
# The engine's sentinels for values a preview can't know yet, one per type.
_UNKNOWN_SENTINELS = frozenset(
    {
        proxy.UNKNOWN_BOOLEAN_VALUE,
        proxy.UNKNOWN_NUMBER_VALUE,
        proxy.UNKNOWN_STRING_VALUE,
        proxy.UNKNOWN_ARRAY_VALUE,
        proxy.UNKNOWN_ASSET_VALUE,
        proxy.UNKNOWN_ARCHIVE_VALUE,
        proxy.UNKNOWN_OBJECT_VALUE,
    }
)


def plain(value: Any) -> Any:
    """pulumi-policy's proxied props -> plain JSON data, unknowns as "[unknown]"."""
    if isinstance(value, Secret):
        return plain(value.value)
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key in value:
            try:
                out[key] = plain(value[key])
            except UnknownValueError:
                out[key] = UNKNOWN
        return out
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        items: list[Any] = []
        for i in range(len(value)):
            try:
                items.append(plain(value[i]))
            except UnknownValueError:
                items.append(UNKNOWN)
        return items
    if isinstance(value, str) and value in _UNKNOWN_SENTINELS:
        return UNKNOWN
    return value


def resource_from_args(args: ResourceValidationArgs) -> Resource:
    return Resource(
        urn=args.urn,
        type=args.resource_type,
        props=plain(args.props),
        parent=(args.opts.parent if args.opts is not None else "") or "",
    )


def resources_from_stack(args: StackValidationArgs) -> list[Resource]:
    resources = []
    for r in args.resources:
        dependencies = {d.urn for d in r.dependencies}
        for deps in (r.property_dependencies or {}).values():
            dependencies.update(d.urn for d in deps)
        resources.append(
            Resource(
                urn=r.urn,
                type=r.resource_type,
                props=plain(r.props),
                parent=r.parent.urn if r.parent is not None else "",
                dependencies=frozenset(dependencies),
            )
        )
    return resources


def _utc_today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def _message(rule: Rule, problem: str) -> str:
    return f"{problem}. Fix: {rule.fix}"


def _resource_validator(rule: Rule, today: Callable[[], dt.date]) -> Callable[..., None]:
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        resource = resource_from_args(args)
        for finding in rule.findings(StackView((resource,), today())):
            report_violation(_message(rule, finding.message), None)

    return validate


def _stack_validator(rule: Rule, today: Callable[[], dt.date]) -> Callable[..., None]:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        view = StackView(tuple(resources_from_stack(args)), today())
        for finding in rule.findings(view):
            report_violation(_message(rule, finding.message), finding.urn)

    return validate


def policies(today: Callable[[], dt.date] = _utc_today) -> list[Policy]:
    """One policy per guardrail rule, enforced at the rule's severity."""
    result: list[Policy] = []
    for rule in RULES:
        mandatory = rule.severity == "mandatory"
        common: dict[str, Any] = {
            "name": rule.id,
            "description": f"{rule.title}. {rule.rationale}",
            "enforcement_level": EnforcementLevel.MANDATORY if mandatory else EnforcementLevel.ADVISORY,
            "severity": Severity.HIGH if mandatory else Severity.LOW,
            "remediation_steps": rule.fix,
        }
        if rule.scope == "resource":
            result.append(ResourceValidationPolicy(validate=_resource_validator(rule, today), **common))
        else:
            result.append(StackValidationPolicy(validate=_stack_validator(rule, today), **common))
    return result
