"""participantLimits.costCap: money turned into a token quota at the dearest token the lab serves, enforced by its own
token limit in the policy, shown with its arithmetic in the plan, and played against a student who wants more."""

from __future__ import annotations

import ssl
import xml.etree.ElementTree as ET
from typing import Any

import openai
import pytest

from labctl.project import read_stack_config
from stacks.config.load import ConfigError, load_settings
from stacks.config.source import split_config
from stacks.cost_cap import cost_caps
from tests.support.fake_gateway import FakeGateway
from tests.support.plans import API_POLICY, inputs

PRICES = {
    "gpt-5-mini": {"input": 0.25, "output": 2.0, "source": "test"},
    "text-embedding-3-small": {"input": 0.02, "source": "test"},
}
KEYS = {"k1-" + "a" * 37: "student01", "k2-" + "b" * 37: "student02"}


@pytest.fixture
def raw_dev() -> dict[str, Any]:
    flat, _ = read_stack_config("dev")
    lab, _ = split_config(flat)
    return {**lab, "prices": PRICES}


def _caps(plan) -> list[ET.Element]:
    root = ET.fromstring(inputs(plan, API_POLICY)["value"])
    return [e for e in root.iter("azure-openai-token-limit") if e.get("id") == "participant-cost-cap"]


def test_the_cap_is_priced_at_the_dearest_token_and_shown_with_its_arithmetic(raw_dev) -> None:
    settings = load_settings(
        {**raw_dev, "participantLimits": {"tokensPerMinute": 1000, "costCap": 5}},
        resource_group_location="eastus2",
    )
    caps, lines = cost_caps(settings)
    # 5 USD at gpt-5-mini's output price, 2.00 USD per 1,000,000 tokens: 2,500,000 tokens, whatever the mix.
    assert caps is not None and caps.everyone == 2_500_000
    assert lines == [
        "participant budget: costCap 5.00 USD / 2.00 USD per 1,000,000 tokens (gpt-5-mini output, deployment chat: "
        "the dearest token the lab serves) = 2,500,000 tokens over the class (quota period Yearly)"
    ]


def test_the_plan_declares_a_separate_yearly_counter_and_prints_the_arithmetic(plan_with, dev_config) -> None:
    participants = [dict(p) for p in dev_config["aoai-lab:participants"]]
    participants[1]["limits"] = {"costCap": 1}
    plan = plan_with(
        prices=PRICES,
        participantLimits={
            "tokensPerMinute": 1000,
            "tokenQuota": 100000,
            "tokenQuotaPeriod": "Daily",
            "costCap": 5,
        },
        participants=participants,
    )
    (everyone, student02) = sorted(_caps(plan), key=lambda e: e.get("token-quota", ""))
    assert everyone.attrib == {
        "id": "participant-cost-cap",
        "counter-key": '@("cost-cap:" + context.Subscription.Id)',
        "token-quota": "2500000",
        "token-quota-period": "Yearly",
        "estimate-prompt-tokens": "true",
        "remaining-quota-tokens-header-name": "x-participant-remaining-budget-tokens",
    }
    assert student02.get("token-quota") == "500000"
    # The participant's own limit keeps its daily quota: both counters apply, the first reached refuses.
    own = [e for e in ET.fromstring(inputs(plan, API_POLICY)["value"]).iter("azure-openai-token-limit")]
    assert any(e.get("id") == "participant-token-limit" and e.get("token-quota") == "100000" for e in own)
    assert any("participant budget: costCap 5.00 USD" in w for w in plan.warnings)
    assert any("participant budget of student02: costCap 1.00 USD" in w for w in plan.warnings)


def test_no_cap_no_element(plan_with) -> None:
    assert _caps(plan_with()) == []


def test_a_model_without_a_price_is_refused_with_the_key_and_the_fix(raw_dev) -> None:
    raw = {**raw_dev, "prices": {}, "participantLimits": {"costCap": 5}}
    raw["deployments"] = [
        *raw["deployments"],
        {**raw["deployments"][0], "name": "mine", "model": "my-ft-model"},
    ]
    with pytest.raises(ConfigError) as err:
        load_settings(raw, resource_group_location="eastus2")
    (problem,) = [p for p in err.value.problems if "costCap" in p]
    assert problem.startswith("aoai-lab:participantLimits.costCap: no price for model 'my-ft-model'")
    assert "Fix: add it under aoai-lab:prices" in problem


def test_a_class_across_new_year_is_warned(raw_dev) -> None:
    settings = load_settings(
        {**raw_dev, "startsOn": "2026-12-28", "expiresOn": "2027-01-08", "participantLimits": {"costCap": 5}},
        resource_group_location="eastus2",
    )
    assert any("crosses 1 January" in line for line in cost_caps(settings)[1])


def test_a_student_who_spends_the_budget_gets_a_403_that_says_so(fake_azure, plan_with) -> None:
    # 0.001 USD at 2 USD per million: 500 tokens each. The fake answers ~30 tokens a call.
    plan = plan_with(
        prices=PRICES, participantLimits={"tokenQuota": 10**6, "tokenQuotaPeriod": "Daily", "costCap": 0.001}
    )
    gateway = FakeGateway(
        server=fake_azure.server,
        keys={k: v for k, v in KEYS.items()},
        deployments={"chat": "gpt-5-mini", "embeddings": "text-embedding-3-small"},
    ).install()
    gateway.enforce_policy(inputs(plan, API_POLICY)["value"])
    http = openai.DefaultHttpxClient(verify=ssl.create_default_context(cafile=str(fake_azure.ca_file)))

    def client(key: str) -> openai.AzureOpenAI:
        return openai.AzureOpenAI(
            azure_endpoint=fake_azure.base_url,
            api_key=key,
            api_version="2025-04-01-preview",
            http_client=http,
            max_retries=0,
        )

    greedy, other = (client(k) for k in KEYS)
    spent = 0
    with pytest.raises(openai.PermissionDeniedError) as err:
        for _ in range(200):  # calls until refused; switching to the cheaper deployment does not help
            spent += greedy.chat.completions.create(
                model="chat", messages=[{"role": "user", "content": "más"}]
            ).usage.total_tokens
            greedy.embeddings.create(model="embeddings", input="más")
    assert err.value.status_code == 403
    assert err.value.code == "ParticipantBudgetSpent"
    assert "spent its budget" in str(err.value)
    assert 0 < spent <= 500 + 100  # at most one call past the cap (the policy counts after the answer)
    # Their own counter: a classmate is untouched.
    assert other.chat.completions.create(model="chat", messages=[{"role": "user", "content": "hola"}]).choices
