"""A lab spread over regions behind one gateway: regional backends with circuit breakers, a pool per deployment
held by several regions (no url/protocol: azure-rest-api-specs#35713), and the policy routing and retrying."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from components.gateway_backends import RegionalBackend, plan_routing
from components.gateway_routing import DEPLOYMENT_VARIABLE, add_routing

SPREAD = [
    {"region": "eastus2", "capacity": {"chat": 60, "embeddings": 50}},
    {"region": "swedencentral", "capacity": {"chat": 90}},
]


def test_routing_plan():
    routing = plan_routing(
        "azure-openai",
        [
            RegionalBackend("eastus2", "https://a", {"chat": 60, "embeddings": 50}, primary=True),
            RegionalBackend("swedencentral", "https://b", {"chat": 90, "gpt-4.1_x": 10}),
        ],
    )
    assert routing.regional == {"eastus2": "azure-openai", "swedencentral": "azure-openai-swedencentral"}
    assert routing.pools == {"azure-openai-pool-chat": [("eastus2", 60), ("swedencentral", 90)]}
    # embeddings only in the primary: the default route; gpt-4.1_x only in sweden: that region's backend.
    assert routing.routes == {"chat": "azure-openai-pool-chat", "gpt-4.1_x": "azure-openai-swedencentral"}
    assert routing.largest_pool == 2


def test_policy_routes_each_deployment_and_retries_on_429_and_503():
    policy = '<policies><inbound><base /><set-backend-service backend-id="azure-openai" /></inbound><backend><base /></backend><outbound><base /></outbound></policies>'
    out = ET.fromstring(add_routing(policy, {"chat": "azure-openai-pool-chat"}, 1))
    inbound = list(out.find("./inbound"))
    assert [e.tag for e in inbound] == ["base", "set-backend-service", "set-variable", "choose"]
    assert inbound[1].get("backend-id") == "azure-openai"  # the default stays first
    assert inbound[2].get("name") == DEPLOYMENT_VARIABLE
    assert 'MatchedParameters.GetValueOrDefault("deployment-id"' in inbound[2].get("value")
    (when,) = inbound[3]
    assert when.get("condition") == f'@((string)context.Variables["{DEPLOYMENT_VARIABLE}"] == "chat")'
    assert when.find("set-backend-service").get("backend-id") == "azure-openai-pool-chat"
    (retry,) = list(out.find("./backend"))
    assert retry.tag == "retry" and retry.get("count") == "1" and retry.get("first-fast-retry") == "true"
    assert "StatusCode == 429" in retry.get("condition") and "StatusCode == 503" in retry.get("condition")
    assert retry.find("forward-request").get("buffer-request-body") == "true"


def test_a_deployment_name_cannot_break_out_of_its_string():
    with pytest.raises(ValueError):
        add_routing(
            '<policies><inbound><set-backend-service backend-id="a" /></inbound></policies>', {'x"y': "b"}, 0
        )


@pytest.fixture
def plan(plan_with):
    return plan_with(location=SPREAD, regions=["eastus2", "eastus", "canadaeast", "swedencentral"])


def test_the_program_creates_regional_backends_and_a_pool_without_url_or_protocol(plan):
    backends = {
        b["inputs"]["backendId"]: b["inputs"] for b in plan.by_type("azure-native:apimanagement:Backend")
    }
    assert set(backends) == {"azure-openai", "azure-openai-swedencentral", "azure-openai-pool-chat"}
    sweden = backends["azure-openai-swedencentral"]
    sweden_account = next(
        a["inputs"]["accountName"]
        for a in plan.by_type("azure-native:cognitiveservices:Account")
        if a["inputs"]["location"] == "swedencentral"
    )
    # That region's own account, not the primary's.
    assert sweden["url"].startswith(f"https://{sweden_account}.") and sweden["url"].endswith("/openai")
    assert backends["azure-openai"]["url"] != sweden["url"]
    for single in ("azure-openai", "azure-openai-swedencentral"):
        rule = backends[single]["circuitBreaker"]["rules"][0]
        assert rule["acceptRetryAfter"] is True
        assert {"min": 429, "max": 429} in rule["failureCondition"]["statusCodeRanges"]
    pool = backends["azure-openai-pool-chat"]
    assert pool["type"] == "Pool"
    assert "url" not in pool and "protocol" not in pool
    services = pool["pool"]["services"]
    assert [(s["priority"], s["weight"]) for s in services] == [(1, 60), (1, 90)]


def test_the_programs_policy_sends_chat_to_the_pool(plan):
    policy = ET.fromstring(plan.one("azure-native:apimanagement:ApiPolicy")["inputs"]["value"])
    routes = [e.get("backend-id") for e in policy.find("./inbound").iter("set-backend-service")]
    assert "azure-openai-pool-chat" in routes
    assert policy.find("./backend//retry").get("count") == "1"


def test_a_single_region_lab_has_one_backend_and_no_routing(dev_plan):
    backends = dev_plan.by_type("azure-native:apimanagement:Backend")
    assert [b["inputs"]["backendId"] for b in backends] == ["azure-openai"]
    assert "circuitBreaker" not in backends[0]["inputs"]
    policy = ET.fromstring(dev_plan.one("azure-native:apimanagement:ApiPolicy")["inputs"]["value"])
    assert policy.find("./backend//retry") is None
    assert all(e.get("name") != DEPLOYMENT_VARIABLE for e in policy.iter("set-variable"))
