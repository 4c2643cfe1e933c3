"""The plan snapshot format (`labctl plan --json`, the `pulumi stack export` shape) and its markers.

`labctl plan` writes it; `labctl diff`, `labctl check` and the policy pack read it. A value the offline plan cannot
know is UNKNOWN; a secret is SECRET (never its plaintext); the stack's outputs sit on the STACK_TYPE resource.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

SECRET = "[secret]"
UNKNOWN = "[unknown]"
PLACEHOLDERS = frozenset({SECRET, UNKNOWN})
STACK_TYPE = "pulumi:pulumi:Stack"
_URN = re.compile(r"^urn:pulumi:(?P<stack>[^:]+)::(?P<project>[^:]+)::")


def resources(snapshot: Mapping[str, Any] | None) -> list[Mapping[str, Any]]:
    if not snapshot:
        return []
    return list((snapshot.get("deployment") or {}).get("resources") or [])


def stack_of(snapshot: Mapping[str, Any] | None) -> str | None:
    """The stack a snapshot was planned for, from its resources' URNs."""
    for r in resources(snapshot):
        match = _URN.match(str(r.get("urn", "")))
        if match:
            return match.group("stack")
    return None


def plan_problem(data: Any) -> str | None:
    """Why `data` is not a plan snapshot (`labctl plan --json`), or None. Only what the readers rely on."""
    if not isinstance(data, Mapping):
        return f"it is a JSON {type(data).__name__}, not an object"
    deployment = data.get("deployment")
    if not isinstance(deployment, Mapping):
        return "it has no `deployment` object" if deployment is None else "`deployment` is not an object"
    items = deployment.get("resources")
    if not isinstance(items, list):
        return (
            "`deployment.resources` is missing" if items is None else "`deployment.resources` is not a list"
        )
    for i, r in enumerate(items):
        where = f"deployment.resources[{i}]"
        if not isinstance(r, Mapping):
            return f"`{where}` is not an object"
        for key in ("urn", "type"):
            if not isinstance(r.get(key), str):
                return f"`{where}.{key}` is missing or not text"
        for key, kind in (("inputs", Mapping), ("outputs", Mapping), ("dependencies", list), ("parent", str)):
            if key in r and not isinstance(r[key], kind):
                return f"`{where}.{key}` has the wrong type"
    if not any(r.get("type") == STACK_TYPE for r in items):
        return f"it has no {STACK_TYPE} resource (every `labctl plan --json` has one)"
    return None
