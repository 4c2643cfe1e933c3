"""The validation template is generated from the plan: what the program declares is what Azure validates."""

from __future__ import annotations

import copy

import pytest
from pulumi_azure_native import apimanagement, cognitiveservices

from labctl.plan.runtime import plan_stack
from labctl.preflight.verdicts.plans import region_plan
from labctl.preflight.verdicts.template import PlannedLab, TemplateError, arm_body, validation_template
from labctl.project import load_stack_settings
from labctl.snapshot import UNKNOWN
from labctl.type_tokens import ACCOUNT
from tests.support.preflight_arm import dev_lab

TAGS = {
    "expires-on": "2026-12-18",
    "lab": "genai-workshop-dev",
    "managed-by": "pulumi",
    "owner": "ana.garcia@contoso.edu",
    "pulumi-project": "aoai-lab",
    "pulumi-stack": "dev",
}
ACCOUNT_ID = "[resourceId('Microsoft.CognitiveServices/accounts', 'aoai-lab-dev-pf000')]"


def _model(name: str, version: str) -> dict:
    return {"format": "OpenAI", "name": name, "version": version}


# What Resource Manager receives for the dev stack's account, deployments and gateway (the bodies of
# learn.microsoft.com/azure/templates/microsoft.cognitiveservices/2025-06-01/accounts, .../accounts/deployments and
# .../microsoft.apimanagement/2024-05-01/service), written out by hand: a mapping that dropped or misplaced a
# property fails here. The gateway's properties are top-level inputs in azure-native (flattened): they go back
# under `properties`.
DEV_INNER = [
    {
        "type": "Microsoft.CognitiveServices/accounts",
        "apiVersion": "2025-06-01",
        "name": "aoai-lab-dev-pf000",
        "location": "eastus2",
        "kind": "OpenAI",
        "sku": {"name": "S0"},
        "identity": {"type": "SystemAssigned"},
        "properties": {
            "customSubDomainName": "aoai-lab-dev-pf000",
            "disableLocalAuth": True,
            "publicNetworkAccess": "Enabled",
        },
        "tags": TAGS,
    },
    {
        "type": "Microsoft.CognitiveServices/accounts/deployments",
        "apiVersion": "2025-06-01",
        "name": "aoai-lab-dev-pf000/chat",
        "sku": {"name": "GlobalStandard", "capacity": 50},
        "properties": {
            "model": _model("gpt-5-mini", "2025-08-07"),
            "versionUpgradeOption": "OnceCurrentVersionExpired",
        },
        "tags": TAGS,
        "dependsOn": [ACCOUNT_ID],
    },
    {
        "type": "Microsoft.CognitiveServices/accounts/deployments",
        "apiVersion": "2025-06-01",
        "name": "aoai-lab-dev-pf000/embeddings",
        "sku": {"name": "GlobalStandard", "capacity": 50},
        "properties": {
            "model": _model("text-embedding-3-small", "1"),
            "versionUpgradeOption": "OnceCurrentVersionExpired",
        },
        "tags": TAGS,
        "dependsOn": [
            ACCOUNT_ID,
            "[resourceId('Microsoft.CognitiveServices/accounts/deployments', 'aoai-lab-dev-pf000', 'chat')]",
        ],
    },
    {
        "type": "Microsoft.ApiManagement/service",
        "apiVersion": "2024-05-01",
        "name": "apim-aoai-lab-dev-pf000",
        "location": "eastus2",
        "sku": {"name": "BasicV2", "capacity": 1},
        "identity": {"type": "SystemAssigned"},
        "tags": TAGS,
        "properties": {
            "publisherEmail": "ana.garcia@contoso.edu",
            "publisherName": "aoai-lab",
            "developerPortalStatus": "Disabled",
            "legacyPortalStatus": "Disabled",
            "disableGateway": False,
            "enableClientCertificate": False,
            "natGatewayState": "Disabled",
            "restore": False,
            "virtualNetworkType": "None",
        },
    },
]


def _inner(template: dict) -> list[dict]:
    return template["resources"][1]["properties"]["template"]["resources"]


def test_the_dev_template_is_what_azure_would_receive():
    settings = load_stack_settings("dev")
    template = validation_template(region_plan(settings, dev_lab(), "eastus2"))
    group, nested = template["resources"]
    assert group == {
        "type": "Microsoft.Resources/resourceGroups",
        "apiVersion": "2024-03-01",
        "name": "rg-aoai-lab-dev",
        "location": "eastus2",
        "tags": TAGS,
    }
    assert nested["resourceGroup"] == "rg-aoai-lab-dev"
    assert _inner(template) == DEV_INNER


def test_a_property_the_program_adds_reaches_the_template(monkeypatch):
    # Play a change to components/openai_account.py and components/ai_gateway.py: one more property on the
    # account, on each deployment and on the gateway. Nothing in preflight is edited; the template carries them.
    def adding(cls, change):
        def make(name, *args, **kwargs):
            change(kwargs)
            return cls(name, *args, **kwargs)

        return make

    def account(kwargs):
        kwargs["properties"].restrict_outbound_network_access = True

    def deployment(kwargs):
        kwargs["properties"].spillover_deployment_name = "overflow"

    def gateway(kwargs):
        kwargs["zones"] = ["1", "2"]
        kwargs["public_network_access"] = "Disabled"

    monkeypatch.setattr(cognitiveservices, "Account", adding(cognitiveservices.Account, account))
    monkeypatch.setattr(cognitiveservices, "Deployment", adding(cognitiveservices.Deployment, deployment))
    monkeypatch.setattr(
        apimanagement, "ApiManagementService", adding(apimanagement.ApiManagementService, gateway)
    )
    lab = PlannedLab.from_snapshot(plan_stack("dev").snapshot(), "eastus2")
    account_, chat, embeddings, gateway_ = _inner(
        validation_template(region_plan(load_stack_settings("dev"), lab, "swedencentral"))
    )
    assert account_["properties"]["restrictOutboundNetworkAccess"] is True
    assert chat["properties"]["spilloverDeploymentName"] == "overflow"
    assert embeddings["properties"]["spilloverDeploymentName"] == "overflow"
    # An envelope property stays at the top, a flattened one goes under `properties`.
    assert gateway_["zones"] == ["1", "2"]
    assert gateway_["properties"]["publicNetworkAccess"] == "Disabled"
    assert "publicNetworkAccess" not in gateway_


def test_the_content_filter_is_validated_before_the_deployments_that_name_it(plan_with, dev_config):
    deployments = copy.deepcopy(dev_config["aoai-lab:deployments"])
    deployments[0]["raiPolicy"] = "lab-content-filter"
    plan = plan_with(
        deployments=deployments,
        contentFilter={
            "name": "lab-content-filter",
            "prompt": {"hate": "medium", "sexual": "medium", "violence": "medium", "selfHarm": "medium"},
            "completion": {"hate": "medium", "sexual": "medium", "violence": "medium", "selfHarm": "medium"},
            "blockedTerms": ["contoso-secret"],
        },
    )
    lab = PlannedLab.from_snapshot(plan.snapshot(), "eastus2")
    inner = _inner(validation_template(region_plan(load_stack_settings("dev"), lab, "eastus")))
    kinds = [r["type"].rsplit("/", 1)[-1] for r in inner]
    assert kinds == [
        "accounts",
        "raiBlocklists",
        "raiBlocklistItems",
        "raiPolicies",
        "deployments",
        "deployments",
        "service",
    ]
    policy = inner[3]
    assert policy["name"] == "aoai-lab-dev-pf000/lab-content-filter"
    chat = inner[4]
    assert chat["properties"]["raiPolicyName"] == "lab-content-filter"
    assert (
        "[resourceId('Microsoft.CognitiveServices/accounts/raiPolicies', 'aoai-lab-dev-pf000', "
        "'lab-content-filter')]" in chat["dependsOn"]
    )


def test_a_value_the_plan_cannot_know_is_refused_not_sent():
    with pytest.raises(TemplateError, match=r"Account\.properties\.customSubDomainName"):
        arm_body(
            ACCOUNT,
            {"accountName": "a", "resourceGroupName": "rg", "properties": {"customSubDomainName": UNKNOWN}},
        )


def test_a_foundry_accounts_projects_are_validated_after_its_deployments(plan_with):
    plan = plan_with(
        accountKind="AIServices",
        foundryProjects=[
            {"name": "team-a", "displayName": "Team A", "description": "Agents", "people": ["ana-garcia"]},
            {"name": "team-b", "people": ["workshop-students"]},
        ],
    )
    lab = PlannedLab.from_snapshot(plan.snapshot(), "eastus2")
    inner = _inner(validation_template(region_plan(load_stack_settings("dev"), lab, "swedencentral")))
    assert [r["type"].rsplit("/", 1)[-1] for r in inner] == [
        "accounts",
        "deployments",
        "deployments",
        "projects",
        "projects",
        "service",
    ]
    account, _, embeddings, team_a, team_b, _ = inner
    assert account["properties"]["allowProjectManagement"] is True
    # The body of learn.microsoft.com/azure/templates/microsoft.cognitiveservices/2025-06-01/accounts/projects:
    # in the account's region, after the account and the last child before it (one write on an account at a time).
    assert team_a == {
        "type": "Microsoft.CognitiveServices/accounts/projects",
        "apiVersion": "2025-06-01",
        "name": "aoai-lab-dev-pf000/team-a",
        "location": "swedencentral",
        "identity": {"type": "SystemAssigned"},
        "properties": {"displayName": "Team A", "description": "Agents"},
        "tags": TAGS,
        "dependsOn": [
            ACCOUNT_ID,
            "[resourceId('Microsoft.CognitiveServices/accounts/deployments', 'aoai-lab-dev-pf000', 'embeddings')]",
        ],
    }
    assert embeddings["name"] == "aoai-lab-dev-pf000/embeddings"
    assert team_b["name"] == "aoai-lab-dev-pf000/team-b"
    assert team_b["properties"] == {"displayName": "team-b"}
    assert team_b["dependsOn"] == [
        ACCOUNT_ID,
        "[resourceId('Microsoft.CognitiveServices/accounts/projects', 'aoai-lab-dev-pf000', 'team-a')]",
    ]
