"""The composed lab: names, tags on everything taggable, the resource group and the stack outputs."""

from __future__ import annotations

import importlib
import inspect
import re

from tests.support.plans import ACCOUNT, APIM, DEPLOYMENT, RESOURCE_GROUP, SAVED_SEARCH, WORKSPACE, inputs

REQUIRED_TAGS = {
    "lab": "genai-workshop-dev",
    "owner": "ana.garcia@contoso.edu",
    "expires-on": "2026-12-18",
    "managed-by": "pulumi",
}


def _takes_tags(type_token: str) -> bool:
    provider, module, cls = type_token.split(":")
    if provider != "azure-native":
        return False
    resource = getattr(importlib.import_module(f"pulumi_azure_native.{module}"), cls)
    return "tags" in inspect.signature(resource._internal_init).parameters


# The generic resource takes tags, but the one the lab declares (the API diagnostic) is a proxy resource that has none.
# A named value's `tags` are APIM labels (a list of strings), not ARM tags.
UNTAGGED = {"azure-native:resources:Resource", "azure-native:apimanagement:NamedValue"}


def test_every_taggable_resource_carries_the_lab_tags(dev_plan):
    taggable = [
        r for r in dev_plan.resources if r["custom"] and _takes_tags(r["type"]) and r["type"] not in UNTAGGED
    ]
    assert {r["type"] for r in taggable} >= {
        RESOURCE_GROUP,
        ACCOUNT,
        DEPLOYMENT,
        APIM,
        WORKSPACE,
        SAVED_SEARCH,
        "azure-native:applicationinsights:Workbook",
    }
    for r in taggable:
        tags = r["inputs"].get("tags")
        if isinstance(tags, list):  # saved searches take a list of name/value pairs
            tags = {t["name"]: t["value"] for t in tags}
        assert tags is not None, r["urn"]
        for key, value in REQUIRED_TAGS.items():
            assert tags.get(key) == value, (r["urn"], key)


def test_resource_group(dev_plan):
    rg = inputs(dev_plan, RESOURCE_GROUP)
    assert rg["location"] == "eastus2"  # azure-native:location
    assert rg["resourceGroupName"] == "rg-aoai-lab-dev"
    assert dev_plan.outputs["resourceGroup"] == "rg-aoai-lab-dev"


def test_names_carry_project_stack_and_a_suffix_kept_in_state(dev_plan):
    suffix = dev_plan.one("random:index/randomString:RandomString")
    assert suffix["inputs"]["length"] == 5 and suffix["inputs"]["special"] is False
    account = inputs(dev_plan, ACCOUNT)["accountName"]
    gateway = inputs(dev_plan, APIM)["serviceName"]
    workspace = inputs(dev_plan, WORKSPACE)["workspaceName"]
    match = re.fullmatch(r"aoai-lab-dev-([a-z0-9]{5})", account)
    assert match, account
    # The suffix is a RandomString: new after `pulumi destroy`, so a soft-deleted name is never reused.
    assert gateway == f"apim-aoai-lab-dev-{match.group(1)}"
    assert workspace == f"log-aoai-lab-dev-{match.group(1)}"
    assert suffix["urn"] in dev_plan.one(ACCOUNT)["dependencies"]
    assert suffix["urn"] in dev_plan.one(APIM)["dependencies"]
    # APIM names: 1-50 characters, letters, digits and hyphens, starting with a letter.
    assert re.fullmatch(r"[a-z][a-z0-9-]{0,49}", gateway)


def test_stack_outputs(dev_plan):
    out = dev_plan.outputs
    account = inputs(dev_plan, ACCOUNT)
    assert out["accountRegion"] == account["location"] == "eastus2"
    assert out["accountEndpoint"] == f"https://{account['accountName']}.openai.azure.com/"
    assert out["deployments"] == {
        "chat": {"model": "gpt-5-mini", "version": "2025-08-07", "sku": "GlobalStandard", "capacity": 50},
        "embeddings": {
            "model": "text-embedding-3-small",
            "version": "1",
            "sku": "GlobalStandard",
            "capacity": 50,
        },
    }
    assert out["workspaceId"].endswith(
        "/providers/Microsoft.OperationalInsights/workspaces/" + inputs(dev_plan, WORKSPACE)["workspaceName"]
    )
    assert out["openaiEnv"]["AZURE_OPENAI_CHAT_DEPLOYMENT"] == "chat"
    assert out["openaiEnv"]["AZURE_OPENAI_EMBEDDINGS_DEPLOYMENT"] == "embeddings"
    assert out["participantKeys"] == "[secret]"
    assert out["expiresOn"] == "2026-12-18"


def test_expired_lab_warns(plan_with):
    plan = plan_with(expiresOn="2020-01-31")
    assert any("expired on 2020-01-31" in w and "labctl down" in w for w in plan.warnings)


def test_hundred_participants(plan_with):
    people = [{"name": f"student{i:03d}", "email": f"student{i:03d}@contoso.edu"} for i in range(100)]
    plan = plan_with(participants=people)
    subs = plan.by_type("azure-native:apimanagement:Subscription")
    assert len(subs) == 100
    assert {s["inputs"]["sid"] for s in subs} == {p["name"] for p in people}


# Which component each Azure resource type belongs to (children are created with parent=self).
OWNER_COMPONENT = {
    "azure-native:cognitiveservices:Account": "OpenAIAccount",
    "azure-native:cognitiveservices:Deployment": "OpenAIAccount",
    "azure-native:apimanagement:ApiManagementService": "AiGateway",
    "azure-native:apimanagement:Api": "AiGateway",
    "azure-native:apimanagement:ApiPolicy": "AiGateway",
    "azure-native:apimanagement:Backend": "AiGateway",
    "azure-native:apimanagement:Product": "AiGateway",
    "azure-native:apimanagement:ProductApi": "AiGateway",
    "azure-native:apimanagement:Subscription": "AiGateway",
    "azure-native:resources:Resource": "AiGateway",  # the API diagnostic at 2024-06-01-preview
    "azure-native:applicationinsights:Workbook": "LabMonitoring",
    "azure-native:operationalinsights:Workspace": "LabMonitoring",
    "azure-native:operationalinsights:SavedSearch": "LabMonitoring",
    "azure-native:authorization:RoleAssignment": "RoleAssignments",
}


def test_every_resource_is_a_child_of_its_component(dev_plan):
    by_urn = {r["urn"]: r for r in dev_plan.resources}
    for r in dev_plan.resources:
        expected = OWNER_COMPONENT.get(r["type"])
        if expected is None:
            continue
        parent = by_urn[r["parent"]]
        assert parent["type"] == f"aoai-lab:components:{expected}", r["urn"]
        # Child names derive from the component's name.
        assert r["urn"].rsplit("::", 1)[-1].startswith(parent["urn"].rsplit("::", 1)[-1] + "-"), r["urn"]
    settings = dev_plan.by_type("azure-native:monitor:DiagnosticSetting")
    assert {by_urn[s["parent"]]["type"] for s in settings} == {
        "aoai-lab:components:OpenAIAccount",
        "aoai-lab:components:AiGateway",
    }


def test_disabled_public_network_access_warns(plan_with):
    plan = plan_with(publicNetworkAccess="Disabled")
    assert any("publicNetworkAccess is Disabled" in w for w in plan.warnings)


def test_shell_environment_output(dev_plan):
    shell = dev_plan.outputs["openaiEnvShell"]
    name = dev_plan.one(APIM)["inputs"]["serviceName"]
    # The v1 API first (the OpenAI client's base URL), the dated AzureOpenAI client's endpoint and version second.
    assert shell.splitlines() == [
        f"export OPENAI_BASE_URL=https://{name}.azure-api.net/openai/v1/",
        "export AZURE_OPENAI_CHAT_DEPLOYMENT=chat",
        "export AZURE_OPENAI_EMBEDDINGS_DEPLOYMENT=embeddings",
        f"export AZURE_OPENAI_ENDPOINT=https://{name}.azure-api.net",
        "export OPENAI_API_VERSION=2025-04-01-preview",
    ]
