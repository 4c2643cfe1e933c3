"""A lab spread over regions: one account per region with its deployments, diagnostics and the gateway's role."""

from __future__ import annotations

import pytest

from facts.roles import OPENAI_USER
from stacks.naming import LabIdentity

SPREAD = [
    {"region": "eastus2", "capacity": {"chat": 60, "embeddings": 50}},
    {"region": "swedencentral", "capacity": {"chat": 90}},
]


@pytest.fixture
def plan(plan_with):
    return plan_with(location=SPREAD, regions=["eastus2", "eastus", "canadaeast", "swedencentral"])


def test_one_account_per_region_with_the_capacities_placed_there(plan):
    accounts = {
        a["inputs"]["location"]: a["inputs"] for a in plan.by_type("azure-native:cognitiveservices:Account")
    }
    assert set(accounts) == {"eastus2", "swedencentral"}
    primary, second = accounts["eastus2"], accounts["swedencentral"]
    lab = LabIdentity("aoai-lab", "dev")
    # Same random suffix; the added region's account carries the region, and purge/preflight recognise both.
    assert second["accountName"] == primary["accountName"] + "-swedencentral"
    assert lab.account_name_re.match(primary["accountName"]) and lab.account_name_re.match(
        second["accountName"]
    )
    assert second["properties"]["customSubDomainName"] == second["accountName"]
    assert second["properties"]["disableLocalAuth"] is True

    deployments = {}
    for d in plan.by_type("azure-native:cognitiveservices:Deployment"):
        parent_account = d["inputs"]["accountName"]
        deployments[(parent_account, d["inputs"]["deploymentName"])] = d["inputs"]["sku"]["capacity"]
    assert deployments == {
        (primary["accountName"], "chat"): 60,
        (primary["accountName"], "embeddings"): 50,
        (second["accountName"], "chat"): 90,
    }


def test_each_account_logs_to_the_workspace_and_the_gateway_may_call_it(plan):
    names = [a["inputs"]["accountName"] for a in plan.by_type("azure-native:cognitiveservices:Account")]
    uris = [s["inputs"]["resourceUri"] for s in plan.by_type("azure-native:monitor:DiagnosticSetting")]
    for name in names:
        assert sum(u.endswith(f"/accounts/{name}") for u in uris) == 1
    grants = [
        g["inputs"]["scope"]
        for g in plan.by_type("azure-native:authorization:RoleAssignment")
        if g["inputs"]["roleDefinitionId"].endswith(OPENAI_USER.id)
        and g["inputs"]["principalType"] == "ServicePrincipal"
    ]
    assert sorted(s.rsplit("/", 1)[-1] for s in grants) == sorted(names)


def test_outputs_list_every_region_primary_first(plan):
    regions = plan.outputs["accountRegions"]
    assert list(regions) == ["eastus2", "swedencentral"]
    assert regions["swedencentral"]["deployments"] == {"chat": 90}
    assert regions["eastus2"]["account"].startswith("aoai-lab-dev-")


def test_a_single_region_lab_is_unchanged(dev_plan):
    assert len(dev_plan.by_type("azure-native:cognitiveservices:Account")) == 1
    assert list(dev_plan.outputs["accountRegions"]) == ["eastus2"]
    caps = {
        d["inputs"]["deploymentName"]: d["inputs"]["sku"]["capacity"]
        for d in dev_plan.by_type("azure-native:cognitiveservices:Deployment")
    }
    assert caps == {"chat": 50, "embeddings": 50}


def test_diff_from_one_region_to_a_spread_shows_what_is_added(dev_plan, plan):
    from labctl.review.engine import diff_snapshots

    diff = diff_snapshots(
        dev_plan.snapshot(), plan.snapshot(), stack="dev", base_label="one", head_label="spread"
    )
    created = sorted(c.name for c in diff.resources if c.op == "create")
    assert "openai-swedencentral-account" in created
    assert "openai-swedencentral-chat" in created
    assert "gateway-azure-openai-pool-chat" in created
    assert "gateway-backend-swedencentral-member" in created
    assert "gateway-backend-eastus2-member" in created
    # The primary account stays (participants' endpoint and keys): only its chat capacity changes.
    assert not [
        c
        for c in diff.resources
        if c.op in ("delete", "replace") and c.name in ("openai-account", "gateway-service")
    ]
    assert ("update", "openai-chat") in [(c.op, c.name) for c in diff.resources]
