"""The Azure OpenAI account and its deployments, as Azure would receive them."""

from __future__ import annotations

import itertools

from tests.support.plans import ACCOUNT, DEPLOYMENT, DIAGNOSTIC_SETTING, inputs, name_of


def test_account_defaults(dev_plan):
    account = inputs(dev_plan, ACCOUNT)
    assert account["kind"] == "OpenAI"
    assert account["sku"] == {"name": "S0"}
    assert account["location"] == "eastus2"
    props = account["properties"]
    # Keys are off: people reach models through the gateway or with Entra ID.
    assert props["disableLocalAuth"] is True
    assert props["publicNetworkAccess"] == "Enabled"
    # The custom subdomain is the account's global DNS name and Entra ID auth needs one.
    assert props["customSubDomainName"] == account["accountName"]
    assert "allowProjectManagement" not in props
    assert account["identity"] == {"type": "SystemAssigned"}


def test_foundry_kind_allows_projects(plan_with):
    plan = plan_with(accountKind="AIServices", disableLocalAuth=False, publicNetworkAccess="Disabled")
    account = inputs(plan, ACCOUNT)
    assert account["kind"] == "AIServices"
    assert account["properties"]["allowProjectManagement"] is True
    assert account["properties"]["disableLocalAuth"] is False
    assert account["properties"]["publicNetworkAccess"] == "Disabled"
    # Foundry resources answer on the cognitiveservices domain.
    assert plan.outputs["accountEndpoint"].endswith(".cognitiveservices.azure.com/")


def test_region_is_the_pin_else_the_first_candidate(plan_with):
    assert inputs(plan_with(location="swedencentral"), ACCOUNT)["location"] == "swedencentral"
    unpinned = plan_with(location=None, regions=["canadaeast", "eastus2"])
    assert inputs(unpinned, ACCOUNT)["location"] == "canadaeast"
    assert unpinned.outputs["accountRegion"] == "canadaeast"
    assert unpinned.outputs["regionPinned"] is False
    assert any("labctl preflight --write" in w for w in unpinned.warnings)


def test_deployments_receive_model_sku_and_capacity(dev_plan):
    deployments = {d["inputs"]["deploymentName"]: d["inputs"] for d in dev_plan.by_type(DEPLOYMENT)}
    assert set(deployments) == {"chat", "embeddings"}
    chat = deployments["chat"]
    assert chat["properties"]["model"] == {"format": "OpenAI", "name": "gpt-5-mini", "version": "2025-08-07"}
    assert chat["sku"] == {"name": "GlobalStandard", "capacity": 50}
    assert chat["properties"]["versionUpgradeOption"] == "OnceCurrentVersionExpired"
    account_name = inputs(dev_plan, ACCOUNT)["accountName"]
    assert all(d["accountName"] == account_name for d in deployments.values())


def test_deployments_are_serialized(plan_with):
    """Azure rejects concurrent deployments on one account: each waits for the previous one."""
    extra = [
        {
            "name": f"d{i}",
            "model": "gpt-4.1-nano",
            "version": "2025-04-14",
            "sku": "GlobalStandard",
            "capacity": 1,
        }
        for i in range(3)
    ]
    plan = plan_with(
        deployments=[
            {
                "name": "chat",
                "model": "gpt-5-mini",
                "version": "2025-08-07",
                "sku": "GlobalStandard",
                "capacity": 5,
            },
            *extra,
        ]
    )
    account = plan.one(ACCOUNT)
    chain = [r for r in plan.resources if r["type"] == DEPLOYMENT]
    by_name = {r["inputs"]["deploymentName"]: r for r in chain}
    order = ["chat", "d0", "d1", "d2"]
    assert account["urn"] in by_name["chat"]["dependencies"]
    for before, after in itertools.pairwise(order):
        assert by_name[before]["urn"] in by_name[after]["dependencies"], (before, after)
    # and not the other way round
    assert by_name["d2"]["urn"] not in by_name["d0"]["dependencies"]


def test_fine_tuned_model_is_just_another_deployment(plan_with, dev_config):
    ft = {
        "name": "ft-contoso",
        "model": "gpt-4.1-mini-2025-04-14.ft-0123456789abcdef0123456789abcdef",
        "version": "1",
        "sku": "DeveloperTier",
        "capacity": 1,
        "versionUpgradeOption": "NoAutoUpgrade",
        "raiPolicy": "Microsoft.DefaultV2",
    }
    plan = plan_with(deployments=[*dev_config["aoai-lab:deployments"], ft])
    deployment = next(d for d in plan.by_type(DEPLOYMENT) if d["inputs"]["deploymentName"] == "ft-contoso")
    props = deployment["inputs"]["properties"]
    assert props["model"]["name"] == ft["model"]
    assert props["raiPolicyName"] == "Microsoft.DefaultV2"
    assert props["versionUpgradeOption"] == "NoAutoUpgrade"
    assert deployment["inputs"]["sku"] == {"name": "DeveloperTier", "capacity": 1}
    assert plan.outputs["deployments"]["ft-contoso"]["capacity"] == 1


def test_account_logs_go_to_azure_diagnostics(dev_plan):
    account = dev_plan.one(ACCOUNT)
    setting = next(r for r in dev_plan.by_type(DIAGNOSTIC_SETTING) if name_of(r) == "openai-diagnostics")
    i = setting["inputs"]
    assert i["logs"] == [{"categoryGroup": "allLogs", "enabled": True}]
    assert i["metrics"] == [{"category": "AllMetrics", "enabled": True}]
    # No resource-specific tables exist for Azure OpenAI: absence of the type means AzureDiagnostics.
    assert "logAnalyticsDestinationType" not in i
    assert i["resourceUri"].endswith(f"/accounts/{account['inputs']['accountName']}")
    assert "/workspaces/" in i["workspaceId"]
