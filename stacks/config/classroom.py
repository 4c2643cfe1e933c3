"""Keys of the class day itself (LabSettings fields): the language students read their handouts in.

`labctl handout` renders the texts (labctl/classroom/locales/<code>.yaml, one file per language offered here).
"""

from __future__ import annotations

from typing import Annotated, Literal

from stacks.config.section_base import Hint, Section

# The languages handouts are written in; a test checks there is one locale file for each, and no other.
ClassLanguage = Literal["en", "es"]


class ClassroomTrack(Section):
    """Mixed into LabSettings."""

    # English unless the stack says otherwise; the workshop's own dev stack sets es (its students speak Spanish).
    class_language: Annotated[
        ClassLanguage,
        Hint(
            fix={
                "literal_error": "Fix: use es (Spanish) or en (English), the languages handouts are written in"
            }
        ),
    ] = "en"
