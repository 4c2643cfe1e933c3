"""The participants of `Pulumi.<stack>.yaml` as the editing commands see them (roster import, participant
suspend|resume|rotate, class pause|resume): the entries as the file spells them, written back keeping everything
else. Commands that only read participants (handout, usage, roster export) read the typed settings instead
(`CommandContext.settings.participants`, validated once by stacks/config); an edit reads the file itself, so it
still works on a stack file that does not validate, e.g. to fix a participant's bad entry.

Edits go through the stack file's owner (labctl/stackfile/editor.py), so comments, key order, quoting and the
other keys stay as they were and a pull request shows only the participant lines. Which entry changes is decided
here: entries are updated in place (their comments and unknown keys survive), new ones are appended.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labctl.errors import ConfigError, UsageError
from labctl.stackfile import StackEdit, new_mapping

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


@dataclass(frozen=True)
class Listed:
    """A participant as the lookup by name, e-mail or display name sees them; `ParticipantSettings` has the same
    attributes, so reads look people up in the typed settings and edits in the file's entries."""

    name: str
    email: str
    display_name: str | None = None


def unknown_participant(name: str, known: Sequence[str], file_name: str) -> UsageError:
    """No participant `name`: the did-you-mean (`ana.garcia` or `Ana García` for `ana-garcia`, else the closest)."""
    from stacks.config.slugs import slugify

    close = [slugify(name)] if slugify(name) in known else difflib.get_close_matches(name, known, n=1)
    listed = ", ".join(known) or "(none)"
    if close:
        fix = f"Fix: did you mean '{close[0]}'? Participants: {listed}"
    elif known:
        fix = f"Fix: give one of the participants' names: {listed}"
    else:
        fix = "Fix: add participants first (`labctl roster import`)"
    # The name is a command-line argument, not a problem of the stack file: a usage error (2).
    return UsageError(f"no participant named '{name}' in {file_name}. {fix}")


class ClassFileError(ConfigError):
    """The stack file cannot be read or edited as asked; the message names the key and the fix (exit 3)."""


class ClassFile(StackEdit):
    """The stack file loaded for editing its participants; `save()` writes it atomically when something changed."""

    def __init__(self, path: Path, project: str):
        super().__init__(path, project)
        self.participants_key = self.key(PARTICIPANTS)

    def participants(self) -> list[Any]:
        entries = self.config.get(self.participants_key)
        if entries is None:
            return []
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise ClassFileError(
                f"{self.path.name}: {self.participants_key} is not a list of entries. Fix: one `- name: ...` entry per participant"
            )
        return list(entries)

    def find(self, name: str) -> Any:
        for entry in self.participants():
            if entry.get("name") == name:
                return entry
        raise unknown_participant(name, [str(e.get("name")) for e in self.participants()], self.path.name)

    def listed(self) -> list[Listed]:
        """The entries as the participant lookup compares them (labctl/classroom/participant.py)."""
        return [
            Listed(str(e.get("name")), str(e.get("email") or ""), e.get("displayName") or None)
            for e in self.participants()
        ]

    def set_participants(self, wanted: Sequence[Mapping[str, Any]]) -> None:
        """Make the list hold `wanted`, in that order: entries with a known name are updated in place."""
        existing = {e.get("name"): e for e in self.participants()}
        seq = self.list_value(PARTICIPANTS)
        new_items: list[Any] = []
        for want in wanted:
            entry = existing.get(want["name"])
            if entry is None:
                entry = new_mapping()
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


def update_entry(entry: Any, want: Mapping[str, Any]) -> None:
    """Set the keys of `want` on `entry`; a None value removes the key. New keys go in KEY_ORDER position."""
    for key, value in want.items():
        if value is None:
            entry.pop(key, None)
        elif entry.get(key) != value:
            if key in entry:
                entry[key] = value
            else:
                entry.insert(_position(entry, key), key, value)


def _position(entry: Mapping[str, Any], key: str) -> int:
    rank = KEY_ORDER.index(key) if key in KEY_ORDER else len(KEY_ORDER)
    keys = list(entry.keys())
    for i, existing in enumerate(keys):
        if existing in KEY_ORDER and KEY_ORDER.index(existing) > rank:
            return i
    return len(keys)
