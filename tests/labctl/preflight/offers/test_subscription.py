"""The subscription's offer, budgets it rules out, and resource provider registration, through the real clients."""

from __future__ import annotations

import pytest

from labctl.azure.signin import arm_target, client_kwargs
from labctl.azure.transport import shared_tls_transport
from labctl.preflight.offers.subscription import (
    REQUIRED_PROVIDERS,
    RegistrationTimeout,
    budget_problem,
    budget_warning,
    needed_providers,
    offer_from_json,
    read_offer,
    read_providers,
    register_providers,
)
from tests.support.fake_arm import SUBSCRIPTION
from tests.support.fake_arm_validation import FakeArmValidation


@pytest.fixture
def arm(fake_azure) -> FakeArmValidation:
    return FakeArmValidation(fake_azure.server)


@pytest.fixture
def clients(arm, fake_credential):
    from azure.mgmt.resource.resources import ResourceManagementClient
    from azure.mgmt.resource.subscriptions import SubscriptionClient

    options = {**client_kwargs(arm_target("public", arm.base_url)), "retry_total": 0}
    with shared_tls_transport() as transport:
        yield (
            SubscriptionClient(fake_credential, transport=transport, **options),
            ResourceManagementClient(fake_credential, SUBSCRIPTION, transport=transport, **options),
        )


def test_reads_the_offer_of_a_student_subscription(arm, clients):
    arm.quota_id, arm.spending_limit = "AzureForStudents_2018-01-01", "On"
    offer = read_offer(clients[0], SUBSCRIPTION)
    assert offer.quota_id == "AzureForStudents_2018-01-01"
    assert offer.has_spending_limit
    assert (
        offer.line
        == "Azure for Students (MS-AZR-0170P) (quotaId AzureForStudents_2018-01-01; spending limit on)"
    )
    assert offer.as_json() == {
        "quotaId": "AzureForStudents_2018-01-01",
        "spendingLimit": "On",
        "state": "Enabled",
    }


def test_pay_as_you_go_offer(arm, clients):
    offer = read_offer(clients[0], SUBSCRIPTION)
    assert (offer.name, offer.has_spending_limit) == ("Pay-As-You-Go", False)


@pytest.mark.parametrize(
    "quota_id", ["AzureForStudents_2018-01-01", "DreamSpark_2015-02-01", "Sponsored_2016-01-01"]
)
def test_a_budget_on_an_offer_without_cost_management_is_refused_with_the_alternative(quota_id):
    problem = budget_problem(quota_id, has_budget=True)
    assert problem is not None
    assert problem.startswith("aoai-lab:budget:")
    assert quota_id in problem
    assert "Fix: remove aoai-lab:budget" in problem
    assert budget_problem(quota_id, has_budget=False) is None


@pytest.mark.parametrize(
    "quota_id", ["PayAsYouGo_2014-09-01", "MSDN_2014-09-01", "FreeTrial_2014-09-01", None, ""]
)
def test_offers_with_cost_management_keep_their_budget(quota_id):
    # Free Trial and MSDN are in the docs' supported table.
    assert budget_problem(quota_id, has_budget=True) is None


def test_classic_csp_is_only_a_warning():
    assert budget_problem("CSP_2015-05-01", has_budget=True) is None
    assert "classic CSP" in (budget_warning("CSP_2015-05-01", has_budget=True) or "")


def test_offer_from_snapshot_json():
    offer = offer_from_json(SUBSCRIPTION, {"quotaId": "Sponsored_2016-01-01", "spendingLimit": "Off"})
    assert offer.quota_id == "Sponsored_2016-01-01" and not offer.has_spending_limit


def test_reads_registration_states(arm, clients):
    arm.providers = {"microsoft.cognitiveservices": "Registered", "microsoft.apimanagement": "NotRegistered"}
    states = {s.namespace: s for s in read_providers(clients[1], REQUIRED_PROVIDERS)}
    assert states["Microsoft.CognitiveServices"].registered
    assert states["Microsoft.ApiManagement"].state == "NotRegistered"
    assert not states["Microsoft.Insights"].registered


def test_register_waits_through_registering_until_registered(arm, clients):
    arm.providers = {"microsoft.cognitiveservices": "Registered"}
    arm.registering_reads = 2
    seen = []
    states = register_providers(
        clients[1],
        needed_providers(with_budget=True),
        poll_s=0.0,
        on_state=lambda s: seen.append((s.namespace, s.state)),
    )
    assert all(s.registered for s in states)
    # Only the unregistered ones were registered (a POST each), and each was seen Registering first.
    assert sorted(ns for w, ns in arm.calls if w == "register") == sorted(
        [
            "Microsoft.ApiManagement",
            "Microsoft.OperationalInsights",
            "Microsoft.Insights",
            "Microsoft.Consumption",
        ]
    )
    assert ("Microsoft.ApiManagement", "Registering") in seen
    assert ("Microsoft.ApiManagement", "Registered") in seen


def test_registration_still_running_at_the_deadline_says_so(arm, clients):
    arm.registering_reads = 10_000
    now = [0.0]
    with pytest.raises(RegistrationTimeout, match=r"Microsoft.ApiManagement \(Registering\)"):
        register_providers(
            clients[1],
            ["Microsoft.ApiManagement"],
            deadline_s=10,
            poll_s=5,
            clock=lambda: now[0],
            sleep=lambda s: now.__setitem__(0, now[0] + s),
        )
