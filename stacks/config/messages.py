"""pydantic's errors as config problems: `aoai-lab:key.path: what is wrong. Fix: what to do`.

The wording per error type is generic (`GENERIC_FIXES`); a field says more with a `Hint` in its metadata
(stacks/config/section_base.py). Field lookup walks the section models by their annotations, so a new section needs no
change here.
"""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from stacks.config.section_base import NAMESPACE, Hint

GENERIC_FIXES = {
    "missing": "Fix: set it in Pulumi.{stack}.yaml (see the README's config table)",
    "int_type": "Fix: use a whole number without quotes",
    "int_parsing": "Fix: use a whole number",
    "int_from_float": "Fix: use a whole number",
    "float_parsing": "Fix: use a number",
    "bool_parsing": "Fix: use true or false",
    "greater_than": "Fix: use a positive number",
    "date_from_datetime_parsing": "Fix: use a date as YYYY-MM-DD, e.g. 2026-12-31",
    "date_parsing": "Fix: use a date as YYYY-MM-DD, e.g. 2026-12-31",
    "date_type": "Fix: use a date as YYYY-MM-DD, e.g. 2026-12-31",
    "too_short": "Fix: list at least one entry",
    "extra_forbidden": "Fix: remove it or correct its spelling",
    "literal_error": "Fix: use one of those values",
    "less_than_equal": "Fix: use a value within the allowed range",
    "greater_than_equal": "Fix: use a value within the allowed range",
    "tuple_type": "Fix: use a YAML list",
    "model_type": "Fix: use a YAML mapping",
    "model_attributes_type": "Fix: use a YAML mapping",
    "string_type": "Fix: use a string (quote it)",
}
GENERIC_MESSAGES = {"too_short": "the list is empty", "extra_forbidden": "unknown key"}


def key_path(loc: tuple[int | str, ...]) -> str:
    """`("deployments", 0, "capacity")` -> `aoai-lab:deployments[0].capacity`."""
    path = NAMESPACE + ":"
    for i, part in enumerate(loc):
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += ("." if i else "") + part
    return path


def _section_in(annotation: Any) -> type[BaseModel] | None:
    """The section model inside an annotation such as `tuple[DeploymentSettings, ...]` or `X | None`."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _section_in(typing.get_args(annotation)[0])
    if origin is not None or isinstance(annotation, types.UnionType):
        for arg in typing.get_args(annotation):
            found = _section_in(arg)
            if found is not None:
                return found
    return None


def _keys(model: type[BaseModel]) -> dict[str, FieldInfo]:
    return {(f.alias or n): f for n, f in model.model_fields.items() if not f.exclude}


def _walk(
    root: type[BaseModel], loc: tuple[int | str, ...]
) -> tuple[type[BaseModel] | None, FieldInfo | None]:
    """The model that holds the last key of `loc`, and that key's field (None where the path leaves the models)."""
    model: type[BaseModel] | None = root
    holder: type[BaseModel] | None = root
    field: FieldInfo | None = None
    for part in loc:
        if isinstance(part, int):
            continue
        if model is None:
            return None, None
        field = _keys(model).get(part)
        if field is None:
            return model, None
        holder, model = model, _section_in(field.annotation)
    return (holder if field is not None else model), field


def _hint(field: FieldInfo | None) -> Hint:
    if field is None:
        return Hint()
    return next((m for m in field.metadata if isinstance(m, Hint)), Hint())


def describe(err: dict[str, Any], stack: str, root: type[BaseModel]) -> str:
    """One pydantic error as one problem line."""
    loc = tuple(err["loc"])
    path = key_path(loc)
    kind = err["type"]
    if kind == "value_error":
        return f"{path}: {str(err['msg']).removeprefix('Value error, ')}"
    holder, field = _walk(root, loc)
    hint = _hint(field)
    # "*" covers every way a value can be wrong, not a missing key.
    any_kind = "*" if kind != "missing" else ""
    msg = hint.msg.get(kind) or hint.msg.get(any_kind) or GENERIC_MESSAGES.get(kind) or err["msg"]
    msg = msg.format(input=err.get("input"))
    fix = hint.fix.get(kind) or hint.fix.get(any_kind) or GENERIC_FIXES.get(kind, "").format(stack=stack)
    if kind == "extra_forbidden" and loc and holder is not None:
        near = difflib.get_close_matches(str(loc[-1]), list(_keys(holder)), n=1)
        if near:
            fix = f"Fix: did you mean '{near[0]}'?"
    return f"{path}: {msg}. {fix}".rstrip(". ").rstrip() if fix else f"{path}: {msg}"
