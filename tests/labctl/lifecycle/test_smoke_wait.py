"""`labctl smoke --wait MINUTES`: retry while the gateway's role (or a new deployment) propagates, say how long."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from labctl.cli import app
from labctl.lifecycle import smoke_wait
from labctl.lifecycle.smoke import Probe, ProbeResult
from tests.support.fake_gateway import PERMISSION_DENIED, azure_error, rate_limited
from tests.support.smoke_lab import stack_outputs, write_outputs


def _result(cause: str | None) -> ProbeResult:
    probe = Probe("student01", "chat", "chat")
    if cause is None:
        return ProbeResult(probe, status=200, latency_s=0.1)
    return ProbeResult(probe, status=401, latency_s=0.1, cause=cause)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_retries_while_the_role_propagates_then_reports_how_long():
    clock = FakeClock()
    answers = iter([["role not propagated"], ["DeploymentNotFound"], [None]])

    def run() -> list[ProbeResult]:
        clock.now += 5  # each attempt takes 5 s
        return [_result(c) for c in next(answers)]

    outcome = smoke_wait.smoke_until_ready(run, wait_s=300, interval_s=30, clock=clock, sleep=clock.sleep)
    assert outcome.attempts == 3 and not outcome.still_propagating
    assert clock.sleeps == [30, 30]
    assert outcome.waited_s == 75  # 3 attempts of 5 s and two waits of 30 s
    assert smoke_wait.describe_wait(outcome, 300) == "ready after 1 min 15 s (3 attempts)"


def test_gives_up_before_the_deadline_would_pass():
    clock = FakeClock()

    def run() -> list[ProbeResult]:
        clock.now += 5
        return [_result("role not propagated"), _result(None)]

    outcome = smoke_wait.smoke_until_ready(run, wait_s=100, interval_s=30, clock=clock, sleep=clock.sleep)
    # 5, +30+5=40, +30+5=75: another wait would end past 100 s.
    assert outcome.attempts == 3 and outcome.waited_s == 75 and outcome.still_propagating
    assert smoke_wait.describe_wait(outcome, 100).startswith("still not ready after 1 min 15 s (3 attempts")


def test_a_failure_time_does_not_fix_ends_the_wait():
    clock = FakeClock()
    calls = []

    def run() -> list[ProbeResult]:
        calls.append(1)
        return [_result("role not propagated"), _result("quota / rate limit")]

    outcome = smoke_wait.smoke_until_ready(run, wait_s=600, clock=clock, sleep=clock.sleep)
    assert len(calls) == 1 and clock.sleeps == [] and not outcome.still_propagating


def test_cli_waits_for_the_gateway_role(gateway, fake_azure, tmp_path, monkeypatch):
    monkeypatch.setattr(smoke_wait, "DEFAULT_INTERVAL_S", 0.01)
    # The first round of chat calls meets a gateway identity without its role yet; the next round gets through.
    gateway.fail_next(azure_error(401, "PermissionDenied", PERMISSION_DENIED), deployment="chat", times=2)
    outputs_file = write_outputs(tmp_path / "outputs.json", stack_outputs(fake_azure.base_url))

    result = CliRunner().invoke(
        app, ["smoke", "--outputs", str(outputs_file), "--wait", "2"], env={"COLUMNS": "200"}
    )

    assert result.exit_code == 0, result.output
    assert "attempt 1: 2 call(s) still denied or not found" in result.output
    assert "13/13 calls succeeded" in result.output  # and, once ready, every route once
    assert "(2 attempts)" in result.output and "ready after" in result.output
    # Two rounds of two participants, then six routes (chat, stream, Responses on v1 and dated).
    assert len([c for c in gateway.calls if c.deployment == "chat"]) == 4 + 6


def test_cli_wait_does_not_hide_a_real_failure(gateway, fake_azure, tmp_path, monkeypatch):
    monkeypatch.setattr(smoke_wait, "DEFAULT_INTERVAL_S", 0.01)
    gateway.fail_next(rate_limited(), deployment="chat", times=None)
    outputs_file = write_outputs(tmp_path / "outputs.json", stack_outputs(fake_azure.base_url))

    result = CliRunner().invoke(
        app,
        ["smoke", "--outputs", str(outputs_file), "--wait", "2", "--retries", "0"],
        env={"COLUMNS": "200"},
    )

    assert result.exit_code == 1
    assert (
        "not ready after 0 s (1 attempt(s)): 2 call(s) failed for a reason waiting does not fix"
        in result.output
    )
    assert "attempt 1:" not in result.output  # no retry round for a rate limit


@pytest.mark.parametrize("minutes", ["-1", "500"])
def test_cli_wait_is_bounded(minutes, tmp_path):
    result = CliRunner().invoke(app, ["smoke", "--outputs", str(tmp_path / "x.json"), "--wait", minutes])
    assert result.exit_code == 2
