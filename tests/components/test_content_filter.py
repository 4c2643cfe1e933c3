"""The custom content filter (RAI policy) and its blocklist, exactly as Azure receives them."""

from __future__ import annotations

import itertools

import pulumi
import pytest

from components.content_filter import (
    ContentFilter,
    ContentFilterArgs,
    ContentFilterPolicy,
    blocklist_item_name,
    content_filters,
)
from components.openai_account import ModelDeploymentSpec, OpenAIAccount, OpenAIAccountArgs
from facts.content_filter import POLICY_NAMES
from labctl.plan.runtime import Plan, run_program

RAI_POLICY = "azure-native:cognitiveservices:RaiPolicy"
BLOCKLIST = "azure-native:cognitiveservices:RaiBlocklist"
BLOCKLIST_ITEM = "azure-native:cognitiveservices:RaiBlocklistItem"
DEPLOYMENT = "azure-native:cognitiveservices:Deployment"


def _plan(**overrides) -> Plan:
    def program() -> None:
        args = ContentFilterArgs(
            resource_group_name="rg-lab",
            account_name="aoai-lab-x",
            policy=ContentFilterPolicy(policy_name="lab-filter", **overrides),
        )
        ContentFilter("filter", args)
        pulumi.export("ok", True)

    return run_program(program, project="aoai-lab", stack="unit", config={})


def _filters(plan: Plan) -> dict[tuple[str, str], dict]:
    props = plan.one(RAI_POLICY)["inputs"]["properties"]
    return {(f["name"], f["source"]): f for f in props["contentFilters"]}


def test_defaults_match_the_default_policy_and_keep_the_shields_on():
    plan = _plan()
    policy = plan.one(RAI_POLICY)["inputs"]
    assert policy["raiPolicyName"] == "lab-filter"
    assert policy["accountName"] == "aoai-lab-x"
    assert policy["resourceGroupName"] == "rg-lab"
    assert policy["properties"]["basePolicyName"] == "Microsoft.DefaultV2"
    assert policy["properties"]["mode"] == "Default"
    assert "customBlocklists" not in policy["properties"]
    filters = _filters(plan)
    # Every harm category, both directions, filtered from Medium up, blocking.
    for category, source in itertools.product(
        ["Hate", "Sexual", "Violence", "Selfharm"], ["Prompt", "Completion"]
    ):
        assert filters[(category, source)] == {
            "name": category,
            "source": source,
            "enabled": True,
            "blocking": True,
            "severityThreshold": "Medium",
        }
    assert filters[("Jailbreak", "Prompt")] == {
        "name": "Jailbreak",
        "source": "Prompt",
        "enabled": True,
        "blocking": True,
    }
    assert filters[("Indirect Attack", "Prompt")]["enabled"] is True
    assert filters[("Protected Material Text", "Completion")]["blocking"] is True
    # Code that matches a public repository is annotated, not refused.
    assert filters[("Protected Material Code", "Completion")] == {
        "name": "Protected Material Code",
        "source": "Completion",
        "enabled": True,
        "blocking": False,
    }
    assert filters[("Profanity", "Prompt")]["enabled"] is False
    assert len(filters) == 13
    assert plan.by_type(BLOCKLIST) == [] and plan.by_type(BLOCKLIST_ITEM) == []


def test_thresholds_per_category_and_direction_and_shields_off():
    plan = _plan(
        prompt_thresholds={"Hate": "Low", "Sexual": "Medium", "Violence": "High", "Selfharm": "Low"},
        completion_thresholds={"Hate": "High", "Sexual": "High", "Violence": "High", "Selfharm": "Medium"},
        jailbreak_shield=False,
        indirect_attack_shield=False,
        mode="Asynchronous_filter",
    )
    filters = _filters(plan)
    assert filters[("Hate", "Prompt")]["severityThreshold"] == "Low"
    assert filters[("Violence", "Prompt")]["severityThreshold"] == "High"
    assert filters[("Hate", "Completion")]["severityThreshold"] == "High"
    assert filters[("Selfharm", "Completion")]["severityThreshold"] == "Medium"
    assert filters[("Jailbreak", "Prompt")] == {
        "name": "Jailbreak",
        "source": "Prompt",
        "enabled": False,
        "blocking": False,
    }
    assert filters[("Indirect Attack", "Prompt")]["enabled"] is False
    assert plan.one(RAI_POLICY)["inputs"]["properties"]["mode"] == "Asynchronous_filter"


def test_blocklist_terms_are_items_created_one_after_another_before_the_policy():
    plan = _plan(blocklist_terms=["  acme secret ", "project zeus", "acme secret", ""])
    blocklist = plan.one(BLOCKLIST)
    assert blocklist["inputs"]["raiBlocklistName"] == "lab-filter-blocklist"
    assert blocklist["inputs"]["accountName"] == "aoai-lab-x"
    items = plan.by_type(BLOCKLIST_ITEM)
    # Trimmed, duplicates and blanks dropped, plain text (not regex).
    assert sorted(
        (i["inputs"]["properties"]["pattern"], i["inputs"]["properties"]["isRegex"]) for i in items
    ) == [
        ("acme secret", False),
        ("project zeus", False),
    ]
    by_pattern = {i["inputs"]["properties"]["pattern"]: i for i in items}
    assert by_pattern["acme secret"]["inputs"]["raiBlocklistItemName"] == blocklist_item_name("acme secret")
    assert all(i["inputs"]["raiBlocklistName"] == "lab-filter-blocklist" for i in items)
    # Serialised: blocklist -> first item -> second item -> policy.
    first, second = by_pattern["acme secret"], by_pattern["project zeus"]
    assert blocklist["urn"] in first["dependencies"]
    assert first["urn"] in second["dependencies"]
    policy = plan.one(RAI_POLICY)
    assert second["urn"] in policy["dependencies"]
    assert policy["inputs"]["properties"]["customBlocklists"] == [
        {"blocklistName": "lab-filter-blocklist", "source": "Prompt", "blocking": True},
        {"blocklistName": "lab-filter-blocklist", "source": "Completion", "blocking": True},
    ]


def test_item_names_do_not_depend_on_order():
    assert blocklist_item_name("a") == blocklist_item_name("a")
    assert blocklist_item_name("a") != blocklist_item_name("b")
    assert blocklist_item_name("a").startswith("term-") and len(blocklist_item_name("a")) == 17


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"prompt_thresholds": {"Hate": "Medium"}}, "prompt thresholds must name exactly"),
        (
            {"completion_thresholds": dict.fromkeys(POLICY_NAMES, "Off")},
            "completion thresholds must be one of",
        ),
        ({"mode": "Deferred"}, "mode must be one of"),
    ],
)
def test_component_refuses_what_azure_would_refuse(overrides, message):
    with pytest.raises(ValueError, match=message):
        content_filters(ContentFilterPolicy(policy_name="p", **overrides))


def test_account_creates_the_filter_first_and_deployments_wait_for_it():
    """The policy is an account child like deployments: created first, the first deployment waits for it (no
    409 RequestConflict), and the deployment names it."""

    def program() -> None:
        account = OpenAIAccount(
            "openai",
            OpenAIAccountArgs(
                resource_group_name="rg-lab",
                location="eastus2",
                account_name="aoai-lab-x",
                deployments=[
                    ModelDeploymentSpec(
                        name="chat",
                        model="gpt-5-mini",
                        version="2025-08-07",
                        sku="GlobalStandard",
                        capacity=5,
                        rai_policy="lab-filter",
                    ),
                    ModelDeploymentSpec(
                        name="emb",
                        model="text-embedding-3-small",
                        version="1",
                        sku="GlobalStandard",
                        capacity=5,
                    ),
                ],
                content_filter=ContentFilterPolicy(policy_name="lab-filter", blocklist_terms=["zeus"]),
                tags={"owner": "ana@contoso.edu"},
            ),
        )
        pulumi.export("policy", account.content_filter.policy_name)

    plan = run_program(program, project="aoai-lab", stack="unit", config={})
    account_urn = plan.one("azure-native:cognitiveservices:Account")["urn"]
    blocklist, policy = plan.one(BLOCKLIST), plan.one(RAI_POLICY)
    assert account_urn in blocklist["dependencies"]
    assert account_urn in policy["dependencies"]
    assert policy["inputs"]["accountName"] == "aoai-lab-x"
    assert policy["inputs"]["tags"] == {"owner": "ana@contoso.edu"}
    deployments = {d["inputs"]["deploymentName"]: d for d in plan.by_type(DEPLOYMENT)}
    assert policy["urn"] in deployments["chat"]["dependencies"]
    assert deployments["chat"]["urn"] in deployments["emb"]["dependencies"]
    assert deployments["chat"]["inputs"]["properties"]["raiPolicyName"] == "lab-filter"
    assert "raiPolicyName" not in deployments["emb"]["inputs"]["properties"]
    assert plan.outputs["policy"] == "lab-filter"
