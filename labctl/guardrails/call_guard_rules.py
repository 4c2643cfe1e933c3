"""Guardrails of the limits per participant key (components/policies/guards/): a stack fails `labctl check` and the
policy pack when it re-opens one. Standard library only (the policy pack runs these too).

- gateway-output-cap: calls are capped (a cap variable the policy compares with and writes where the caller set
  none); without it one call writes up to the model's maximum and overshoots every token limit.
- gateway-concurrency-bound: a <limit-concurrency> in <backend> around the call to Azure OpenAI; without it parallel
  calls all pass the token check before any is counted.
- gateway-call-rate: a <rate-limit-by-key> in <inbound>; without it calls that cost no tokens are unbounded.
- gateway-counters-per-key: every counter (token limits, rate, concurrency) is keyed on the subscription, i.e. one
  participant key; any other key lets students share, or escape, a counter.
- gateway-product-no-self-service: the product needs approval and limits subscriptions per user.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from collections.abc import Iterator

from labctl.guardrails.model import Finding, Resource, Rule, StackView
from labctl.guardrails.policy_xml import parsed_api_policies
from labctl.type_tokens import PRODUCT, SUBSCRIPTION

PER_KEY = "@(context.Subscription.Id)"
CAP_VARIABLE = "lab-max-output-tokens"
# Elements that keep a counter, and the attribute naming its key.
COUNTERS = {
    "azure-openai-token-limit": "counter-key",
    "llm-token-limit": "counter-key",
    "rate-limit-by-key": "counter-key",
    "quota-by-key": "counter-key",
    "limit-concurrency": "key",
}


def _policies(view: StackView) -> Iterator[tuple[Resource, ET.Element]]:
    """Each API policy of a gateway that hands out participant keys, parsed."""
    if not view.of_type(SUBSCRIPTION):
        return
    yield from parsed_api_policies(view)


def _whole_number(text: str | None) -> bool:
    return text is not None and text.isdigit() and int(text) > 0


def _output_cap(view: StackView) -> Iterator[Finding]:
    for policy, root in _policies(view):
        caps = [v for v in root.iter("set-variable") if v.get("name") == CAP_VARIABLE]
        written = any(CAP_VARIABLE in (body.text or "") for body in root.iter("set-body"))
        if not caps or not all(_whole_number(v.get("value")) for v in caps) or not written:
            yield Finding(
                policy.urn,
                "calls have no output cap (max_tokens, max_completion_tokens, max_output_tokens): one call can write "
                "up to the model's maximum and overshoot every token limit",
            )


def _concurrency(view: StackView) -> Iterator[Finding]:
    for policy, root in _policies(view):
        backend = root.find("backend")
        bounds = [] if backend is None else list(backend.iter("limit-concurrency"))
        if not any(
            b.find(".//forward-request") is not None and _whole_number(b.get("max-count")) for b in bounds
        ):
            yield Finding(
                policy.urn,
                "calls in flight per key are not bounded (no <limit-concurrency> around forward-request in "
                "<backend>): parallel calls all pass the token limit before any is counted",
            )


def _call_rate(view: StackView) -> Iterator[Finding]:
    for policy, root in _policies(view):
        inbound = root.find("inbound")
        limits = [] if inbound is None else list(inbound.iter("rate-limit-by-key"))
        if not limits:
            yield Finding(
                policy.urn,
                "calls per minute per key are not bounded (no <rate-limit-by-key> in <inbound>): calls that cost no "
                "tokens (/v1/models, reads, 404s) can flood the gateway and the workspace's daily log cap",
            )


def _counters_per_key(view: StackView) -> Iterator[Finding]:
    for policy, root in _policies(view):
        for tag, attribute in COUNTERS.items():
            for element in root.iter(tag):
                key = (element.get(attribute) or "").strip()
                if key != PER_KEY:
                    yield Finding(
                        policy.urn,
                        f"<{tag}> counts by {attribute}={key!r}, not the participant's key ({PER_KEY}): students "
                        "would share (or escape) one counter",
                    )


def _product(r: Resource, _today: dt.date) -> Iterator[str]:
    if r.type != PRODUCT:
        return
    if r.get("approvalRequired") is not True:
        yield "approvalRequired is not true: anyone who reaches a developer portal could subscribe themselves"
    limit = r.get("subscriptionsLimit")
    # The policy engine passes numbers as floats.
    if not isinstance(limit, int | float) or isinstance(limit, bool) or limit < 1:
        yield "subscriptionsLimit is not set: one user could hold any number of keys"


CALL_GUARD_RULES: tuple[Rule, ...] = (
    Rule(
        id="gateway-output-cap",
        severity="mandatory",
        scope="stack",
        title="Every call's output is capped",
        rationale="Token limits count a completion after it is written: an uncapped call overshoots them by the "
        "model's whole maximum output.",
        fix="Keep components/policies/guards/participant-caps.xml in the policy; set "
        "aoai-lab:participantLimits.maxOutputTokens.",
        check_stack=_output_cap,
    ),
    Rule(
        id="gateway-concurrency-bound",
        severity="mandatory",
        scope="stack",
        title="Calls in flight per key are bounded",
        rationale="Parallel calls all pass the token check before any is counted; only a bound on calls in flight "
        "keeps the overshoot to a few calls.",
        fix="Keep the template's <limit-concurrency> around forward-request; set aoai-lab:concurrentCalls.",
        check_stack=_concurrency,
    ),
    Rule(
        id="gateway-call-rate",
        severity="mandatory",
        scope="stack",
        title="Calls per minute per key are bounded",
        rationale="Calls that cost no tokens are not counted by token limits, but they load the gateway and fill "
        "the workspace's daily log cap.",
        fix="Keep components/policies/guards/call-rate.xml in the policy; set aoai-lab:callsPerMinute.",
        check_stack=_call_rate,
    ),
    Rule(
        id="gateway-counters-per-key",
        severity="mandatory",
        scope="stack",
        title="Every counter of the gateway is per participant key",
        rationale="A counter keyed on the IP address or a constant is shared by a classroom behind one NAT, and one "
        "keyed on something the caller sends can be escaped by changing it.",
        fix=f'Key every token limit, rate limit and concurrency bound on "{PER_KEY}".',
        check_stack=_counters_per_key,
    ),
    Rule(
        id="gateway-product-no-self-service",
        severity="mandatory",
        scope="resource",
        title="Nobody can subscribe to the lab's product by themselves",
        rationale="The lab creates one subscription per participant; a self-service subscription is a key with no "
        "participant behind it.",
        fix="Keep approvalRequired: true and subscriptionsLimit: 1 on the product (components/ai_gateway.py).",
        check_resource=_product,
    ),
)
