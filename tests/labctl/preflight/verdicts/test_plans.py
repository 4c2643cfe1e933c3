"""Per-region plans from the real dev stack, and how quota, validation and tier verdicts combine."""

from __future__ import annotations

import pytest

from labctl.preflight.offers.tiers import TierVerdict
from labctl.preflight.verdicts.plans import FITS, NO_FIT, UNKNOWN, combine, region_plan, spread_region_plan
from labctl.preflight.verdicts.refusals import Kind, Refusal
from labctl.preflight.verdicts.template import PlannedLab, TemplateError, validation_template
from labctl.preflight.verdicts.validation import Outcome, RegionValidation
from labctl.project import load_stack_settings
from tests.support.plans import ACCOUNT, APIM, DEPLOYMENT
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


# A Foundry lab spread over eastus2 (primary: the gateway, the projects) and swedencentral, with a property only the
# swedencentral account is declared with: what tells that account's own declaration from the primary's, moved.
SPREAD = [
    {"region": "eastus2", "capacity": {"chat": 8, "embeddings": 50}},
    {"region": "swedencentral", "capacity": {"chat": 8}},
]


@pytest.fixture(scope="module")
def spread_program(dev_config):
    from pulumi_azure_native import cognitiveservices

    from labctl.plan.runtime import run_program
    from stacks.program import run
    from tests.conftest import _flatten

    account = cognitiveservices.Account

    def declaring(name, *args, **kwargs):
        if kwargs.get("location") == "swedencentral":
            kwargs["properties"].restrict_outbound_network_access = True
        return account(name, *args, **kwargs)

    config = {
        **dev_config,
        "aoai-lab:location": SPREAD,
        "aoai-lab:accountKind": "AIServices",
        "aoai-lab:foundryProjects": [{"name": "team-a", "people": ["ana-garcia"]}],
    }
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cognitiveservices, "Account", declaring)
        return run_program(run, project="aoai-lab", stack="dev", config=_flatten(config))


def test_a_spread_region_is_validated_as_the_account_the_plan_declares_there(settings, spread_program):
    lab = PlannedLab.from_snapshot(spread_program.snapshot(), "eastus2")
    declared = next(a for a in spread_program.by_type(ACCOUNT) if a["inputs"]["location"] == "swedencentral")
    declared_chat = next(
        d["inputs"]
        for d in spread_program.by_type(DEPLOYMENT)
        if d["inputs"]["accountName"] == declared["inputs"]["accountName"]
    )
    assert declared["inputs"]["accountName"].endswith("-swedencentral")

    account, chat = _inner(spread_region_plan(settings, lab, "swedencentral", capacities={"chat": 8}))
    # Its own name (the primary's under preflight's suffix, then the region: stacks/regions.py), its own properties.
    assert (
        account["name"] == account["properties"]["customSubDomainName"] == "aoai-lab-dev-pf000-swedencentral"
    )
    assert account["location"] == "swedencentral"
    assert account["properties"]["restrictOutboundNetworkAccess"] is True
    assert account["kind"] == "AIServices"
    assert chat["name"] == "aoai-lab-dev-pf000-swedencentral/chat"
    assert chat["properties"] == declared_chat["properties"]
    assert chat["sku"] == declared_chat["sku"] == {"name": "GlobalStandard", "capacity": 8}

    primary = _inner(spread_region_plan(settings, lab, "eastus2", capacities={"chat": 8, "embeddings": 50}))
    assert [(r["type"].rsplit("/", 1)[-1], r["name"]) for r in primary] == [
        ("accounts", "aoai-lab-dev-pf000"),
        ("deployments", "aoai-lab-dev-pf000/chat"),
        ("deployments", "aoai-lab-dev-pf000/embeddings"),
        ("projects", "aoai-lab-dev-pf000/team-a"),
        ("service", "apim-aoai-lab-dev-pf000"),
    ]
    assert "restrictOutboundNetworkAccess" not in primary[0]["properties"]


def test_a_deployed_lab_is_validated_under_its_own_names_in_every_region_of_a_spread(
    settings, spread_program
):
    lab = PlannedLab.from_snapshot(spread_program.snapshot(), "eastus2")
    primary, regional = (
        _inner(spread_region_plan(settings, lab, region, capacities={"chat": 8}, suffix="x7k2q"))
        for region in ("eastus2", "swedencentral")
    )
    assert [r["name"] for r in primary if "/" not in r["name"]] == [
        "aoai-lab-dev-x7k2q",
        "apim-aoai-lab-dev-x7k2q",
    ]
    assert [r["name"] for r in regional] == [
        "aoai-lab-dev-x7k2q-swedencentral",
        "aoai-lab-dev-x7k2q-swedencentral/chat",
    ]


def test_a_spread_region_the_plan_does_not_hold_is_not_guessed(settings, spread_program):
    # Validation sends what the plan of the spread declares: a region it has no account in is the caller's mistake,
    # never the primary's account sent there under a name the program would not give it.
    lab = PlannedLab.from_snapshot(spread_program.snapshot(), "eastus2")
    with pytest.raises(TemplateError, match="no account in canadaeast"):
        spread_region_plan(settings, lab, "canadaeast", capacities={"chat": 8})


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


def test_a_deployment_only_a_spread_account_declares_moves_with_the_lab_under_its_name(settings, plan_with):
    # chat is only on the swedencentral account: the lab moved whole to one region takes it onto that region's account.
    program = plan_with(
        location=[
            {"region": "eastus2", "capacity": {"embeddings": 50}},
            {"region": "swedencentral", "capacity": {"chat": 8}},
        ]
    )
    lab = PlannedLab.from_snapshot(program.snapshot(), "eastus2")
    account, chat, embeddings, _ = _inner(region_plan(settings, lab, "canadaeast"))
    assert account["name"] == "aoai-lab-dev-pf000"
    assert chat["name"] == "aoai-lab-dev-pf000/chat"
    assert embeddings["name"] == "aoai-lab-dev-pf000/embeddings"
