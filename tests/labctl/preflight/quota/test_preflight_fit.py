"""The fit rules on plain data: which region, SKU and capacity preflight picks, and why the others fail."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from labctl.preflight.model import ModelOffer, Quota, RegionAvailability, RegionFailure, SkuOffer, Verdict
from labctl.preflight.quota.decisions import decide, evaluate_region
from labctl.preflight.quota.fit import align_down, align_up
from stacks.config.load import load_settings
from stacks.config.sections import LabSettings

TODAY = dt.date(2026, 11, 22)


def lab(
    *deployments: dict[str, Any], regions: tuple[str, ...] = ("eastus2", "eastus"), **extra: Any
) -> LabSettings:
    raw = {
        "owner": "ana.garcia@contoso.edu",
        "expiresOn": "2026-12-18",
        "regions": list(regions),
        "deployments": list(deployments),
        **extra,
    }
    return load_settings(raw, resource_group_location="eastus2")


def dep(
    name: str = "chat", model: str = "gpt-5-mini", version: str = "2025-08-07", **kw: Any
) -> dict[str, Any]:
    return {"name": name, "model": model, "version": version, "sku": "GlobalStandard", "capacity": 50, **kw}


def offer(name: str = "gpt-5-mini", version: str = "2025-08-07", *skus: SkuOffer, **kw: Any) -> ModelOffer:
    return ModelOffer(name=name, version=version, skus=skus or (gs(name),), **kw)


def gs(model: str = "gpt-5-mini", **kw: Any) -> SkuOffer:
    return SkuOffer("GlobalStandard", f"OpenAI.GlobalStandard.{model}", minimum=1, maximum=1000, step=1, **kw)


def dz(model: str = "gpt-5-mini", **kw: Any) -> SkuOffer:
    return SkuOffer(
        "DataZoneStandard", f"OpenAI.DataZoneStandard.{model}", minimum=1, maximum=1000, step=1, **kw
    )


def region(name: str, models: list[ModelOffer], **usage: tuple[float, float]) -> RegionAvailability:
    quotas = {"OpenAI.S0.AccountCount": Quota("OpenAI.S0.AccountCount", 1, 30)}
    for key, (current, limit) in usage.items():
        quotas[key] = Quota(key, current, limit)
    return RegionAvailability(name, tuple(models), quotas)


def test_first_region_full_second_fits():
    settings = lab(dep())
    full = region("eastus2", [offer()], **{"OpenAI.GlobalStandard.gpt-5-mini": (448, 450)})
    roomy = region("eastus", [offer()], **{"OpenAI.GlobalStandard.gpt-5-mini": (0, 450)})
    result = decide(settings, {"eastus2": full, "eastus": roomy}, TODAY)

    assert result.chosen is not None and result.chosen.region == "eastus"
    assert result.exit_code == 0
    first = result.regions[0]
    assert first.verdict is Verdict.NO_FIT
    assert first.cells["chat"].text == "2 of 450 left (needs 50)"
    assert result.chosen.cells["chat"].text == "GlobalStandard 50"


def test_first_fitting_region_wins_over_later_ones():
    settings = lab(dep(), regions=("eastus2", "eastus"))
    fits = region("eastus2", [offer()], **{"OpenAI.GlobalStandard.gpt-5-mini": (0, 60)})
    also = region("eastus", [offer()], **{"OpenAI.GlobalStandard.gpt-5-mini": (0, 9999)})
    result = decide(settings, {"eastus2": fits, "eastus": also}, TODAY)
    assert result.chosen is not None and result.chosen.region == "eastus2"
    assert result.regions[1].verdict is Verdict.FITS


def test_usage_name_comes_from_the_models_list_not_the_model_name():
    settings = lab(dep(model="gpt-4.1", version="2025-04-14", minCapacity=10))
    sku = SkuOffer("GlobalStandard", "OpenAI.GlobalStandard.gpt4.1", minimum=1, maximum=1000, step=1)
    r = region(
        "eastus2",
        [offer("gpt-4.1", "2025-04-14", sku)],
        **{
            "OpenAI.GlobalStandard.gpt4.1": (445, 450),
            # A name built from the model name would find this one and wrongly say the lab fits.
            "OpenAI.GlobalStandard.gpt-4.1": (0, 10000),
        },
    )
    result = evaluate_region(settings, r, TODAY)
    assert result.verdict is Verdict.NO_FIT
    assert result.cells["chat"].text.startswith("5 of 450 left")


def test_finetune_duplicate_is_not_the_deployment_quota():
    settings = lab(dep(model="gpt-4.1", version="2025-04-14", sku="Standard", capacity=20))
    skus = (
        SkuOffer("Standard", "OpenAI.Standard.gpt-4.1-finetune", minimum=1, maximum=100, step=1),
        SkuOffer("Standard", "OpenAI.Standard.gpt4.1", minimum=1, maximum=100, step=1),
    )
    r = region(
        "eastus2",
        [offer("gpt-4.1", "2025-04-14", *skus)],
        **{"OpenAI.Standard.gpt-4.1-finetune": (0, 500), "OpenAI.Standard.gpt4.1": (95, 100)},
    )
    result = evaluate_region(settings, r, TODAY)
    assert result.cells["chat"].text.startswith("5 of 100 left")


def test_sku_fallback_when_the_first_sku_is_not_offered():
    settings = lab(dep(fallbackSkus=["DataZoneStandard"]))
    r = region(
        "eastus2",
        [offer("gpt-5-mini", "2025-08-07", dz())],
        **{"OpenAI.DataZoneStandard.gpt-5-mini": (0, 300)},
    )
    result = evaluate_region(settings, r, TODAY)
    assert result.verdict is Verdict.FITS
    choice = result.cells["chat"].choice
    assert choice is not None and (choice.sku, choice.capacity) == ("DataZoneStandard", 50)


def test_sku_fallback_when_the_first_sku_has_no_quota():
    settings = lab(dep(fallbackSkus=["DataZoneStandard"]))
    r = region(
        "eastus2",
        [offer("gpt-5-mini", "2025-08-07", gs(), dz())],
        **{"OpenAI.GlobalStandard.gpt-5-mini": (450, 450), "OpenAI.DataZoneStandard.gpt-5-mini": (0, 300)},
    )
    result = evaluate_region(settings, r, TODAY)
    assert result.cells["chat"].text == "DataZoneStandard 50"


def test_capacity_lowered_to_a_step_aligned_value_within_min_capacity():
    settings = lab(dep(capacity=50, minCapacity=10))
    stepped = SkuOffer("GlobalStandard", "OpenAI.GlobalStandard.gpt-5-mini", minimum=5, maximum=1000, step=5)
    r = region(
        "eastus2",
        [offer("gpt-5-mini", "2025-08-07", stepped)],
        **{"OpenAI.GlobalStandard.gpt-5-mini": (413, 450)},
    )
    result = evaluate_region(settings, r, TODAY)
    choice = result.cells["chat"].choice
    assert choice is not None
    assert choice.capacity == 35  # 37 left, step 5
    assert choice.lowered and result.cells["chat"].text == "GlobalStandard 35 (asked 50)"


def test_capacity_never_below_min_capacity():
    settings = lab(dep(capacity=50, minCapacity=40))
    r = region("eastus2", [offer()], **{"OpenAI.GlobalStandard.gpt-5-mini": (413, 450)})
    result = evaluate_region(settings, r, TODAY)
    assert result.verdict is Verdict.NO_FIT
    assert result.cells["chat"].text == "37 of 450 left (needs 40)"
    assert any("lower minCapacity to 37" in a for a in result.advice)


def test_capacity_capped_by_the_sku_maximum():
    settings = lab(dep(capacity=500, minCapacity=10))
    small = SkuOffer("GlobalStandard", "OpenAI.GlobalStandard.gpt-5-mini", minimum=1, maximum=100, step=1)
    r = region(
        "eastus2",
        [offer("gpt-5-mini", "2025-08-07", small)],
        **{"OpenAI.GlobalStandard.gpt-5-mini": (0, 1000)},
    )
    choice = evaluate_region(settings, r, TODAY).cells["chat"].choice
    assert choice is not None and choice.capacity == 100


def test_deployments_sharing_a_usage_are_summed():
    settings = lab(dep("chat", capacity=50, minCapacity=10), dep("chat-b", capacity=50, minCapacity=10))
    r = region("eastus2", [offer()], **{"OpenAI.GlobalStandard.gpt-5-mini": (380, 450)})  # 70 left
    result = evaluate_region(settings, r, TODAY)
    assert result.verdict is Verdict.FITS
    got = {c.deployment: c.capacity for c in result.choices}
    assert got == {"chat": 50, "chat-b": 20}
    assert sum(got.values()) <= 70


def test_shared_usage_too_small_for_both_minimums_does_not_fit():
    settings = lab(dep("chat", capacity=50, minCapacity=10), dep("chat-b", capacity=50, minCapacity=10))
    r = region("eastus2", [offer()], **{"OpenAI.GlobalStandard.gpt-5-mini": (435, 450)})  # 15 left, 20 needed
    result = evaluate_region(settings, r, TODAY)
    assert result.verdict is Verdict.NO_FIT
    assert "shared by chat + chat-b: need 20, 15 left" in result.cells["chat"].text
    assert any("together they need at least 20" in a for a in result.advice)


def test_shared_usage_pushes_the_later_deployment_to_its_fallback():
    settings = lab(
        dep("chat", capacity=50, minCapacity=10),
        dep("chat-b", capacity=50, minCapacity=10, fallbackSkus=["DataZoneStandard"]),
    )
    r = region(
        "eastus2",
        [offer("gpt-5-mini", "2025-08-07", gs(), dz())],
        **{"OpenAI.GlobalStandard.gpt-5-mini": (435, 450), "OpenAI.DataZoneStandard.gpt-5-mini": (0, 300)},
    )
    result = evaluate_region(settings, r, TODAY)
    assert result.verdict is Verdict.FITS
    assert {(c.deployment, c.sku, c.capacity) for c in result.choices} == {
        ("chat", "GlobalStandard", 15),
        ("chat-b", "DataZoneStandard", 50),
    }


def test_account_count_quota_blocks_a_region():
    settings = lab(dep())
    r = region(
        "eastus2",
        [offer()],
        **{"OpenAI.GlobalStandard.gpt-5-mini": (0, 450), "OpenAI.S0.AccountCount": (30, 30)},
    )
    result = evaluate_region(settings, r, TODAY)
    assert result.verdict is Verdict.NO_FIT
    assert result.summary == "account limit reached"
    assert any("30 of 30 accounts used" in a for a in result.advice)


def test_deprecated_version_is_refused_with_the_suggested_replacement():
    settings = lab(dep(model="gpt-4o", version="2024-05-13", sku="Standard"))
    old = offer(
        "gpt-4o",
        "2024-05-13",
        SkuOffer("Standard", "OpenAI.Standard.gpt-4o"),
        inference_retires_on=dt.date(2025, 10, 15),
        replacement="gpt-4.1 2025-04-14",
    )
    r = region("eastus2", [old], **{"OpenAI.Standard.gpt-4o": (0, 450)})
    result = evaluate_region(settings, r, TODAY)
    assert result.verdict is Verdict.NO_FIT
    assert result.cells["chat"].text == "retired 2025-10-15; use gpt-4.1 2025-04-14"


def test_deprecated_lifecycle_without_replacement_suggests_the_default_version():
    settings = lab(dep(model="gpt-4o", version="2024-05-13", sku="Standard"))
    old = offer(
        "gpt-4o", "2024-05-13", SkuOffer("Standard", "OpenAI.Standard.gpt-4o"), lifecycle="Deprecated"
    )
    new = offer("gpt-4o", "2024-11-20", SkuOffer("Standard", "OpenAI.Standard.gpt-4o"), is_default=True)
    r = region("eastus2", [old, new], **{"OpenAI.Standard.gpt-4o": (0, 450)})
    assert evaluate_region(settings, r, TODAY).cells["chat"].text == "retired; use gpt-4o 2024-11-20"


def test_version_retiring_before_the_lab_expires_warns_but_fits():
    settings = lab(dep())
    soon = offer(
        "gpt-5-mini",
        "2025-08-07",
        gs(),
        inference_retires_on=dt.date(2026, 12, 1),
        replacement="gpt-5-mini 2026-03-01",
    )
    r = region("eastus2", [soon], **{"OpenAI.GlobalStandard.gpt-5-mini": (0, 450)})
    result = evaluate_region(settings, r, TODAY)
    assert result.verdict is Verdict.FITS
    assert result.warnings == [
        "chat: gpt-5-mini 2025-08-07 is retired for inference on 2026-12-01, before the lab expires (2026-12-18); "
        "use gpt-5-mini 2026-03-01"
    ]


def test_version_retiring_after_the_lab_is_silent():
    settings = lab(dep())
    later = offer("gpt-5-mini", "2025-08-07", gs(), inference_retires_on=dt.date(2027, 3, 1))
    r = region("eastus2", [later], **{"OpenAI.GlobalStandard.gpt-5-mini": (0, 450)})
    assert evaluate_region(settings, r, TODAY).warnings == []


def test_retired_sku_is_skipped_for_the_fallback():
    settings = lab(dep(fallbackSkus=["DataZoneStandard"]))
    r = region(
        "eastus2",
        [offer("gpt-5-mini", "2025-08-07", gs(retires_on=dt.date(2025, 4, 30)), dz())],
        **{"OpenAI.GlobalStandard.gpt-5-mini": (0, 450), "OpenAI.DataZoneStandard.gpt-5-mini": (0, 300)},
    )
    result = evaluate_region(settings, r, TODAY)
    assert result.cells["chat"].text == "DataZoneStandard 50"
    only_gs = evaluate_region(lab(dep()), r, TODAY)
    assert only_gs.cells["chat"].text == "GlobalStandard retired 2025-04-30"


def test_version_and_model_not_offered():
    settings = lab(dep(version="2026-01-01"), dep("emb", model="text-embedding-3-large", version="1"))
    r = region("eastus2", [offer()], **{"OpenAI.GlobalStandard.gpt-5-mini": (0, 450)})
    result = evaluate_region(settings, r, TODAY)
    assert result.cells["chat"].text == "version not offered (offered: 2025-08-07)"
    assert result.cells["emb"].text == "model not offered"


def test_account_kind_selects_the_matching_catalog_entries():
    settings = lab(dep(), accountKind="AIServices")
    openai_only = region("eastus2", [offer(kind="OpenAI")], **{"OpenAI.GlobalStandard.gpt-5-mini": (0, 450)})
    assert evaluate_region(settings, openai_only, TODAY).cells["chat"].text == "model not offered"
    both = region(
        "eastus2",
        [offer(kind="OpenAI"), offer(kind="AIServices")],
        **{"OpenAI.GlobalStandard.gpt-5-mini": (0, 450)},
    )
    assert evaluate_region(settings, both, TODAY).verdict is Verdict.FITS


def test_nothing_fits_names_the_closest_region_and_what_to_lower():
    settings = lab(dep(capacity=50, minCapacity=30), regions=("eastus2", "eastus", "canadaeast"))
    avail = {
        "eastus2": region("eastus2", [], **{}),
        "eastus": region("eastus", [offer()], **{"OpenAI.GlobalStandard.gpt-5-mini": (430, 450)}),
        "canadaeast": region("canadaeast", [offer()], **{"OpenAI.GlobalStandard.gpt-5-mini": (445, 450)}),
    }
    result = decide(settings, avail, TODAY)
    assert result.chosen is None
    assert result.exit_code == 5
    assert result.closest is not None and result.closest.region == "eastus"
    assert result.closest.advice == [
        "chat: lower minCapacity to 20 (GlobalStandard has 20 of 450 left in eastus), or request more "
        "OpenAI.GlobalStandard.gpt-5-mini quota (https://aka.ms/oai/quotaincrease)"
    ]
    assert not result.zero_quota


def test_zero_quota_subscription_is_recognised():
    settings = lab(dep())
    avail = {
        r: region(
            r, [offer()], **{"OpenAI.GlobalStandard.gpt-5-mini": (0, 0), "OpenAI.S0.AccountCount": (0, 0)}
        )
        for r in ("eastus2", "eastus")
    }
    result = decide(settings, avail, TODAY)
    assert result.zero_quota and result.exit_code == 5


def test_unknown_regions_are_never_fit_and_all_unknown_is_an_error():
    settings = lab(dep())
    down = RegionFailure("throttled (429 TooManyRequests) after retries", "TooManyRequests", 429)
    avail = {r: RegionAvailability(r, failure=down) for r in ("eastus2", "eastus")}
    result = decide(settings, avail, TODAY)
    assert [r.verdict for r in result.regions] == [Verdict.UNKNOWN, Verdict.UNKNOWN]
    assert result.exit_code == 4

    # One region checked and full, one unknown: no fit is not proven, so it is not exit 2 (the answer is not known).
    avail["eastus"] = region("eastus", [offer()], **{"OpenAI.GlobalStandard.gpt-5-mini": (450, 450)})
    partly = decide(settings, avail, TODAY)
    assert partly.unknown == ["eastus2"]
    assert partly.exit_code == 4

    avail["eastus2"] = region("eastus2", [offer()], **{"OpenAI.GlobalStandard.gpt-5-mini": (450, 450)})
    assert decide(settings, avail, TODAY).exit_code == 5


def test_region_missing_from_the_data_is_unknown():
    settings = lab(dep())
    result = decide(
        settings,
        {"eastus": region("eastus", [offer()], **{"OpenAI.GlobalStandard.gpt-5-mini": (0, 450)})},
        TODAY,
    )
    assert result.regions[0].verdict is Verdict.UNKNOWN
    assert result.chosen is not None and result.chosen.region == "eastus"
    assert result.skipped_unknown == ["eastus2"]


def test_fine_tuned_model_is_passed_through_unchecked_with_a_warning():
    settings = lab(
        dep(),
        dep(
            "ft",
            model="gpt-4.1-mini-2025-04-14.ft-0123456789abcdef",
            version="1",
            sku="DeveloperTier",
            capacity=1,
        ),
    )
    r = region("eastus2", [offer()], **{"OpenAI.GlobalStandard.gpt-5-mini": (0, 450)})
    result = evaluate_region(settings, r, TODAY)
    assert result.verdict is Verdict.FITS
    assert result.cells["ft"].text == "DeveloperTier 1 (not checked)"
    assert any("fine-tuned" in w for w in result.warnings)


@pytest.mark.parametrize(
    ("sku", "value", "down", "up"),
    [
        (SkuOffer("s", "u", minimum=1, maximum=1000, step=1), 37, 37, 37),
        (SkuOffer("s", "u", minimum=5, maximum=1000, step=5), 37, 35, 40),
        (SkuOffer("s", "u", minimum=15, maximum=100, step=5), 12, None, 15),
        (SkuOffer("s", "u", minimum=15, maximum=100, step=5), 120, 100, None),
        (SkuOffer("s", "u", allowed=(1, 10, 100)), 50, 10, 100),
        (SkuOffer("s", "u"), 7, 7, 7),  # no capacity block at all: any positive whole number
    ],
)
def test_step_alignment(sku, value, down, up):
    assert align_down(value, sku) == down
    assert align_up(value, sku) == up


def test_the_pulumi_program_never_reads_quota():
    # `pulumi up` deploys what is pinned; only `labctl preflight` talks to the quota APIs.
    from labctl.project import PROJECT_DIR

    sources = [*(PROJECT_DIR / "stacks").glob("*.py"), *(PROJECT_DIR / "components").rglob("*.py")]
    sources.append(PROJECT_DIR / "__main__.py")
    assert len(sources) > 3
    for path in sources:
        text = path.read_text(encoding="utf-8")
        for needle in (
            "azure.mgmt",
            "labctl.preflight.offers.availability",
            "labctl.preflight.quota.decisions",
            "usages.list",
            "models.list",
        ):
            assert needle not in text, f"{path.name} mentions {needle}"


def test_sku_retiring_before_the_lab_expires_warns_only_when_chosen():
    settings = lab(dep(fallbackSkus=["DataZoneStandard"]))
    retiring = gs(retires_on=dt.date(2026, 12, 5))
    offered = offer("gpt-5-mini", "2025-08-07", retiring, dz())
    chosen = region("eastus2", [offered], **{"OpenAI.GlobalStandard.gpt-5-mini": (0, 450)})
    result = evaluate_region(settings, chosen, TODAY)
    assert result.cells["chat"].text == "GlobalStandard 50"
    assert result.warnings == [
        "chat: GlobalStandard for gpt-5-mini 2025-08-07 is retired on 2026-12-05 in eastus2, before the lab "
        "expires (2026-12-18)"
    ]
    skipped = region(
        "eastus2",
        [offered],
        **{"OpenAI.GlobalStandard.gpt-5-mini": (450, 450), "OpenAI.DataZoneStandard.gpt-5-mini": (0, 300)},
    )
    result = evaluate_region(settings, skipped, TODAY)
    assert result.cells["chat"].text == "DataZoneStandard 50"
    assert result.warnings == []


def test_shared_usage_growth_stays_step_aligned():
    # 73 left, two deployments of 10-50 in steps of 5: the first gets 50, the second what is left (23) rounded
    # down to the step: 20, never 23.
    settings = lab(dep("chat", capacity=50, minCapacity=10), dep("chat-b", capacity=50, minCapacity=10))
    stepped = SkuOffer("GlobalStandard", "OpenAI.GlobalStandard.gpt-5-mini", minimum=5, maximum=1000, step=5)
    r = region(
        "eastus2",
        [offer("gpt-5-mini", "2025-08-07", stepped)],
        **{"OpenAI.GlobalStandard.gpt-5-mini": (377, 450)},
    )
    result = evaluate_region(settings, r, TODAY)
    assert result.verdict is Verdict.FITS
    assert {c.deployment: c.capacity for c in result.choices} == {"chat": 50, "chat-b": 20}
    assert result.cells["chat-b"].text == "GlobalStandard 20 (asked 50)"


def test_version_retiring_on_the_last_day_of_the_lab_warns():
    # The lab's last day is a class day: a model retired that day breaks it, so `<=` (warn), not `<`.
    settings = lab(dep())
    last_day = offer("gpt-5-mini", "2025-08-07", gs(), inference_retires_on=dt.date(2026, 12, 18))
    r = region("eastus2", [last_day], **{"OpenAI.GlobalStandard.gpt-5-mini": (0, 450)})
    result = evaluate_region(settings, r, TODAY)
    assert result.verdict is Verdict.FITS
    assert result.warnings == [
        "chat: gpt-5-mini 2025-08-07 is retired for inference on 2026-12-18, the day the lab expires (2026-12-18)"
    ]
    day_after = offer("gpt-5-mini", "2025-08-07", gs(), inference_retires_on=dt.date(2026, 12, 19))
    r = region("eastus2", [day_after], **{"OpenAI.GlobalStandard.gpt-5-mini": (0, 450)})
    assert evaluate_region(settings, r, TODAY).warnings == []


def test_sku_retiring_on_the_last_day_of_the_lab_warns():
    settings = lab(dep())
    r = region(
        "eastus2",
        [offer("gpt-5-mini", "2025-08-07", gs(retires_on=dt.date(2026, 12, 18)))],
        **{"OpenAI.GlobalStandard.gpt-5-mini": (0, 450)},
    )
    assert evaluate_region(settings, r, TODAY).warnings == [
        "chat: GlobalStandard for gpt-5-mini 2025-08-07 is retired on 2026-12-18 in eastus2, the day the lab "
        "expires (2026-12-18)"
    ]


def test_version_retiring_today_is_refused():
    settings = lab(dep())
    today = offer("gpt-5-mini", "2025-08-07", gs(), inference_retires_on=TODAY)
    r = region("eastus2", [today], **{"OpenAI.GlobalStandard.gpt-5-mini": (0, 450)})
    assert evaluate_region(settings, r, TODAY).cells["chat"].text == f"retired {TODAY.isoformat()}"


def test_many_deployments_do_not_explode_the_sku_search():
    # 14 deployments with 3 workable SKUs each: 3**14 (4.8 million) combinations. Beyond MAX_COMBINATIONS the
    # choice is greedy, in config order; here the first SKU has room for 10 of them, the rest fall back.
    from labctl.preflight.quota import fit as preflight

    names = [f"d{i:02d}" for i in range(14)]
    settings = lab(
        *(dep(n, capacity=10, minCapacity=10, fallbackSkus=["DataZoneStandard", "Standard"]) for n in names)
    )
    standard = SkuOffer("Standard", "OpenAI.Standard.gpt-5-mini", minimum=1, maximum=1000, step=1)
    r = region(
        "eastus2",
        [offer("gpt-5-mini", "2025-08-07", gs(), dz(), standard)],
        **{
            "OpenAI.GlobalStandard.gpt-5-mini": (0, 100),
            "OpenAI.DataZoneStandard.gpt-5-mini": (0, 30),
            "OpenAI.Standard.gpt-5-mini": (0, 30),
        },
    )
    assert preflight.MAX_COMBINATIONS < 3**14
    result = evaluate_region(settings, r, TODAY)
    assert result.verdict is Verdict.FITS
    skus = [result.cells[n].choice.sku for n in names]  # type: ignore[union-attr]
    assert skus == ["GlobalStandard"] * 10 + ["DataZoneStandard"] * 3 + ["Standard"]
    # Greedy still refuses what does not fit at all.
    full = region(
        "eastus2",
        [offer("gpt-5-mini", "2025-08-07", gs(), dz(), standard)],
        **{
            "OpenAI.GlobalStandard.gpt-5-mini": (0, 100),
            "OpenAI.DataZoneStandard.gpt-5-mini": (0, 20),
            "OpenAI.Standard.gpt-5-mini": (0, 10),
        },
    )
    assert evaluate_region(settings, full, TODAY).verdict is Verdict.NO_FIT


# ---- a lab that is already deployed in the region ----


def deployed(*items: tuple[str, str, str, str, int], account: str = "aoai-lab-dev-x7k2q") -> dict[str, Any]:
    from labctl.preflight.model import ExistingDeployment

    return {
        "lab_accounts": (account,),
        "lab_deployments": tuple(
            ExistingDeployment(account, name, model, version, sku, capacity)
            for name, model, version, sku, capacity in items
        ),
    }


def test_the_labs_own_deployments_and_account_are_credited():
    # 440 of 450 used, 50 of them by the lab's own chat deployment; every account slot taken, one by the lab.
    import dataclasses

    settings = lab(dep("chat", capacity=50, minCapacity=10))
    r = region(
        "eastus2",
        [offer()],
        **{"OpenAI.GlobalStandard.gpt-5-mini": (440, 450), "OpenAI.S0.AccountCount": (30, 30)},
    )
    without = evaluate_region(settings, r, TODAY)
    assert without.verdict is Verdict.NO_FIT and not without.account_ok

    r = dataclasses.replace(r, **deployed(("chat", "gpt-5-mini", "2025-08-07", "GlobalStandard", 50)))
    result = evaluate_region(settings, r, TODAY)
    assert result.verdict is Verdict.FITS
    assert result.cells["chat"].text == "GlobalStandard 50"
    assert result.credited == [
        "chat GlobalStandard 50 on OpenAI.GlobalStandard.gpt-5-mini",
        "its account aoai-lab-dev-x7k2q",
    ]


def test_credit_is_summed_per_usage_name_from_the_models_list():
    # Two deployments of the lab share gpt-4.1's usage (named `gpt4.1`, not after the model); a third model's
    # version is no longer listed: its quota cannot be known, so it is not credited (and said so).
    import dataclasses

    settings = lab(
        dep("big", model="gpt-4.1", version="2025-04-14", capacity=100, minCapacity=100),
        dep("small", model="gpt-4.1", version="2025-04-14", capacity=100, minCapacity=100),
    )
    sku = SkuOffer("GlobalStandard", "OpenAI.GlobalStandard.gpt4.1", minimum=1, maximum=1000, step=1)
    r = region(
        "eastus2",
        [offer("gpt-4.1", "2025-04-14", sku)],
        **{"OpenAI.GlobalStandard.gpt4.1": (400, 450), "OpenAI.GlobalStandard.gpt-4.1": (0, 1000)},
    )
    r = dataclasses.replace(
        r,
        **deployed(
            ("big", "gpt-4.1", "2025-04-14", "GlobalStandard", 100),
            ("small", "gpt-4.1", "2025-04-14", "GlobalStandard", 50),
            ("old", "gpt-4o", "2024-05-13", "Standard", 30),
        ),
    )
    result = evaluate_region(settings, r, TODAY)
    assert result.verdict is Verdict.FITS  # 50 left + 150 of the lab's own = 200 = 100 + 100
    assert result.credited[-1] == (
        "not counted: old (gpt-4o 2024-05-13 Standard 30), whose model is not in the models list (its quota is "
        "unknown)"
    )


def test_no_credit_without_a_deployed_lab():
    settings = lab(dep("chat", capacity=50, minCapacity=10))
    r = region("eastus2", [offer()], **{"OpenAI.GlobalStandard.gpt-5-mini": (440, 450)})
    result = evaluate_region(settings, r, TODAY)
    assert result.credited == []
    assert result.cells["chat"].text == "GlobalStandard 10 (asked 50)"
