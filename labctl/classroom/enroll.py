"""`labctl roster import|export`: from a class list to the stack's participants and back.

A participant is identified by their e-mail address. Their name (the gateway subscription id, which their key
belongs to) is chosen once, when they are added, and never changes on a later import: renaming would replace
their subscription and their key in the middle of a class.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from labctl.errors import LabctlError
from labctl.spreadsheet import formula_safe_writer
from labctl.stackfile import plain_data

from .classfile import ClassFile
from .roster import ENCRYPTED_EMAIL, LIMIT_KEYS, Roster, RosterEntry
from .slugs import name_for

if TYPE_CHECKING:
    from stacks.config.sections import ParticipantSettings

# A participant's own token limits live in a nested mapping, over the class's aoai-lab:participantLimits.
LIMITS = "limits"


@dataclass
class Change:
    name: str
    email: str
    fields: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # key -> (old, new)


@dataclass
class EnrollPlan:
    added: list[dict[str, Any]] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)
    removed: list[dict[str, Any]] = field(default_factory=list)
    # Not in the file, kept because --replace was not given.
    kept: list[dict[str, Any]] = field(default_factory=list)
    unchanged: int = 0
    result: list[dict[str, Any]] = field(default_factory=list)

    @property
    def has_changes(self) -> bool:
        return bool(self.added or self.changed or self.removed)

    def summary_lines(self) -> list[str]:
        """What a reviewer reads: names, never keys; e-mails only of the people concerned."""
        lines = [f"+ {p['name']} <{p['email']}>" + _limits_text(p) for p in self.added]
        for change in self.changed:
            what = ", ".join(f"{k}: {_show(old)} -> {_show(new)}" for k, (old, new) in change.fields.items())
            lines.append(f"~ {change.name} <{change.email}>: {what}")
        lines += [
            f"- {p['name']} <{ENCRYPTED_EMAIL if _encrypted(p.get('email')) else p.get('email', '?')}>"
            for p in self.removed
        ]
        return lines


def _show(value: Any) -> str:
    if value is None:
        return "(unset)"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}: {v}" for k, v in value.items()) + "}"
    return str(value)


def _limits_text(entry: Mapping[str, Any]) -> str:
    own = entry.get(LIMITS) or {}
    limits = [f"{k}={own[k]}" for k in LIMIT_KEYS if own.get(k) is not None]
    return f" ({', '.join(limits)})" if limits else ""


def plan_enrollment(roster: Roster, current: Sequence[Mapping[str, Any]], *, replace: bool) -> EnrollPlan:
    plan = EnrollPlan()
    by_email = {
        str(p.get("email", "")).lower(): plain_data(p) for p in current if not _encrypted(p.get("email"))
    }
    # E-mails encrypted in the stack file (`secure:`) cannot be compared offline: those participants are matched
    # by the name in the file's participant column instead, so an import never adds them a second time.
    encrypted = {str(p.get("name")): plain_data(p) for p in current if _encrypted(p.get("email"))}
    taken = {str(p.get("name")) for p in current}
    listed: set[str] = set()
    unmatched = [
        f"line {e.line}: the e-mail is {ENCRYPTED_EMAIL}, but the stack file has no participant "
        f"'{e.participant}' with an encrypted e-mail. Fix: write the e-mail address in that row"
        for e in roster.entries
        if e.email == ENCRYPTED_EMAIL and (e.participant is None or e.participant not in encrypted)
    ]
    if unmatched:  # every such row at once, like the file's other problems
        raise LabctlError("\n".join(unmatched))
    for entry in roster.entries:
        existing = by_email.get(entry.email.lower())
        if existing is None and entry.participant is not None:
            existing = encrypted.get(entry.participant)
        listed.add(str(existing["name"]) if existing is not None else entry.email.lower())
        if existing is None:
            new = _new_participant(entry, taken)
            taken.add(new["name"])
            plan.added.append(new)
            continue
        wanted = _wanted_fields(entry, roster, existing)
        fields = {k: (existing.get(k), v) for k, v in wanted.items() if existing.get(k) != v}
        if fields:
            email = existing.get("email", "")
            plan.changed.append(
                Change(existing["name"], ENCRYPTED_EMAIL if _encrypted(email) else email, fields)
            )
        else:
            plan.unchanged += 1

    changes = {c.name: c for c in plan.changed}
    for participant in current:
        data = plain_data(participant)
        if str(data.get("name")) not in listed and str(data.get("email", "")).lower() not in listed:
            if replace:
                plan.removed.append(data)
                continue
            plan.kept.append(data)
        change = changes.get(data["name"])
        if change is not None:
            data.update({k: new for k, (_, new) in change.fields.items()})
            data = {k: v for k, v in data.items() if v is not None}
        plan.result.append(data)
    plan.result.extend(plan.added)
    return plan


def _encrypted(value: Any) -> bool:
    return isinstance(value, Mapping) and "secure" in value


def _wanted_fields(entry: RosterEntry, roster: Roster, existing: Mapping[str, Any]) -> dict[str, Any]:
    """The keys this file decides: the display name, and each limit the file has a column for (an empty cell
    clears that participant's override, so the class default applies again)."""
    wanted: dict[str, Any] = {"displayName": entry.display_name or None}
    if roster.limit_columns:
        limits = dict(existing.get(LIMITS) or {})
        for key in roster.limit_columns:
            if entry.limits.get(key) is None:
                limits.pop(key, None)
            else:
                limits[key] = entry.limits[key]
        wanted[LIMITS] = {k: limits[k] for k in LIMIT_KEYS if k in limits} or None
    return wanted


def _new_participant(entry: RosterEntry, taken: set[str]) -> dict[str, Any]:
    if entry.participant is not None and entry.participant not in taken:
        name = entry.participant
    else:
        name = name_for(entry.participant or entry.display_name, entry.email, taken)
    new: dict[str, Any] = {"name": name, "email": entry.email}
    if entry.display_name:
        new["displayName"] = entry.display_name
    limits = {k: entry.limits[k] for k in LIMIT_KEYS if entry.limits.get(k) is not None}
    if limits:
        new[LIMITS] = limits
    return new


def apply_enrollment(doc: ClassFile, plan: EnrollPlan) -> bool:
    """Write the plan's participants into the stack file; True when the file changed."""
    doc.set_participants(plan.result)
    return doc.save()


# ---- export ----

EXPORT_COLUMNS = ("name", "email", "participant", *LIMIT_KEYS, "state", "rotation")


def export_csv(participants: Sequence[ParticipantSettings], delimiter: str = ",") -> str:
    """The participants (the typed settings, as the program deploys them) as a CSV that `roster import` reads back
    unchanged (UTF-8, English headers; ',' or, for Excel in Spanish and most European locales, where ',' is the
    decimal mark, ';'). An encrypted e-mail is "[secret]" in the settings offline: ENCRYPTED_EMAIL, never the
    ciphertext. The defaults (state active, rotation 0) stay empty cells, as the file leaves them unset."""
    buffer = io.StringIO()
    writer = formula_safe_writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    for p in participants:
        limits = p.limits.model_dump(by_alias=True) if p.limits else {}
        writer.writerow(
            [
                _cell(p.display_name),
                _cell(p.email),
                p.name,
                *(_cell(limits.get(k)) for k in LIMIT_KEYS),
                "" if p.state == "active" else p.state,
                _cell(p.rotation or None),
            ]
        )
    return buffer.getvalue()


def _cell(value: Any) -> str:
    return "" if value is None else str(value)


def write_export(path: Path | None, participants: Sequence[ParticipantSettings], delimiter: str = ",") -> str:
    text = export_csv(participants, delimiter)
    if path is not None:
        # UTF-8 with a BOM: Excel then opens accents correctly; `roster import` reads it back.
        path.write_text("\ufeff" + text, encoding="utf-8", newline="")
    return text
