"""Broken and encrypted stack files through the real commands: exit 3 with file, line and fix; never a traceback.

Every command that reads the stack file (plan, check, preflight, purge, down, diff) gets the same answer from
labctl/stackfile, before it plans, signs in or asks anything.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from labctl.cli import app
from labctl.errors import EXIT_CONFIG, EXIT_OK
from tests.support.fake_arm import SUBSCRIPTION

ENV = {"COLUMNS": "200", "AZURE_TOKEN_CREDENTIALS": "dev"}
TAB = "config:\n  azure-native:location: eastus2\n\taoai-lab:owner: ana@contoso.edu\n"
TAB_PROBLEM = (
    "Pulumi.dev.yaml, line 3, column 1: YAML syntax: a tab character where YAML expects indentation or a value. "
    "Fix: indent with spaces, never tabs"
)

COMMANDS = {
    "plan": ["plan"],
    "check": ["check"],
    "preflight": ["preflight", "--subscription", SUBSCRIPTION],
    "purge": ["purge", "--subscription", SUBSCRIPTION, "--yes"],
    "down": ["down", "--subscription", SUBSCRIPTION, "--yes"],
}


def run(project: Path, *args: str):
    return CliRunner().invoke(app, [*args, "--stack", "dev", "--project-dir", str(project)], env=ENV)


def write(project: Path, text: str) -> None:
    (project / "Pulumi.dev.yaml").write_text(text, encoding="utf-8")


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_tab_is_a_config_error_in_every_command(project: Path, command: str) -> None:
    write(project, TAB)
    result = run(project, *COMMANDS[command])
    assert result.exit_code == EXIT_CONFIG, result.output
    assert TAB_PROBLEM in " ".join(result.output.split())
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("- config\n", "the top level is a list, not a mapping"),
        ("config:\n  - aoai-lab:owner: a\n", "line 2, column 3: `config:` is a list, not a mapping"),
        (
            "config:\n  aoai-lab:owner: a@b.co\n  aoai-lab:owner: c@d.co\n",
            "key 'aoai-lab:owner' appears twice: line 2 and line 3",
        ),
        ("config:\n  aoai_lab:gatewayTier: BasicV2\n", "did you mean `aoai-lab:gatewayTier`?"),
        ("config:\n  aoai-lab:owner: a\n   aoai-lab:labName: b\n", "line 3"),
    ],
)
def test_shapes_duplicates_and_namespaces_through_plan(project: Path, text: str, words: str) -> None:
    write(project, text)
    result = run(project, "plan")
    assert result.exit_code == EXIT_CONFIG
    assert words in " ".join(result.output.split())


@pytest.mark.timeout(60)
def test_an_alias_bomb_does_not_hang_plan(project: Path) -> None:
    bomb = ["config:", "  aoai-lab:x:", '    l0: &l0 ["a","a","a","a","a","a","a","a","a","a"]']
    bomb += [f"    l{i}: &l{i} [" + ",".join([f"*l{i - 1}"] * 10) + "]" for i in range(1, 9)]
    write(project, "\n".join(bomb) + "\n")
    result = run(project, "plan")
    assert result.exit_code == EXIT_CONFIG
    assert "(an alias bomb?)" in result.output


def test_length_limits_azure_enforces(project: Path) -> None:
    text = (project / "Pulumi.dev.yaml").read_text(encoding="utf-8")
    text = text.replace("aoai-lab:labName: genai-workshop-dev", "aoai-lab:labName: " + "l" * 300)
    text += "  aoai-lab:publisherName: " + "p" * 101 + "\n"
    text = text.replace("email: student02@contoso.edu", "email: " + "s" * 90 + "@contoso.edu")
    write(project, text)
    result = run(project, "check")
    out = " ".join(result.output.split())
    assert result.exit_code == EXIT_CONFIG
    assert "aoai-lab:labName: 300 characters; it becomes the `lab` tag of every resource" in out
    assert (
        "aoai-lab:publisherName: 101 characters; API Management takes a publisher name of at most 100" in out
    )
    assert "aoai-lab:participants[1]: the gateway subscription's display name" in out
    assert "would be 114 characters" in out


def test_a_missing_expires_on_names_the_key_not_the_config(project: Path) -> None:
    text = (project / "Pulumi.dev.yaml").read_text(encoding="utf-8")
    write(project, "\n".join(line for line in text.splitlines() if "expiresOn" not in line) + "\n")
    result = run(project, "plan")
    assert result.exit_code == EXIT_CONFIG
    assert "aoai-lab:expiresOn: Field required. Fix: set it in Pulumi.dev.yaml" in " ".join(
        result.output.split()
    )
    # The old message quoted the whole config back, every participant's e-mail with it.
    assert "student01@contoso.edu" not in result.output


def _encrypt_owner_and_a_participant(project: Path) -> None:
    # What `pulumi config set --secret aoai-lab:owner ...` and `--path --secret 'participants[0].email'` write.
    text = (project / "Pulumi.dev.yaml").read_text(encoding="utf-8")
    text = text.replace(
        "  aoai-lab:owner: ana.garcia@contoso.edu\n", "  aoai-lab:owner:\n    secure: v1:AAABAKxq0sF=\n"
    )
    text = text.replace("      email: student01@contoso.edu\n", "      email:\n        secure: v1:Zm9vYmFy\n")
    write(project, text)


def test_encrypted_participant_e_mails_are_accepted_offline_and_the_skipped_checks_named(
    project: Path, tmp_path: Path
) -> None:
    # A participant's e-mail never reaches Azure (only the name does): it may stay encrypted.
    text = (project / "Pulumi.dev.yaml").read_text(encoding="utf-8")
    write(
        project,
        text.replace("      email: student01@contoso.edu\n", "      email:\n        secure: v1:Zm9vYmFy\n"),
    )
    snapshot = tmp_path / "plan.json"
    result = run(project, "plan", "--quiet", "--json", str(snapshot))
    out = " ".join(result.output.split())
    assert result.exit_code == EXIT_OK, out
    assert "aoai-lab:participants[0].email is encrypted; not checked offline: e-mail address" in out
    # The plan shows the secret as a secret; the stand-in used for validation never leaks into it.
    text = snapshot.read_text(encoding="utf-8")
    assert "secret.invalid" not in text and "v1:Zm9v" not in text

    check = run(project, "check")
    assert check.exit_code == EXIT_OK, check.output
    assert "aoai-lab:participants[0].email is encrypted" in " ".join(check.output.split())


@pytest.mark.parametrize(
    ("plain", "encrypted", "named", "where"),
    [
        (
            "  aoai-lab:owner: ana.garcia@contoso.edu\n",
            "  aoai-lab:owner:\n    secure: v1:AAABAKxq0sF=\n",
            "aoai-lab:owner",
            "the `owner` tag on every resource",
        ),
        (
            "      principalId: 7c9e6679-7425-40de-944b-e07fc1f90ae7\n",
            "      principalId:\n        secure: v1:AAABAKxq0sF=\n",
            "aoai-lab:people[1].principalId",
            "the role assignments' principal ids",
        ),
    ],
)
def test_an_encrypted_value_that_reaches_azure_in_clear_is_refused(
    project, plain, encrypted, named, where
) -> None:
    """`secure:` on a value that becomes a tag or a role assignment would only look protected: Azure shows it to
    every Reader and Pulumi keeps it in plain state. Refused, naming the key and the fix."""
    text = (project / "Pulumi.dev.yaml").read_text(encoding="utf-8")
    assert plain in text
    write(project, text.replace(plain, encrypted))
    for command in ("plan", "check"):
        result = run(project, command)
        out = " ".join(result.output.split())
        assert result.exit_code == EXIT_CONFIG, out
        assert f"{named}: is encrypted (secure:), but it reaches Azure in clear as {where}" in out
        assert "Fix: set it without --secret" in out and "non-secret alias" in out
        assert "v1:AAAB" not in out


def test_an_encrypted_value_labctl_must_read_is_a_config_error_with_the_fix(project: Path) -> None:
    text = (project / "Pulumi.dev.yaml").read_text(encoding="utf-8")
    text = text.replace(
        "  aoai-lab:logRetentionDays: 30\n", "  aoai-lab:logRetentionDays:\n    secure: v1:MzA=\n"
    )
    write(project, text)
    result = run(project, "plan")
    assert result.exit_code == EXIT_CONFIG
    assert "aoai-lab:logRetentionDays: is encrypted, and labctl needs this value in plain text" in " ".join(
        result.output.split()
    )


def test_a_plain_secret_placeholder_is_still_checked(project: Path) -> None:
    # Only values the file holds encrypted skip their checks; the text "[secret]" typed by hand does not.
    text = (project / "Pulumi.dev.yaml").read_text(encoding="utf-8")
    write(project, text.replace("aoai-lab:owner: ana.garcia@contoso.edu", "aoai-lab:owner: '[secret]'"))
    result = run(project, "plan")
    assert result.exit_code == EXIT_CONFIG
    assert "'[secret]' is not an e-mail address" in result.output


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_diff_reports_a_broken_working_tree_stack_file_without_embedding_a_trace(project: Path) -> None:
    git = ["git", "-C", str(project), "-c", "user.email=t@t", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q", "-b", "main"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "base"], check=True)
    write(project, TAB)
    result = run(project, "diff", "--base", "main")
    assert result.exit_code == EXIT_CONFIG, result.output
    assert TAB_PROBLEM in " ".join(result.output.split())
    assert "Traceback" not in result.output and "planning" not in result.output


def test_diff_compares_encrypted_entries_by_key_path(project: Path) -> None:
    from labctl.review.revisions import _stack_config

    _encrypt_owner_and_a_participant(project)
    assert _stack_config(project, "dev") == {
        "aoai-lab:owner": {"secure": "v1:AAABAKxq0sF="},
        "aoai-lab:participants[0].email": {"secure": "v1:Zm9vYmFy"},
    }
    assert json.dumps(_stack_config(project, "nope")) == "{}"
