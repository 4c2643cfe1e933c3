"""The Foundry project, exactly as Azure receives it, and where it sits in the account's creation order."""

from __future__ import annotations

import pulumi

from components.content_filter import ContentFilter, ContentFilterArgs
from components.foundry_project import FoundryProject, FoundryProjectArgs, project_endpoint
from components.openai_account import ModelDeploymentSpec, OpenAIAccount, OpenAIAccountArgs
from labctl.plan.runtime import run_program

PROJECT = "azure-native:cognitiveservices:Project"
ACCOUNT = "azure-native:cognitiveservices:Account"
DEPLOYMENT = "azure-native:cognitiveservices:Deployment"
RAI_POLICY = "azure-native:cognitiveservices:RaiPolicy"


def _program(**project_overrides):
    def program() -> None:
        account = OpenAIAccount(
            "openai",
            OpenAIAccountArgs(
                resource_group_name="rg-lab",
                location="eastus2",
                account_name="aif-lab-x",
                kind="AIServices",
                deployments=[
                    ModelDeploymentSpec(
                        name="chat",
                        model="gpt-5-mini",
                        version="2025-08-07",
                        sku="GlobalStandard",
                        capacity=5,
                    )
                ],
            ),
        )
        last = list(account.deployments.values())[-1]
        project = FoundryProject(
            "agents",
            FoundryProjectArgs(
                resource_group_name="rg-lab",
                account_name=account.account.name,
                location="eastus2",
                project_name="agents",
                tags={"lab": "x"},
                after=last,
                **project_overrides,
            ),
        )
        pulumi.export("projectId", project.id)

    return program


def test_project_inputs():
    plan = run_program(_program(description="Agents activity"), project="aoai-lab", stack="unit", config={})
    project = plan.one(PROJECT)["inputs"]
    assert project["projectName"] == "agents"
    assert project["accountName"] == plan.one(ACCOUNT)["inputs"]["accountName"] == "aif-lab-x"
    assert project["resourceGroupName"] == "rg-lab"
    assert project["location"] == "eastus2"
    # Its own identity: agents call models and tools with it.
    assert project["identity"] == {"type": "SystemAssigned"}
    assert project["properties"] == {"displayName": "agents", "description": "Agents activity"}
    assert project["tags"] == {"lab": "x"}
    # Projects need an AIServices account that allows project management.
    account = plan.one(ACCOUNT)["inputs"]
    assert account["kind"] == "AIServices"
    assert account["properties"]["allowProjectManagement"] is True


def test_project_waits_for_the_last_deployment():
    """Azure refuses concurrent operations on an account's children (409 RequestConflict)."""
    plan = run_program(_program(display_name="Agents"), project="aoai-lab", stack="unit", config={})
    project = plan.one(PROJECT)
    deployment = plan.one(DEPLOYMENT)
    assert deployment["urn"] in project["dependencies"]
    assert plan.one(ACCOUNT)["urn"] in project["dependencies"]
    assert project["inputs"]["properties"] == {"displayName": "Agents"}


def test_project_endpoint_is_the_foundry_api_entry():
    endpoints = {
        "AI Foundry API": "https://aif-lab-x.services.ai.azure.com/api/projects/agents",
        "OpenAI Language Model Instance API": "https://aif-lab-x.openai.azure.com/",
    }
    assert project_endpoint(endpoints) == "https://aif-lab-x.services.ai.azure.com/api/projects/agents"
    assert project_endpoint({}) is None and project_endpoint(None) is None


def test_content_filter_then_project_chain():
    """Filter first, then the project after it: nothing on the account is created in parallel."""

    def program() -> None:
        account = OpenAIAccount(
            "openai",
            OpenAIAccountArgs(
                resource_group_name="rg-lab",
                location="eastus2",
                account_name="aif-lab-x",
                kind="AIServices",
                deployments=[],
            ),
        )
        flt = ContentFilter(
            "filter",
            ContentFilterArgs(
                resource_group_name="rg-lab", account_name=account.account.name, policy_name="f"
            ),
        )
        FoundryProject(
            "agents",
            FoundryProjectArgs(
                resource_group_name="rg-lab",
                account_name=account.account.name,
                location="eastus2",
                project_name="agents",
                after=flt.last,
            ),
        )

    plan = run_program(program, project="aoai-lab", stack="unit", config={})
    assert plan.one(RAI_POLICY)["urn"] in plan.one(PROJECT)["dependencies"]
