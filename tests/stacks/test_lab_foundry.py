"""The Foundry track through the whole program: config in, exactly what Azure receives out."""

from __future__ import annotations

import copy

import pytest

from labctl.plan.mockcloud import FAKE_SUBSCRIPTION_ID
from stacks.outputs import LabOutputs
from tests.support.catalog_model import FOUNDRY_MODEL

AZURE_AI_USER = "53ca6127-db72-4b80-b1b0-d745d6d5456d"
OPENAI_USER = "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd"
PROJECT = "azure-native:cognitiveservices:Project"
RAI_POLICY = "azure-native:cognitiveservices:RaiPolicy"
DEPLOYMENT = "azure-native:cognitiveservices:Deployment"
ACCOUNT = "azure-native:cognitiveservices:Account"
ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment"
ANA = "3f2b8c1e-5d4a-4e6f-9b7c-1a2d3e4f5a6b"  # instructor in the dev stack
STUDENTS = "7c9e6679-7425-40de-944b-e07fc1f90ae7"  # the student group in the dev stack
TEAM_B = "0d1c2b3a-4f5e-4a6b-8c7d-9e0f1a2b3c4d"


@pytest.fixture(scope="module")
def foundry_config(dev_config):
    config = copy.deepcopy(dev_config)
    deployments = config["aoai-lab:deployments"]
    deployments[0]["raiPolicy"] = "class-filter"
    deployments.append({**FOUNDRY_MODEL, "raiPolicy": "class-filter"})
    people = config["aoai-lab:people"]
    people.append(
        {"name": "team-b-students", "principalId": TEAM_B, "principalType": "Group", "roleSet": "student"}
    )
    return {
        "accountKind": "AIServices",
        "deployments": deployments,
        "people": people,
        "contentFilter": {
            "name": "class-filter",
            "prompt": {"violence": "high"},
            "completion": {"selfHarm": "low"},
            "promptShields": False,
            "blockedTerms": ["project zeus"],
        },
        "foundryProjects": [
            {"name": "team-a", "displayName": "Team A", "people": ["ana-garcia", "workshop-students"]},
            {"name": "team-b", "people": ["ana-garcia", "team-b-students"]},
        ],
    }


@pytest.fixture(scope="module")
def foundry_plan(plan_with_module, foundry_config):
    return plan_with_module(**foundry_config)


@pytest.fixture(scope="module")
def plan_with_module(dev_config):
    """plan_with, once per module (the Foundry plan is shared by the tests below)."""
    from tests.conftest import _flatten

    def make(**changes):
        from labctl.plan.runtime import run_program
        from stacks.program import run

        config = copy.deepcopy(dev_config)
        for key, value in changes.items():
            config[key if ":" in key else f"aoai-lab:{key}"] = value
        return run_program(run, project="aoai-lab", stack="dev", config=_flatten(config))

    return make


def _grants(plan):
    return [
        (
            r["inputs"]["principalId"],
            r["inputs"]["roleDefinitionId"].rsplit("/", 1)[-1],
            r["inputs"]["scope"],
            r["inputs"]["principalType"],
        )
        for r in plan.by_type(ROLE_ASSIGNMENT)
    ]


def test_projects_and_their_endpoints(foundry_plan):
    account = foundry_plan.one(ACCOUNT)["inputs"]
    assert account["kind"] == "AIServices" and account["properties"]["allowProjectManagement"] is True
    projects = {p["inputs"]["projectName"]: p["inputs"] for p in foundry_plan.by_type(PROJECT)}
    assert set(projects) == {"team-a", "team-b"}
    assert projects["team-a"]["properties"] == {"displayName": "Team A"}
    assert projects["team-b"]["properties"] == {"displayName": "team-b"}
    assert all(p["identity"] == {"type": "SystemAssigned"} for p in projects.values())
    assert all(p["accountName"] == account["accountName"] for p in projects.values())
    assert all(p["tags"]["owner"] == "ana.garcia@contoso.edu" for p in projects.values())
    name = account["accountName"]
    assert foundry_plan.outputs["foundryProjects"]["team-a"]["endpoint"] == (
        f"https://{name}.services.ai.azure.com/api/projects/team-a"
    )
    parsed = LabOutputs.parse({**foundry_plan.outputs, "participantKeys": {}})
    assert parsed.project_endpoints == {
        p: f"https://{name}.services.ai.azure.com/api/projects/{p}" for p in ("team-a", "team-b")
    }


def test_people_build_agents_only_in_their_projects(foundry_plan):
    account = foundry_plan.one(ACCOUNT)["inputs"]["accountName"]
    rg = f"/subscriptions/{FAKE_SUBSCRIPTION_ID}/resourceGroups/rg-aoai-lab-dev"
    project_scope = f"{rg}/providers/Microsoft.CognitiveServices/accounts/{account}/projects/"
    grants = _grants(foundry_plan)
    ai_user = {
        (pid, scope)
        for pid, role, scope, _ in grants
        if role == AZURE_AI_USER and pid in (ANA, STUDENTS, TEAM_B)
    }
    assert ai_user == {
        (ANA, project_scope + "team-a"),
        (ANA, project_scope + "team-b"),
        (STUDENTS, project_scope + "team-a"),
        (TEAM_B, project_scope + "team-b"),
    }
    # Students hold nothing on the account (the gateway is their only way to the models); nobody gets Azure AI
    # User on the subscription.
    assert not [g for g in grants if g[0] in (STUDENTS, TEAM_B) and not g[2].startswith(project_scope)]
    assert not [
        g for g in grants if g[1] == AZURE_AI_USER and g[2] == f"/subscriptions/{FAKE_SUBSCRIPTION_ID}"
    ]


def test_each_project_identity_may_call_the_account(foundry_plan):
    from labctl.plan.mockcloud import stable_uuid

    account = foundry_plan.one(ACCOUNT)["inputs"]["accountName"]
    account_scope = (
        f"/subscriptions/{FAKE_SUBSCRIPTION_ID}/resourceGroups/rg-aoai-lab-dev/providers/"
        f"Microsoft.CognitiveServices/accounts/{account}"
    )
    for project in ("team-a", "team-b"):
        principal = stable_uuid(PROJECT, account, project, "principal")
        assert [(r, s, t) for p, r, s, t in _grants(foundry_plan) if p == principal] == [
            (AZURE_AI_USER, account_scope, "ServicePrincipal")
        ]


def test_content_filter_from_config(foundry_plan):
    policy = foundry_plan.one(RAI_POLICY)["inputs"]
    assert policy["raiPolicyName"] == "class-filter"
    filters = {(f["name"], f["source"]): f for f in policy["properties"]["contentFilters"]}
    assert filters[("Violence", "Prompt")]["severityThreshold"] == "High"
    assert filters[("Violence", "Completion")]["severityThreshold"] == "Medium"
    assert filters[("Selfharm", "Completion")]["severityThreshold"] == "Low"
    assert filters[("Jailbreak", "Prompt")]["enabled"] is False
    assert filters[("Indirect Attack", "Prompt")]["enabled"] is False
    assert policy["properties"]["customBlocklists"][0]["blocklistName"] == "class-filter-blocklist"
    deployments = {d["inputs"]["deploymentName"]: d for d in foundry_plan.by_type(DEPLOYMENT)}
    assert deployments["chat"]["inputs"]["properties"]["raiPolicyName"] == "class-filter"
    assert "raiPolicyName" not in deployments["embeddings"]["inputs"]["properties"]
    assert foundry_plan.outputs["contentFilter"] == {
        "name": "class-filter",
        "deployments": ["chat", "deepseek"],
    }


def test_a_catalog_model_is_a_deployment_with_its_publisher_format(foundry_plan):
    deepseek = next(
        d for d in foundry_plan.by_type(DEPLOYMENT) if d["inputs"]["deploymentName"] == "deepseek"
    )
    assert deepseek["inputs"]["properties"]["model"] == {
        "format": "DeepSeek",
        "name": "DeepSeek-R1",
        "version": "1",
    }
    assert deepseek["inputs"]["sku"] == {"name": "GlobalStandard", "capacity": 1}


def test_an_openai_lab_has_no_project_and_no_filter(dev_plan):
    assert dev_plan.by_type(PROJECT) == [] and dev_plan.by_type(RAI_POLICY) == []
    assert dev_plan.outputs["foundryProjects"] == {} and dev_plan.outputs["contentFilter"] == {}
    assert not [g for g in _grants(dev_plan) if g[1] == AZURE_AI_USER]


def _commented_block(text: str, start: str, indent: str) -> str:
    """The commented example that starts at the line `<indent># <start>`, uncommented: it goes on while the
    commented lines are YAML (a list item, an indented line or an aoai-lab: key), and ends at prose or code."""
    lines = text.splitlines()
    first = lines.index(f"{indent}# {start}")
    block = []
    for line in lines[first:]:
        body = line[len(indent) + 2 :]
        if not line.startswith(f"{indent}# ") or not body.startswith(("- ", "  ", "aoai-lab:")):
            break
        block.append(body)
    return "\n".join(block)


def test_the_dev_stacks_commented_foundry_examples_are_valid(plan_with_module):
    """Uncommenting the examples in Pulumi.dev.yaml gives a lab that plans."""
    import yaml

    from labctl.project import PROJECT_DIR

    text = (PROJECT_DIR / "Pulumi.dev.yaml").read_text(encoding="utf-8")
    catalog = yaml.safe_load(_commented_block(text, "- name: deepseek", "    "))
    speech = yaml.safe_load(_commented_block(text, "- name: speech", "    "))
    foundry = yaml.safe_load(_commented_block(text, "aoai-lab:accountKind: AIServices", "  "))
    assert set(foundry) == {"aoai-lab:accountKind", "aoai-lab:foundryProjects", "aoai-lab:contentFilter"}
    deployments = yaml.safe_load(text)["config"]["aoai-lab:deployments"]
    deployments[0]["raiPolicy"] = foundry["aoai-lab:contentFilter"]["name"]
    plan = plan_with_module(**foundry, deployments=[*deployments, *catalog, *speech])
    models = {
        d["inputs"]["deploymentName"]: d["inputs"]["properties"]["model"] for d in plan.by_type(DEPLOYMENT)
    }
    assert models["deepseek"] == {"format": "DeepSeek", "name": "DeepSeek-R1", "version": "1"}
    assert models["speech"] == {"format": "OpenAI", "name": "gpt-4o-mini-tts", "version": "2025-12-15"}
    assert [p["inputs"]["projectName"] for p in plan.by_type(PROJECT)] == ["agents"]
    assert plan.one(RAI_POLICY)["inputs"]["raiPolicyName"] == "lab-content-filter"


def test_the_gateway_may_call_catalog_models(foundry_plan, dev_plan):
    """DeepSeek and other publishers answer Entra ID callers with the MaaS data actions, which OpenAI User lacks: the
    gateway gets Azure AI User (those data actions, no listKeys), never Cognitive Services User (listKeys)."""
    from labctl.plan.mockcloud import stable_uuid

    cs_user = "a97b65f3-24c7-4388-baec-2e87135dc908"
    apim = "azure-native:apimanagement:ApiManagementService"
    account = foundry_plan.one(ACCOUNT)["inputs"]["accountName"]
    gateway = stable_uuid(apim, foundry_plan.one(apim)["inputs"]["serviceName"], "principal")
    roles = {(r, s.rsplit("/", 1)[-1], t) for p, r, s, t in _grants(foundry_plan) if p == gateway}
    assert roles == {(OPENAI_USER, account, "ServicePrincipal"), (AZURE_AI_USER, account, "ServicePrincipal")}
    # Nobody holds Cognitive Services User (it can list the account's keys).
    assert not [g for g in _grants(foundry_plan) + _grants(dev_plan) if g[1] == cs_user]
    # Without such a model the gateway keeps OpenAI User only.
    assert {
        g[1]
        for g in _grants(dev_plan)
        if g[0] == stable_uuid(apim, dev_plan.one(apim)["inputs"]["serviceName"], "principal")
    } == {OPENAI_USER}
