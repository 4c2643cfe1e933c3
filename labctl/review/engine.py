"""The diff engine of `labctl diff`: two plan snapshots in, what `pulumi up` would do to Azure out.

Pure functions over `labctl plan --json` snapshots (the `pulumi stack export` shape): no git, no Pulumi runtime.
Resources are matched by URN; their inputs are compared property by property, as the provider receives them.

Secrets: a plan never holds a secret's plaintext (the offline program sees "[secret]" for every `secure:` config
value and only mock values for secret outputs), so two "[secret]" are indistinguishable and hashing them would
say nothing. Where a secret can change offline is the stack file: `secure:` ciphertexts are compared there (see
`secret_config_changes`) and reported by key, never by value. A property that is a secret on either side is
reported as changed without either value.
"""

from __future__ import annotations

import difflib
import json
import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from labctl.review.cascade import cascade_replacements
from labctl.review.changes import Op, PlanDiff, PropertyChange, ResourceChange, replace_reason
from labctl.snapshot import SECRET, STACK_TYPE, resources

# ---- comparing values ----

_IDENT_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _key_path(path: str, key: str) -> str:
    """Pulumi's property path syntax: `a.b`, `tags["expires-on"]`."""
    if _IDENT_RE.fullmatch(key):
        return f"{path}.{key}" if path else key
    return f"{path}[{json.dumps(key)}]"


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def diff_values(old: Any, new: Any, path: str = "") -> list[PropertyChange]:
    """Every change between two JSON values, by property path, in key and index order."""
    # `True == 1` in Python; JSON tells them apart, and so must a diff.
    if old == new and _canonical(old) == _canonical(new):
        return []
    if old == SECRET or new == SECRET:
        # Never show either side: the non-secret side may be the value that was made secret.
        return [PropertyChange(path, "update", secret=True)]
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        changes: list[PropertyChange] = []
        for key in sorted(set(old) | set(new)):
            sub = _key_path(path, key)
            if key not in new:
                changes.append(PropertyChange(sub, "remove", old=old[key], secret=old[key] == SECRET))
            elif key not in old:
                changes.append(PropertyChange(sub, "add", new=new[key], secret=new[key] == SECRET))
            else:
                changes.extend(diff_values(old[key], new[key], sub))
        return changes
    if _is_list(old) and _is_list(new):
        return _diff_lists(list(old), list(new), path)
    if isinstance(old, str) and isinstance(new, str) and ("\n" in old or "\n" in new):
        return [_text_change(old, new, path)]
    return [PropertyChange(path, "update", old=old, new=new)]


def _is_list(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str)


def _diff_lists(old: list[Any], new: list[Any], path: str) -> list[PropertyChange]:
    old_keys = [_canonical(v) for v in old]
    new_keys = [_canonical(v) for v in new]
    if Counter(old_keys) == Counter(new_keys):
        # Same elements, new order: one change for the list, not one per index.
        return [PropertyChange(path, "reorder", old=old, new=new, note="order changed")]
    changes: list[PropertyChange] = []
    matcher = difflib.SequenceMatcher(a=old_keys, b=new_keys, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        if tag == "replace" and i2 - i1 == j2 - j1:
            for k in range(i2 - i1):
                changes.extend(diff_values(old[i1 + k], new[j1 + k], f"{path}[{j1 + k}]"))
            continue
        changes.extend(
            PropertyChange(f"{path}[{i}]", "remove", old=old[i], secret=old[i] == SECRET)
            for i in range(i1, i2)
        )
        changes.extend(
            PropertyChange(f"{path}[{j}]", "add", new=new[j], secret=new[j] == SECRET) for j in range(j1, j2)
        )
    return changes


def canonical_xml(text: str) -> str | None:
    """Exclusive of comments and insignificant whitespace, attributes sorted, pretty-printed; None if not XML."""
    stripped = text.strip()
    if not stripped.startswith("<"):
        return None
    try:
        canon = ET.canonicalize(stripped, strip_text=True)
        root = ET.fromstring(canon)
    except ET.ParseError:
        return None
    ET.indent(root)
    return ET.tostring(root, encoding="unicode")


def _text_change(old: str, new: str, path: str) -> PropertyChange:
    old_xml, new_xml = canonical_xml(old), canonical_xml(new)
    if old_xml is not None and new_xml is not None:
        if old_xml == new_xml:
            return PropertyChange(path, "update", note="same XML: only comments or formatting changed")
        return PropertyChange(
            path, "update", text_diff=_unified(old_xml, new_xml), note="XML (compared as canonical XML)"
        )
    return PropertyChange(path, "update", text_diff=_unified(old, new), note="text")


def _unified(old: str, new: str) -> tuple[str, ...]:
    lines = difflib.unified_diff(
        old.splitlines(), new.splitlines(), fromfile="base", tofile="head", lineterm="", n=3
    )
    return tuple(lines)


# ---- comparing snapshots ----


def _stack_outputs(resources: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    return next((dict(r.get("outputs") or {}) for r in resources if r["type"] == STACK_TYPE), {})


def diff_snapshots(
    base: Mapping[str, Any] | None,
    head: Mapping[str, Any] | None,
    *,
    stack: str = "dev",
    base_label: str = "base",
    head_label: str = "working tree",
    secret_config: Sequence[PropertyChange] = (),
) -> PlanDiff:
    """Creates, updates, replaces and deletes by URN; head order first, then deletes in base order."""
    old = [r for r in resources(base) if r["type"] != STACK_TYPE]
    new = [r for r in resources(head) if r["type"] != STACK_TYPE]
    old_by_urn = {r["urn"]: r for r in old}
    new_urns = {r["urn"] for r in new}
    result = PlanDiff(stack=stack, base_label=base_label, head_label=head_label)
    for r in new:
        before = old_by_urn.get(r["urn"])
        if before is None:
            result.resources.append(ResourceChange("create", r["urn"], r["type"], _create_props(r)))
            continue
        changes = []
        for change in diff_values(before.get("inputs") or {}, r.get("inputs") or {}):
            reason = replace_reason(r["type"], change.path, change.old, change.new)
            changes.append(_with_reason(change, reason) if reason else change)
        op: Op = "replace" if any(c.replace_reason for c in changes) else "update"
        result.resources.append(ResourceChange(op, r["urn"], r["type"], tuple(changes)))
    cascade_replacements(result.resources, old_by_urn, {r["urn"]: r for r in new})
    # Unchanged resources stood in the list only so a replacement could reach them.
    result.resources = [c for c in result.resources if c.op != "update" or c.properties]
    for r in old:
        if r["urn"] not in new_urns:
            result.resources.append(ResourceChange("delete", r["urn"], r["type"]))
    result.outputs = diff_values(_stack_outputs(resources(base)), _stack_outputs(resources(head)))
    result.secret_config = list(secret_config)
    return result


def _with_reason(change: PropertyChange, reason: str) -> PropertyChange:
    return PropertyChange(
        change.path,
        change.kind,
        old=change.old,
        new=change.new,
        secret=change.secret,
        replace_reason=reason,
        text_diff=change.text_diff,
        note=change.note,
        text_block=change.text_block,
        text_lang=change.text_lang,
    )


def _create_props(resource: Mapping[str, Any]) -> tuple[PropertyChange, ...]:
    """A new resource's inputs as leaf `add` changes, so a reviewer sees what will be declared."""
    return tuple(_leaves(resource.get("inputs") or {}, ""))


def _leaves(value: Any, path: str) -> Iterator[PropertyChange]:
    if isinstance(value, Mapping) and value:
        for key in sorted(value):
            yield from _leaves(value[key], _key_path(path, key))
    elif _is_list(value) and value and any(isinstance(v, Mapping | list) for v in value):
        for i, item in enumerate(value):
            yield from _leaves(item, f"{path}[{i}]")
    else:
        yield _added(path, value)


_LANG_NAMES = {"xml": "XML", "kusto": "KQL", "text": "text"}


def _added(path: str, value: Any) -> PropertyChange:
    """A created resource's input; a multi-line text (a policy, a query) keeps its whole text to show."""
    if not isinstance(value, str) or "\n" not in value.strip("\n") or value == SECRET:
        return PropertyChange(path, "add", new=value, secret=value == SECRET)
    lines = tuple(value.strip("\n").splitlines())
    leaf = path.rsplit(".", 1)[-1].casefold()
    lang = "xml" if canonical_xml(value) is not None else "kusto" if leaf.endswith("query") else "text"
    return PropertyChange(
        path,
        "add",
        new=value,
        text_block=lines,
        text_lang=lang,
        note=f"{len(lines)} lines of {_LANG_NAMES[lang]}",
    )


def secret_config_changes(
    base: Mapping[str, Any] | None, head: Mapping[str, Any] | None
) -> list[PropertyChange]:
    """`secure:` entries of two Pulumi.<stack>.yaml `config:` maps, by key. Any new ciphertext counts as changed
    (`pulumi config set --secret` re-encrypts even an unchanged value); values are never carried."""
    old = {k: v["secure"] for k, v in (base or {}).items() if isinstance(v, Mapping) and "secure" in v}
    new = {k: v["secure"] for k, v in (head or {}).items() if isinstance(v, Mapping) and "secure" in v}
    changes = []
    for key in sorted(set(old) | set(new)):
        if key not in new:
            changes.append(PropertyChange(key, "remove", secret=True))
        elif key not in old:
            changes.append(PropertyChange(key, "add", secret=True))
        elif old[key] != new[key]:
            changes.append(PropertyChange(key, "update", secret=True, note="re-encrypted or changed"))
    return changes
