"""The policy template: placeholders filled in the parsed XML, typed limits, and template mistakes caught."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from components.gateway_policy import (
    POLICY_TEMPLATE,
    GatewayPolicyArgs,
    TokenLimits,
    render_policy,
)
from components.policy_template import PolicyTemplateError
from labctl.guardrails.rules import policy_problems


def test_rendered_policy_passes_the_check_rules_in_both_clouds():
    for audience in ("https://cognitiveservices.azure.com", "https://cognitiveservices.azure.cn"):
        rendered = render_policy(
            GatewayPolicyArgs(managed_identity_audience=audience, token_limits=TokenLimits(100))
        )
        assert policy_problems(rendered, "xml") == []
        assert "${" not in rendered


def test_a_value_cannot_change_the_policy_structure():
    # A hostile audience stays one attribute value: the parsed tree has the same elements.
    evil = 'https://cognitiveservices.azure.com" /><set-header name="x" exists-action="delete'
    root = ET.fromstring(render_policy(GatewayPolicyArgs(managed_identity_audience=evil)))
    auth = root.find("inbound/authentication-managed-identity")
    assert auth is not None and auth.get("resource") == evil
    assert [c.tag for c in root.find("inbound")] == [  # type: ignore[union-attr]
        "base",
        "set-variable",
        "choose",
        "set-header",
        "authentication-managed-identity",
        "set-header",
        "set-backend-service",
    ]


def test_template_without_a_placeholder_for_an_argument_is_an_error(tmp_path: Path):
    broken = tmp_path / "policy.xml"
    text = POLICY_TEMPLATE.read_text(encoding="utf-8").replace("${managedIdentityAudience}", "https://x")
    broken.write_text(text, encoding="utf-8")
    with pytest.raises(PolicyTemplateError, match="no placeholder for managedIdentityAudience"):
        render_policy(GatewayPolicyArgs(), broken)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "set tokens_per_minute"),
        ({"token_quota": 1000}, "go together"),
        ({"tokens_per_minute": 0}, "positive whole number"),
        ({"tokens_per_minute": True}, "positive whole number"),
        ({"token_quota": 10, "token_quota_period": "Fortnightly"}, "Hourly, Daily, Weekly, Monthly, Yearly"),
    ],
)
def test_token_limits_are_typed(kwargs, message):
    with pytest.raises(ValueError, match=message):
        TokenLimits(**kwargs)


def test_participant_ids_reach_expressions_only_when_safe():
    args = GatewayPolicyArgs(
        token_limits=TokenLimits(100), participant_limits={'x" || true || "': TokenLimits(200)}
    )
    with pytest.raises(ValueError, match="not a subscription id"):
        render_policy(args)
