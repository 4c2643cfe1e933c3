"""Azure's answers that are not what the API promises, through the real deployments client on loopback: a 200
that is a proxy's HTML page or malformed JSON leaves the region unknown (never a crash), and a refusal of the
resource group's own region names `azure-native:location`, the key that places it."""

from __future__ import annotations

import json
import re

import pytest
from werkzeug import Response

from labctl.preflight.verdicts.refusals import Kind, classify
from labctl.preflight.verdicts.validation import Outcome
from tests.support.fake_arm import SUBSCRIPTION
from tests.support.fake_arm_misbehaving import LOGIN_PAGE
from tests.support.fake_arm_validation import disallowed_by_azure
from tests.support.preflight_arm import dev_region_plan

_VALIDATE = re.compile(
    r"^/subscriptions/[^/]+/providers/Microsoft\.Resources/deployments/[^/]+/validate$", re.I
)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (LOGIN_PAGE, "text/html"),  # a proxy's sign-in page, with 200
        ('{"properties": {"provisioningState": "Succeeded"', "application/json"),  # cut short
        ('{"error": "the template is fine, but this is a string"}', "application/json"),  # wrong shape
        ("[1, 2, 3]", "application/json"),
    ],
)
def test_a_200_that_is_not_a_validation_result_leaves_the_region_unknown(arm, validate, body, content_type):
    arm.server.expect_oneshot_request(_VALIDATE, method="POST").respond_with_response(
        Response(body, status=200, content_type=content_type)
    )
    verdict = validate([dev_region_plan("eastus2")])["eastus2"]
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
