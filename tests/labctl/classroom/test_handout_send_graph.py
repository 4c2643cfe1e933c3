"""`labctl handout --send` through Microsoft Graph: the exact sendMail request, one result per message, resuming
without sending a key twice; against a fake Graph on loopback HTTPS (pytest-httpserver, trustme)."""

from __future__ import annotations

import base64
import io
import json
import stat
from pathlib import Path

import pytest
from rich.console import Console
from werkzeug import Request, Response

from labctl.classroom.handout_run import HandoutOptions, run_handout
from labctl.classroom.mail_run import SendOptions
from labctl.classroom.mail_state import STATE_NAME
from labctl.context import CommandContext
from labctl.errors import EXIT_AZURE, EXIT_OK, EXIT_PROBLEMS
from tests.labctl.classroom.test_class_cli import KEYS, outputs
from tests.support.fake_azure import FakeCredential


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(outputs(stack="dev", labName="genai-workshop-dev")), encoding="utf-8")
    return path


class Run:
    def __init__(self, project: Path, saved: Path, out: Path, graph_url: str) -> None:
        self.project, self.saved, self.out, self.graph_url = project, saved, out, graph_url
        self.credential = FakeCredential("graph-token-of-the-instructor")

    def __call__(self, **send: object) -> tuple[int, str, str]:
        stdout, stderr = io.StringIO(), io.StringIO()
        ctx = CommandContext.create(
            "dev",
            self.project,
            console=Console(file=stdout, width=200, color_system=None),
            err_console=Console(file=stderr, width=200, color_system=None),
        )
        options = HandoutOptions(
            out=self.out,
            outputs_file=self.saved,
            send=SendOptions(graph_url=self.graph_url, credential=self.credential, **send),  # type: ignore[arg-type]
        )
        code = run_handout(ctx, options)
        return code, stdout.getvalue(), stderr.getvalue()


@pytest.fixture
def run(project: Path, saved: Path, tmp_path: Path, fake_azure) -> Run:
    return Run(project, saved, tmp_path / "sent", f"{fake_azure.base_url}/v1.0")


def test_each_handout_is_one_exact_sendmail_request(run: Run, fake_azure) -> None:
    seen: list[Request] = []

    def accept(request: Request) -> Response:
        seen.append(request)
        return Response(status=202)

    fake_azure.server.expect_request("/v1.0/me/sendMail", method="POST").respond_with_handler(accept)
    code, stdout, stderr = run(report="json")
    assert code == EXIT_OK, stderr
    assert [r.headers["Authorization"] for r in seen] == ["Bearer graph-token-of-the-instructor"] * 2
    assert run.credential.scopes == [("https://graph.microsoft.com/Mail.Send",)]
    body = seen[0].get_json()
    assert set(body) == {"message", "saveToSentItems"} and body["saveToSentItems"] is True
    message = body["message"]
    assert set(message) == {"subject", "body", "toRecipients", "attachments"}
    assert message["subject"] == "Tu clave para el laboratorio de Azure OpenAI genai-workshop-dev"
    assert message["toRecipients"] == [
        {"emailAddress": {"address": "student01@contoso.edu", "name": "student01"}}
    ]
    assert message["body"]["contentType"] == "HTML" and KEYS["student01"] in message["body"]["content"]
    assert KEYS["student02"] not in json.dumps(body)
    [attachment] = message["attachments"]
    assert (
        attachment["@odata.type"] == "#microsoft.graph.fileAttachment"
        and attachment["name"] == "student01.env"
    )
    assert f"OPENAI_API_KEY={KEYS['student01']}" in base64.b64decode(attachment["contentBytes"]).decode()

    report = json.loads(stdout)
    assert [(r["participant"], r["to"], r["result"]) for r in report["results"]] == [
        ("student01", "student01@contoso.edu", "sent"),
        ("student02", "student02@contoso.edu", "sent"),
    ]
    assert report["results"][0]["messageId"] == seen[0].headers["client-request-id"]
    assert all(key not in stdout + stderr for key in KEYS.values())
    state = run.out / STATE_NAME
    assert stat.S_IMODE(state.stat().st_mode) == 0o600
    assert all(key not in state.read_text(encoding="utf-8") for key in KEYS.values())

    # Run again: nobody gets their key twice, and Graph is not asked for anything.
    fake_azure.server.clear()
    code, stdout, _ = run(report="json")
    assert code == EXIT_OK and [r["result"] for r in json.loads(stdout)["results"]] == ["already sent"] * 2
    assert fake_azure.server.log == []


def test_a_dry_run_lists_the_recipients_and_sends_nothing(run: Run, fake_azure) -> None:
    code, _, stderr = run(dry_run=True)
    assert code == EXIT_OK
    assert "student01@contoso.edu" in stderr and "would send" in stderr and "dry run" in stderr
    assert fake_azure.server.log == [] and run.credential.scopes == []  # no sign-in either


def test_a_refusal_stops_the_run_and_the_next_run_sends_only_the_rest(run: Run, fake_azure) -> None:
    fake_azure.server.expect_ordered_request("/v1.0/me/sendMail", method="POST").respond_with_data(
        "", status=202
    )
    fake_azure.server.expect_ordered_request("/v1.0/me/sendMail", method="POST").respond_with_json(
        {
            "error": {
                "code": "ErrorAccessDenied",
                "message": "Access is denied. Check credentials and try again.",
            }
        },
        status=403,
    )
    code, _, stderr = run()
    assert code == EXIT_AZURE
    text = " ".join(stderr.split())
    assert "Microsoft Graph answered 403 ErrorAccessDenied" in text and "Mail.Send" in text
    assert "run the same command again: it sends only the rest" in text

    fake_azure.server.clear()
    received: list[dict] = []
    fake_azure.server.expect_request("/v1.0/me/sendMail", method="POST").respond_with_handler(
        lambda request: received.append(request.get_json()) or Response(status=202)
    )
    code, _, _ = run()
    assert code == EXIT_OK
    assert [m["message"]["toRecipients"][0]["emailAddress"]["address"] for m in received] == [
        "student02@contoso.edu"
    ]


def test_one_refused_recipient_does_not_stop_the_others(run: Run, fake_azure) -> None:
    def answer(request: Request) -> Response:
        to = request.get_json()["message"]["toRecipients"][0]["emailAddress"]["address"]
        if to == "student01@contoso.edu":
            error = {
                "error": {"code": "ErrorInvalidRecipients", "message": "At least one recipient is not valid."}
            }
            return Response(json.dumps(error), status=400, content_type="application/json")
        return Response(status=202)

    fake_azure.server.expect_request("/v1.0/me/sendMail", method="POST").respond_with_handler(answer)
    code, stdout, _ = run(report="json")
    assert code == EXIT_PROBLEMS
    results = {r["participant"]: r for r in json.loads(stdout)["results"]}
    assert (
        results["student01"]["result"] == "failed"
        and "ErrorInvalidRecipients" in results["student01"]["detail"]
    )
    assert results["student02"]["result"] == "sent"


def test_throttling_is_reported_with_the_wait_graph_asks_for(run: Run, fake_azure) -> None:
    fake_azure.server.expect_request("/v1.0/me/sendMail", method="POST").respond_with_json(
        {"error": {"code": "ApplicationThrottled", "message": "Too many requests"}},
        status=429,
        headers={"Retry-After": "30"},
    )
    code, stdout, _ = run(report="json")
    assert code == EXIT_AZURE
    results = json.loads(stdout)["results"]
    assert results[0]["result"] == "failed" and "Graph asks to wait 30 s" in results[0]["detail"]
    assert results[1]["result"] == "not sent"
    assert len(fake_azure.server.log) == 1  # it stopped asking


def test_a_graph_that_hangs_ends_at_the_deadline(run: Run, fake_azure) -> None:
    import time

    def slow(request: Request) -> Response:
        time.sleep(1.5)
        return Response(status=202)

    fake_azure.server.expect_request("/v1.0/me/sendMail", method="POST").respond_with_handler(slow)
    started = time.monotonic()
    code, stdout, _ = run(report="json", timeout_s=1.0)
    assert time.monotonic() - started < 5
    assert code == EXIT_AZURE
    results = json.loads(stdout)["results"]
    assert results[0]["result"] == "failed" and "did not answer in time" in results[0]["detail"]
    assert "check your Sent Items" in results[0]["detail"]  # it may have gone: never blindly sent twice
    assert results[1]["result"] == "not sent"


def test_send_options_that_do_not_go_together(project: Path, saved: Path, tmp_path: Path) -> None:
    from tests.labctl.classroom.test_class_cli import invoke

    base = ("handout", "-o", str(tmp_path / "x"), "--outputs", str(saved), "--project-dir", str(project))
    result = invoke(*base, "--send", "--format", "md")
    assert result.exit_code == 2 and "with --send the handouts go as e-mails" in " ".join(
        result.output.split()
    )
    result = invoke(*base, "--dry-run")
    assert result.exit_code == 2 and "go with --send" in " ".join(result.output.split())
    result = invoke(*base, "--format", "json")
    assert result.exit_code == 2 and "is the report of --send" in " ".join(result.output.split())
    result = invoke(*base, "--send", "--preview")
    assert result.exit_code == 2 and "a preview has placeholder keys" in " ".join(result.output.split())
    assert not (tmp_path / "x" / ".handout-sent.json").exists()
