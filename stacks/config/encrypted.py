"""Encrypted config values offline: validate everything else, say which checks were skipped.

`pulumi config set --secret` writes `{secure: <ciphertext>}`; `pulumi up` decrypts it before the program runs, but
offline tools (`labctl plan`, `check`, `preflight`) never decrypt and see the placeholder SECRET instead. A check
that needs the plaintext (is it an e-mail address? is `<name> <<email>>` within API Management's 100 characters?)
cannot run then. So, for keys the stack file holds encrypted:

- a SECRET in a field with a format check gets a stand-in that passes it (an e-mail, a GUID) during validation, and
  the settings get SECRET back afterwards, so a plan shows "[secret]", never the stand-in;
- each such field adds a note to `LabSettings.skipped_checks` naming the key and the checks not run;
- a field labctl needs in plain text to plan at all (a number, a region) stays an error, with the fix.

Only SECRET at keys the stack file marks encrypted is treated so: a plain value "[secret]" is checked as usual.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel

from stacks.config.values import NAMESPACE

SECRET = "[secret]"
_EMAIL = "encrypted@secret.invalid"
_GUID = "00000000-0000-0000-0000-000000000000"
# Field (as spelled in the stack file) -> (stand-in, the checks that need the plaintext).
STAND_INS: dict[str, tuple[str, str]] = {
    "owner": (_EMAIL, "e-mail address; owner tag (256) and publisher e-mail (100) lengths"),
    "publisherEmail": (_EMAIL, "e-mail address; length (100)"),
    "email": (_EMAIL, "e-mail address; gateway subscription display name length (100)"),
    "contactEmails": (_EMAIL, "e-mail addresses"),
    "principalId": (_GUID, "object id (GUID) format"),
}
Loc = tuple[str | int, ...]


def _path(loc: Loc) -> str:
    out = f"{NAMESPACE}:"
    for i, part in enumerate(loc):
        out += f"[{part}]" if isinstance(part, int) else ("." if i else "") + part
    return out


def stand_in(
    raw: dict[str, Any], encrypted_keys: Iterable[str]
) -> tuple[dict[str, Any], list[Loc], list[str]]:
    """(raw with stand-ins, where SECRET was replaced, the skipped-check notes). `encrypted_keys` are the lab's
    keys without the namespace."""
    out = dict(raw)
    replaced: list[Loc] = []
    notes: list[str] = []

    def walk(value: Any, loc: Loc, field: str) -> Any:
        if value == SECRET:
            if field in STAND_INS:
                replacement, checks = STAND_INS[field]
                replaced.append(loc)
                notes.append(
                    f"{_path(loc)} is encrypted; not checked offline: {checks} (`pulumi up` decrypts it)"
                )
                return replacement
            return value
        if isinstance(value, dict):
            return {k: walk(v, (*loc, k), k) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, (*loc, i), field) for i, v in enumerate(value)]
        return value

    for key in encrypted_keys:
        if key in out:
            out[key] = walk(out[key], (key,), key)
    return out, replaced, notes


def is_encrypted_input(err: dict[str, Any], encrypted_keys: Iterable[str]) -> bool:
    """A pydantic error about a SECRET placeholder at an encrypted key: the value is there, just not readable."""
    loc = tuple(err.get("loc", ()))
    return bool(loc) and loc[0] in set(encrypted_keys) and err.get("input") == SECRET


def encrypted_problem(err: dict[str, Any]) -> str:
    return (
        f"{_path(tuple(err['loc']))}: is encrypted, and labctl needs this value in plain text to plan and check "
        "the lab offline. Fix: keep it plain (`pulumi config set` without --secret); only e-mail addresses and "
        "object ids can stay encrypted"
    )


def restore(model: BaseModel, locs: list[Loc]) -> BaseModel:
    """`model` with SECRET back at each loc (aliases as in the stack file)."""
    for loc in locs:
        model = _replace(model, loc)
    return model


def _replace(obj: Any, loc: Loc) -> Any:
    if not loc:
        return SECRET
    head, rest = loc[0], loc[1:]
    if isinstance(obj, BaseModel):
        name = next(
            (n for n, f in type(obj).model_fields.items() if (f.alias or n) == head or n == head), None
        )
        if name is None:
            return obj
        return obj.model_copy(update={name: _replace(getattr(obj, name), rest)})
    if isinstance(obj, tuple) and isinstance(head, int) and head < len(obj):
        items = list(obj)
        items[head] = _replace(items[head], rest)
        return tuple(items)
    return obj
