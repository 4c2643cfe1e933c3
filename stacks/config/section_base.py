"""The base every config section model shares (camelCase keys, unknown keys refused, frozen values)."""

from __future__ import annotations

from pydantic import ConfigDict
from pydantic.alias_generators import to_camel

from stacks.config.values import ChoicesInAnyCase


class Section(ChoicesInAnyCase):
    """Base of every section: camelCase keys, unknown keys rejected, values frozen."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        str_strip_whitespace=True,
    )
