"""Validation of the keys preflight reads: each deployment's fallbackSkus and minCapacity."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from stacks.config.load import load_settings
from tests.support.config_load import config_problems


def _chat(raw: dict[str, Any], **changes: Any) -> dict[str, Any]:
    out = copy.deepcopy(raw)
    for key, value in changes.items():
        if value is None:
            out["deployments"][0].pop(key, None)
        else:
            out["deployments"][0][key] = value
    return out


def test_dev_stack_fallbacks_and_floors_load(raw_dev):
    settings = load_settings(raw_dev, resource_group_location="eastus2")
    chat, embeddings = settings.deployments
    assert chat.skus == ("GlobalStandard", "DataZoneStandard")
    assert (chat.floor_capacity, chat.capacity) == (10, 50)
    assert embeddings.skus == ("GlobalStandard", "Standard")


def test_min_capacity_defaults_to_capacity(raw_dev):
    settings = load_settings(
        _chat(raw_dev, minCapacity=None, fallbackSkus=None), resource_group_location="eastus2"
    )
    assert settings.deployments[0].floor_capacity == 50
    assert settings.deployments[0].skus == ("GlobalStandard",)


def test_pinned_sku_repeated_in_fallbacks_is_accepted(raw_dev):
    # What `labctl preflight --write` leaves after falling back: sku DataZoneStandard, fallbackSkus [DataZoneStandard].
    raw = _chat(raw_dev, sku="DataZoneStandard", fallbackSkus=["DataZoneStandard"])
    assert load_settings(raw, resource_group_location="eastus2").deployments[0].skus == ("DataZoneStandard",)


@pytest.mark.parametrize(
    ("changes", "key", "fix"),
    [
        (
            {"fallbackSkus": ["ProvisionedManaged"]},
            "aoai-lab:deployments[0].fallbackSkus[0]",
            "fall back only among GlobalStandard, DataZoneStandard, Standard",
        ),
        (
            {"fallbackSkus": ["DataZoneStandard", "Standard", "DataZoneStandard"]},
            "aoai-lab:deployments[0].fallbackSkus[2]",
            "list each fallback once",
        ),
        ({"fallbackSkus": "DataZoneStandard"}, "aoai-lab:deployments[0].fallbackSkus", "YAML list"),
        ({"fallbackSkus": ["Datazone"]}, "aoai-lab:deployments[0].fallbackSkus", "DataZoneStandard"),
        ({"minCapacity": 0}, "aoai-lab:deployments[0].minCapacity", "positive"),
        ({"minCapacity": "ten"}, "aoai-lab:deployments[0].minCapacity", "whole number"),
        ({"minCapacity": 60}, "aoai-lab:deployments[0].minCapacity", "keep it <= capacity"),
        ({"minCapcity": 5}, "aoai-lab:deployments[0].minCapcity", "did you mean 'minCapacity'"),
    ],
    ids=[
        "fallback to provisioned",
        "fallback listed twice",
        "fallbacks not a list",
        "unknown fallback",
        "min capacity zero",
        "min capacity text",
        "min capacity above capacity",
        "misspelt minCapacity",
    ],
)
def test_bad_fallbacks_and_floors_name_the_key_and_the_fix(raw_dev, changes, key, fix):
    problems = config_problems(_chat(raw_dev, **changes))
    matching = [p for p in problems if p.startswith(key)]
    assert matching, problems
    assert any(fix in p for p in matching), matching
    assert all("Fix:" in p for p in matching), matching


def test_provisioned_fallbacks_among_themselves_are_fine(raw_dev):
    raw = _chat(
        raw_dev,
        sku="GlobalProvisionedManaged",
        fallbackSkus=["DataZoneProvisionedManaged", "ProvisionedManaged"],
        capacity=15,
        minCapacity=15,
    )
    assert (
        load_settings(raw, resource_group_location="eastus2").deployments[0].skus[-1] == "ProvisionedManaged"
    )
