"""`participant suspend|resume --now` and `class pause|resume --now`: the gateway changes through Resource Manager
(the real ApiManagementClient against a loopback HTTPS fake that checks method, path, api version, If-Match and
body), then the stack file records the same state; failures leave the file alone and exit 4."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from labctl.azure import signin
from labctl.cli import app
from labctl.errors import EXIT_AZURE, EXIT_OK, EXIT_USAGE
from tests.support.fake_arm_gateway import (
    API_VERSION,
    RESOURCE_GROUP,
    SERVICE,
    SUBSCRIPTION,
    FakeGatewayArm,
    outputs,
)

BASE = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{RESOURCE_GROUP}/providers/Microsoft.ApiManagement/service/{SERVICE}"


@pytest.fixture
def arm(fake_azure, fake_credential, monkeypatch) -> FakeGatewayArm:
    monkeypatch.setattr(signin, "default_credential", lambda environment="public": fake_credential)
    monkeypatch.setenv("AZURE_SUBSCRIPTION_ID", SUBSCRIPTION)
    fake = FakeGatewayArm(
        server=fake_azure.server,
        states={"student01": "active", "student02": "active"},
        named_values={"class-paused": "false"},
    )
    return fake.install()


@pytest.fixture
def outputs_file(tmp_path: Path, arm: FakeGatewayArm) -> Path:
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(outputs(arm)), encoding="utf-8")
    return path


def _config(project: Path) -> dict:
    return yaml.safe_load((project / "Pulumi.dev.yaml").read_text(encoding="utf-8"))["config"]


def _state(project: Path, name: str) -> str:
    entry = next(p for p in _config(project)["aoai-lab:participants"] if p["name"] == name)
    return entry.get("state", "active")


def _where(project: Path, outputs_file: Path) -> list[str]:
    return ["--stack", "dev", "--project-dir", str(project), "--outputs", str(outputs_file)]


def _invoke(project: Path, arm: FakeGatewayArm, outputs_file: Path, *args: str):
    return CliRunner().invoke(
        app,
        [*args, *_where(project, outputs_file), "--arm-endpoint", arm.base, "--timeout", "10"],
        env={"COLUMNS": "200"},
    )


def test_suspend_now_patches_the_subscription_then_records_it(project, arm, outputs_file) -> None:
    result = _invoke(project, arm, outputs_file, "participant", "suspend", "student02", "--now")
    assert result.exit_code == EXIT_OK, result.output
    (seen,) = arm.requests
    assert (seen.method, seen.path, seen.api_version, seen.if_match) == (
        "PATCH",
        f"{BASE}/subscriptions/student02",
        API_VERSION,
        "*",
    )
    assert seen.body == {"properties": {"state": "suspended"}}
    assert arm.states == {"student01": "active", "student02": "suspended"}
    assert _state(project, "student02") == "suspended"
    assert "student02: suspended on the gateway" in result.output

    result = _invoke(project, arm, outputs_file, "participant", "resume", "student02", "--now")
    assert result.exit_code == EXIT_OK, result.output
    assert arm.requests[-1].body == {"properties": {"state": "active"}}
    assert arm.states["student02"] == "active"
    assert _state(project, "student02") == "active"


def test_participants_are_found_by_e_mail_and_display_name(project, arm, outputs_file) -> None:
    path = project / "Pulumi.dev.yaml"
    text = path.read_text(encoding="utf-8").replace(
        "email: student02@contoso.edu", "email: student02@contoso.edu\n      displayName: José Álvarez"
    )
    path.write_text(text, encoding="utf-8")
    result = _invoke(
        project, arm, outputs_file, "participant", "suspend", "STUDENT01@contoso.edu", "jose alvarez", "--now"
    )
    assert result.exit_code == EXIT_OK, result.output
    assert sorted(r.path.rsplit("/", 1)[1] for r in arm.requests) == ["student01", "student02"]
    assert _state(project, "student01") == _state(project, "student02") == "suspended"


def test_a_refused_call_leaves_that_participant_as_the_file_had_it(project, arm, outputs_file) -> None:
    arm.fail["student02"] = (403, "AuthorizationFailed")
    result = _invoke(project, arm, outputs_file, "participant", "suspend", "student01", "student02", "--now")
    assert result.exit_code == EXIT_AZURE, result.output
    assert "student02: could not set the gateway subscription to suspended" in result.output
    assert "API Management Service Contributor" in result.output
    assert "Traceback" not in result.output
    assert _state(project, "student01") == "suspended"  # Azure did it: recorded
    assert _state(project, "student02") == "active"  # Azure refused: the file does not claim it


def test_throttling_longer_than_labctl_waits_is_reported_not_waited(project, arm, outputs_file) -> None:
    arm.throttle_s = 3600
    started = time.monotonic()
    result = _invoke(project, arm, outputs_file, "participant", "suspend", "student01", "--now")
    assert time.monotonic() - started < 10
    assert result.exit_code == EXIT_AZURE, result.output
    assert "asked to wait 3600 s" in result.output
    assert _state(project, "student01") == "active"


def test_rotate_has_no_now_and_dry_run_calls_nothing(project, arm, outputs_file) -> None:
    result = _invoke(project, arm, outputs_file, "participant", "rotate", "student01", "--now")
    assert result.exit_code == EXIT_USAGE
    result = _invoke(project, arm, outputs_file, "participant", "suspend", "student01", "--now", "--dry-run")
    assert result.exit_code == EXIT_OK
    assert "Dry run: neither Pulumi.dev.yaml nor the gateway was changed." in " ".join(result.output.split())
    assert arm.requests == []
    result = _invoke(project, arm, outputs_file, "participant", "suspend", "student01", "--dry-run")
    assert "Dry run: Pulumi.dev.yaml was not changed." in " ".join(result.output.split())
    assert _state(project, "student01") == "active"


def test_pause_now_sets_the_named_value_then_records_class_paused(project, arm, outputs_file) -> None:
    result = _invoke(project, arm, outputs_file, "class", "pause", "--now")
    assert result.exit_code == EXIT_OK, result.output
    (seen,) = arm.requests
    assert (seen.method, seen.path, seen.api_version, seen.if_match) == (
        "PATCH",
        f"{BASE}/namedValues/class-paused",
        API_VERSION,
        "*",
    )
    assert seen.body == {"properties": {"value": "true"}}
    assert arm.named_values["class-paused"] == "true"
    assert _config(project)["aoai-lab:classPaused"] is True

    result = _invoke(project, arm, outputs_file, "class", "resume", "--now")
    assert result.exit_code == EXIT_OK, result.output
    assert arm.requests[-1].body == {"properties": {"value": "false"}}
    assert "aoai-lab:classPaused" not in _config(project)


def test_pause_without_now_only_edits_the_file(project, arm, outputs_file) -> None:
    result = _invoke(project, arm, outputs_file, "class", "pause")
    assert result.exit_code == EXIT_OK, result.output
    assert arm.requests == []
    assert _config(project)["aoai-lab:classPaused"] is True
    assert "pulumi up --stack dev" in result.output


def test_a_pause_azure_never_finishes_ends_at_the_deadline(project, arm, outputs_file) -> None:
    arm.never_done = True
    started = time.monotonic()
    result = CliRunner().invoke(
        app,
        [
            "class",
            "pause",
            "--now",
            *_where(project, outputs_file),
            "--arm-endpoint",
            arm.base,
            "--timeout",
            "1",
        ],
        env={"COLUMNS": "200"},
    )
    assert time.monotonic() - started < 7
    assert result.exit_code == EXIT_AZURE, result.output
    assert "deadline" in result.output
    assert "aoai-lab:classPaused" not in _config(project)


def test_a_gateway_without_the_named_value_says_to_run_pulumi_up(project, arm, outputs_file) -> None:
    arm.named_values.clear()
    result = _invoke(project, arm, outputs_file, "class", "pause", "--now")
    assert result.exit_code == EXIT_AZURE
    assert "run `pulumi up` once" in result.output
    assert "aoai-lab:classPaused" not in _config(project)
