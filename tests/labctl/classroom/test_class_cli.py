"""The class commands end to end through the CLI: stack choice, exit codes, what is printed and what never is."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from labctl.cli import app
from labctl.errors import EXIT_AZURE, EXIT_CONFIG, EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE
from tests.support.fake_log_analytics import Call, FakeLogAnalytics

KEYS = {"student01": "k1-" + "a" * 37, "student02": "k2-" + "b" * 37}


def outputs(gateway: str = "https://gw-class.azure-api.net", **extra: object) -> dict:
    return {
        "gatewayRoot": gateway,
        "gatewayUrl": f"{gateway}/openai",
        "openaiEnv": {"AZURE_OPENAI_ENDPOINT": gateway, "OPENAI_API_VERSION": "2025-04-01-preview"},
        "deployments": {"chat": {"model": "gpt-5-mini"}, "embeddings": {"model": "text-embedding-3-small"}},
        "participantKeys": dict(KEYS),
        "expiresOn": "2026-12-18",
        "workspaceCustomerId": "11111111-2222-3333-4444-555555555555",
        **extra,
    }


def invoke(*args: str) -> object:
    return CliRunner().invoke(app, list(args))


def participants(project: Path) -> list[dict]:
    return yaml.safe_load((project / "Pulumi.dev.yaml").read_text(encoding="utf-8"))["config"][
        "aoai-lab:participants"
    ]


@pytest.fixture
def class_csv(tmp_path: Path) -> Path:
    path = tmp_path / "clase.csv"
    path.write_bytes(
        "\ufeffNombre;Correo electrónico\r\nJosé Álvarez;jose@uni.es\r\nAna García;ana@uni.es\r\n".encode()
    )
    return path


def test_roster_import_dry_run_then_write_on_the_only_stack(
    project: Path, class_csv: Path, no_pulumi: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LABCTL_STACK")  # the stack the project folder's only stack file names
    before = (project / "Pulumi.dev.yaml").read_bytes()
    result = invoke("roster", "import", str(class_csv), "--dry-run", "--project-dir", str(project))
    assert result.exit_code == EXIT_OK, result.output
    assert "Stack dev (the only stack file), Pulumi.dev.yaml, from clase.csv:" in result.output
    assert "+ jose-alvarez <jose@uni.es>" in result.output
    assert "2 to add, 0 to change, 0 to remove, 0 unchanged." in result.output
    assert "2 participant(s) are not in clase.csv and stay: student01, student02" in result.output
    assert "Dry run: Pulumi.dev.yaml was not changed." in result.output
    assert (project / "Pulumi.dev.yaml").read_bytes() == before

    result = invoke("roster", "import", str(class_csv), "--replace", "--yes", "--project-dir", str(project))
    assert result.exit_code == EXIT_OK, result.output
    assert [p["name"] for p in participants(project)] == ["jose-alvarez", "ana-garcia"]
    assert "pulumi up --stack dev" in result.output


def test_roster_import_reports_every_bad_line_and_writes_nothing(
    project: Path, tmp_path: Path, no_pulumi: None
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("name,email\nA,not-mail\nB,\n", encoding="utf-8")
    before = (project / "Pulumi.dev.yaml").read_bytes()
    result = invoke("roster", "import", str(bad), "--project-dir", str(project))
    assert result.exit_code == EXIT_PROBLEMS
    assert "line 2: 'not-mail' is not an e-mail address" in result.output
    assert "line 3: no e-mail for 'B'" in result.output
    assert "Traceback" not in result.output
    assert (project / "Pulumi.dev.yaml").read_bytes() == before


def test_roster_export_to_stdout(project: Path, no_pulumi: None) -> None:
    result = invoke("roster", "export", "--project-dir", str(project))
    assert result.exit_code == EXIT_OK
    assert result.output.splitlines()[1:] == [
        ",student01@contoso.edu,student01,,,,,",
        ",student02@contoso.edu,student02,,,,,",
    ]


def test_which_stack_when_there_are_two_and_none_is_chosen(
    project: Path, no_pulumi: None, monkeypatch
) -> None:
    monkeypatch.delenv("LABCTL_STACK", raising=False)
    (project / "Pulumi.class-2026.yaml").write_text("config: {}\n", encoding="utf-8")
    result = invoke("participant", "rotate", "student01", "--project-dir", str(project))
    assert result.exit_code == EXIT_CONFIG
    assert "which stack?" in result.output and "class-2026, dev" in result.output
    monkeypatch.setenv("LABCTL_STACK", "dev")
    result = invoke("participant", "rotate", "student01", "--project-dir", str(project))
    assert result.exit_code == EXIT_OK, result.output
    assert "Stack dev (LABCTL_STACK): student01: rotation 0 -> rotation 1" in result.output


def test_participant_suspend_edits_and_prints_the_pulumi_up(project: Path, no_pulumi: None) -> None:
    result = invoke("participant", "suspend", "student02", "--stack", "dev", "--project-dir", str(project))
    assert result.exit_code == EXIT_OK, result.output
    assert "student02: state active -> state suspended" in result.output
    assert "pulumi up --stack dev   # suspends the participant's gateway subscription" in result.output
    assert participants(project)[1]["state"] == "suspended"
    result = invoke("participant", "resume", "nobody", "--stack", "dev", "--project-dir", str(project))
    assert result.exit_code == EXIT_USAGE  # a bad argument, not a bad stack file
    text = " ".join(result.output.split())
    assert "no participant named 'nobody'" in text
    assert "Fix: give one of the participants' names: student01, student02" in text
    result = invoke("participant", "suspend", "studnt01", "--stack", "dev", "--project-dir", str(project))
    assert result.exit_code == EXIT_USAGE
    assert "Fix: did you mean 'student01'?" in " ".join(result.output.split())
    assert participants(project)[0].get("state") is None  # nothing was edited


def test_handout_from_the_pulumi_cli_writes_private_files_and_prints_no_key(
    project: Path, tmp_path: Path, fake_pulumi, monkeypatch
) -> None:
    saved = tmp_path / "outputs.json"
    saved.write_text(json.dumps(outputs()), encoding="utf-8")
    monkeypatch.setenv("FAKE_PULUMI_OUTPUTS", str(saved))
    out = tmp_path / "handouts"
    result = invoke("handout", "--output", str(out), "--stack", "dev", "--project-dir", str(project))
    assert result.exit_code == EXIT_OK, result.output
    assert "Wrote handouts for 2 participant(s) of stack dev" in result.output
    for key in KEYS.values():
        assert key not in result.output
    assert ["stack", "output", "--json", "--show-secrets", "--stack", "dev"] in fake_pulumi.commands()
    assert sorted(p.name for p in out.iterdir()) == [
        "student01.env",
        "student01.md",
        "student02.env",
        "student02.md",
    ]
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in out.iterdir())
    assert KEYS["student01"] in (out / "student01.md").read_text(encoding="utf-8")


def test_handout_says_who_has_no_key_yet(project: Path, tmp_path: Path, no_pulumi: None) -> None:
    saved = tmp_path / "outputs.json"
    saved.write_text(json.dumps(outputs(participantKeys={"student01": KEYS["student01"]})), encoding="utf-8")
    result = invoke(
        "handout",
        "-o",
        str(tmp_path / "h"),
        "--format",
        "csv",
        "--outputs",
        str(saved),
        "--project-dir",
        str(project),
    )
    assert result.exit_code == EXIT_PROBLEMS
    assert "no key in the outputs yet for student02" in result.output
    assert (tmp_path / "h" / "handout.csv").exists()


def test_handout_folder_is_output_like_every_other_command(project: Path, tmp_path: Path) -> None:
    help_text = " ".join(invoke("handout", "--help").output.split())
    assert "-o" in help_text and "--output" in help_text and "Folder for the handouts" in help_text
    assert "--out " not in help_text  # the old name still works (below) but is not advertised
    missing = invoke("handout", "--project-dir", str(project))
    assert missing.exit_code == EXIT_USAGE
    assert "Fix: pass --output DIR" in " ".join(missing.output.split())
    both = invoke(
        "handout", "-o", str(tmp_path / "a"), "--out", str(tmp_path / "b"), "--project-dir", str(project)
    )
    assert both.exit_code == EXIT_USAGE and "give only --output DIR" in " ".join(both.output.split())
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_handout_with_masked_keys_or_no_cli(project: Path, tmp_path: Path, no_pulumi: None) -> None:
    saved = tmp_path / "outputs.json"
    saved.write_text(json.dumps(outputs(participantKeys={"student01": "[secret]"})), encoding="utf-8")
    result = invoke(
        "handout", "--out", str(tmp_path / "h"), "--outputs", str(saved), "--project-dir", str(project)
    )
    assert result.exit_code == EXIT_AZURE and "masked" in result.output
    result = invoke("handout", "--out", str(tmp_path / "h"), "--project-dir", str(project))
    assert result.exit_code == EXIT_AZURE and "Pulumi CLI is not on PATH" in result.output
    result = invoke("handout", "--out", str(tmp_path / "h"), "--format", "pdf", "--project-dir", str(project))
    assert result.exit_code == EXIT_USAGE


@pytest.fixture
def logs(fake_azure) -> FakeLogAnalytics:
    import datetime as dt

    fake = FakeLogAnalytics(server=fake_azure.server).install()
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    fake.add_calls(
        [
            Call(
                now - dt.timedelta(hours=1),
                "student01",
                "chat",
                "gpt-5-mini-2025-08-07",
                prompt_tokens=1000,
                completion_tokens=500,
            ),
            Call(now - dt.timedelta(hours=2), "student02", "chat", "", status=429, backend_status=None),
        ]
    )
    return fake


def usage_args(project: Path, tmp_path: Path, fake_azure, *extra: str) -> list[str]:
    saved = tmp_path / "outputs.json"
    saved.write_text(json.dumps(outputs()), encoding="utf-8")
    return [
        "usage",
        "--outputs",
        str(saved),
        "--logs-endpoint",
        fake_azure.base_url,
        "--project-dir",
        str(project),
        *extra,
    ]


def test_usage_table_and_json(
    project, tmp_path, fake_azure, logs, fake_credential, no_pulumi, monkeypatch
) -> None:
    from labctl.azure import signin

    monkeypatch.setattr(signin, "default_credential", lambda environment="public": fake_credential)
    result = invoke(*usage_args(project, tmp_path, fake_azure, "--since", "24h"))
    assert result.exit_code == EXIT_OK, result.output
    assert "student01" in result.output and "1,500" in result.output
    assert "Estimated cost:" in result.output
    result = invoke(*usage_args(project, tmp_path, fake_azure, "--format", "json"))
    data = json.loads(result.output)
    people = {p["participant"]: p for p in data["participants"]}
    assert (people["student01"]["totalTokens"], people["student02"]["refused429"]) == (1500, 1)
    assert logs.requests[-1]["workspace"] == "11111111-2222-3333-4444-555555555555"


def test_usage_reads_the_outputs_without_their_secrets(
    project, tmp_path, fake_azure, logs, fake_credential, fake_pulumi, monkeypatch
) -> None:
    """`labctl usage` needs the workspace id only: it asks Pulumi for the outputs without --show-secrets, so no
    participant's key is decrypted on the instructor's machine for a usage report."""
    from labctl.azure import signin

    monkeypatch.setattr(signin, "default_credential", lambda environment="public": fake_credential)
    saved = tmp_path / "pulumi-outputs.json"
    saved.write_text(json.dumps(outputs()), encoding="utf-8")
    monkeypatch.setenv("FAKE_PULUMI_OUTPUTS", str(saved))
    args = usage_args(project, tmp_path, fake_azure, "--format", "json")
    at = args.index("--outputs")
    result = invoke(*args[:at], *args[at + 2 :])
    assert result.exit_code == EXIT_OK, result.output
    assert {p["participant"] for p in json.loads(result.output)["participants"]} >= {"student01"}
    assert [c for c in fake_pulumi.commands() if c[:2] == ["stack", "output"]] == [
        ["stack", "output", "--json", "--stack", "dev"]
    ]
    assert not any(key in result.output for key in KEYS.values())


def test_usage_errors_have_their_exit_codes(
    project, tmp_path, fake_azure, logs, fake_credential, no_pulumi, monkeypatch
) -> None:
    from labctl.azure import signin

    monkeypatch.setattr(signin, "default_credential", lambda environment="public": fake_credential)
    result = invoke(*usage_args(project, tmp_path, fake_azure, "--since", "yesterday"))
    assert result.exit_code == EXIT_USAGE and "--since 'yesterday' is not a duration" in result.output
    logs.denied.add(logs.workspace)
    result = invoke(*usage_args(project, tmp_path, fake_azure))
    assert result.exit_code == EXIT_AZURE
    assert "Log Analytics Reader" in result.output and "Traceback" not in result.output
