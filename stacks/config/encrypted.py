"""Encrypted config values offline: validate everything else, say which checks were skipped.

`pulumi config set --secret` writes `{secure: <ciphertext>}`; `pulumi up` decrypts it before the program runs, but
offline tools (`labctl plan`, `check`, `preflight`) never decrypt and see the placeholder SECRET instead. A check
that needs the plaintext (is it an e-mail address? is `<name> <<email>>` within API Management's 100 characters?)
cannot run then. So, for keys the stack file holds encrypted:

- a SECRET in a field with a format check gets a stand-in that passes it (an e-mail, a GUID) during validation, and
  the settings get SECRET back afterwards, so a plan shows "[secret]", never the stand-in;
- each such field adds a note to `LabSettings.skipped_checks` naming the key and the checks not run;
- a field labctl needs in plain text to plan at all (a number, a region) stays an error, with the fix;
- a field whose value reaches Azure in clear (a tag, a publisher e-mail, a budget contact, a role assignment's
  principal) is refused when encrypted, here and under `pulumi up` (REACHES_AZURE): Azure shows it to anyone who
  can read the lab's resources, and Pulumi keeps resource inputs that come from plain config in plain state, so
  `secure:` would only look protective. Participants' e-mail addresses stay out of Azure and may be encrypted.

Only SECRET at keys the stack file marks encrypted is treated so: a plain value "[secret]" is checked as usual.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from pydantic import BaseModel

from stacks.config.section_base import NAMESPACE

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

# Top-level key -> (fields inside it that reach Azure, None for the key's own value; where Azure shows them).
REACHES_AZURE: dict[str, tuple[frozenset[str] | None, str]] = {
    "owner": (
        None,
        "the `owner` tag on every resource (and the gateway's publisher e-mail unless publisherEmail is set)",
    ),
    "publisherEmail": (None, "the API Management service's publisherEmail property"),
    "budget": (frozenset({"contactEmails"}), "the budget's notification contacts"),
    "people": (frozenset({"principalId", "name"}), "the role assignments' principal ids and descriptions"),
}


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
        "the lab offline. Fix: keep it plain (`pulumi config set` without --secret); only participants' e-mail "
        "addresses can stay encrypted"
    )


def refused_secrets(raw: dict[str, Any], secret_keys: Iterable[str]) -> list[str]:
    """A problem for each encrypted value that would reach Azure in clear. `secret_keys`: the lab's keys (without
    the namespace) the stack marks secret. Offline their encrypted values read SECRET and are named one by one;
    under `pulumi up` they arrive decrypted and the key is named."""
    problems: list[str] = []
    for key in dict.fromkeys(secret_keys):
        if key not in raw or key not in REACHES_AZURE:
            continue
        fields, where = REACHES_AZURE[key]
        locs = [(key,)] if fields is None else list(_field_locs(raw[key], (key,), fields))
        encrypted = [loc for loc in locs if _at(raw, loc) == SECRET]
        if not locs:
            continue
        for loc in encrypted or [(key,)]:
            problems.append(
                f"{_path(loc)}: is encrypted (secure:), but it reaches Azure in clear as {where}: anyone who can "
                "read the lab's resources sees it, and Pulumi keeps it in plain text in the state. Fix: set it "
                f"without --secret (`pulumi config set {'--path ' if len(loc) > 1 else ''}{_path(loc)} <value>`), "
                "using a non-secret alias (a team mailbox) if the real address must stay private"
            )
    return problems


def _field_locs(value: Any, loc: Loc, fields: frozenset[str]) -> Iterator[Loc]:
    if isinstance(value, dict):
        for k, v in value.items():
            if k in fields:
                if isinstance(v, list):
                    yield from ((*loc, k, i) for i in range(len(v)))
                else:
                    yield (*loc, k)
            else:
                yield from _field_locs(v, (*loc, k), fields)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _field_locs(v, (*loc, i), fields)


def _at(raw: Any, loc: Loc) -> Any:
    for part in loc:
        try:
            raw = raw[part]
        except (KeyError, IndexError, TypeError):
            return None
    return raw


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
