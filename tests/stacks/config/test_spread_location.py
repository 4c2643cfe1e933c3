"""`aoai-lab:location` as a list: a lab spread over regions, primary first, with capacities per region."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from labctl.project import read_stack_config
from stacks.config.load import ConfigError, load_settings
from stacks.config.source import split_config


@pytest.fixture
def raw() -> dict[str, Any]:
    flat, _ = read_stack_config("dev")
    ours, _ = split_config(flat)
    return copy.deepcopy(ours)


def load(raw: dict[str, Any]):
    return load_settings(raw, resource_group_location="eastus2")


def test_a_plain_location_is_one_placement(raw):
    s = load(raw)
    assert s.location == "eastus2"
    assert [(p.region, p.capacity) for p in s.placements] == [("eastus2", {})]
    assert not s.spills_over


def test_a_list_spreads_the_lab_primary_first(raw):
    raw["location"] = [
        {"region": "eastus2", "capacity": {"chat": 60, "embeddings": 50}},
        {"region": "swedencentral", "capacity": {"chat": 90}},
    ]
    s = load(raw)
    assert s.location == "eastus2"
    assert s.account_location == "eastus2"
    assert s.spills_over
    assert [(p.region, p.capacity) for p in s.placements] == [
        ("eastus2", {"chat": 60, "embeddings": 50}),
        ("swedencentral", {"chat": 90}),
    ]
    assert "spread" not in s.model_dump(by_alias=True)  # not a config key of its own


def test_plain_names_in_the_list(raw):
    raw["location"] = ["eastus2", "eastus"]
    s = load(raw)
    assert [p.region for p in s.placements] == ["eastus2", "eastus"]


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        ([{"capacity": {"chat": 5}}], "aoai-lab:location[0]: needs a region name"),
        (["eastus2", "eastus2"], "aoai-lab:location[1]: 'eastus2' is listed twice"),
        (
            [{"region": "eastus2", "capacity": {"chatt": 5}}],
            "aoai-lab:location[0].capacity: 'chatt' is not a deployment",
        ),
        (["eastus2", "westus"], "aoai-lab:location: 'westus' is pinned but not among aoai-lab:regions"),
        (["eastus2", "mars"], "aoai-lab:location[1].region: unknown region 'mars'"),
    ],
)
def test_bad_lists_name_the_key_and_the_fix(raw, location, expected):
    raw["location"] = location
    with pytest.raises(ConfigError) as exc:
        load(raw)
    assert any(p.startswith(expected) for p in exc.value.problems), exc.value.problems
    assert all("Fix:" in p for p in exc.value.problems if p.startswith("aoai-lab:location"))


def test_a_zero_capacity_is_refused(raw):
    raw["location"] = [{"region": "eastus2", "capacity": {"chat": 0}}, "eastus"]
    with pytest.raises(ConfigError) as exc:
        load(raw)
    assert any("capacity" in p and "chat" in p for p in exc.value.problems), exc.value.problems
