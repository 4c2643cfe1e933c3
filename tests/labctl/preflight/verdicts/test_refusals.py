"""Refusal bodies -> plain words with the code."""

from __future__ import annotations

from labctl.preflight.verdicts.refusals import Kind, classify
from tests.support.fake_arm_validation import disallowed_by_azure, invalid_template, special_feature


def test_nested_wrappers_are_unwrapped_to_their_reasons():
    refusals = classify(invalid_template("d", special_feature("AIServices")))
    assert [r.code for r in refusals] == ["SpecialFeatureOrQuotaIdRequired"]
    assert refusals[0].kind is Kind.OFFER
    assert refusals[0].plain.startswith(
        "this subscription's offer cannot use the service [SpecialFeatureOrQuotaIdRequired]"
    )


def test_policy_denial_with_innererror_is_one_reason():
    body = {
        "error": {
            "code": "InvalidTemplateDeployment",
            "message": "The template deployment failed because of policy violation. Please see details for more information.",
            "details": [
                {
                    "code": "RequestDisallowedByPolicy",
                    "target": "aoai-lab-dev-ab1c2",
                    "message": "Resource 'aoai-lab-dev-ab1c2' was disallowed by policy.",
                    "details": [{"code": "PolicyViolation", "message": "Allowed locations"}],
                }
            ],
        }
    }
    (r,) = classify(body)
    assert (r.kind, r.target) == (Kind.POLICY, "aoai-lab-dev-ab1c2")


def test_region_policy_of_student_subscriptions():
    (r,) = classify(disallowed_by_azure("apim-x"))
    assert r.kind is Kind.REGION_NOT_ALLOWED
    assert r.plain == (
        "region not allowed for this subscription [RequestDisallowedByAzure] (apim-x): Resource 'apim-x' was "
        "disallowed by Azure: This policy maintains a set of best available regions where your subscription can "
        "deploy resources."
    )


def test_apim_soft_delete_and_unknown_codes():
    assert (
        classify({"error": {"code": "ServiceAlreadyExistsInSoftDeletedState", "message": "x"}})[0].kind
        is Kind.SOFT_DELETED
    )
    assert (
        classify({"error": {"code": "Conflict", "message": "The service is soft-deleted."}})[0].kind
        is Kind.SOFT_DELETED
    )
    assert classify({"error": {"code": "Weird", "message": "?"}})[0].kind is Kind.OTHER
    assert classify({}) == []
