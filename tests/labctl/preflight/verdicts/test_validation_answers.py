"""Azure's answers that are not what the API promises, through the real deployments client on loopback: a 200
that is a proxy's HTML page or malformed JSON leaves the region unknown (never a crash), and a refusal of the
resource group's own region names `azure-native:location`, the key that places it."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from werkzeug import Response

from labctl.azure.signin import arm_target, client_kwargs
from labctl.azure.transport import shared_tls_transport
from labctl.preflight.verdicts.refusals import Kind, classify
from labctl.preflight.verdicts.validation import Outcome, validate_regions
from tests.labctl.preflight.verdicts.test_validation import plan
from tests.support.fake_arm import SUBSCRIPTION
from tests.support.fake_arm_misbehaving import LOGIN_PAGE
from tests.support.fake_arm_validation import FakeArmValidation, disallowed_by_azure

_VALIDATE = re.compile(
    r"^/subscriptions/[^/]+/providers/Microsoft\.Resources/deployments/[^/]+/validate$", re.I
)


@pytest.fixture
def arm(fake_azure) -> FakeArmValidation:
    return FakeArmValidation(fake_azure.server)


@pytest.fixture
def transport() -> Iterator[object]:
    with shared_tls_transport(pool_size=8, connection_timeout=5, read_timeout=10) as t:
        yield t


def _validate(arm, credential, transport, region: str):
    options = {**client_kwargs(arm_target("public", arm.base_url)), "retry_total": 0}
    return validate_regions(
        [plan(region)],
        subscription_id=SUBSCRIPTION,
        credential=credential,
        client_options=options,
        transport=transport,
        poll_s=0.01,
    )[region]


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (LOGIN_PAGE, "text/html"),  # a proxy's sign-in page, with 200
        ('{"properties": {"provisioningState": "Succeeded"', "application/json"),  # cut short
        ('{"error": "the template is fine, but this is a string"}', "application/json"),  # wrong shape
        ("[1, 2, 3]", "application/json"),
    ],
)
def test_a_200_that_is_not_a_validation_result_leaves_the_region_unknown(
    arm, fake_credential, transport, body, content_type
):
    arm.server.expect_oneshot_request(_VALIDATE, method="POST").respond_with_response(
        Response(body, status=200, content_type=content_type)
    )
    verdict = _validate(arm, fake_credential, transport, "eastus2")
    assert verdict.outcome is Outcome.UNKNOWN
    assert "not a validation result" in verdict.note


def test_a_refused_resource_group_region_names_azure_native_location():
    # The subscription may not use the resource group's region: the target is the group, not a lab resource.
    refusal, *_ = classify(disallowed_by_azure("rg-aoai-lab-dev"))
    assert refusal.kind is Kind.REGION_NOT_ALLOWED
    assert refusal.fix_for(resource_group="rg-aoai-lab-dev").startswith(
        "the resource group's own region (azure-native:location) is refused"
    )
    assert "azure-native:location" not in refusal.fix_for(resource_group="rg-other")
    full_id = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-aoai-lab-dev"
    (by_id,) = classify(json.loads(json.dumps(disallowed_by_azure(full_id))))
    assert "azure-native:location" in by_id.fix_for(resource_group="rg-aoai-lab-dev")
