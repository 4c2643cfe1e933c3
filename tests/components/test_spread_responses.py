"""Stored Responses in a lab spread over regions: a response lives in the account that created it, so every
Responses call (create, retrieve, delete, previous_response_id; dated and v1) must reach one region while chat
calls are shared by the pool. Played with the real openai SDK against a loopback gateway that routes by the
program's rendered policy and backends (tests/support/fake_regions.py)."""

from __future__ import annotations

import ssl
import xml.etree.ElementTree as ET

import openai
import pytest

from tests.support.fake_regions import SpreadGateway

SPREAD = [
    {"region": "eastus2", "capacity": {"chat": 150, "embeddings": 50}},
    {"region": "swedencentral", "capacity": {"chat": 300}},
]
KEY = "k1-0123456789abcdef0123456789abcdef"


@pytest.fixture(scope="module")
def spread_plan():
    import copy

    from labctl.plan.runtime import run_program
    from labctl.project import read_stack_config
    from stacks.program import run
    from tests.conftest import _flatten

    config = copy.deepcopy(read_stack_config("dev")[0])
    config["aoai-lab:location"] = SPREAD
    config["aoai-lab:regions"] = ["eastus2", "swedencentral"]
    return run_program(run, project="aoai-lab", stack="dev", config=_flatten(config))


def _gateway(plan, policy_xml: str | None = None) -> SpreadGateway:
    backends = {
        b["inputs"]["backendId"]: b["inputs"] for b in plan.by_type("azure-native:apimanagement:Backend")
    }
    accounts = {
        a["inputs"]["accountName"]: a["inputs"]["location"]
        for a in plan.by_type("azure-native:cognitiveservices:Account")
    }
    policy = policy_xml or plan.one("azure-native:apimanagement:ApiPolicy")["inputs"]["value"]
    return SpreadGateway(policy_xml=policy, backends=backends, account_regions=accounts)


def _clients(fake_azure) -> tuple[openai.OpenAI, openai.AzureOpenAI]:
    http = openai.DefaultHttpxClient(verify=ssl.create_default_context(cafile=str(fake_azure.ca_file)))
    v1 = openai.OpenAI(
        base_url=f"{fake_azure.base_url}/openai/v1/",
        api_key=KEY,
        default_headers={"api-key": KEY},
        http_client=http,
        max_retries=0,
    )
    dated = openai.AzureOpenAI(
        azure_endpoint=fake_azure.base_url,
        api_key=KEY,
        api_version="2025-04-01-preview",
        http_client=http,
        max_retries=0,
    )
    return v1, dated


def test_chat_is_shared_by_the_pool_and_every_responses_call_reaches_one_region(spread_plan, fake_azure):
    gateway = _gateway(spread_plan).install(fake_azure.server)
    v1, dated = _clients(fake_azure)
    for _ in range(2):
        v1.chat.completions.create(model="chat", messages=[{"role": "user", "content": "Say ok."}])
    # The pool hands chat to both regions in turn: without pinning, Responses would be spread the same way.
    assert [region for _, _, region in gateway.answered] == ["eastus2", "swedencentral"]

    for client in (v1, dated, v1, dated):
        first = client.responses.create(model="chat", input="Say ok.")
        follow_up = client.responses.create(model="chat", input="And again.", previous_response_id=first.id)
        assert client.responses.retrieve(first.id).id == first.id
        client.responses.delete(follow_up.id)
    responses = [(method, region) for method, template, region in gateway.answered if "responses" in template]
    assert len(responses) == 16
    assert {region for _, region in responses} == {"eastus2"}
    assert gateway.stored["eastus2"] and not gateway.stored.get("swedencentral")


def test_without_the_responses_route_a_stored_response_is_lost(spread_plan, fake_azure):
    """The control: the same policy minus its Responses rule sends Responses through the pool, and a student's
    retrieve or previous_response_id lands in the region that does not hold the response."""
    root = ET.fromstring(spread_plan.one("azure-native:apimanagement:ApiPolicy")["inputs"]["value"])
    (choose, pinned) = next(
        (c, w)
        for c in root.iter("choose")
        for w in c.findall("when")
        if "UrlTemplate" in w.get("condition", "")
    )
    choose.remove(pinned)
    _gateway(spread_plan, ET.tostring(root, encoding="unicode")).install(fake_azure.server)
    v1, _ = _clients(fake_azure)
    lost = 0
    for _ in range(2):
        first = v1.responses.create(model="chat", input="Say ok.")
        try:
            v1.responses.retrieve(first.id)
        except openai.NotFoundError:
            lost += 1
    assert lost >= 1
