"""The guardrails' normalized view of a stack (`Resource`, `StackView`) and what a rule returns; shared by
`labctl check` and the policy pack, so third-party imports are not allowed here either."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from labctl.snapshot import UNKNOWN

Severity = Literal["mandatory", "advisory"]
Scope = Literal["resource", "stack"]


@dataclass(frozen=True)
class Resource:
    """One resource as every rule sees it, whichever way it was obtained."""

    urn: str
    type: str
    props: Mapping[str, Any]
    parent: str = ""
    dependencies: frozenset[str] = frozenset()

    @property
    def name(self) -> str:
        return self.urn.rsplit("::", 1)[-1]

    def get(self, path: str, default: Any = None) -> Any:
        """Dotted path into the properties; `default` when any step is missing."""
        value: Any = self.props
        for part in path.split("."):
            if not isinstance(value, Mapping) or part not in value:
                return default
            value = value[part]
        return value

    def depends_on(self, other: Resource) -> bool:
        return other.urn in self.dependencies


@dataclass(frozen=True)
class StackView:
    resources: tuple[Resource, ...]
    today: dt.date

    def of_type(self, *types: str) -> list[Resource]:
        return [r for r in self.resources if r.type in types]


@dataclass(frozen=True)
class Finding:
    urn: str
    message: str


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    scope: Scope
    title: str
    rationale: str
    fix: str
    # resource rules: (resource, today) -> problems; stack rules: (view) -> findings.
    check_resource: Callable[[Resource, dt.date], Iterable[str]] | None = field(default=None, repr=False)
    check_stack: Callable[[StackView], Iterable[Finding]] | None = field(default=None, repr=False)

    def findings(self, view: StackView) -> Iterator[Finding]:
        if self.check_resource is not None:
            for resource in view.resources:
                for message in self.check_resource(resource, view.today):
                    yield Finding(resource.urn, message)
        if self.check_stack is not None:
            yield from self.check_stack(view)


@dataclass(frozen=True)
class Violation:
    rule: Rule
    urn: str
    message: str

    @property
    def resource_name(self) -> str:
        return self.urn.rsplit("::", 1)[-1] if self.urn else "(stack)"


def show(value: Any) -> str:
    """A value as the stack file and the provider spell it: false, null, "text"."""
    return json.dumps(value, default=str)


def known(value: Any) -> bool:
    return value is not None and value != UNKNOWN


def from_snapshot(snapshot: Mapping[str, Any]) -> list[Resource]:
    """The normalized view of a `labctl plan --json` snapshot (`pulumi stack export` shape)."""
    return [
        Resource(
            urn=r["urn"],
            type=r["type"],
            props=r.get("inputs") or {},
            parent=r.get("parent", ""),
            dependencies=frozenset(r.get("dependencies") or ()),
        )
        for r in snapshot["deployment"]["resources"]
    ]
