"""Pinning preflight's choice in `Pulumi.<stack>.yaml`: the region (or the spread) and each deployment's SKU and
capacity. The edit itself (comments, key order and quoting kept, written atomically) is labctl/stackfile's; the pin
must show up as a small, reviewable diff (the location line and the changed `sku`/`capacity` lines).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labctl.stackfile import StackEdit, StackEditError, plain_data


@dataclass(frozen=True)
class Pin:
    sku: str
    capacity: int


def pin_choice(
    path: Path, *, project: str, location: str | list[dict[str, Any]], deployments: Mapping[str, Pin]
) -> list[str]:
    """Set `<project>:location` and each named deployment's `sku` and `capacity`. Returns the changes made, as
    `key: old -> new` lines (empty when the file already says this, and then the file is not touched).
    StackEditError when the file cannot take the pin."""
    edit = StackEdit(path, project)
    if not edit.has_config:
        raise StackEditError(f"{path.name} has no `config:` mapping to pin the region in")
    changes: list[str] = []
    key = edit.key("location")
    old_location = edit.config.get(key)
    if plain_data(old_location) != location:
        # Next to the candidate regions, where a reader looks for it.
        edit.set("location", location, after="regions")
        changes.append(f"{key}: {old_location if old_location is not None else '(unset)'} -> {location}")
    changes += _pin_deployments(edit, deployments)
    if changes:
        edit.save()
    return changes


def _pin_deployments(edit: StackEdit, deployments: Mapping[str, Pin]) -> list[str]:
    key = edit.key("deployments")
    entries = edit.config.get(key)
    if deployments and not isinstance(entries, list):
        raise StackEditError(f"{edit.path.name}: {key} is not a YAML list of deployments")
    by_name = {e.get("name"): e for e in entries or [] if isinstance(e, dict)}
    changes: list[str] = []
    for name, pin in deployments.items():
        entry = by_name.get(name)
        if entry is None:
            raise StackEditError(f"{edit.path.name}: no deployment named '{name}' under {key}")
        for field, value in (("sku", pin.sku), ("capacity", pin.capacity)):
            if entry.get(field) != value:
                changes.append(f"{key}[{name}].{field}: {entry.get(field)} -> {value}")
                entry[field] = value
    return changes
