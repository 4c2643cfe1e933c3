"""Every Azure type the program declares has its record (labctl/resource_types.py), and the records say what
the mock cloud, the diff engine, the renderer and the guardrails need."""

from __future__ import annotations

import pytest

from labctl import resource_types
from labctl.plan.mockcloud import FAKE_SUBSCRIPTION_ID
from labctl.review.cascade import ARM_COLLECTIONS, NAME_INPUTS, PARENT_INPUTS
from labctl.review.changes import REPLACE_RULES


def _azure_types(plan) -> set[str]:
    return {r["type"] for r in plan.resources if r["type"].startswith("azure-native:")}


@pytest.mark.parametrize(
    "changes",
    [
        {},  # the dev stack: account, deployments, gateway, logs, roles
        {"budget": {"amount": 100, "contactEmails": ["ana@contoso.edu"]}, "gatewayTier": "Developer"},
    ],
)
def test_every_type_in_a_plan_has_a_record(plan_with, changes):
    missing = _azure_types(plan_with(**changes)) - set(resource_types.RESOURCE_TYPES)
    assert missing == set(), f"add a ResourceType record for {sorted(missing)} in labctl/resource_types.py"


def test_every_resource_in_the_plan_gets_the_arm_id_its_record_describes(dev_plan):
    for r in dev_plan.resources:
        record = resource_types.record(r["type"])
        if record is None or not r["custom"]:
            continue
        name = str(r["inputs"].get(record.name_input) or "")
        arm_id = resource_types.arm_id(r["type"], name, r["inputs"], FAKE_SUBSCRIPTION_ID)
        assert "{" not in arm_id and arm_id.endswith(f"/{record.collection}/{name}"), r["urn"]


def test_the_diff_tables_come_from_the_records():
    assert NAME_INPUTS["azure-native:cognitiveservices:Account"] == "accountName"
    # A product-API link's apiId names its API, not itself.
    assert "azure-native:apimanagement:ProductApi" not in NAME_INPUTS
    assert PARENT_INPUTS["accountName"] == ("azure-native:cognitiveservices:Account",)
    assert PARENT_INPUTS["apiId"] == ("azure-native:apimanagement:Api",)
    assert PARENT_INPUTS["scope"] == ("*",) and PARENT_INPUTS["resourceUri"] == ("*",)
    assert ARM_COLLECTIONS["azure-native:apimanagement:ApiManagementService"] == "service"
    assert ARM_COLLECTIONS["azure-native:operationalinsights:SavedSearch"] == "savedSearches"
    # The general rules come first: a resource group's own name reads as "part of the ARM id".
    assert REPLACE_RULES[0].type == "azure-native:*" and REPLACE_RULES[0].path == "resourceGroupName"
    assert REPLACE_RULES[-1].type == "random:*"


def test_taggable_types_match_the_sdk():
    # A type is taggable exactly when its pulumi-azure-native class takes `tags`.
    import importlib
    import inspect

    for token, record in resource_types.RESOURCE_TYPES.items():
        _, module, cls = token.split(":")
        sdk = getattr(importlib.import_module(f"pulumi_azure_native.{module}"), cls)
        takes_tags = "tags" in inspect.signature(sdk._internal_init).parameters
        assert record.taggable is takes_tags, token
