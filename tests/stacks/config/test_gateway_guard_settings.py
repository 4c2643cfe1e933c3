"""The gateway's limits per key in config: caps per call (class and participant), calls per minute and in flight,
Responses rules, client IPs, names API Management keeps for itself. Bad input names the key and the fix."""

from __future__ import annotations

import copy
import shutil

import pytest

from components.gateway_guards import CallCaps
from labctl.project import PROJECT_DIR, read_stack_config
from stacks import gateway_config
from stacks.config.load import ConfigError
from stacks.config.source import settings_from_flat_config
from tests.support.config_load import changed_problems, load_changed


def test_defaults_are_bounded_and_private(raw_dev):
    for key in ("participantLimits", "callsPerMinute", "concurrentCalls", "responses", "logClientIp"):
        raw_dev.pop(key, None)
    settings = load_changed(raw_dev)
    guards = gateway_config.gateway_guards(settings)
    assert (guards.calls_per_minute, guards.max_concurrent_calls) == (60, 4)
    assert guards.caps == CallCaps(max_output_tokens=8192, max_choices=1)
    assert guards.deployments == tuple(d.name for d in settings.deployments)
    assert (guards.responses.store, guards.responses.background, guards.responses.tools) == (
        False,
        False,
        ("function",),
    )
    assert gateway_config.gateway_logging(settings).log_client_ip is False


def test_caps_per_class_and_per_participant(raw_dev):
    participants = copy.deepcopy(raw_dev["participants"])
    participants[1]["limits"] = {"maxOutputTokens": 16000, "maxChoices": 3}
    settings = load_changed(
        raw_dev,
        participantLimits={"tokensPerMinute": 5000, "maxOutputTokens": 2000},
        participants=participants,
        callsPerMinute=30,
        concurrentCalls=2,
        responses={"store": True, "background": True, "tools": ["file_search"]},
        logClientIp=True,
    )
    guards = gateway_config.gateway_guards(settings)
    assert guards.caps == CallCaps(2000, 1)
    assert guards.participant_caps["student01"] == CallCaps(2000, 1)
    assert guards.participant_caps["student02"] == CallCaps(16000, 3)
    assert (guards.calls_per_minute, guards.max_concurrent_calls) == (30, 2)
    assert guards.responses.tools == ("function", "file_search") and guards.responses.store
    assert gateway_config.gateway_logging(settings).log_client_ip is True
    # Caps alone are limits too, and the tokens still come from the class.
    assert gateway_config.token_limits(settings.limits_of(settings.participants[1])).tokens_per_minute == 5000


@pytest.mark.parametrize(
    ("changes", "key", "message"),
    [
        (
            {"participantLimits": {"maxOutputTokens": 0}},
            "aoai-lab:participantLimits.maxOutputTokens",
            "1 to 128,000",
        ),
        (
            {"participantLimits": {"maxOutputTokens": 10**6}},
            "aoai-lab:participantLimits.maxOutputTokens",
            "Fix:",
        ),
        ({"participantLimits": {"maxChoices": 20}}, "aoai-lab:participantLimits.maxChoices", "1 to 10"),
        ({"callsPerMinute": 0}, "aoai-lab:callsPerMinute", "1 to 600"),
        ({"concurrentCalls": 1000}, "aoai-lab:concurrentCalls", "1 to 50"),
        ({"responses": {"background": True}}, "aoai-lab:responses", "set store: true"),
        (
            {"responses": {"tools": ["web_serch_preview"]}},
            "aoai-lab:responses.tools",
            "did you mean 'web_search_preview'",
        ),
        ({"responses": {"stor": True}}, "aoai-lab:responses", "stor"),
        (
            {
                "gatewayTier": "Consumption",
                "gatewayLogs": False,
                "participantLimits": None,
                "callsPerMinute": 30,
            },
            "aoai-lab:callsPerMinute",
            "no rate-limit-by-key",
        ),
    ],
)
def test_bad_values_name_the_key_and_the_fix(raw_dev, changes, key, message):
    problems = changed_problems(raw_dev, **changes)
    assert any(p.startswith(key) and message in p for p in problems), problems


def test_a_participant_named_like_a_built_in_subscription_is_refused(raw_dev):
    participants = copy.deepcopy(raw_dev["participants"])
    participants[1]["name"] = "master"
    problems = changed_problems(raw_dev, participants=participants)
    assert problems == [
        "aoai-lab:participants[1].name: 'master' is the id of API Management's built-in all-access subscription; a "
        "participant with that name would overwrite it. Fix: use another name, e.g. 'master-1'"
    ]


def test_consumption_has_no_rate_per_key(raw_dev):
    settings = load_changed(raw_dev, gatewayTier="Consumption", gatewayLogs=False, participantLimits=None)
    assert gateway_config.gateway_guards(settings).calls_per_minute is None


@pytest.mark.parametrize(("text", "read"), [("30", (30, 2)), ("thirty", None), ("30.5", None)])
def test_calls_per_key_in_the_stack_file_are_read_as_the_cli_passes_them(tmp_path, text, read):
    # Pulumi hands simple keys to the program as text: `aoai-lab:callsPerMinute: 30` arrives as "30".
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml"):
        shutil.copy(PROJECT_DIR / name, tmp_path / name)
    with (tmp_path / "Pulumi.dev.yaml").open("a", encoding="utf-8") as f:
        f.write(f"  aoai-lab:callsPerMinute: {text}\n  aoai-lab:concurrentCalls: 2\n")
    flat, _ = read_stack_config("dev", tmp_path)
    assert flat["aoai-lab:callsPerMinute"] == text
    if read is None:
        with pytest.raises(ConfigError) as info:
            settings_from_flat_config(flat, project="aoai-lab", stack="dev")
        assert [p for p in info.value.problems if p.startswith("aoai-lab:callsPerMinute")], (
            info.value.problems
        )
        return
    guards = gateway_config.gateway_guards(settings_from_flat_config(flat, project="aoai-lab", stack="dev"))
    assert (guards.calls_per_minute, guards.max_concurrent_calls) == read
