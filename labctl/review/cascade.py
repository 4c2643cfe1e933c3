"""Replacements that cascade: a resource Azure deletes with a replaced parent (or whose inputs name it) is
replaced too, even with unchanged inputs. Names, parents and ARM collections come from labctl/resource_types.py."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from labctl.resource_types import RESOURCE_TYPES
from labctl.review.changes import ResourceChange
from labctl.snapshot import PLACEHOLDERS
from labctl.type_tokens import ROLE_ASSIGNMENT

# From the records (labctl/resource_types.py): each type's own name input (a product-API link has none: its
# apiId names its API), the inputs that place a resource under or on another one with the types they name ("*":
# any ARM id; when that one is replaced, Azure deletes this one with it), and each type's ARM id collection.
NAME_INPUTS: dict[str, str] = {t.token: t.name_input for t in RESOURCE_TYPES.values() if t.own_name}


PARENT_INPUTS: dict[str, tuple[str, ...]] = {
    key: tuple(t.token for t in RESOURCE_TYPES.values() if t.own_name and t.name_input == key) or ("*",)
    for key in dict.fromkeys(p for t in RESOURCE_TYPES.values() for p in t.parents)
}


ARM_COLLECTIONS: dict[str, str] = {t.token: t.collection for t in RESOURCE_TYPES.values()}


_PLACEHOLDERS = PLACEHOLDERS


def _names(resource: Mapping[str, Any] | None) -> set[str]:
    """A resource's Azure name, case-folded as ARM compares names; empty for types without one."""
    key = NAME_INPUTS.get(resource["type"]) if resource else None
    value = (resource.get("inputs") or {}).get(key) if resource and key else None
    if isinstance(value, str) and value and value not in _PLACEHOLDERS:
        return {value.rstrip("/").rsplit("/", 1)[-1].casefold()}
    return set()


def _refers_to(key: str, value: Any, resource_type: str, names: set[str]) -> bool:
    """Whether input `key`'s value names a resource of this type called one of `names`: a bare name in an input
    meant for that type, or the type's `<collection>/<name>` pair inside an ARM id."""
    if not names or not isinstance(value, str) or value in _PLACEHOLDERS:
        return False
    segments = [part.casefold() for part in value.split("/") if part]
    if len(segments) == 1:
        return resource_type in PARENT_INPUTS[key] and segments[0] in names
    collection = ARM_COLLECTIONS.get(resource_type, "").casefold()
    return any(segments[i] == collection and segments[i + 1] in names for i in range(len(segments) - 1))


def _system_identity(resource: Mapping[str, Any] | None) -> bool:
    identity = (resource or {}).get("inputs", {}).get("identity")
    kind = identity.get("type") if isinstance(identity, Mapping) else None
    return isinstance(kind, str) and "systemassigned" in kind.replace(" ", "").casefold()


@dataclass
class _Replaced:
    """The replaced resources of one pass, indexed by Azure name so a dependent finds its parent directly."""

    sides: dict[str, tuple[Mapping[str, Any] | None, Mapping[str, Any]]]  # urn -> (base, head), in diff order
    by_name: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for urn, (old, new) in self.sides.items():
            for name in _names(old) | _names(new):
                self.by_name.setdefault(name, []).append(urn)


def _segments(value: Any) -> set[str]:
    if not isinstance(value, str) or value in _PLACEHOLDERS:
        return set()
    return {part.casefold() for part in value.split("/") if part}


def _cascade_causes(resource: Mapping[str, Any], before: Mapping[str, Any], replaced: _Replaced) -> list[str]:
    """Why replacing the `replaced` resources replaces `resource` too; empty if it doesn't."""
    dependencies = set(resource.get("dependencies") or ()) | set(before.get("dependencies") or ())
    parent = resource.get("parent", "")
    own_name = NAME_INPUTS.get(resource["type"])
    sides = [before.get("inputs") or {}, resource.get("inputs") or {}]
    keys = [key for key in PARENT_INPUTS if key != own_name]
    mentioned = {
        urn
        for key in keys
        for side in sides
        for seg in _segments(side.get(key))
        for urn in replaced.by_name.get(seg, ())
    }
    candidates = (mentioned | (dependencies & set(replaced.sides))) - {resource["urn"]}
    causes = []
    for urn in (u for u in replaced.sides if u in candidates):  # in diff order: deterministic
        old, new = replaced.sides[urn]
        # Only what the program links to it: a dependency, or a sibling in the same component.
        if urn not in dependencies and not (parent and parent == new.get("parent")):
            continue
        name = urn.rsplit("::", 1)[-1]
        names = _names(old) | _names(new)
        refer = [
            key for key in keys if any(_refers_to(key, side.get(key), new["type"], names) for side in sides)
        ]
        if refer:
            verb = "refers" if len(refer) == 1 else "refer"
            causes.append(f"replaced with {name}, which its {' and '.join(refer)} {verb} to")
        elif (
            # A role assignment for the replaced resource's own managed identity: the new resource has a new
            # principal, and an assignment's principal can't change in place.
            urn in dependencies
            and resource["type"] == ROLE_ASSIGNMENT
            and sides[1].get("principalType") == "ServicePrincipal"
            and (_system_identity(old) or _system_identity(new))
        ):
            causes.append(
                f"its principal is the managed identity of {name}, which is new after the replacement"
            )
    return causes


def cascade_replacements(
    changes: list[ResourceChange],
    old_by_urn: Mapping[str, Mapping[str, Any]],
    new_by_urn: Mapping[str, Mapping[str, Any]],
) -> None:
    """Mark as replaced, in place, every resource that Azure deletes with a replaced one, until nothing changes.

    `changes` holds an entry (an update with no properties if need be) for every resource on both sides."""
    while True:
        replaced = _Replaced(
            {
                c.urn: (old_by_urn.get(c.urn), new_by_urn[c.urn])
                for c in changes
                if c.op == "replace" and c.urn in new_by_urn
            }
        )
        if not replaced.sides:
            return
        grew = False
        for i, change in enumerate(changes):
            if change.urn not in old_by_urn or change.urn not in new_by_urn:
                continue
            causes = _cascade_causes(new_by_urn[change.urn], old_by_urn[change.urn], replaced)
            if causes and (change.op != "replace" or tuple(causes) != change.causes):
                changes[i] = ResourceChange(
                    "replace", change.urn, change.type, change.properties, tuple(causes)
                )
                grew = True
        if not grew:
            return
