"""Fixed choices in the stack file are accepted in any case, the same way everywhere (tiers, SKUs, Literal
fields, labctl's --format), and spelled as Azure spells them in what the program declares."""

from __future__ import annotations

import pytest

from stacks.config.load import ConfigError, load_settings

BASE = {
    "owner": "ana@contoso.edu",
    "expiresOn": "2026-12-31",
    "regions": ["eastus2"],
    "deployments": [
        {"name": "chat", "model": "gpt-5-mini", "version": "1", "sku": "globalstandard", "capacity": 1}
    ],
    "people": [
        {
            "name": "ta",
            "principalId": "3f2b8c1e-5d4a-4e6f-9b7c-1a2d3e4f5a6b",
            "principalType": "GROUP",
            "roleSet": "student",
        }
    ],
    "gatewayTier": "basicv2",
    "publicNetworkAccess": "disabled",
}


def test_every_kind_of_choice_is_normalized() -> None:
    s = load_settings(dict(BASE), stack="dev", resource_group_location="eastus2")
    assert s.public_network_access == "Disabled"
    assert s.people[0].principal_type == "Group"
    assert s.deployments[0].sku == "GlobalStandard"
    assert s.gateway_tier == "BasicV2"


def test_a_wrong_choice_still_lists_the_choices() -> None:
    with pytest.raises(ConfigError) as info:
        load_settings({**BASE, "publicNetworkAccess": "open"}, stack="dev", resource_group_location="eastus2")
    assert "aoai-lab:publicNetworkAccess" in str(info.value) and "Enabled" in str(info.value)
