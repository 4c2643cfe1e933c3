"""`labctl smoke` with bad input and bad answers: keys never printed (not even in an error code), outputs files of
the wrong shape named precisely, a 200 that is not an answer blamed on what answered, user text never markup."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from labctl.cli import app
from labctl.lifecycle.smoke import render_results, run_smoke
from labctl.project import PROJECT_DIR
from stacks.outputs import LabOutputs, OutputsError
from tests.support.fake_gateway import Scripted, azure_error
from tests.support.smoke_lab import KEYS, stack_outputs

KEY = KEYS["student01"]


def test_an_error_code_that_echoes_the_key_is_scrubbed(gateway, outputs):
    gateway.fail_next(
        azure_error(401, f"InvalidKey:{KEY}", f"Access denied for key {KEY}"), caller="student01"
    )
    results = run_smoke(outputs)
    console = Console(record=True, width=300)
    render_results(results, console, direct=False)
    text = console.export_text()
    failed = [r for r in results if not r.ok]
    assert failed and all(KEY not in (r.code or "") + (r.message or "") + (r.hint or "") for r in failed)
    assert KEY not in text and "InvalidKey:***" in text


def test_a_200_that_is_not_an_answer_is_not_blamed_on_the_client(gateway, outputs):
    gateway.fail_next(Scripted(200, {"status": "ok"}), caller="student01", deployment="chat")
    results = run_smoke(outputs)
    bad = next(r for r in results if r.probe.caller == "student01" and r.probe.deployment == "chat")
    assert not bad.ok and bad.status == 200
    assert bad.cause == "unusable answer" and "client" not in bad.cause
    assert "the answer has no choices" in (bad.message or "")
    assert "proxy" in (bad.hint or "")


def test_an_html_page_with_200_is_an_unusable_answer(gateway, outputs, fake_azure):
    fake_azure.server.expect_oneshot_request("/openai/deployments/chat/chat/completions").respond_with_data(
        "<html><title>Sign in</title></html>", content_type="text/html"
    )
    results = run_smoke(outputs)
    bad = [r for r in results if r.probe.deployment == "chat" and not r.ok]
    assert len(bad) == 1 and bad[0].status == 200 and bad[0].cause == "unusable answer"


def test_user_text_is_never_markup(gateway, fake_azure):
    # Participant and deployment names come from the outputs file.
    keys = {"[/x]": KEY, "[ta] maria": KEYS["student02"]}
    gateway.keys = {key: name for name, key in keys.items()}
    parsed = LabOutputs.parse(stack_outputs(fake_azure.base_url, keys=keys))
    console = Console(record=True, width=300)
    render_results(run_smoke(parsed), console, direct=False)
    text = console.export_text()
    assert "[/x]" in text and "[ta] maria" in text


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("[]", "the stack outputs are a JSON list, not an object of outputs"),
        ('"just text"', "the stack outputs are a JSON str"),
    ],
)
def test_an_outputs_file_of_the_wrong_shape(tmp_path: Path, content: str, words: str) -> None:
    path = tmp_path / "outputs.json"
    path.write_text(content, encoding="utf-8")
    result = CliRunner().invoke(
        app,
        ["smoke", "--stack", "dev", "--outputs", str(path), "--project-dir", str(PROJECT_DIR)],
        env={"COLUMNS": "300"},
    )
    assert result.exit_code != 0
    assert words in result.output
    assert "Traceback" not in result.output and "AttributeError" not in result.output


@pytest.mark.parametrize(
    ("key", "value", "words"),
    [
        ("gatewayRoot", 42, "the stack output 'gatewayRoot' is a number, not a URL"),
        ("accountEndpoint", ["x"], "the stack output 'accountEndpoint' is a list, not a URL"),
        ("participantKeys", [KEY], "the stack output 'participantKeys' is a list, not an object"),
        ("openaiEnv", {"AZURE_OPENAI_ENDPOINT": 7}, "'openaiEnv' is an object, not an object of text values"),
        ("resourceGroup", 5, "the stack output 'resourceGroup' is a number, not text"),
    ],
)
def test_outputs_of_the_wrong_type_name_the_output_and_never_a_key(key: str, value, words: str) -> None:
    data = stack_outputs("https://127.0.0.1:1")
    data[key] = value
    with pytest.raises(OutputsError) as info:
        LabOutputs.parse(data)
    assert words in str(info.value) and KEY not in str(info.value)


def test_outputs_json_is_ignored_by_git() -> None:
    # The docs tell users to write it; it holds every participant's key.
    ignored = (PROJECT_DIR / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert "outputs.json" in ignored
    # ...and no later pattern brings it back (`!outputs.json`, `!*.json`).
    assert not [line for line in ignored if line.startswith("!") and "json" in line]


@pytest.mark.timeout(60)
def test_a_round_of_calls_ends_at_its_deadline(gateway, outputs):
    import time

    answer = gateway._answer

    def then_slow(request):
        # The first call answers at once, every later one long after the deadline: the first fits in the deadline
        # with seconds to spare on a loaded machine, the second cannot.
        gateway.delay_s = 10.0
        return answer(request)

    gateway._answer = then_slow
    deadline_s = 2.0
    started = time.monotonic()
    results = run_smoke(outputs, concurrency=1, max_retries=0, timeout=30, deadline_s=deadline_s)
    elapsed = time.monotonic() - started
    # One call at a time: the second is cut at the deadline, the rest never start.
    assert deadline_s - 0.1 < elapsed < deadline_s + 4
    assert results[0].ok
    not_run = [r for r in results if r.cause == "not run"]
    assert not_run and all("--timeout deadline passed" in (r.hint or "") for r in not_run)
    assert all(not r.ok for r in results[1:])
