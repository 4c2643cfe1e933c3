"""Fuzz-style: many generated broken stack files and broken ARM answers through the real commands (typer's
CliRunner, the real program under the mock runtime, the real azure-mgmt client against loopback HTTPS).

For every case: no traceback, a bounded run time, an exit code from the table (labctl/errors.py), and for a
stack file that is refused, the answer names where (a line) or what (a config key). The cases are seeded
(tests/support/broken_inputs.py): a failure names its case, and the case is the same on every run.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner
from werkzeug import Response

from labctl.azure.resilience import DeadlineRetryPolicy
from labctl.cli import app
from labctl.errors import EXIT_AZURE, EXIT_CONFIG, EXIT_NO_FIT, EXIT_OK
from labctl.project import PROJECT_DIR
from tests.support.broken_inputs import arm_cases, stack_cases
from tests.support.fake_arm import SUBSCRIPTION, FakeArm
from tests.support.preflight_arm import answer_first

BASE = (PROJECT_DIR / "Pulumi.dev.yaml").read_text(encoding="utf-8")
STACK_CASES = list(stack_cases(BASE, count=36))
ARM_CASES = list(arm_cases(count=18))
ENV = {"COLUMNS": "300", "AZURE_TOKEN_CREDENTIALS": "dev", "AZURE_SUBSCRIPTION_ID": SUBSCRIPTION}


@pytest.fixture
def arm(preflight_arm: FakeArm) -> FakeArm:
    return preflight_arm


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("fuzz")
    shutil.copy(PROJECT_DIR / "Pulumi.yaml", path / "Pulumi.yaml")
    return path


def _assert_clean(result, elapsed: float, limit: float) -> str:
    out = result.output
    assert "Traceback" not in out, out
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "This is a bug in labctl" not in out, out
    assert elapsed < limit, f"{elapsed:.1f} s"
    return " ".join(out.split())


@pytest.mark.timeout(60)
@pytest.mark.parametrize("case", STACK_CASES, ids=[c.name for c in STACK_CASES])
def test_broken_stack_files_through_plan(folder: Path, case) -> None:
    (folder / "Pulumi.fuzz.yaml").write_text(case.text, encoding="utf-8")
    started = time.monotonic()
    result = CliRunner().invoke(app, ["plan", "--stack", "fuzz", "--project-dir", str(folder), "-q"], env=ENV)
    out = _assert_clean(result, time.monotonic() - started, 30)
    assert result.exit_code in (EXIT_OK, EXIT_CONFIG), out
    if result.exit_code == EXIT_CONFIG:
        # Where (a line of the file) or what (a config key) is named, and how to fix it.
        assert "line " in out or "aoai-lab:" in out or "azure-native:" in out, out
        assert "Fix:" in out, out
        if case.expect_named:
            assert case.expect_named in out, out
    elif case.expect_named:
        pytest.fail(f"{case.name}: expected a refusal naming {case.expect_named!r}, got: {out[:300]}")


@pytest.mark.timeout(60)
@pytest.mark.parametrize("case", STACK_CASES[:12], ids=[c.name for c in STACK_CASES[:12]])
def test_broken_stack_files_through_preflight_and_purge(folder: Path, case) -> None:
    (folder / "Pulumi.fuzz.yaml").write_text(case.text, encoding="utf-8")
    for argv in (["preflight"], ["purge", "--yes"]):
        started = time.monotonic()
        result = CliRunner().invoke(app, [*argv, "--stack", "fuzz", "--project-dir", str(folder)], env=ENV)
        out = _assert_clean(result, time.monotonic() - started, 30)
        # A broken file: 3; a valid one gets as far as signing in (no Azure here): 4.
        assert result.exit_code in (EXIT_CONFIG, EXIT_AZURE), out


@pytest.mark.timeout(90)
@pytest.mark.parametrize("case", ARM_CASES, ids=[c.name for c in ARM_CASES])
def test_broken_arm_answers_through_preflight(project: Path, arm, case, monkeypatch) -> None:
    # A 5xx is retried with azure-core's back-off (1 s, then 2 s): retried all the same, without the wait.
    monkeypatch.setattr(DeadlineRetryPolicy, "get_backoff_time", lambda _self, _settings: 0)

    def respond(_request) -> Response:
        return Response(
            case.body, status=case.status, headers=dict(case.headers), content_type=case.content_type
        )

    answer_first(arm, "eastus2", "usages", respond)
    argv = ["preflight", "--project-dir", str(project), "--stack", "dev", "--arm-endpoint", arm.base_url]
    argv += ["--subscription", SUBSCRIPTION, "--no-validate", "--timeout", "20"]
    started = time.monotonic()
    result = CliRunner().invoke(app, argv, env={"COLUMNS": "300"})
    out = _assert_clean(result, time.monotonic() - started, 40)
    assert result.exit_code in (EXIT_OK, EXIT_AZURE, EXIT_NO_FIT), out
    for word in ("DeserializationError", "ValueError", "KeyError", "TypeError", "AttributeError"):
        assert word not in out, out
