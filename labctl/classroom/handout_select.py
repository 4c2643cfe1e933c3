"""`labctl handout --only NAME...`: the participants to write (or send) for, found by name, e-mail or display name
(labctl/classroom/participant.py's resolve_participant, the lookup `participant suspend` uses), for late joiners
and rotated keys. Every name that finds nobody, or two people, is reported at once."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from labctl.errors import UsageError

if TYPE_CHECKING:
    from stacks.config.sections import ParticipantSettings


def select(
    participants: Sequence[ParticipantSettings], wanted: Sequence[str], file_name: str
) -> list[ParticipantSettings]:
    """The participants `wanted` names (repeated or comma-separated), in the stack file's order."""
    from labctl.classroom.participant import resolve_participant

    chosen: set[str] = set()
    problems: list[str] = []
    for query in (w.strip() for item in wanted for w in item.split(",")):
        if not query:
            continue
        try:
            chosen.add(resolve_participant(participants, query, file_name))
        except UsageError as exc:
            problems.append(str(exc))
    if problems:
        raise UsageError("--only: " + "\n  ".join(problems))
    return [p for p in participants if p.name in chosen]
