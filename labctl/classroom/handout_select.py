"""`labctl handout --only NAME...`: the participants to write (or send) for, found by name, e-mail or display name
(labctl/classroom/participant.py's resolve_participant, the lookup `participant suspend` uses), for late joiners
and rotated keys. Every name that finds nobody, or two people, is reported at once."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from labctl.classroom.classfile import ClassFile
from labctl.errors import UsageError


def select(
    doc: ClassFile, participants: Sequence[Mapping[str, Any]], wanted: Sequence[str]
) -> list[Mapping[str, Any]]:
    """The participants `wanted` names (repeated or comma-separated), in the stack file's order."""
    from labctl.classroom.participant import resolve_participant

    chosen: set[str] = set()
    problems: list[str] = []
    for query in (w.strip() for item in wanted for w in item.split(",")):
        if not query:
            continue
        try:
            chosen.add(resolve_participant(doc, query))
        except UsageError as exc:
            problems.append(str(exc))
    if problems:
        raise UsageError("--only: " + "\n  ".join(problems))
    return [p for p in participants if str(p["name"]) in chosen]
