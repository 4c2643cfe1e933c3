"""Spreading a lab over regions, primary first, and the list form of aoai-lab:location."""

from __future__ import annotations

import pytest

from labctl.preflight.spread.pooled import build_ledger
from labctl.preflight.spread.spillover import parse_location, spread
from tests.support.fake_arm import usage


def test_fills_the_primary_first_then_spills_over():
    room = {("eastus2", "chat"): 60, ("eastus2", "embeddings"): 50, ("swedencentral", "chat"): 100}
    s = spread(
        {"chat": 150, "embeddings": 50},
        ["eastus2", "swedencentral"],
        lambda r, d, w: min(w, room.get((r, d), 0)),
    )
    assert s.allocations == {"eastus2": {"chat": 60, "embeddings": 50}, "swedencentral": {"chat": 90}}
    assert s.shortfall == {}
    assert s.location_config() == [
        {"region": "eastus2", "capacity": {"chat": 60, "embeddings": 50}},
        {"region": "swedencentral", "capacity": {"chat": 90}},
    ]


def test_one_region_is_written_as_a_plain_name():
    s = spread({"chat": 10}, ["eastus2", "eastus"], lambda r, d, w: w)
    assert s.location_config() == "eastus2"


def test_shortfall_and_minimum_slice():
    room = {"eastus2": 5, "eastus": 40}
    s = spread({"chat": 100}, ["eastus2", "eastus"], lambda r, d, w: min(w, room[r]), minimum={"chat": 10})
    # eastus2's 5 is below the minimum slice, so it is skipped rather than given an account for 5.
    assert s.allocations == {"eastus": {"chat": 40}}
    assert s.shortfall == {"chat": 60}


def test_a_pooled_usage_does_not_grow_by_adding_regions():
    name = "OpenAI.GlobalStandard.gpt-5-mini"
    entries = [usage(name, 400, 500)]
    entries[0]["scope"] = "Global"
    ledger = build_ledger({"eastus2": entries, "swedencentral": [dict(entries[0])]})

    def fit(region, deployment, want):
        return min(want, ledger.left(name, region))

    s = spread({"chat": 150}, ["eastus2", "swedencentral"], fit, lambda r, d, n: ledger.take(name, r, n))
    assert s.allocations == {"eastus2": {"chat": 100}}
    assert s.shortfall == {"chat": 50}


def test_parse_location_forms():
    assert parse_location("eastus2") == [("eastus2", {})]
    assert parse_location([{"region": "eastus2", "capacity": {"chat": 60}}, "swedencentral"]) == [
        ("eastus2", {"chat": 60}),
        ("swedencentral", {}),
    ]


@pytest.mark.parametrize(
    ("value", "match"),
    [
        ([], "must be a region name or a list"),
        ([{"capacity": {"chat": 1}}], r"aoai-lab:location\[0\]: needs a 'region'"),
        ([{"region": "eastus", "capacity": {"chat": 0}}], r"\[0\]\.capacity"),
        (["eastus", "eastus"], "listed twice"),
    ],
)
def test_parse_location_errors_name_the_key(value, match):
    with pytest.raises(ValueError, match=match):
        parse_location(value)
