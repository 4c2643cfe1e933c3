"""The gateway's guards per call, from the XML fragments in components/policies/guards/: calls per minute and calls
in flight per key, no key in the URL, path parameters, the class's deployments only, output and `n` caps per call,
and what the Responses API may do (store, background, server-side tools).

What the gateway does is in the fragments; this module only fills their placeholders and puts them where the
template's `<call-rate-guard />`, `<call-guards />` and `<guard-errors />` elements stand, with the policy's one
filler and slot code (components/policy_template.py: a placeholder is a whole attribute value `${name}`, or a
`${name}` inside the JSON text of a `<set-body>`, a refusal's message). Values are checked here (numbers, names of
a known alphabet), and ElementTree escapes whatever it writes, so a value can never change the policy's structure.
"""

from __future__ import annotations

import copy
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from components.policy_template import (
    check_subscription_id,
    fill_placeholders,
    per_subscription,
    replace_element,
    the_one,
)

GUARDS_DIR = Path(__file__).parent / "policies" / "guards"
CALL_RATE = GUARDS_DIR / "call-rate.xml"
CALL_GUARDS = GUARDS_DIR / "call-guards.xml"
PARTICIPANT_CAPS = GUARDS_DIR / "participant-caps.xml"
GUARD_ERRORS = GUARDS_DIR / "guard-errors.xml"
# The `id`s on-error tells the refusals apart by (context.LastError.PolicyId).
CALL_RATE_ID = "participant-call-rate"
CONCURRENCY_ID = "participant-concurrency"
# Where the fragments go in the template.
SLOTS = {"call-rate-guard": CALL_RATE, "call-guards": CALL_GUARDS, "guard-errors": GUARD_ERRORS}
CAPS_SLOT = "participant-caps"
# Names that reach the policy as a comma-separated list: no comma, quote or markup can appear in them.
_DEPLOYMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{1,63}")
_TOOL_TYPE = re.compile(r"[a-z][a-z0-9_]{0,63}")


class GuardTemplateError(ValueError):
    """A fragment and the values do not fit together."""


def _positive(name: str, value: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{name} must be a positive whole number, not {value!r}")


@dataclass(frozen=True)
class CallCaps:
    """What one call may ask for: output tokens (max_tokens, max_completion_tokens, max_output_tokens) and `n`."""

    max_output_tokens: int
    max_choices: int = 1

    def __post_init__(self) -> None:
        _positive("max_output_tokens", self.max_output_tokens)
        _positive("max_choices", self.max_choices)

    def values(self) -> dict[str, str]:
        return {"maxOutputTokens": str(self.max_output_tokens), "maxChoices": str(self.max_choices)}


@dataclass(frozen=True)
class ResponsesRules:
    """What the Responses API may do on the gateway. Off by default: `store` would keep every response readable by
    any key of the class, `background` needs `store`, and server-side tools are billed outside the token budget."""

    store: bool = False
    background: bool = False
    # Tool types allowed in `tools`; `function` tools run on the caller's side and are billed in tokens.
    tools: tuple[str, ...] = ("function",)

    def __post_init__(self) -> None:
        if self.background and not self.store:
            raise ValueError("background responses need store: allow store too, or not background")
        for tool in self.tools:
            if not _TOOL_TYPE.fullmatch(tool):
                raise ValueError(f"'{tool}' is not a tool type (lowercase letters, digits and '_')")
        if not self.tools:
            raise ValueError("list at least one tool type (function)")


@dataclass(frozen=True)
class GatewayGuards:
    """Every limit per participant key that is not a token count."""

    deployments: tuple[str, ...]
    # None: no rate per key (API Management Consumption has no rate-limit-by-key; the guardrail says so).
    calls_per_minute: int | None = 60
    max_concurrent_calls: int = 4
    caps: CallCaps = field(default_factory=lambda: CallCaps(max_output_tokens=4096))
    # Participants (APIM subscription ids) whose caps differ from `caps`.
    participant_caps: Mapping[str, CallCaps] = field(default_factory=dict)
    responses: ResponsesRules = field(default_factory=ResponsesRules)

    def __post_init__(self) -> None:
        if self.calls_per_minute is not None:
            _positive("calls_per_minute", self.calls_per_minute)
        _positive("max_concurrent_calls", self.max_concurrent_calls)
        if not self.deployments:
            raise ValueError("list the class's deployments: a gateway without any refuses every model")
        for name in self.deployments:
            if not _DEPLOYMENT.fullmatch(name):
                raise ValueError(f"'{name}' is not a deployment name the policy can list")
        for sid in self.participant_caps:
            check_subscription_id(sid)

    def values(self) -> dict[str, str]:
        return {
            "callsPerMinute": str(self.calls_per_minute or ""),
            "maxConcurrentCalls": str(self.max_concurrent_calls),
            "allowedDeployments": ",".join(self.deployments),
            "allowedTools": ",".join(self.responses.tools),
            "deploymentList": ", ".join(self.deployments),
            "toolList": ", ".join(self.responses.tools),
            "allowStore": "true" if self.responses.store else "false",
            "allowBackground": "true" if self.responses.background else "false",
        }


def _fragment(path: Path) -> list[ET.Element]:
    root = ET.fromstring(path.read_text(encoding="utf-8"))
    if root.tag != "fragment":
        raise GuardTemplateError(f"{path.name}: a fragment's root is <fragment>")
    return list(root)


def _caps_elements(guards: GatewayGuards) -> list[ET.Element]:
    """One copy of participant-caps.xml for everyone, or a <choose> with one copy per group of participants whose
    caps differ (the rest get `guards.caps`)."""
    prototype = _fragment(PARTICIPANT_CAPS)

    def copy_for(caps: CallCaps) -> list[ET.Element]:
        elements = [copy.deepcopy(e) for e in prototype]
        for element in elements:
            fill_placeholders(element, caps.values())
        return elements

    return per_subscription(guards.caps, guards.participant_caps, copy_for)


def _drop_answers_of(element: ET.Element, policy_id: str) -> None:
    """Remove the on-error `<when>`s that answer the refusals of the policy `policy_id` (it is not in the policy)."""
    for choose in element.iter("choose"):
        for when in list(choose):
            if f'"{policy_id}"' in when.get("condition", ""):
                choose.remove(when)


def expand_guards(root: ET.Element, guards: GatewayGuards | None) -> None:
    """Put the guard fragments in their slots (or remove the slots, and unwrap <limit-concurrency>, when None)."""
    slots = {tag: the_one(root, tag) for tag in SLOTS}
    concurrency = [e for e in root.iter("limit-concurrency") if e.get("id") == CONCURRENCY_ID]
    if len(concurrency) != 1:
        raise GuardTemplateError(f'the template must hold one <limit-concurrency id="{CONCURRENCY_ID}">')
    if guards is None:
        for slot in slots.values():
            replace_element(root, slot, [])
        replace_element(root, concurrency[0], list(concurrency[0]))
        return
    values = guards.values()
    fill_placeholders(concurrency[0], values)
    for tag, path in SLOTS.items():
        elements = [] if tag == "call-rate-guard" and guards.calls_per_minute is None else _fragment(path)
        for element in elements:
            if guards.calls_per_minute is None:
                _drop_answers_of(element, CALL_RATE_ID)
            fill_placeholders(element, values)
        replace_element(root, slots[tag], elements)
    replace_element(root, the_one(root, CAPS_SLOT, where="call-guards.xml"), _caps_elements(guards))
