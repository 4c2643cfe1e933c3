"""`labctl participant suspend|resume|rotate NAME`: control as code, reviewed like any other change.

Each action is one edit of the participant's entry in `Pulumi.<stack>.yaml`; `pulumi up` then applies it:
- suspend: `state: suspended` -> the participant's API Management subscription is suspended (their key is
  refused); resume removes the line again (active is the default, so the file shows only exceptions);
- rotate: `rotation: N+1` -> the program generates a new key for that participant (the key is a
  random.RandomPassword whose keeper is the rotation number) and sets it as the subscription's primary key.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from .classfile import ClassFile, ClassFileError, Listed, unknown_participant, update_entry

if TYPE_CHECKING:
    from stacks.config.sections import ParticipantSettings

Action = Literal["suspend", "resume", "rotate"]


@dataclass(frozen=True)
class Edit:
    participant: str
    action: str
    before: str
    after: str
    changed: bool

    def describe(self) -> str:
        if not self.changed:
            return f"{self.participant} is already {self.after}: nothing to change"
        return f"{self.participant}: {self.before} -> {self.after}"


def edit_participant(doc: ClassFile, name: str, action: Action) -> Edit:
    """Change the entry in memory (the caller saves, or not for --dry-run)."""
    entry = doc.find(name)
    state = str(entry.get("state") or "active")
    if action == "suspend":
        update_entry(entry, {"state": "suspended"})
        return Edit(name, action, f"state {state}", "state suspended", state != "suspended")
    if action == "resume":
        # Active is the default: drop the key rather than write `state: active` for everyone.
        update_entry(entry, {"state": None})
        return Edit(name, action, f"state {state}", "state active", state != "active")
    if action == "rotate":
        current = entry.get("rotation") or 0
        if isinstance(current, bool) or not isinstance(current, int) or current < 0:
            raise ClassFileError(
                f"{doc.path.name}: {doc.participants_key}[{name}].rotation is {current!r}. Fix: a whole number >= 0 (or remove it)"
            )
        update_entry(entry, {"rotation": current + 1})
        return Edit(name, action, f"rotation {current}", f"rotation {current + 1}", True)
    raise ValueError(f"unknown action {action}")


def pulumi_up_hint(stack: str, edit: Edit) -> str:
    """The command that applies the edit (printed, never run: the change goes through review and `pulumi up`)."""
    what = {
        "suspend": "suspends the participant's gateway subscription",
        "resume": "activates the participant's gateway subscription again",
        "rotate": "replaces the participant's key; hand them the new one with `labctl handout`",
    }[edit.action]
    return f"pulumi up --stack {stack}   # {what}"


def _folded(text: object) -> str:
    """Case and accents aside: `José Álvarez` and `jose alvarez` are the same display name."""
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", str(text))
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).casefold().split())


def resolve_participant(people: Sequence[Listed | ParticipantSettings], query: str, file_name: str) -> str:
    """The participant's name for `query`: their name, e-mail (any case) or display name (case and accents
    aside). Two people with that display name: a usage error listing them. Nothing: the name's did-you-mean.
    `people`: the typed settings' participants for a read (handout --only), the file's entries for an edit."""
    if any(p.name == query for p in people):
        return query
    by_email = [p for p in people if p.email.casefold() == query.strip().casefold()]
    by_display = [p for p in people if p.display_name and _folded(p.display_name) == _folded(query)]
    found = by_email or by_display
    if len(found) == 1:
        return found[0].name
    if len(found) > 1:
        from labctl.errors import UsageError

        names = ", ".join(f"{p.name} <{p.email}>" for p in found)
        raise UsageError(f"'{query}' names {len(found)} participants: {names}. Fix: give the name or e-mail")
    raise unknown_participant(query, [p.name for p in people], file_name)
