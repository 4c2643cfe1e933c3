"""Pooled quota is counted once across regions; per-region quota stays per region."""

from __future__ import annotations

from labctl.preflight.spread.pooled import build_ledger, looks_pooled
from tests.support.fake_arm import usage

GS = "OpenAI.GlobalStandard.gpt-5-mini"
DZ = "OpenAI.DataZoneStandard.gpt-5-mini"
STD = "OpenAI.Standard.gpt4.1"


def regions(**per_region):
    return {r: [usage(n, c, lim) for n, (c, lim) in entries.items()] for r, entries in per_region.items()}


def test_a_declared_global_pool_is_spent_once_whichever_region_asks():
    data = regions(
        eastus2={GS: (400, 500), STD: (0, 100)},
        swedencentral={GS: (400, 500), STD: (0, 100)},
    )
    for entries in data.values():
        entries[0]["scope"] = "Global"
    ledger = build_ledger(data)
    assert ledger.is_pooled(GS) and not ledger.is_pooled(STD)
    # 100 left in the pool, not 100 per region.
    assert ledger.take(GS, "eastus2", 80) == 80
    assert ledger.left(GS, "swedencentral") == 20
    assert ledger.take(GS, "swedencentral", 50) == 20
    assert ledger.left(GS, "eastus2") == 0
    (note,) = ledger.notes()
    assert "pooled per subscription across all regions" in note
    assert "moving region adds no quota" in note


def test_configured_pool_names_work_without_a_scope_field_and_data_zones_pool_per_zone():
    data = regions(
        eastus={DZ: (0, 300)},
        eastus2={DZ: (0, 300)},
        swedencentral={DZ: (100, 300)},
    )
    ledger = build_ledger(data, configured=[DZ])
    assert ledger.key(DZ, "eastus") == ledger.key(DZ, "eastus2") != ledger.key(DZ, "swedencentral")
    assert ledger.take(DZ, "eastus", 250) == 250
    assert ledger.left(DZ, "eastus2") == 50
    assert ledger.left(DZ, "swedencentral") == 200


def test_regions_that_disagree_about_a_pool_count_the_smaller_remainder():
    data = regions(eastus2={GS: (100, 500)}, eastus={GS: (450, 500)})
    ledger = build_ledger(data, configured=[GS])
    assert ledger.left(GS, "eastus2") == 50


def test_look_alike_usages_are_only_hinted():
    data = regions(eastus2={GS: (120, 500), STD: (0, 100)}, eastus={GS: (120, 500), STD: (0, 100)})
    assert looks_pooled(data) == [GS]  # STD is 0 everywhere: identical, but no evidence
    assert not build_ledger(data).is_pooled(GS)
