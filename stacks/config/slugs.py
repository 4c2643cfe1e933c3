"""Names made from free text: a person's key in resource names, a participant name from a roster line."""

from __future__ import annotations

import re
import unicodedata

from stacks.config.formats import PARTICIPANT_NAME_MAX, PARTICIPANT_NAME_RE

# Letters NFKD does not decompose into an ASCII base letter.
_SPECIAL_LETTERS = str.maketrans(
    {"ß": "ss", "æ": "ae", "Æ": "ae", "ø": "o", "Ø": "o", "đ": "d", "Đ": "d", "ł": "l", "Ł": "l"}
)


def name_part(text: str) -> str:
    """Free text as part of a resource name: lowercase, runs of anything but a-z and 0-9 as one '-'. Unlike
    slugify, accents are separators, not folded: resource names made this way must not change under a refactor."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def person_key(name: str | None, principal_id: str) -> str:
    """How a person appears in resource names: their name as a slug, else the start of their object id."""
    return (name_part(name) if name else "") or principal_id.lower()[:8]


def slugify(text: str, max_length: int = PARTICIPANT_NAME_MAX) -> str:
    """ASCII, lowercase, words joined by '-': `José Álvarez` -> `jose-alvarez`; accents dropped, anything else is a
    separator; cut at a word boundary past `max_length`. May be empty (nothing Latin in the text)."""
    folded = unicodedata.normalize("NFKD", text.translate(_SPECIAL_LETTERS))
    ascii_text = folded.encode("ascii", "ignore").decode("ascii").lower()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")
    if len(slug) > max_length:
        cut = slug[:max_length]
        slug = cut.rsplit("-", 1)[0] if "-" in cut else cut
    return slug


def suggest_participant_name(invalid: str) -> str | None:
    """What to write instead of a refused participant name (`ana.garcia` -> `ana-garcia`), or None."""
    slug = slugify(invalid)
    return slug if slug and PARTICIPANT_NAME_RE.fullmatch(slug) and slug != invalid else None
