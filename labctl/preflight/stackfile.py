"""Pinning preflight's choice in `Pulumi.<stack>.yaml`: comments, key order and quoting kept, written atomically.

The file is the lab's record: the pin must show up as a small, reviewable diff (the location line and the changed
`sku`/`capacity` lines), and a crash half-way must leave the previous file, never a truncated one.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.util import load_yaml_guess_indent

from labctl.files import atomic_write_text


class StackFileError(Exception):
    """The stack file cannot take the pin; the message says why."""


@dataclass(frozen=True)
class Pin:
    sku: str
    capacity: int


def _yaml(text: str) -> tuple[YAML, Any]:
    """A round-trip loader whose dumper writes the file's own indentation back."""
    _, sequence, offset = load_yaml_guess_indent(text)
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    # Never re-wrap long lines: a rewrap would put unrelated lines in the diff.
    yaml.width = 4096
    # ruamel guesses the sequence layout only; the mapping step is the smallest indent of a nested key.
    key_indents = [len(m.group(1)) for m in re.finditer(r"^( +)[^\s#-]", text, re.MULTILINE)]
    mapping = min(key_indents, default=2)
    offset = offset if offset is not None else 0
    yaml.indent(mapping=mapping, sequence=sequence or mapping + offset, offset=offset)
    return yaml, yaml.load(text)


def pin_choice(
    path: Path, *, project: str, location: str | list[dict[str, Any]], deployments: Mapping[str, Pin]
) -> list[str]:
    """Set `<project>:location` and each named deployment's `sku` and `capacity`. Returns the changes made, as
    `key: old -> new` lines (empty when the file already says this, and then the file is not touched)."""
    original = path.read_text(encoding="utf-8")
    yaml, doc = _yaml(original)
    config = doc.get("config") if isinstance(doc, CommentedMap) else None
    if not isinstance(config, CommentedMap):
        raise StackFileError(f"{path.name} has no `config:` mapping to pin the region in")

    changes: list[str] = []
    location_key = _key(config, project, "location")
    old_location = config.get(location_key)
    if _plain(old_location) != location:
        if location_key in config:
            config[location_key] = location
        else:
            # Next to the candidate regions, where a reader looks for it.
            regions_key = _key(config, project, "regions")
            keys = list(config.keys())
            position = keys.index(regions_key) + 1 if regions_key in config else len(keys)
            config.insert(position, location_key, location)
        changes.append(
            f"{location_key}: {old_location if old_location is not None else '(unset)'} -> {location}"
        )

    deployments_key = _key(config, project, "deployments")
    entries = config.get(deployments_key)
    if deployments and not isinstance(entries, list):
        raise StackFileError(f"{path.name}: {deployments_key} is not a YAML list of deployments")
    by_name = {e.get("name"): e for e in entries or [] if isinstance(e, dict)}
    for name, pin in deployments.items():
        entry = by_name.get(name)
        if entry is None:
            raise StackFileError(f"{path.name}: no deployment named '{name}' under {deployments_key}")
        for field, value in (("sku", pin.sku), ("capacity", pin.capacity)):
            if entry.get(field) != value:
                changes.append(f"{deployments_key}[{name}].{field}: {entry.get(field)} -> {value}")
                entry[field] = value

    if not changes:
        return []
    buffer = io.StringIO()
    yaml.dump(doc, buffer)
    text = buffer.getvalue()
    if "\r\n" in original:
        text = text.replace("\r\n", "\n").replace("\n", "\r\n")
    atomic_write_text(path, text)
    return changes


def _plain(value: Any) -> Any:
    """ruamel's commented containers as plain lists and dicts (a spread location compares by value)."""
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _key(config: Mapping[str, Any], project: str, name: str) -> str:
    """Stack files spell keys `<project>:<name>`; an unqualified `<name>` means the same key."""
    qualified = f"{project}:{name}"
    if qualified not in config and name in config:
        return name
    return qualified
