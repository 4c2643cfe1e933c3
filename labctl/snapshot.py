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
