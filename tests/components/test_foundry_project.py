"""Foundry projects, exactly as Azure receives them, and where they sit in the account's creation order."""

from __future__ import annotations

import pulumi
import pytest

from components.content_filter import ContentFilterPolicy
from components.foundry_project import ProjectSpec, project_endpoint
from components.openai_account import ModelDeploymentSpec, OpenAIAccount, OpenAIAccountArgs
from labctl.plan.mockcloud import stable_uuid
from labctl.plan.runtime import run_program

PROJECT = "azure-native:cognitiveservices:Project"
ACCOUNT = "azure-native:cognitiveservices:Account"
DEPLOYMENT = "azure-native:cognitiveservices:Deployment"
RAI_POLICY = "azure-native:cognitiveservices:RaiPolicy"


def _plan(projects, *, kind="AIServices", content_filter=None):
    def program() -> None:
        account = OpenAIAccount(
            "openai",
            OpenAIAccountArgs(
                resource_group_name="rg-lab",
                location="eastus2",
                account_name="aif-lab-x",
                kind=kind,
                deployments=[
                    ModelDeploymentSpec(
                        name="chat",
                        model="gpt-5-mini",
                        version="2025-08-07",
                        sku="GlobalStandard",
                        capacity=5,
                    )
                ],
                projects=projects,
                content_filter=content_filter,
                tags={"lab": "x"},
            ),
        )
        pulumi.export("endpoints", {k: p.endpoint for k, p in account.projects.items()})
        pulumi.export("principals", {k: p.principal_id for k, p in account.projects.items()})

    return run_program(program, project="aoai-lab", stack="unit", config={})


def test_project_inputs_and_endpoint():
    plan = _plan([ProjectSpec("agents", description="Agents activity")])
    project = plan.one(PROJECT)["inputs"]
    assert project["projectName"] == "agents"
    assert project["accountName"] == "aif-lab-x"
    assert project["resourceGroupName"] == "rg-lab"
    assert project["location"] == "eastus2"
    # Its own identity: agents call models and tools with it.
    assert project["identity"] == {"type": "SystemAssigned"}
    assert project["properties"] == {"displayName": "agents", "description": "Agents activity"}
    assert project["tags"] == {"lab": "x"}
    account = plan.one(ACCOUNT)["inputs"]
    assert account["kind"] == "AIServices"
    assert account["properties"]["allowProjectManagement"] is True
    assert plan.outputs["endpoints"] == {
        "agents": "https://aif-lab-x.services.ai.azure.com/api/projects/agents"
    }
    assert plan.outputs["principals"] == {
        "agents": stable_uuid("azure-native:cognitiveservices:Project", "aif-lab-x", "agents", "principal")
    }


def test_projects_come_after_the_filter_and_the_deployments_one_at_a_time():
    """Azure refuses concurrent operations on an account's children (409 RequestConflict)."""
    plan = _plan(
        [ProjectSpec("team-a", display_name="Team A"), ProjectSpec("team-b")],
        content_filter=ContentFilterPolicy(policy_name="f"),
    )
    policy, deployment = plan.one(RAI_POLICY), plan.one(DEPLOYMENT)
    projects = {p["inputs"]["projectName"]: p for p in plan.by_type(PROJECT)}
    assert policy["urn"] in deployment["dependencies"]
    assert deployment["urn"] in projects["team-a"]["dependencies"]
    assert projects["team-a"]["urn"] in projects["team-b"]["dependencies"]
    assert projects["team-a"]["inputs"]["properties"] == {"displayName": "Team A"}


def test_an_openai_account_refuses_projects():
    with pytest.raises(Exception, match="Foundry projects need an AIServices account"):
        _plan([ProjectSpec("agents")], kind="OpenAI")


def test_project_endpoint_is_the_foundry_api_entry():
    endpoints = {
        "AI Foundry API": "https://aif-lab-x.services.ai.azure.com/api/projects/agents",
        "OpenAI Language Model Instance API": "https://aif-lab-x.openai.azure.com/",
    }
    assert project_endpoint(endpoints) == "https://aif-lab-x.services.ai.azure.com/api/projects/agents"
    assert project_endpoint({}) is None and project_endpoint(None) is None
