"""Per-region plans from the real dev stack, and how quota, validation and tier verdicts combine."""

from __future__ import annotations

import pytest

from labctl.preflight.offers.tiers import TierVerdict
from labctl.preflight.verdicts.plans import FITS, NO_FIT, UNKNOWN, combine, region_plan
from labctl.preflight.verdicts.refusals import Kind, Refusal
from labctl.preflight.verdicts.validation import Outcome, RegionValidation, validation_template
from labctl.project import load_stack_settings


@pytest.fixture(scope="module")
def settings():
    return load_stack_settings("dev")


def test_plan_of_the_dev_stack_uses_the_programs_names_and_settings(settings):
    p = region_plan(settings, "swedencentral")
    assert p.resource_group == "rg-aoai-lab-dev"
    assert p.account_name == "aoai-lab-dev-pf000"
    assert p.gateway is not None and p.gateway.name == "apim-aoai-lab-dev-pf000"
    assert p.gateway.tier == "BasicV2" and p.gateway.capacity == 1
    assert p.gateway.publisher_email == "ana.garcia@contoso.edu"
    assert [(d.name, d.sku, d.capacity) for d in p.deployments] == [
        ("chat", "GlobalStandard", 50),
        ("embeddings", "GlobalStandard", 50),
    ]
    assert p.resource_group_location == "eastus2"
    assert p.tags["lab"] == "genai-workshop-dev"
    assert (
        validation_template(p)["resources"][1]["properties"]["template"]["resources"][0]["location"]
        == "swedencentral"
    )


def test_plan_with_chosen_capacities_and_skus_and_only_some_deployments(settings):
    p = region_plan(
        settings,
        "eastus",
        capacities={"chat": 30},
        skus={"chat": "DataZoneStandard"},
        account_name="aoai-lab-dev-x1y2z",
    )
    assert [(d.name, d.sku, d.capacity) for d in p.deployments] == [("chat", "DataZoneStandard", 30)]
    assert p.account_name == "aoai-lab-dev-x1y2z"


def accepted():
    return RegionValidation("r", Outcome.ACCEPTED)


def refused():
    return RegionValidation(
        "r",
        Outcome.REFUSED,
        [
            Refusal(
                Kind.REGION_NOT_ALLOWED,
                "RequestDisallowedByAzure",
                "Resource 'a' was disallowed by Azure: x.",
                "a",
            )
        ],
    )


def unknown():
    return RegionValidation("r", Outcome.UNKNOWN, note="throttled by Azure (429) after retries")


def test_azure_refusal_overrides_a_quota_fit():
    c = combine(FITS, refused(), (TierVerdict.OFFERED, "ok"))
    assert c.verdict == NO_FIT
    assert c.reasons == [
        "Azure refuses: region not allowed for this subscription [RequestDisallowedByAzure] (a): Resource 'a' was disallowed by Azure: x."
    ]


def test_could_not_validate_is_unknown_never_fits():
    c = combine(FITS, unknown(), (TierVerdict.OFFERED, "ok"))
    assert c.verdict == UNKNOWN
    assert c.reasons == ["could not validate with Azure: throttled by Azure (429) after retries"]


def test_tier_not_offered_is_no_fit():
    c = combine(
        FITS, accepted(), (TierVerdict.NOT_OFFERED, "API Management BasicV2 is not offered in canadaeast")
    )
    assert (c.verdict, c.reasons) == (NO_FIT, ["API Management BasicV2 is not offered in canadaeast"])


def test_accepted_and_quota_fit_fits_and_is_marked_validated():
    c = combine(FITS, accepted(), (TierVerdict.UNKNOWN, "API Management lists no BasicV2 SKU"))
    assert c.verdict == FITS and c.validated
    assert c.reasons == ["gateway tier not checked: API Management lists no BasicV2 SKU"]


def test_without_validation_the_quota_verdict_stands():
    assert combine(FITS, None, None).verdict == FITS
    assert not combine(FITS, None, None).validated
    assert combine(NO_FIT, accepted(), None).verdict == NO_FIT
