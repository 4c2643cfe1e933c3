"""A lab spread over regions behind one gateway: pool members (with circuit breakers) weighted 1..100 from the
regions' capacities, direct backends without breakers, pools without url/protocol (azure-rest-api-specs#35713),
and the policy routing and retrying (components/policies/spread-routing.xml)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from azure.mgmt.apimanagement.models import BackendPoolItem

from components.backend_pools import POOL_VALUE_MAX, POOL_VALUE_MIN, pool_weights
from components.gateway_backends import RegionalBackend, plan_routing
from components.gateway_routing import DEPLOYMENT_VARIABLE, POOLED_VARIABLE, add_routing

SPREAD = [
    {"region": "eastus2", "capacity": {"chat": 150, "embeddings": 50}},
    {"region": "swedencentral", "capacity": {"chat": 300}},
]


def _accepted(field: str, value: int) -> bool:
    """Whether Azure's model of a pool member takes `value` (azure-mgmt-apimanagement's bounds, from the REST spec)."""
    bounds = BackendPoolItem._validation[field]
    return bounds["minimum"] <= value <= bounds["maximum"]


POLICY = (
    '<policies><inbound><base /><set-backend-service backend-id="azure-openai" /></inbound>'
    "<backend><base /></backend><outbound><base /></outbound></policies>"
)


def test_routing_plan():
    routing = plan_routing(
        "azure-openai",
        [
            RegionalBackend("eastus2", "https://a", {"chat": 60, "embeddings": 50}, primary=True),
            RegionalBackend("swedencentral", "https://b", {"chat": 90, "gpt-4.1_x": 10}),
        ],
    )
    # Direct backends (no breaker): the primary's is the policy default; sweden's takes gpt-4.1_x, only there.
    assert routing.direct == {"eastus2": "azure-openai", "swedencentral": "azure-openai-swedencentral"}
    assert routing.members == {
        "eastus2": "azure-openai-eastus2-member",
        "swedencentral": "azure-openai-swedencentral-member",
    }
    assert routing.pools == {"azure-openai-pool-chat": [("eastus2", 67), ("swedencentral", 100)]}
    assert routing.routes == {"chat": "azure-openai-pool-chat", "gpt-4.1_x": "azure-openai-swedencentral"}
    assert routing.responses == "azure-openai"
    assert routing.largest_pool == 2


@pytest.mark.parametrize(
    ("capacities", "weights"),
    [([150, 300], [50, 100]), ([300, 150, 1], [100, 50, 1]), ([1000, 1000], [100, 100]), ([7], [100])],
)
def test_pool_weights_stay_in_azures_range_and_keep_the_ratio(capacities, weights):
    assert pool_weights(capacities) == weights
    assert all(_accepted("weight", w) for w in weights)


def test_azures_bounds_refuse_raw_capacities_as_weights():
    # The bug this replaces: a spread lab sent capacities (150, 300) as weights; Azure refuses 150 and 300.
    for field in ("weight", "priority"):
        assert BackendPoolItem._validation[field] == {"maximum": POOL_VALUE_MAX, "minimum": POOL_VALUE_MIN}
    assert not _accepted("weight", 150) and not _accepted("weight", 300)


def test_pool_weights_refuse_a_region_without_capacity():
    with pytest.raises(ValueError, match="positive"):
        pool_weights([10, 0])


def _route(policy: str, **kw) -> ET.Element:
    defaults = {"pools": {"azure-openai-pool-chat"}, "responses_backend": "azure-openai", "retries": 1}
    return ET.fromstring(
        add_routing(policy, {"chat": "azure-openai-pool-chat", "x": "b-x"}, **{**defaults, **kw})
    )


def test_policy_routes_each_deployment_and_retries_pooled_calls_on_429_and_503():
    out = _route(POLICY)
    inbound = list(out.find("./inbound"))
    assert [e.tag for e in inbound] == ["base", "set-backend-service", "set-variable", "choose"]
    assert inbound[1].get("backend-id") == "azure-openai"  # the default stays first
    assert inbound[2].get("name") == DEPLOYMENT_VARIABLE
    assert 'MatchedParameters.GetValueOrDefault("deployment-id"' in inbound[2].get("value")
    responses, chat, direct = inbound[3]
    assert responses.get("condition") == (
        '@(context.Operation.UrlTemplate.StartsWith("/responses") '
        '|| context.Operation.UrlTemplate.StartsWith("/v1/responses"))'
    )
    assert [(e.tag, e.attrib) for e in responses] == [("set-backend-service", {"backend-id": "azure-openai"})]
    assert chat.get("condition") == f'@((string)context.Variables["{DEPLOYMENT_VARIABLE}"] == "chat")'
    assert [(e.tag, e.attrib) for e in chat] == [
        ("set-backend-service", {"backend-id": "azure-openai-pool-chat"}),
        ("set-variable", {"name": POOLED_VARIABLE, "value": "true"}),
    ]
    # A direct route is not marked pooled, so a 429 there is not retried on the same region.
    assert [(e.tag, e.attrib) for e in direct] == [("set-backend-service", {"backend-id": "b-x"})]
    (retry,) = list(out.find("./backend"))
    assert retry.tag == "retry" and retry.get("count") == "1" and retry.get("first-fast-retry") == "true"
    condition = retry.get("condition")
    assert condition.startswith(f'@(context.Variables.ContainsKey("{POOLED_VARIABLE}") && (')
    assert "StatusCode == 429" in condition and "StatusCode == 503" in condition
    assert retry.find("forward-request").get("buffer-request-body") == "true"
    assert "${" not in ET.tostring(out, encoding="unicode") and "lab-route" not in ET.tostring(out, "unicode")


def test_without_pools_the_backend_section_is_the_base_one():
    out = _route(POLICY, pools=set(), retries=0)
    assert [e.tag for e in out.find("./backend")] == ["base"]


@pytest.mark.parametrize("name", ['x"y', "a\\b", 'c") || true || ("', "d e"])
def test_a_deployment_name_cannot_break_out_of_its_string(name):
    with pytest.raises(ValueError, match="cannot be routed"):
        add_routing(POLICY, {name: "b"}, pools=set(), responses_backend="a", retries=0)


@pytest.fixture
def plan(plan_with):
    return plan_with(location=SPREAD, regions=["eastus2", "eastus", "canadaeast", "swedencentral"])


def _backends(plan) -> dict[str, dict]:
    return {b["inputs"]["backendId"]: b["inputs"] for b in plan.by_type("azure-native:apimanagement:Backend")}


def test_the_program_sends_azure_pool_members_weighted_1_to_100(plan):
    backends = _backends(plan)
    assert set(backends) == {
        "azure-openai",
        "azure-openai-eastus2-member",
        "azure-openai-swedencentral-member",
        "azure-openai-pool-chat",
    }
    pool = backends["azure-openai-pool-chat"]
    assert pool["type"] == "Pool"
    assert "url" not in pool and "protocol" not in pool
    services = pool["pool"]["services"]
    # 150 and 300 thousand tokens per minute: weights 50 and 100, both members at priority 1.
    assert [(s["priority"], s["weight"]) for s in services] == [(1, 50), (1, 100)]
    assert all(_accepted("weight", s["weight"]) and _accepted("priority", s["priority"]) for s in services)


def test_only_pool_members_have_circuit_breakers(plan):
    backends = _backends(plan)
    sweden_account = next(
        a["inputs"]["accountName"]
        for a in plan.by_type("azure-native:cognitiveservices:Account")
        if a["inputs"]["location"] == "swedencentral"
    )
    sweden = backends["azure-openai-swedencentral-member"]
    # That region's own account, not the primary's.
    assert sweden["url"].startswith(f"https://{sweden_account}.") and sweden["url"].endswith("/openai")
    assert backends["azure-openai-eastus2-member"]["url"] == backends["azure-openai"]["url"]
    # The backend of direct calls (embeddings, stored Responses) has no breaker: one 429 must not cut them off.
    assert "circuitBreaker" not in backends["azure-openai"]
    for member in ("azure-openai-eastus2-member", "azure-openai-swedencentral-member"):
        assert backends[member]["circuitBreaker"] == {
            "rules": [
                {
                    "name": "trip-on-429-or-5xx",
                    "acceptRetryAfter": True,
                    "tripDuration": "PT1M",
                    "failureCondition": {
                        "count": 1,
                        "interval": "PT1M",
                        "statusCodeRanges": [{"min": 429, "max": 429}, {"min": 500, "max": 599}],
                    },
                }
            ]
        }


def test_the_programs_policy_sends_chat_to_the_pool_and_responses_to_the_primary(plan):
    policy = ET.fromstring(plan.one("azure-native:apimanagement:ApiPolicy")["inputs"]["value"])
    routes = [e.get("backend-id") for e in policy.find("./inbound").iter("set-backend-service")]
    assert routes == ["azure-openai", "azure-openai", "azure-openai-pool-chat"]
    assert policy.find("./backend//retry").get("count") == "1"


def test_a_single_region_lab_has_one_backend_and_no_routing(dev_plan):
    backends = dev_plan.by_type("azure-native:apimanagement:Backend")
    assert [b["inputs"]["backendId"] for b in backends] == ["azure-openai"]
    assert "circuitBreaker" not in backends[0]["inputs"]
    policy = ET.fromstring(dev_plan.one("azure-native:apimanagement:ApiPolicy")["inputs"]["value"])
    assert policy.find("./backend//retry") is None
    assert all(e.get("name") != DEPLOYMENT_VARIABLE for e in policy.iter("set-variable"))
