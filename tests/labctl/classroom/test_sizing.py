"""Sizing: the class's per-minute promises against the chat deployment, with the ratio and the fix."""

from __future__ import annotations

from labctl.classroom.sizing import ChatDeployment, sizing_lines, sizing_warnings

CHAT = [ChatDeployment("chat", "gpt-5-mini", "GlobalStandard", 50)]
KEYS = {"deployments_key": "aoai-lab:deployments", "limit_key": "aoai-lab:tokenLimits.tokensPerMinute"}


def test_thirty_students_at_2000_tpm_overflow_a_50k_deployment() -> None:
    (line,) = sizing_lines([2000] * 30, CHAT)
    assert (line.promised_tpm, line.capacity_tpm, round(line.ratio, 2)) == (60_000, 50_000, 1.2)
    (warning,) = sizing_warnings([2000] * 30, CHAT, **KEYS)
    assert warning == (
        "30 participants' tokens-per-minute limits add up to 60,000, but chat deployment 'chat' carries 50,000 "
        "(ratio 1.20): when the whole class calls at once some get 429 from the deployment. Fix: set "
        "aoai-lab:deployments[chat].capacity to 60 (check the quota with `labctl preflight`), or lower "
        "aoai-lab:tokenLimits.tokensPerMinute to 1,666 or less"
    )


def test_a_class_that_fits_gets_no_warning_and_overrides_count() -> None:
    assert sizing_warnings([1000] * 30, CHAT, **KEYS) == []
    # 29 at 1,000 and one at 25,000 no longer fit.
    assert len(sizing_warnings([1000] * 29 + [25_000], CHAT, **KEYS)) == 1


def test_no_limits_at_all_is_a_warning_of_its_own() -> None:
    (warning,) = sizing_warnings([None] * 10, CHAT, **KEYS)
    assert warning.startswith(
        "10 participant(s) and no tokens-per-minute limit: one participant can use all of"
    )
    assert warning.endswith(
        "Fix: set aoai-lab:tokenLimits.tokensPerMinute (e.g. 5,000, its capacity / participants)"
    )


def test_provisioned_deployments_and_empty_classes_are_not_judged_in_tpm() -> None:
    ptu = [ChatDeployment("chat", "gpt-4.1", "ProvisionedManaged", 50)]
    assert sizing_warnings([5000] * 30, ptu, **KEYS) == []
    assert sizing_warnings([], CHAT, **KEYS) == []
