"""The guard fragments as the policy holds them: values checked, placed in their slots, one caps copy per group of
participants, nothing left when a gateway has no guards. (What they refuse: test_gateway_attacks.py.)"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from components import gateway_guards
from components.gateway_guards import CallCaps, GatewayGuards, ResponsesRules
from components.gateway_policy import GatewayPolicyArgs, render_policy
from components.policy_template import PolicyTemplateError
from labctl.guardrails.policy_expressions import check_policy_expressions


def _render(guards: GatewayGuards | None) -> ET.Element:
    return ET.fromstring(render_policy(GatewayPolicyArgs(guards=guards)))


def test_every_guard_lands_in_its_section_with_its_values():
    root = _render(
        GatewayGuards(deployments=("chat", "embeddings"), calls_per_minute=30, max_concurrent_calls=3)
    )
    rate = root.find("inbound/rate-limit-by-key")
    assert rate is not None and rate.attrib == {
        "id": "participant-call-rate",
        "calls": "30",
        "renewal-period": "60",
        "counter-key": "@(context.Subscription.Id)",
        "retry-after-variable-name": "participantCallRetryAfter",
        "remaining-calls-header-name": "x-participant-remaining-calls",
    }
    bound = root.find("backend/limit-concurrency")
    assert bound is not None and (bound.get("key"), bound.get("max-count")) == (
        "@(context.Subscription.Id)",
        "3",
    )
    assert [child.tag for child in bound] == ["forward-request"]
    variables = {v.get("name"): v.get("value") for v in root.iter("set-variable")}
    assert variables["lab-allowed-deployments"] == "chat,embeddings"
    assert (variables["lab-max-output-tokens"], variables["lab-max-choices"]) == ("4096", "1")
    assert (
        variables["lab-allow-store"],
        variables["lab-allow-background"],
        variables["lab-allowed-tools"],
    ) == (
        "false",
        "false",
        "function",
    )
    codes = [ET.tostring(w, encoding="unicode") for w in root.findall("on-error/choose/when")]
    assert any("ParticipantCallRateExceeded" in c and "more than 30 calls" in c for c in codes)
    assert any("ParticipantConcurrencyExceeded" in c and "already has 3 calls" in c for c in codes)
    # No placeholder or slot is left, and every expression passes the offline C# check.
    text = ET.tostring(root, encoding="unicode")
    assert "${" not in text and "<call-guards" not in text and "<participant-caps" not in text
    assert check_policy_expressions(text) == []


def test_participants_with_caps_of_their_own_get_one_branch_per_group():
    guards = GatewayGuards(
        deployments=("chat",),
        caps=CallCaps(1000),
        participant_caps={
            "ana": CallCaps(1000),  # same as the class: no branch
            "ben": CallCaps(8000, 2),
            "eva": CallCaps(8000, 2),
            "leo": CallCaps(200),
        },
    )
    root = _render(guards)
    (choose,) = [
        c
        for c in root.iter("choose")
        if c.find("when/set-variable[@name='lab-max-output-tokens']") is not None
    ]
    whens = choose.findall("when")
    assert [w.get("condition") for w in whens] == [
        '@(context.Subscription.Id == "ben" || context.Subscription.Id == "eva")',
        '@(context.Subscription.Id == "leo")',
    ]
    assert [w.find("set-variable").get("value") for w in whens] == ["8000", "200"]  # type: ignore[union-attr]
    assert "at most 8000 output tokens" in ET.tostring(whens[0], encoding="unicode")
    otherwise = choose.find("otherwise/set-variable")
    assert otherwise is not None and otherwise.get("value") == "1000"


def test_no_guards_leaves_no_trace_and_still_forwards():
    root = _render(None)
    text = ET.tostring(root, encoding="unicode")
    assert "rate-limit-by-key" not in text and "limit-concurrency" not in text and 'name="lab-' not in text
    assert [c.tag for c in root.find("backend")] == ["forward-request"]  # type: ignore[union-attr]


def test_consumption_gets_no_rate_and_no_answer_for_it():
    root = _render(GatewayGuards(deployments=("chat",), calls_per_minute=None))
    assert root.find("inbound/rate-limit-by-key") is None
    assert "participant-call-rate" not in ET.tostring(root.find("on-error"), encoding="unicode")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: GatewayGuards(deployments=()), "list the class's deployments"),
        (lambda: GatewayGuards(deployments=('chat" || true',)), "not a deployment name"),
        (
            lambda: GatewayGuards(deployments=("chat",), calls_per_minute=0),
            "calls_per_minute must be a positive",
        ),
        (
            lambda: GatewayGuards(deployments=("chat",), participant_caps={'x") || ("': CallCaps(1)}),
            "subscription id",
        ),
        (lambda: CallCaps(max_output_tokens=0), "max_output_tokens"),
        (lambda: ResponsesRules(background=True), "background responses need store"),
        (lambda: ResponsesRules(tools=("web search",)), "not a tool type"),
    ],
)
def test_values_that_could_change_the_policy_are_refused(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_a_fragment_with_an_unknown_placeholder_is_an_error(tmp_path: Path, monkeypatch):
    broken = tmp_path / "participant-caps.xml"
    broken.write_text('<fragment><set-variable name="x" value="${nope}" /></fragment>', encoding="utf-8")
    monkeypatch.setattr(gateway_guards, "PARTICIPANT_CAPS", broken)
    with pytest.raises(PolicyTemplateError, match=r"placeholder \$\{nope\} has no value"):
        _render(GatewayGuards(deployments=("chat",)))
