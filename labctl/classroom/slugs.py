"""Participant names from people's names: `José Álvarez` -> `jose-alvarez`, unique within a class.

A participant's name becomes the id of their API Management subscription (and part of resource names), so it
is ASCII, lowercase, digits and '-', at most 40 characters (`PARTICIPANT_NAME_RE` in stacks/config/formats.py).
E-mail addresses never become names: they are personal data and must stay out of resource names.
"""

from __future__ import annotations

from collections.abc import Iterable

from stacks.config.formats import PARTICIPANT_NAME_MAX as MAX_LENGTH
from stacks.config.slugs import slugify
from stacks.config.slugs import suggest_participant_name as suggest_name

__all__ = ["MAX_LENGTH", "assign_names", "name_for", "slugify", "suggest_name", "unique_name"]


def unique_name(base: str, taken: set[str]) -> str:
    """`base`, else `base-2`, `base-3`, ... the first one not in `taken` (kept within the length limit)."""
    if base not in taken:
        return base
    n = 2
    while True:
        suffix = f"-{n}"
        candidate = base[: MAX_LENGTH - len(suffix)].rstrip("-") + suffix
        if candidate not in taken:
            return candidate
        n += 1


def name_for(display_name: str, email: str, taken: set[str]) -> str:
    """A new participant's name: from their display name, else from their e-mail's local part (the part before
    '@' is a name people chose, not the address), else `participant`; suffixed when taken."""
    base = slugify(display_name) or slugify(email.split("@", 1)[0]) or "participant"
    return unique_name(base, taken)


def assign_names(rows: Iterable[tuple[str, str]], taken: Iterable[str] = ()) -> list[str]:
    """Names for (display name, e-mail) rows, in order, unique among themselves and `taken`."""
    used = set(taken)
    names = []
    for display_name, email in rows:
        name = name_for(display_name, email, used)
        used.add(name)
        names.append(name)
    return names
