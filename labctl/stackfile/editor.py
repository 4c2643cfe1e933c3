"""Editing `Pulumi.<stack>.yaml`: comments, key order, quoting and indentation kept; written atomically.

The file is the lab's record, reviewed in pull requests: an edit (a pinned region, a suspended participant, a
paused class) must show up as the lines it changes and nothing else, and a crash half-way must leave the previous
file, never a truncated one. So edits go through ruamel's round-trip loader with the file's own indentation, and
`save()` replaces the file whole (labctl/files.py). Which key a command sets, and to what, is the command's own
business (labctl/preflight/pin.py, labctl/classroom/classfile.py); this module only reads and writes the file.

The next read sees the edit: the reader's parse cache (safe_yaml.py) is keyed by the file's text, not its name.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.util import load_yaml_guess_indent

from labctl.errors import ConfigError
from labctl.files import atomic_write_text

BOM = "\ufeff"


class StackEditError(ConfigError):
    """The stack file cannot be edited as asked; the message names the file, the key and the fix (exit 3)."""


def _round_trip(text: str) -> tuple[YAML, Any]:
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


class StackEdit:
    """One stack file loaded for editing. `config` is its `config:` mapping (ruamel's, so what a command changes in
    it keeps its place and comments); `save()` writes the file when its text changed."""

    def __init__(self, path: Path, project: str):
        self.path = path
        self.project = project
        try:
            # newline="": the file's own line endings, so a Windows file is written back with CRLF.
            with path.open(encoding="utf-8", newline="") as handle:
                self.original = handle.read()
        except FileNotFoundError:
            raise StackEditError(
                f"{path.name} not found. Fix: create the stack first (`pulumi stack init`), or pass --stack"
            ) from None
        try:
            self._yaml, doc = _round_trip(self.original)
        except Exception as exc:  # ruamel raises many parser error types; all mean the same to the user
            raise StackEditError(f"{path.name} is not valid YAML: {exc}") from None
        if doc is None:
            doc = CommentedMap()
        if not isinstance(doc, CommentedMap):
            raise StackEditError(f"{path.name} is not a YAML mapping. Fix: it must start with `config:`")
        config = doc.get("config")
        if config is not None and not isinstance(config, CommentedMap):
            raise StackEditError(f"{path.name}: `config:` is not a mapping")
        self._doc = doc
        # True when the file had a `config:` mapping before this edit.
        self.has_config = config is not None
        self.config: CommentedMap = config if config is not None else CommentedMap()

    def key(self, name: str) -> str:
        """The key of `<project>:<name>` as this file spells it (an unqualified `<name>` means the same key)."""
        qualified = f"{self.project}:{name}"
        if qualified not in self.config and name in self.config:
            return name
        return qualified

    def get(self, name: str) -> Any:
        """The project key's value as plain data (None when unset)."""
        return plain_data(self.config.get(self.key(name)))

    def set(self, name: str, value: Any, *, after: str | None = None) -> None:
        """Set the project key; a new key goes right after the key `after` when the file has it, else last."""
        key = self.key(name)
        if key in self.config or after is None or self.key(after) not in self.config:
            self.config[key] = value
        else:
            self.config.insert(list(self.config).index(self.key(after)) + 1, key, value)

    def list_value(self, name: str) -> list[Any]:
        """The project key's list, edited in place (its comments stay); a new empty one when the key holds none."""
        key = self.key(name)
        value = self.config.get(key)
        if not isinstance(value, CommentedSeq):
            value = self.config[key] = CommentedSeq()
        return value

    def remove(self, name: str) -> None:
        self.config.pop(self.key(name), None)

    def text(self) -> str:
        if self.config and not self.has_config:
            self._doc["config"] = self.config
        buffer = io.StringIO()
        self._yaml.dump(self._doc, buffer)
        text = buffer.getvalue()
        if "\r\n" in self.original:
            text = text.replace("\r\n", "\n").replace("\n", "\r\n")
        # ruamel drops a byte-order mark (Windows editors write one): keep it, or the first line is in the diff.
        if self.original.startswith(BOM) and not text.startswith(BOM):
            text = BOM + text
        return text

    def save(self) -> bool:
        """Write the file (atomically) if its text changed; True when it did."""
        text = self.text()
        if text == self.original:
            return False
        atomic_write_text(self.path, text)
        return True


def new_mapping() -> CommentedMap:
    """An empty mapping for a new entry: its keys are written in the order they are set, and it takes
    `insert(position, key, value)` like the entries read from the file."""
    return CommentedMap()


def plain_data(value: Any) -> Any:
    """A value of the edited file as plain Python data (ruamel's types compare equal but print oddly; a spread
    location compares by value). An encrypted value stays the mapping `{secure: <ciphertext>}` it is in the file."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, Mapping):
        return {str(key): plain_data(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain_data(item) for item in value]
    return str(value)
