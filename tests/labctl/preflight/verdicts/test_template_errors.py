"""`labctl preflight` when the validation template cannot be built: a program that fails to plan, or a plan with a
value only known at deploy time. One line saying so and the way around it (--no-validate), never a traceback, the
exit code of the README, and nothing sent to Azure."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from typer.testing import CliRunner

from labctl.cli import app
from labctl.errors import EXIT_AZURE, EXIT_CONFIG
from labctl.plan import runtime
from labctl.preflight.verdicts import template
from labctl.snapshot import SECRET
from tests.support.fake_arm import SUBSCRIPTION, FakeArm
from tests.support.fake_arm_validation import FakeArmValidation
from tests.support.preflight_arm import dev_lab


def _preflight(project: Path, arm: FakeArm):
    argv = ["preflight", "--project-dir", str(project), "--stack", "dev", "--arm-endpoint", arm.base_url]
    return CliRunner().invoke(app, [*argv, "--subscription", SUBSCRIPTION], env={"COLUMNS": "400"})


def test_a_program_that_fails_to_plan_is_a_config_error(
    project: Path, preflight_arm: FakeArm, preflight_validation: FakeArmValidation, monkeypatch
) -> None:
    def failing(stack, project_dir):
        raise runtime.PlanError("Pulumi.dev.yaml: the [bold]gateway[/bold] cannot be planned")

    monkeypatch.setattr(runtime, "plan_stack", failing)
    result = _preflight(project, preflight_arm)
    out = " ".join(result.output.split())
    assert result.exit_code == EXIT_CONFIG, out
    # Azure's and the program's text are never read as markup.
    assert "the [bold]gateway[/bold] cannot be planned" in out
    assert "Traceback" not in out and "unexpected" not in out
    assert preflight_validation.count("validate") == 0


def test_a_secret_in_the_plan_is_never_sent_to_azure(
    project: Path, preflight_arm: FakeArm, preflight_validation: FakeArmValidation, monkeypatch
) -> None:
    # A value the mock runtime only knows as a secret (a key, say) where validation would send it.
    lab = dev_lab()
    assert lab.gateway is not None
    gateway = dataclasses.replace(lab.gateway, inputs={**lab.gateway.inputs, "tags": {"key": SECRET}})
    monkeypatch.setattr(template, "plan_lab", lambda *a: dataclasses.replace(lab, gateway=gateway))
    result = _preflight(project, preflight_arm)
    out = " ".join(result.output.split())
    assert result.exit_code == EXIT_AZURE, out
    assert (
        "could not build Azure's validation template: the plan does not know ApiManagementService.tags.key"
        in out
    )
    assert "Fix: --no-validate" in out
    assert "Traceback" not in out and "unexpected" not in out
    assert preflight_validation.count("validate") == 0
