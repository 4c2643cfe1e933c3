"""`labctl handout --only NAME...`: the participants to write (or send) for, found by name, e-mail or display
name, for late joiners and rotated keys."""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

from labctl.errors import UsageError


def _fold(text: str) -> str:
    """Case and accents ignored: `jose alvarez` finds `José Álvarez`."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().strip())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def select(participants: Sequence[Mapping[str, Any]], wanted: Sequence[str]) -> list[Mapping[str, Any]]:
    """The participants `wanted` names, in the stack file's order; every miss or ambiguity is one UsageError
    naming them all, with the fix."""
    chosen: set[str] = set()
    problems: list[str] = []
    for raw in (w for item in wanted for w in item.split(",") if w.strip()):
        found = _matches(participants, raw)
        if len(found) == 1:
            chosen.add(str(found[0]["name"]))
        elif found:
            who = ", ".join(f"{p['name']} <{p.get('email', '')}>" for p in found)
            problems.append(
                f"'{raw}' is the display name of {len(found)} participants ({who}): give the name or e-mail"
            )
        else:
            problems.append(f"no participant named '{raw}'{_did_you_mean(participants, raw)}")
    if problems:
        names = ", ".join(str(p["name"]) for p in participants)
        raise UsageError(
            "--only: "
            + "; ".join(problems)
            + f". Fix: use a participant's name, e-mail or display name ({names})"
        )
    return [p for p in participants if str(p["name"]) in chosen]


def _matches(participants: Sequence[Mapping[str, Any]], raw: str) -> list[Mapping[str, Any]]:
    key = _fold(raw)
    for field in ("name", "email"):
        exact = [p for p in participants if _fold(str(p.get(field) or "")) == key]
        if exact:
            return exact
    return [p for p in participants if p.get("displayName") and _fold(str(p["displayName"])) == key]


def _did_you_mean(participants: Sequence[Mapping[str, Any]], raw: str) -> str:
    options = [str(p.get(f)) for p in participants for f in ("name", "email", "displayName") if p.get(f)]
    close = difflib.get_close_matches(raw, options, n=1, cutoff=0.75)
    return f" (did you mean '{close[0]}'?)" if close else ""
