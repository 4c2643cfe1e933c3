"""`labctl diff` reports: plain text for a terminal, markdown for a pull request comment (capped in size)."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from typing import Any

from labctl.review.changes import MISSING_VALUE, PlanDiff, PropertyChange, ResourceChange

_OP_SYMBOL: dict[str, str] = {"create": "+", "update": "~", "replace": "+-", "delete": "-"}


_KIND_SYMBOL: dict[str, str] = {"add": "+", "remove": "-", "update": "~", "reorder": "~"}


_MAX_VALUE = 240


def _show(value: Any) -> str:
    text = (
        json.dumps(value, ensure_ascii=False, sort_keys=True)
        if not isinstance(value, bool | int | float)
        else (json.dumps(value))
    )
    if isinstance(value, str) and "\n" in value:
        return f"<{value.count(chr(10)) + 1} lines>"
    if len(text) > _MAX_VALUE:
        return text[: _MAX_VALUE - 1] + "…"
    return text


def property_line(change: PropertyChange) -> str:
    """One line per property change; values of secrets never appear."""
    symbol = "+-" if change.replace_reason else _KIND_SYMBOL[change.kind]
    if change.secret:
        body = {
            "add": "[secret] (added)",
            "remove": "[secret] (removed)",
        }.get(change.kind, "[secret] changed (values hidden)")
        if change.note and change.kind == "update":
            body = f"[secret] {change.note} (values hidden)"
    elif change.kind == "add" and change.text_block:
        body = f"<{change.note}, in full below>"
    elif change.kind == "add":
        body = _show(change.new)
    elif change.kind == "remove":
        body = _show(change.old)
    elif change.kind == "reorder":
        body = f"order changed: {_show(change.old)} => {_show(change.new)}"
    elif change.old is MISSING_VALUE:
        # Text and XML changes carry a note and a unified diff instead of two values.
        body = change.note
    else:
        body = f"{_show(change.old)} => {_show(change.new)}"
    line = f"{symbol} {change.path or '(value)'}: {body}"
    if change.replace_reason:
        line += f"  [forces replacement: {change.replace_reason}]"
    return line


def cause_line(cause: str) -> str:
    return f"+- {cause}  [forces replacement]"


def render_text(diff: PlanDiff) -> str:
    out = [f"labctl diff: stack {diff.stack}, {diff.base_label} -> {diff.head_label}", ""]
    if not diff.has_changes:
        out.append("No changes.")
    for r in diff.resources:
        out.append(f"{_OP_SYMBOL[r.op]} {r.type} {r.name} ({r.op})")
        out.extend("    " + cause_line(cause) for cause in r.causes)
        for change in r.properties:
            out.append("    " + property_line(change))
            out.extend("        " + line for line in change.text_diff)
            out.extend(("        | " + line).rstrip() for line in change.text_block)
    if diff.outputs:
        out += ["", "Outputs:"]
        for change in diff.outputs:
            out.append("    " + property_line(change))
            out.extend("        " + line for line in change.text_diff)
    if diff.secret_config:
        out += ["", f"Secret config (Pulumi.{diff.stack}.yaml):"]
        out.extend("    " + property_line(c) for c in diff.secret_config)
    out += ["", diff.summary()]
    return "\n".join(out) + "\n"


def _fence(lines: Sequence[str], lang: str = "diff") -> list[str]:
    longest = max((len(m) for line in lines for m in re.findall(r"`+", line)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{fence}{lang}", *lines, fence]


def _escape(text: str) -> str:
    return html.escape(text, quote=False)


# GitHub refuses a comment longer than 65,536 characters; the workflow caps the diff below that, leaving room for
# the guardrails report and the marker in the same comment.
COMMENT_LIMIT = 60_000


# A capped report shows at most this many created resources in full; beyond, they are listed one line each (a
# hundred new participants are a hundred look-alike sections nobody reads in a comment).
CREATE_DETAIL_LIMIT = 25


# A banner longer than this lists the first resources and counts the rest.
_BANNER_MAX_ITEMS = 50


def _banner(diff: PlanDiff) -> list[str]:
    dangerous = [r for r in diff.resources if r.op in ("replace", "delete")]
    if not dangerous:
        return []
    out = [
        "> [!WARNING]",
        f"> **{diff.count('replace')} to replace, {diff.count('delete')} to delete.** "
        "Replaced and deleted resources lose their state (keys, endpoints, logs; soft-deleted names stay "
        "reserved), and Azure deletes a replaced resource's children and role assignments with it. Check that "
        "this is intended.",
    ]
    for r in dangerous[:_BANNER_MAX_ITEMS]:
        why = f": {'; '.join(r.reasons)}" if r.reasons else ""
        out.append(f"> - `{_OP_SYMBOL[r.op]}` **{_escape(r.name)}** `{r.type}`{_escape(why)}")
    if len(dangerous) > _BANNER_MAX_ITEMS:
        out.append(f"> - … and {len(dangerous) - _BANNER_MAX_ITEMS} more (each has its section below)")
    return [*out, ""]


def _resource_section(r: ResourceChange) -> str:
    out = [
        f"<details><summary><code>{_OP_SYMBOL[r.op]} {r.op}</code> <b>{_escape(r.name)}</b> "
        f"<code>{_escape(r.type)}</code></summary>",
        "",
    ]
    body: list[str] = [cause_line(cause) for cause in r.causes]
    for change in r.properties:
        body.append(property_line(change))
        body.extend(change.text_diff)
    out += _fence(body or [f"{_OP_SYMBOL[r.op]} {r.name}"])
    for change in r.properties:
        if change.text_block:
            out += ["", f"`{change.path}`:", ""]
            out += _fence(change.text_block, change.text_lang)
    out += ["", "</details>", ""]
    return "\n".join(out) + "\n"


def _created_list(created: Sequence[ResourceChange], budget: int) -> str:
    """The created resources one line each, as many as fit in `budget` characters, then how many more."""
    head = [
        f"<details open><summary><code>+ create</code> <b>{len(created)} resources</b> "
        "(one line each; their properties are in the full report)</summary>",
        "",
    ]
    lines = [f"+ {r.name} {r.type}" for r in created]
    fence = _fence(lines)
    opening, closing = fence[0], fence[-1]
    tail = ["", "</details>", ""]
    fixed = len("\n".join([*head, opening, closing, *tail])) + 80
    shown: list[str] = []
    used = fixed
    for line in lines:
        if used + len(line) + 1 > budget:
            break
        shown.append(line)
        used += len(line) + 1
    if len(shown) < len(lines):
        shown.append(f"… and {len(lines) - len(shown)} more to create")
    return "\n".join([*head, opening, *shown, closing, *tail]) + "\n"


def _truncation_note(omitted: int, created: int, full_report_url: str | None) -> str:
    where = f"[this workflow run]({full_report_url})" if full_report_url else "this workflow run"
    what = []
    if created:
        what.append(f"the {created} created resources are listed one line each")
    if omitted:
        what.append(f"{omitted} section(s) that did not fit are left out")
    return (
        "> [!NOTE]\n"
        f"> This report is shortened to fit a pull request comment: {' and '.join(what) or 'nothing is left out'}. "
        f"The full report is in the job summary and the `labctl-diff` artifact of {where}.\n"
    )


def render_markdown(
    diff: PlanDiff, *, max_chars: int | None = None, full_report_url: str | None = None
) -> str:
    """A pull request comment: banner on replace/delete, the summary, one collapsible section per resource.

    With `max_chars`, a report that would be longer (or that creates more than CREATE_DETAIL_LIMIT resources) lists
    created resources one line each and, if that is still too long, leaves out the sections that don't fit, with a
    note saying where the full report is."""
    head = "\n".join(
        [
            f"### Infrastructure diff for stack `{diff.stack}`",
            "",
            f"Offline plan (`labctl diff`) of {_escape(diff.head_label)} against {_escape(diff.base_label)}.",
            "",
            *_banner(diff),
            f"**`{diff.summary()}`**",
            "",
            *(["No changes.", ""] if not diff.has_changes else []),
        ]
    )
    head += "\n"
    tail: list[str] = []
    if diff.outputs:
        body: list[str] = []
        for change in diff.outputs:
            body.append(property_line(change))
            body.extend(change.text_diff)
        tail.append(
            "\n".join(["<details><summary>Stack outputs</summary>", "", *_fence(body), "", "</details>", ""])
            + "\n"
        )
    if diff.secret_config:
        tail.append(
            "\n".join(
                [
                    f"Secret config in `Pulumi.{diff.stack}.yaml` (values never shown):",
                    "",
                    *_fence([property_line(c) for c in diff.secret_config]),
                    "",
                ]
            )
            + "\n"
        )
    full = head + "".join(_resource_section(r) for r in diff.resources) + "".join(tail)
    created = [r for r in diff.resources if r.op == "create"]
    if max_chars is None or (len(full) <= max_chars and len(created) <= CREATE_DETAIL_LIMIT):
        return full.rstrip("\n") + "\n"

    # Too long: replaces, updates and deletes keep their sections, in order; creates become one line each.
    note = _truncation_note(len(diff.resources), len(created), full_report_url)  # the longest it gets
    others = [_resource_section(r) for r in diff.resources if r.op != "create"] + tail
    budget = max_chars - len(head) - len(note)
    parts: list[str] = []
    omitted = 0
    for section in others:
        if omitted or len(section) > budget:
            omitted += 1
            continue
        parts.append(section)
        budget -= len(section)
    if created:
        parts.append(_created_list(created, budget))
    out = head + "".join(parts) + _truncation_note(omitted, len(created), full_report_url)
    return out.rstrip("\n") + "\n"
