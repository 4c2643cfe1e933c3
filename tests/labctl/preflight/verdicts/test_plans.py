"""Per-region plans from the real dev stack, and how quota, validation and tier verdicts combine."""

from __future__ import annotations

import pytest

from labctl.preflight.offers.tiers import TierVerdict
from labctl.preflight.verdicts.plans import FITS, NO_FIT, UNKNOWN, combine, region_plan
from labctl.preflight.verdicts.refusals import Kind, Refusal
from labctl.preflight.verdicts.template import PlannedLab, validation_template
from labctl.preflight.verdicts.validation import Outcome, RegionValidation
from labctl.project import load_stack_settings
from tests.support.plans import APIM
from tests.support.preflight_arm import dev_lab


@pytest.fixture(scope="module")
def settings():
    return load_stack_settings("dev")


def _inner(p) -> list[dict]:
    return validation_template(p)["resources"][1]["properties"]["template"]["resources"]


def test_plan_of_the_dev_stack_uses_the_programs_names_and_settings(settings):
    p = region_plan(settings, dev_lab(), "swedencentral")
    assert p.resource_group == "rg-aoai-lab-dev"
    assert p.account_name == "aoai-lab-dev-pf000"
    assert p.gateway_name == "apim-aoai-lab-dev-pf000"
    assert [(d.name, d.sku, d.capacity) for d in p.deployments] == [
        ("chat", "GlobalStandard", 50),
        ("embeddings", "GlobalStandard", 50),
    ]
    group = validation_template(p)["resources"][0]
    assert group["location"] == "eastus2" and group["tags"]["lab"] == "genai-workshop-dev"
    account, _, _, gateway = _inner(p)
    assert account["location"] == gateway["location"] == "swedencentral"
    assert account["properties"]["customSubDomainName"] == "aoai-lab-dev-pf000"
    assert gateway["name"] == "apim-aoai-lab-dev-pf000"
    assert gateway["sku"] == {"name": "BasicV2", "capacity": 1}
    assert gateway["properties"]["publisherEmail"] == "ana.garcia@contoso.edu"


def test_plan_with_chosen_capacities_and_skus_and_only_some_deployments(settings):
    p = region_plan(
        settings,
        dev_lab(),
        "eastus",
        capacities={"chat": 30},
        skus={"chat": "DataZoneStandard"},
        account_name="aoai-lab-dev-x1y2z",
        with_gateway=False,
    )
    assert [(d.name, d.sku, d.capacity) for d in p.deployments] == [("chat", "DataZoneStandard", 30)]
    account, chat = _inner(p)
    assert account["name"] == "aoai-lab-dev-x1y2z"
    assert chat["name"] == "aoai-lab-dev-x1y2z/chat"
    assert chat["sku"] == {"name": "DataZoneStandard", "capacity": 30}


@pytest.mark.parametrize("tier", ["Consumption", "Developer", "StandardV2"])
def test_the_gateway_is_validated_with_the_capacity_the_program_declares(settings, plan_with, tier):
    # Consumption scales itself: Azure takes it only with capacity 0, the other tiers with their units.
    program = plan_with(gatewayTier=tier, gatewayLogs=False, participantLimits=None)
    declared = program.one(APIM)["inputs"]["sku"]
    lab = PlannedLab.from_snapshot(program.snapshot(), "eastus2")
    gateway = _inner(region_plan(settings, lab, "swedencentral"))[-1]
    assert gateway["sku"] == declared == {"name": tier, "capacity": 0 if tier == "Consumption" else 1}


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
