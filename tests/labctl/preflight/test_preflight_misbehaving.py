"""`labctl preflight` when Azure (or what sits in front of it) misbehaves: the command ends within its --timeout,
names the region it could not check and why, and never shows a traceback.

The regions are served by the regular fake ARM; one region's list is answered first by a misbehaving handler
(pytest-httpserver answers one-shot handlers before permanent ones).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from typer.testing import CliRunner
from werkzeug import Request, Response

from labctl.cli import app
from labctl.errors import EXIT_AZURE, EXIT_OK
from tests.support.fake_arm import SUBSCRIPTION, FakeArm
from tests.support.fake_arm_misbehaving import LOGIN_PAGE, json_answer, raw_answer
from tests.support.preflight_arm import answer_first

pytestmark = pytest.mark.timeout(90)


@pytest.fixture
def arm(preflight_arm: FakeArm) -> FakeArm:
    return preflight_arm


def run(project: Path, arm: FakeArm, *args: str) -> tuple[object, float]:
    argv = ["preflight", "--project-dir", str(project), "--stack", "dev", "--arm-endpoint", arm.base_url]
    argv += ["--subscription", SUBSCRIPTION, "--no-validate", *args]
    started = time.monotonic()
    result = CliRunner().invoke(app, argv, env={"COLUMNS": "400"})
    return result, time.monotonic() - started


def flat(result) -> str:
    return " ".join(result.output.split())


def test_a_proxy_login_page_marks_the_region_not_checked(project: Path, arm: FakeArm) -> None:
    answer_first(arm, "eastus2", "usages", lambda _r: raw_answer(LOGIN_PAGE, "text/html"))
    result, _ = run(project, arm)
    out = flat(result)
    assert result.exit_code in (EXIT_OK, EXIT_AZURE), out
    assert "eastus2" in out and "HTML page ('Contoso Secure Web Gateway - Sign in')" in out
    assert "Traceback" not in out and "DeserializationError" not in out


def test_a_nan_limit_is_not_a_number_to_compare(project: Path, arm: FakeArm) -> None:
    body = {
        "value": [
            {
                "name": {"value": "OpenAI.GlobalStandard.gpt-5-mini"},
                "currentValue": 0,
                "limit": "NaN",
                "unit": "Count",
            }
        ]
    }
    answer_first(arm, "eastus2", "usages", lambda _r: json_answer(body))
    result, _ = run(project, arm)
    out = flat(result)
    assert 'value[0].limit is "NaN", not a number' in out
    assert "Traceback" not in out and "ValueError" not in out


def test_an_hour_of_retry_after_is_reported_not_waited(project: Path, arm: FakeArm) -> None:
    def throttled(_request: Request) -> Response:
        return json_answer(
            {"error": {"code": "TooManyRequests", "message": "x"}}, 429, {"Retry-After": "3600"}
        )

    answer_first(arm, "eastus2", "models", throttled)
    result, elapsed = run(project, arm, "--timeout", "60")
    out = flat(result)
    assert "asked to wait 3600 s before retrying; labctl waits at most 30 s" in out
    assert elapsed < 20


def test_a_looping_next_link_stops(project: Path, arm: FakeArm) -> None:
    def looping(request: Request) -> Response:
        link = f"{arm.base_url}{request.path}?api-version={request.args.get('api-version')}&$skiptoken=again"
        return json_answer({"value": [], "nextLink": link})

    answer_first(arm, "eastus", "usages", looping, times=20)
    result, elapsed = run(project, arm)
    out = flat(result)
    assert "looping nextLink" in out and "eastus" in out
    assert elapsed < 20


def test_a_region_that_never_answers_ends_at_the_timeout(project: Path, arm: FakeArm) -> None:
    arm.slow["canadaeast"] = 30
    result, elapsed = run(project, arm, "--timeout", "1.5")
    out = flat(result)
    assert "canadaeast" in out and "deadline (--timeout) passed" in out
    assert 1.4 < elapsed < 12
    assert "Traceback" not in out
