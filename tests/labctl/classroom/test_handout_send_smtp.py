"""`labctl handout --send --smtp-host`: a real SMTP server on loopback (aiosmtpd) with STARTTLS and AUTH; one
result per message; a server that fails halfway, and the run that sends only the rest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from labctl.classroom.mail_state import STATE_NAME
from labctl.errors import EXIT_AZURE, EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE
from tests.labctl.classroom.test_class_cli import KEYS, invoke, outputs
from tests.support.fake_smtp import PASSWORD, USER, SmtpServer


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(outputs(stack="dev", labName="genai-workshop-dev")), encoding="utf-8")
    return path


@pytest.fixture
def send(project: Path, saved: Path, tmp_path: Path, tls_ca_file: Path, monkeypatch):
    """`labctl handout --send` through the CLI, trusting the test CA the way a company CA is trusted."""
    monkeypatch.setenv("SSL_CERT_FILE", str(tls_ca_file))
    monkeypatch.setenv("LABCTL_SMTP_PASSWORD", PASSWORD)

    def run(server: SmtpServer, *extra: str):
        return invoke(
            "handout", "--send", "-o", str(tmp_path / "sent"), "--outputs", str(saved), "--project-dir", str(project),
            "--smtp-host", "localhost", "--smtp-port", str(server.port), "--smtp-user", USER,
            "--from", f"Profesora <{USER}>", *extra,
        )  # fmt: skip

    return run


def test_every_handout_goes_through_starttls_and_auth(send, smtp_server: SmtpServer, tmp_path: Path) -> None:
    result = send(smtp_server, "--format", "json")
    assert result.exit_code == EXIT_OK, result.output
    assert smtp_server.mailbox.logins == [(USER, PASSWORD)]  # one login for the whole run
    received = smtp_server.mailbox.received
    assert [(r.mail_from, r.rcpt_tos, r.login) for r in received] == [
        (USER, ["student01@contoso.edu"], USER),
        (USER, ["student02@contoso.edu"], USER),
    ]
    first = received[0].message
    assert first["Subject"] == "Tu clave para el laboratorio de Azure OpenAI genai-workshop-dev"
    assert first["From"] == f"Profesora <{USER}>" and first["X-Unsent"] is None
    assert KEYS["student01"] in first.get_body(("plain",)).get_content()
    assert KEYS["student02"] not in first.as_string()
    assert PASSWORD not in result.output and all(key not in result.output for key in KEYS.values())
    report = json.loads(result.stdout)
    assert [(r["participant"], r["result"]) for r in report["results"]] == [
        ("student01", "sent"),
        ("student02", "sent"),
    ]
    assert report["results"][0]["messageId"] == first["Message-ID"].strip()
    assert first["Message-ID"].strip().endswith("@uni.es>")

    again = send(smtp_server)
    assert again.exit_code == EXIT_OK and len(smtp_server.mailbox.received) == 2  # never a key twice
    assert "2 already sent" in " ".join(again.output.split())


def test_a_server_that_fails_halfway_then_the_rest(send, smtp_server: SmtpServer, tmp_path: Path) -> None:
    smtp_server.mailbox.fail_after = 1
    result = send(smtp_server, "--format", "json")
    assert result.exit_code == EXIT_AZURE
    results = {r["participant"]: r for r in json.loads(result.stdout)["results"]}
    assert results["student01"]["result"] == "sent"
    assert results["student02"]["result"] == "failed" and "451 4.3.0" in results["student02"]["detail"]
    state = json.loads((tmp_path / "sent" / STATE_NAME).read_text(encoding="utf-8"))
    assert list(state["sent"]) == ["student01"]

    smtp_server.mailbox.fail_after = None
    result = send(smtp_server, "--format", "json")
    assert result.exit_code == EXIT_OK
    assert [r.rcpt_tos for r in smtp_server.mailbox.received] == [
        ["student01@contoso.edu"],
        ["student02@contoso.edu"],
    ]
    assert [r["result"] for r in json.loads(result.stdout)["results"]] == ["already sent", "sent"]


def test_a_refused_recipient_does_not_stop_the_others(send, smtp_server: SmtpServer) -> None:
    smtp_server.mailbox.refuse_rcpt = {"student01@contoso.edu"}
    result = send(smtp_server, "--format", "json")
    assert result.exit_code == EXIT_PROBLEMS
    results = {r["participant"]: r for r in json.loads(result.stdout)["results"]}
    assert results["student01"]["result"] == "failed" and "550 5.1.1" in results["student01"]["detail"]
    assert results["student02"]["result"] == "sent"


def test_a_server_without_starttls_gets_nothing(send, plain_smtp_server: SmtpServer) -> None:
    result = send(plain_smtp_server)
    assert result.exit_code == EXIT_AZURE
    assert "does not offer STARTTLS" in " ".join(result.output.split())
    assert plain_smtp_server.mailbox.received == [] and plain_smtp_server.mailbox.logins == []


def test_wrong_password_and_microsoft_365_basic_auth_are_explained(
    send, smtp_server: SmtpServer, monkeypatch
) -> None:
    monkeypatch.setenv("LABCTL_SMTP_PASSWORD", "Wr0ng-Pa55")
    text = " ".join(send(smtp_server).output.split())
    assert (
        f"refused the login of {USER}" in text and "LABCTL_SMTP_PASSWORD" in text and "Wr0ng-Pa55" not in text
    )
    monkeypatch.setenv("LABCTL_SMTP_PASSWORD", PASSWORD)
    smtp_server.mailbox.auth_reply = (
        "535 5.7.139 Authentication unsuccessful, basic authentication is disabled."
    )
    smtp_server.mailbox.auth_reply = "550 5.7.30 Basic authentication is not supported for Client Submission."
    result = send(smtp_server)
    assert result.exit_code == EXIT_AZURE
    text = " ".join(result.output.split())
    assert "Microsoft 365 no longer takes SMTP password logins" in text and "drop --smtp-host" in text
    assert smtp_server.mailbox.received == []


def test_the_password_comes_from_the_environment_only(send, smtp_server: SmtpServer, monkeypatch) -> None:
    monkeypatch.delenv("LABCTL_SMTP_PASSWORD")
    result = send(smtp_server)
    assert result.exit_code == EXIT_USAGE
    assert "Fix: set LABCTL_SMTP_PASSWORD" in " ".join(result.output.split())
    assert "--smtp-password" not in invoke("handout", "--help").output


def test_a_dry_run_lists_the_recipients(send, smtp_server: SmtpServer) -> None:
    result = send(smtp_server, "--dry-run")
    assert result.exit_code == EXIT_OK
    assert "student02@contoso.edu" in result.output and "would send" in result.output
    assert smtp_server.mailbox.received == [] and smtp_server.mailbox.logins == []
