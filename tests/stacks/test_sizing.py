"""Sizing: the class's per-minute promises against the chat deployment, with the ratio and the fix."""

from __future__ import annotations

from stacks.sizing import ChatDeployment, sizing_lines, sizing_warnings

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


def test_plan_warns_for_a_class_that_outgrows_its_deployment(plan_with, dev_config) -> None:
    participants = [{"name": f"s{i:02d}", "email": f"s{i:02d}@uni.edu"} for i in range(30)]
    participants[0]["state"] = "suspended"  # suspended keys promise nothing
    participants[1]["limits"] = {"tokensPerMinute": 4000}
    plan = plan_with(participants=participants, participantLimits={"tokensPerMinute": 2000})
    (warning,) = [w for w in plan.warnings if "tokens-per-minute limits add up" in w]
    # 28 x 2,000 + 4,000 = 60,000 against chat's 50 x 1,000.
    assert warning.startswith(
        "29 participants' tokens-per-minute limits add up to 60,000, but chat deployment 'chat' carries 50,000 "
        "(ratio 1.20)"
    )
    assert "aoai-lab:deployments[chat].capacity to 60" in warning
    assert "aoai-lab:participantLimits.tokensPerMinute to 1,724 or less" in warning
    assert not [w for w in plan_with().warnings if "tokens-per-minute" in w]  # the dev stack fits


def test_plan_and_check_print_it(project, no_pulumi) -> None:
    import yaml
    from typer.testing import CliRunner

    from labctl.cli import app

    path = project / "Pulumi.dev.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["config"]["aoai-lab:participants"] = [
        {"name": f"s{i:02d}", "email": f"s{i:02d}@uni.edu"} for i in range(30)
    ]
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    for command in (["plan", "--quiet"], ["check"]):
        result = CliRunner().invoke(app, [*command, "--project-dir", str(project)])
        text = " ".join(result.output.split())
        # 30 x 10,000 (the dev stack's participantLimits) against 50,000.
        assert "30 participants' tokens-per-minute limits add up to 300,000" in text, (command, result.output)
        assert "(ratio 6.00)" in text
