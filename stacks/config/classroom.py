"""Keys of the class day itself (LabSettings fields): the language students read their handouts in.

`labctl handout` renders the texts (labctl/classroom/locales/<code>.yaml, one file per language offered here).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from stacks.config.section_base import Hint

# The languages handouts are written in; a test checks there is one locale file for each, and no other.
ClassLanguage = Literal["en", "es"]


class ClassroomTrack(BaseModel):
    """Mixed into LabSettings."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True)

    # English unless the stack says otherwise; the workshop's own dev stack sets es (its students speak Spanish).
    class_language: Annotated[
        ClassLanguage,
        Hint(
            fix={
                "literal_error": "Fix: use es (Spanish) or en (English), the languages handouts are written in"
            }
        ),
    ] = "en"
