"""Single-value rules and naming helpers the config sections share (no pydantic models here)."""

from __future__ import annotations

import difflib
import re
import types
import unicodedata
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, model_validator

from facts.capacity import TPM_SKUS
from stacks.catalog import DEPLOYMENT_SKUS

NAMESPACE = "aoai-lab"
# An Entra object id, tenant id or subscription id.
GUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
EMAIL_RE = re.compile(r"^[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
# Deployment names become URL path segments (/openai/deployments/{name}).
DEPLOYMENT_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,63}$")
# Participant names become APIM subscription ids and resource names.
PARTICIPANT_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
# The stack name goes into every resource name; APIM names allow 50 characters and must start with a letter.
STACK_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,19}$")
API_VERSION_RE = re.compile(r"^\d{4}-\d{2}-\d{2}(-preview)?$")


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


def email_value(v: str) -> str:
    if not EMAIL_RE.fullmatch(v):
        raise ValueError(f"'{v}' is not an e-mail address. Fix: use name@domain, e.g. ana@contoso.edu")
    return v


def is_embedding_model(model: str) -> bool:
    """Embedding models take /embeddings, not /chat/completions (used by the plan and by `labctl smoke`)."""
    return "embedding" in model.lower()


def is_audio_model(model: str) -> bool:
    """Speech models (tts, tts-hd, gpt-4o-mini-tts; whisper and *-transcribe) take /audio/..., not chat."""
    name = model.lower()
    return name.startswith(("tts", "whisper")) or name.endswith(("-tts", "-transcribe")) or "-tts-" in name


def person_key(name: str | None, principal_id: str) -> str:
    """How a person appears in resource names: their name as a slug, else the start of their object id."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") if name else ""
    return slug or principal_id.lower()[:8]


def sku_family(sku: str) -> str | None:
    """Deployment types whose capacity means the same thing: standard, provisioned, batch, developer."""
    name = sku.lower()
    if name not in {s.lower() for s in DEPLOYMENT_SKUS}:
        return None
    if name in {s.lower() for s in TPM_SKUS}:
        return "standard"  # capacity in units of tokens per minute (facts/capacity.py)
    return next((family for family in ("provisioned", "batch", "developer") if family in name), name)


def is_int(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


# Letters NFKD does not decompose into an ASCII base letter.
_SPECIAL_LETTERS = str.maketrans(
    {"ß": "ss", "æ": "ae", "Æ": "ae", "ø": "o", "Ø": "o", "đ": "d", "Đ": "d", "ł": "l", "Ł": "l"}
)
PARTICIPANT_NAME_MAX = 40


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
    """Base of the config sections: a fixed choice (`publicNetworkAccess: enabled`, `principalType: group`) is
    accepted in any case and kept as the model spells it, as `one_of` does for tiers and SKUs and labctl for
    --format."""

    @model_validator(mode="before")
    @classmethod
    def _choices_in_any_case(cls, data: Any) -> Any:
        return choices_in_any_case(cls, data)
