"""What a diff is made of (property and resource changes, the whole plan diff) and which property changes
re-create a resource (`REPLACE_RULES`, from labctl/resource_types.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from labctl.resource_types import FAMILY_REPLACE, GENERAL_REPLACE, MISSING, RESOURCE_TYPES

_MISSING: Any = MISSING
MISSING_VALUE = MISSING  # a property absent on one side


Op = Literal["create", "update", "replace", "delete"]


ChangeKind = Literal["add", "remove", "update", "reorder"]


@dataclass(frozen=True)
class ReplaceRule:
    """A replace-forcing property of a type (or of every type under a token prefix ending in "*")."""

    type: str
    path: str
    reason: str
    when: Callable[[Any, Any], bool] | None = None


# The one list of replace-forcing properties, in the order they are tried, from labctl/resource_types.py.
REPLACE_RULES: tuple[ReplaceRule, ...] = (
    *(ReplaceRule(prefix + "*", r.path, r.reason, r.when) for prefix, r in GENERAL_REPLACE),
    *(ReplaceRule(t.token, r.path, r.reason, r.when) for t in RESOURCE_TYPES.values() for r in t.replace),
    *(ReplaceRule(prefix + "*", r.path, r.reason, r.when) for prefix, r in FAMILY_REPLACE),
)


def replace_reason(resource_type: str, path: str, old: Any = _MISSING, new: Any = _MISSING) -> str | None:
    """Why changing `path` from `old` to `new` re-creates a resource of this type; None if Azure does it in place."""
    for rule in REPLACE_RULES:
        if not _type_matches(rule.type, resource_type):
            continue
        matches = rule.path == "*" or path == rule.path or path.startswith((rule.path + ".", rule.path + "["))
        if matches and (rule.when is None or rule.when(old, new)):
            return rule.reason
    return None


def _type_matches(pattern: str, resource_type: str) -> bool:
    if pattern.endswith("*"):
        return resource_type.startswith(pattern[:-1])
    return pattern == resource_type


@dataclass(frozen=True)
class PropertyChange:
    path: str
    kind: ChangeKind
    old: Any = _MISSING
    new: Any = _MISSING
    secret: bool = False
    replace_reason: str | None = None
    # Unified diff lines, for multi-line text (XML compared as canonical XML).
    text_diff: tuple[str, ...] = ()
    note: str = ""
    # The whole text of a new multi-line value (a created resource's policy or query), and its language.
    text_block: tuple[str, ...] = ()
    text_lang: str = ""


@dataclass(frozen=True)
class ResourceChange:
    op: Op
    urn: str
    type: str
    properties: tuple[PropertyChange, ...] = ()
    # Why a resource is replaced although none of its own changes force it: a resource it lives under (or
    # whose identity it uses) is replaced, and Azure deletes it with that resource.
    causes: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.urn.rsplit("::", 1)[-1]

    @property
    def reasons(self) -> tuple[str, ...]:
        """Every reason for a replace: the properties' and the cascade's, each once, in a stable order."""
        own = sorted({c.replace_reason for c in self.properties if c.replace_reason})
        return (*own, *self.causes)


@dataclass
class PlanDiff:
    stack: str
    base_label: str
    head_label: str
    resources: list[ResourceChange] = field(default_factory=list)
    outputs: list[PropertyChange] = field(default_factory=list)
    secret_config: list[PropertyChange] = field(default_factory=list)

    def count(self, op: Op) -> int:
        return sum(1 for r in self.resources if r.op == op)

    @property
    def has_changes(self) -> bool:
        return bool(self.resources or self.outputs or self.secret_config)

    def summary(self) -> str:
        return (
            f"+ {self.count('create')} to create, ~ {self.count('update')} to update, "
            f"+- {self.count('replace')} to replace, - {self.count('delete')} to delete"
        )
