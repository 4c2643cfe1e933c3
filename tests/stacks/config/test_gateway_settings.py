"""Gateway settings: per-participant token limits, body logging opt-in, the api version and the model facts."""

from __future__ import annotations

import copy
import datetime as dt

import pytest

from stacks import gateway_config
from tests.support.config_load import changed_problems, load_changed

LIMITS = {"tokensPerMinute": 5000, "tokenQuota": 200000, "tokenQuotaPeriod": "Daily"}


def test_defaults_hand_out_a_version_every_chat_model_accepts_and_log_no_bodies(raw_dev):
    raw_dev.pop("participantLimits")
    settings = load_changed(raw_dev)
    assert settings.inference_api_version == "2025-04-01-preview"
    assert settings.participant_limits is None
    assert gateway_config.gateway_logging(settings).body_bytes == 0
    assert gateway_config.gateway_logging(settings).message_bytes == 0


def test_class_limits_and_a_participant_override(raw_dev):
    participants = copy.deepcopy(raw_dev["participants"])
    participants[1]["limits"] = {"tokensPerMinute": 20000}
    settings = load_changed(raw_dev, participantLimits=LIMITS, participants=participants)
    everyone = gateway_config.token_limits(settings.participant_limits)
    assert everyone is not None and (everyone.tokens_per_minute, everyone.token_quota) == (5000, 200000)
    special = gateway_config.participant_limits(settings)
    # The override sets the minute budget; the quota comes from the class limits.
    assert list(special) == ["student02"]
    assert (special["student02"].tokens_per_minute, special["student02"].token_quota_period) == (
        20000,
        "Daily",
    )
    assert gateway_config.participant_limits_output(settings) == {
        "student01": LIMITS,
        "student02": {**LIMITS, "tokensPerMinute": 20000},
    }


@pytest.mark.parametrize(
    ("limits", "message"),
    [
        ({"tokenQuota": 1000}, "tokenQuota and tokenQuotaPeriod go together"),
        ({}, "no limit is set"),
        ({"tokensPerMinute": 0}, "positive number"),
        (
            {"tokensPerMinute": 100, "tokenQuota": 5, "tokenQuotaPeriod": "Fortnightly"},
            "aoai-lab:participantLimits",
        ),
        ({"tokensPerMinte": 100}, "did you mean 'tokensPerMinute'"),
    ],
)
def test_bad_limits_name_the_key_and_the_fix(raw_dev, limits, message):
    problems = changed_problems(raw_dev, participantLimits=limits)
    assert any(p.startswith("aoai-lab:participantLimits") and message in p for p in problems), problems


def test_consumption_cannot_enforce_token_limits(raw_dev):
    problems = changed_problems(
        raw_dev, gatewayTier="Consumption", gatewayLogs=False, participantLimits=LIMITS
    )
    assert problems == [
        "aoai-lab:participantLimits: API Management Consumption does not support the token limit policies (azure-openai-token-limit), so "
        "per-participant token limits cannot be enforced. Fix: set aoai-lab:gatewayTier to BasicV2 (or StandardV2, "
        "Developer, Standard), or remove the limits"
    ]
    participants = copy.deepcopy(raw_dev["participants"])
    participants[0]["limits"] = {"tokensPerMinute": 10}
    consumption = {"gatewayTier": "Consumption", "gatewayLogs": False, "participantLimits": None}
    problems = changed_problems(raw_dev, participants=participants, **consumption)
    assert problems[0].startswith("aoai-lab:participants[0].limits: API Management Consumption")


def test_gpt5_on_an_old_api_version_is_a_config_error(raw_dev):
    problems = changed_problems(raw_dev, inferenceApiVersion="2024-10-21")
    assert len(problems) == 1
    assert problems[0].startswith("aoai-lab:deployments[0].model: gpt-5-mini answers only on api-version")
    assert "Fix: set aoai-lab:inferenceApiVersion to 2025-04-01-preview" in problems[0]


def test_body_logging_is_opt_in_and_bounded(raw_dev):
    settings = load_changed(raw_dev, logBodies=True, logBodyBytes=4096)
    logging = gateway_config.gateway_logging(settings)
    assert (logging.body_bytes, logging.message_bytes) == (4096, 32768)
    problems = changed_problems(raw_dev, logBodies=True, logBodyBytes=65536)
    assert problems[0].startswith("aoai-lab:logBodyBytes")


def test_model_warnings_reach_the_stack(raw_dev):
    deployments = copy.deepcopy(raw_dev["deployments"])
    deployments.append(
        {
            "name": "ft",
            "model": "gpt-4.1-mini-2025-04-14.ft-0123abcd",
            "version": "1",
            "sku": "DeveloperTier",
            "capacity": 1,
        }
    )
    deployments.append(
        {
            "name": "typo",
            "model": "gpt-5-mni",
            "version": "2025-08-07",
            "sku": "GlobalStandard",
            "capacity": 1,
        }
    )
    settings = load_changed(raw_dev, deployments=deployments, expiresOn="2027-03-01")
    warnings = [str(w) for w in gateway_config.model_warnings(settings, today=dt.date(2026, 12, 1))]
    assert any(
        w.startswith("aoai-lab:deployments[0].version: gpt-5-mini 2025-08-07 retires on 2027-02-06")
        for w in warnings
    )
    assert any(w.startswith("aoai-lab:deployments[2].sku:") and "24 hours" in w for w in warnings)
    assert any(
        w.startswith("aoai-lab:deployments[3].model:") and "Did you mean 'gpt-5-mini'?" in w for w in warnings
    )


def test_plan_warns_about_models_and_refuses_an_old_api_version(plan_with, dev_config):
    from labctl.plan.runtime import PlanError

    deployments = [dict(d) for d in dev_config["aoai-lab:deployments"]]
    deployments[0]["model"] = "gpt-5-mni"
    plan = plan_with(deployments=deployments)
    assert any(
        "aoai-lab:deployments[0].model" in w and "Did you mean 'gpt-5-mini'?" in w for w in plan.warnings
    )
    with pytest.raises(
        PlanError, match=r"aoai-lab:deployments\[0\]\.model: gpt-5-mini answers only on api-version"
    ):
        plan_with(inferenceApiVersion="2024-10-21")
