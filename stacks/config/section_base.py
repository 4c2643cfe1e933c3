"""What every config section is made of: the key namespace, the base model (camelCase keys, unknown keys refused,
frozen values, fixed choices in any case) and the `Hint` a field gives for the message when pydantic rejects it."""

from __future__ import annotations

import difflib
import types
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, model_validator
from pydantic.alias_generators import to_camel

NAMESPACE = "aoai-lab"


@dataclass(frozen=True)
class Hint:
    """Put in a field's `Annotated[...]` metadata: what to say when pydantic rejects that field's value.

    `fix` and `msg` map a pydantic error type (`greater_than`, `int_type`, ... or `*` for any) to the text; `msg`
    may use `{input!r}`. Example: `Annotated[int, Field(gt=0), Hint(fix={"greater_than": "Fix: ..."})]`."""

    fix: dict[str, str] = field(default_factory=dict)
    msg: dict[str, str] = field(default_factory=dict)

    def __hash__(self) -> int:  # pydantic hashes metadata of frozen models' fields
        return hash((tuple(self.fix.items()), tuple(self.msg.items())))


def one_of(value: str, allowed: tuple[str, ...], what: str) -> str:
    """`value` if it is one of `allowed` (case-insensitively, returned as spelled there), else a ValueError with
    the closest match."""
    if value in allowed:
        return value
    by_lower = {a.lower(): a for a in allowed}
    if value.lower() in by_lower:
        return by_lower[value.lower()]
    hint = difflib.get_close_matches(value, allowed, n=1)
    suggestion = f"did you mean '{hint[0]}'? " if hint else ""
    raise ValueError(f"unknown {what} '{value}'. Fix: {suggestion}use one of {', '.join(allowed)}")


def choices_in_any_case(model: Any, data: Any) -> Any:
    """`data` (a section's raw mapping) with every fixed choice (a Literal field) spelled as the model spells it,
    whatever case the stack file used."""
    if not isinstance(data, dict):
        return data
    fixed = dict(data)
    for name, info in model.model_fields.items():
        key = info.alias or name
        choices = _literal_choices(info.annotation)
        value = fixed.get(key, fixed.get(name))
        if choices and isinstance(value, str):
            canonical = {c.lower(): c for c in choices}.get(value.strip().lower())
            if canonical is not None:
                fixed[key if key in fixed else name] = canonical
    return fixed


def _literal_choices(annotation: Any) -> tuple[str, ...] | None:
    """The strings of a Literal annotation (also inside Optional or Annotated), else None."""
    origin = get_origin(annotation)
    if origin is Literal:
        args = get_args(annotation)
        return args if all(isinstance(a, str) for a in args) else None
    if origin is Annotated or origin in (Union, types.UnionType):
        for arg in get_args(annotation):
            found = _literal_choices(arg)
            if found:
                return found
    return None


class ChoicesInAnyCase(BaseModel):
    """A fixed choice (`publicNetworkAccess: enabled`, `principalType: group`) is accepted in any case and kept as
    the model spells it, as `one_of` does for tiers and SKUs and labctl for --format."""

    @model_validator(mode="before")
    @classmethod
    def _choices_in_any_case(cls, data: Any) -> Any:
        return choices_in_any_case(cls, data)


class Section(ChoicesInAnyCase):
    """Base of every section: camelCase keys, unknown keys rejected, values frozen."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        str_strip_whitespace=True,
    )
