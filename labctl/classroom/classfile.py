"""The participants of `Pulumi.<stack>.yaml`: read them, and write them back keeping everything else.

Edits go through ruamel's round-trip loader with the file's own indentation (labctl/preflight/stackfile.py), so
comments, key order, quoting and the other keys stay as they were and a pull request shows only the participant
lines.
Entries are updated in place (their comments and unknown keys survive), new ones are appended.
"""

from __future__ import annotations

import difflib
import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from labctl.errors import ConfigError, UsageError
from labctl.files import atomic_write_text
from labctl.preflight.stackfile import _key, _yaml

PARTICIPANTS = "participants"
# The order keys take in a new entry (existing entries keep theirs).
KEY_ORDER = (
    "name",
    "email",
    "displayName",
    "state",
    "rotation",
    "limits",
)


class ClassFileError(ConfigError):
    """The stack file cannot be read or edited as asked; the message names the key and the fix (exit 3)."""


class StackDocument:
    """One stack file loaded for editing; `save()` writes it atomically when something changed."""

    def __init__(self, path: Path, project: str):
        self.path = path
        self.project = project
        try:
            self.original = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ClassFileError(
                f"{path.name} not found. Fix: create the stack first (`pulumi stack init`), or pass --stack"
            ) from None
        try:
            self.yaml, self.doc = _yaml(self.original)
        except Exception as exc:  # ruamel raises many parser error types; all mean the same to the user
            raise ClassFileError(f"{path.name} is not valid YAML: {exc}") from None
        if self.doc is None:
            self.doc = CommentedMap()
        if not isinstance(self.doc, CommentedMap):
            raise ClassFileError(f"{path.name} is not a YAML mapping. Fix: it must start with `config:`")
        config = self.doc.get("config")
        if config is None:
            config = self.doc["config"] = CommentedMap()
        if not isinstance(config, CommentedMap):
            raise ClassFileError(f"{path.name}: `config:` is not a mapping")
        self.config = config
        self.key = _key(config, project, PARTICIPANTS)

    def participants(self) -> list[CommentedMap]:
        entries = self.config.get(self.key)
        if entries is None:
            return []
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise ClassFileError(
                f"{self.path.name}: {self.key} is not a list of entries. Fix: one `- name: ...` entry per participant"
            )
        return list(entries)

    def find(self, name: str) -> CommentedMap:
        for entry in self.participants():
            if entry.get("name") == name:
                return entry
        known = [str(e.get("name")) for e in self.participants()]
        from stacks.config.slugs import slugify

        # `ana.garcia` or `Ana García` for `ana-garcia`: the slug, else the closest name.
        close = [slugify(name)] if slugify(name) in known else difflib.get_close_matches(name, known, n=1)
        listed = ", ".join(known) or "(none)"
        if close:
            fix = f"Fix: did you mean '{close[0]}'? Participants: {listed}"
        elif known:
            fix = f"Fix: give one of the participants' names: {listed}"
        else:
            fix = "Fix: add participants first (`labctl roster import`)"
        # The name is a command-line argument, not a problem of the stack file: a usage error (2).
        raise UsageError(f"no participant named '{name}' in {self.path.name}. {fix}")

    def set_participants(self, wanted: Sequence[Mapping[str, Any]]) -> None:
        """Make the list hold `wanted`, in that order: entries with a known name are updated in place."""
        existing = {e.get("name"): e for e in self.participants()}
        seq = self.config.get(self.key)
        if not isinstance(seq, CommentedSeq):
            seq = CommentedSeq()
            self.config[self.key] = seq
        new_items: list[CommentedMap] = []
        for want in wanted:
            entry = existing.get(want["name"])
            if entry is None:
                entry = CommentedMap()
                for key in KEY_ORDER:
                    if want.get(key) is not None:
                        entry[key] = want[key]
                for key, value in want.items():
                    if key not in entry and value is not None:
                        entry[key] = value
            else:
                # `wanted` holds every key the entry keeps: a key it no longer has was cleared.
                update_entry(entry, {**dict.fromkeys(entry), **want})
            new_items.append(entry)
        # Keep the list object (it carries the comments above the first entry); replace its items.
        del seq[:]
        seq.extend(new_items)

    def text(self) -> str:
        buffer = io.StringIO()
        self.yaml.dump(self.doc, buffer)
        text = buffer.getvalue()
        if "\r\n" in self.original:
            text = text.replace("\r\n", "\n").replace("\n", "\r\n")
        return text

    def save(self) -> bool:
        """Write the file if its text changed; True when it did."""
        text = self.text()
        if text == self.original:
            return False
        atomic_write_text(self.path, text)
        return True


def update_entry(entry: CommentedMap, want: Mapping[str, Any]) -> None:
    """Set the keys of `want` on `entry`; a None value removes the key. New keys go in KEY_ORDER position."""
    for key, value in want.items():
        if value is None:
            entry.pop(key, None)
        elif entry.get(key) != value:
            if key in entry:
                entry[key] = value
            else:
                entry.insert(_position(entry, key), key, value)


def _position(entry: CommentedMap, key: str) -> int:
    rank = KEY_ORDER.index(key) if key in KEY_ORDER else len(KEY_ORDER)
    keys = list(entry.keys())
    for i, existing in enumerate(keys):
        if existing in KEY_ORDER and KEY_ORDER.index(existing) > rank:
            return i
    return len(keys)


def plain(entry: Mapping[str, Any]) -> dict[str, Any]:
    """A participant entry as plain data (ruamel's types compare equal but print oddly)."""
    return {str(key): _plain_value(value) for key, value in entry.items()}


def _plain_value(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, Mapping):
        return plain(value)
    if isinstance(value, list):
        return [_plain_value(v) for v in value]
    return str(value)
