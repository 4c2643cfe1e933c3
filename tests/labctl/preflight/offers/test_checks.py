"""The subscription-wide reads together, through the real clients; failures become lines, not tracebacks."""

from __future__ import annotations

import pytest

from labctl.azure.signin import arm_target, client_kwargs
from labctl.azure.transport import shared_tls_transport
from labctl.preflight.offers.checks import read_subscription_checks
from labctl.preflight.offers.tiers import TierVerdict
from tests.support.fake_arm import SUBSCRIPTION
from tests.support.fake_arm_validation import FakeArmValidation, apim_sku


@pytest.fixture
def arm(fake_azure) -> FakeArmValidation:
    arm = FakeArmValidation(fake_azure.server)
    arm.apim_skus = [apim_sku("BasicV2", ["East US 2"])]
    return arm


def run(arm, credential, **kw):
    options = {**client_kwargs(arm_target("public", arm.base_url)), "retry_total": 0}
    with shared_tls_transport() as transport:
        return read_subscription_checks(
            SUBSCRIPTION, credential=credential, client_options=options, transport=transport, **kw
        )


def test_reads_offer_providers_and_tiers(arm, fake_credential):
    arm.quota_id = "AzureForStudents_2018-01-01"
    arm.providers = {"microsoft.cognitiveservices": "Registered"}
    checks = run(arm, fake_credential, with_budget=True)
    assert checks.offer is not None and checks.offer.quota_id == "AzureForStudents_2018-01-01"
    assert checks.unregistered == [
        "Microsoft.ApiManagement",
        "Microsoft.OperationalInsights",
        "Microsoft.Insights",
        "Microsoft.Consumption",
    ]
    assert checks.tiers is not None and checks.tiers.verdict("BasicV2", "eastus2")[0] is TierVerdict.OFFERED
    assert checks.problems == [] and arm.count("register") == 0


def test_register_registers_and_reports_what_it_did(arm, fake_credential):
    arm.providers = {"microsoft.cognitiveservices": "Registered", "microsoft.insights": "Registered"}
    arm.registering_reads = 1
    checks = run(arm, fake_credential, with_budget=False, register=True, register_poll_s=0.0)
    assert checks.unregistered == []
    assert sorted(checks.registered) == ["Microsoft.ApiManagement", "Microsoft.OperationalInsights"]


def test_a_failed_read_is_a_line_and_the_rest_still_answers(fake_azure, fake_credential):
    from werkzeug import Response

    # Registered first, so it answers before the generic fake's handlers.
    fake_azure.server.expect_request(
        "/subscriptions/" + SUBSCRIPTION + "/providers/Microsoft.ApiManagement/skus"
    ).respond_with_response(
        Response(
            '{"error": {"code": "AuthorizationFailed", "message": "The client does not have authorization. More."}}',
            status=403,
            content_type="application/json",
        )
    )
    arm = FakeArmValidation(fake_azure.server)
    checks = run(arm, fake_credential, with_budget=False)
    assert checks.tiers is None
    assert checks.problems == [
        "API Management's SKU list could not be read (403 AuthorizationFailed: The client does not have authorization.)"
    ]
    assert checks.offer is not None
