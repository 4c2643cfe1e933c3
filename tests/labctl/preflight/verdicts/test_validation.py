"""Azure's verdict per region through the real azure-mgmt-resource-deployments client against a loopback fake."""

from __future__ import annotations

import pytest

from labctl.preflight.verdicts.refusals import Kind
from labctl.preflight.verdicts.template import RegionPlan, validation_template
from labctl.preflight.verdicts.validation import Outcome
from tests.support.fake_arm import SUBSCRIPTION
from tests.support.fake_arm_validation import (
    disallowed_by_azure,
    insufficient_quota,
    invalid_template,
    over_quota_for_sku,
    soft_deleted,
    special_feature,
)
from tests.support.preflight_arm import dev_region_plan


def plan(region: str, chat: int = 50) -> RegionPlan:
    return dev_region_plan(region, chat)


def test_accepted_region_and_the_template_azure_receives(arm, validate):
    out = validate([plan("eastus2")])
    assert out["eastus2"].outcome is Outcome.ACCEPTED
    body = arm.bodies["eastus2"]
    assert body["location"] == "eastus2"
    assert body["properties"]["mode"] == "Incremental"
    assert body["properties"]["template"] == validation_template(plan("eastus2"))


def test_202_is_polled_to_its_result(arm, validate):
    arm.answer("eastus", 202, polls=2)
    out = validate([plan("eastus")])
    assert out["eastus"].outcome is Outcome.ACCEPTED
    assert arm.count("poll") == 3


def test_400_invalid_template_deployment_names_every_inner_refusal(arm, validate):
    arm.answer(
        "swedencentral",
        400,
        invalid_template(
            "aoai-lab-preflight-swedencentral", special_feature(), insufficient_quota("gpt-5-mini", 50, 0)
        ),
    )
    out = validate([plan("swedencentral")])
    v = out["swedencentral"]
    assert v.outcome is Outcome.REFUSED
    assert [(r.kind, r.code) for r in v.refusals] == [
        (Kind.OFFER, "SpecialFeatureOrQuotaIdRequired"),
        (Kind.MODEL_QUOTA, "InsufficientQuota"),
    ]


def test_403_request_disallowed_by_azure_refuses_the_region(arm, validate):
    arm.answer("canadaeast", 403, disallowed_by_azure("aoai-lab-dev-ab1c2"))
    out = validate([plan("canadaeast"), plan("eastus2")])
    v = out["canadaeast"]
    assert v.outcome is Outcome.REFUSED
    assert v.refusals[0].kind is Kind.REGION_NOT_ALLOWED
    assert v.refusals[0].target == "aoai-lab-dev-ab1c2"
    assert "RequestDisallowedByAzure" in v.summary
    assert out["eastus2"].outcome is Outcome.ACCEPTED


def test_soft_deleted_name_and_account_quota_are_told_apart(arm, validate):
    account_id = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-aoai-lab-dev/providers/Microsoft.CognitiveServices/accounts/aoai-lab-dev-ab1c2"
    arm.answer("eastus", 400, invalid_template("x", soft_deleted(account_id)))
    arm.answer("westus", 400, invalid_template("x", over_quota_for_sku()))
    out = validate([plan("eastus"), plan("westus")])
    assert out["eastus"].refusals[0].kind is Kind.SOFT_DELETED
    assert "labctl purge" in out["eastus"].refusals[0].fix
    assert out["westus"].refusals[0].kind is Kind.ACCOUNT_QUOTA
    assert {v.outcome for v in out.values()} == {Outcome.REFUSED}


@pytest.mark.parametrize(
    ("status", "code", "note"),
    [
        (429, "TooManyRequests", "throttled"),
        (500, "InternalServerError", "Azure error 500"),
        (403, "AuthorizationFailed", "no permission to validate"),
    ],
)
def test_failures_that_are_not_the_regions_leave_it_unknown(arm, validate, status, code, note):
    arm.answer("eastus", status, {"error": {"code": code, "message": "nope"}})
    out = validate([plan("eastus")])
    assert out["eastus"].outcome is Outcome.UNKNOWN
    assert note in out["eastus"].note


def test_a_template_problem_is_not_blamed_on_the_region(arm, validate):
    arm.answer(
        "eastus",
        400,
        invalid_template(
            "x", {"code": "InvalidTemplate", "message": "Deployment template validation failed."}
        ),
    )
    out = validate([plan("eastus")])
    assert out["eastus"].outcome is Outcome.UNKNOWN
    assert out["eastus"].refusals[0].kind is Kind.TEMPLATE


def test_a_region_that_hangs_is_unknown_at_the_deadline_and_the_others_still_answer(arm, validate):
    import time

    # eastus2 must answer within the deadline on a machine running two test workers (a loopback call, well under
    # a second); eastus answers long after it.
    deadline_s = 2.0
    arm.answer("eastus", 200, delay_s=deadline_s + 4)
    started = time.monotonic()
    out = validate([plan("eastus"), plan("eastus2")], deadline_s=deadline_s)
    assert deadline_s - 0.1 < time.monotonic() - started < deadline_s + 3
    assert out["eastus"].outcome is Outcome.UNKNOWN
    assert "deadline" in out["eastus"].note
    assert out["eastus2"].outcome is Outcome.ACCEPTED


def test_a_rejected_token_is_not_a_regional_problem(arm, validate, fake_credential):
    from azure.core.exceptions import ClientAuthenticationError

    fake_credential.token = "wrong"
    with pytest.raises(ClientAuthenticationError):
        validate([plan("eastus")])


def test_template_declares_account_serial_deployments_and_gateway_in_the_region():
    t = validation_template(plan("swedencentral", chat=120))
    rg, nested = t["resources"]
    assert rg["type"] == "Microsoft.Resources/resourceGroups" and rg["location"] == "eastus2"
    assert nested["resourceGroup"] == "rg-aoai-lab-dev"
    inner = nested["properties"]["template"]["resources"]
    account, chat, emb, gateway = inner
    assert account["location"] == "swedencentral"
    assert account["properties"] == {
        "customSubDomainName": "aoai-lab-dev-ab1c2",
        "publicNetworkAccess": "Enabled",
        "disableLocalAuth": True,
    }
    assert chat["name"] == "aoai-lab-dev-ab1c2/chat"
    assert chat["sku"] == {"name": "GlobalStandard", "capacity": 120}
    assert chat["properties"]["model"] == {"format": "OpenAI", "name": "gpt-5-mini", "version": "2025-08-07"}
    # Deployments one after another, as the program creates them.
    assert any("'chat')]" in d for d in emb["dependsOn"])
    assert gateway["type"] == "Microsoft.ApiManagement/service"
    assert gateway["sku"] == {"name": "BasicV2", "capacity": 1}
    assert gateway["location"] == "swedencentral"
