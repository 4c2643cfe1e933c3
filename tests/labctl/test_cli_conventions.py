"""The command-line conventions every labctl command follows: --version, -h, shell completion, one exit-code
table in every --help, `--format json` with `-o -` (or a file) for machines, enum values in any case."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from labctl.cli import app
from labctl.errors import EXIT_CONFIG, EXIT_OK, EXIT_USAGE

ENV = {"COLUMNS": "300"}
COMMANDS = ["plan", "preflight", "diff", "stacks", "check", "smoke", "purge", "down", "handout", "usage"]


def run(*args: str):
    return CliRunner().invoke(app, list(args), env=ENV, prog_name="labctl")


def test_version() -> None:
    result = run("--version")
    assert result.exit_code == EXIT_OK
    assert result.output.startswith("labctl ") and result.output.split()[1][0].isdigit()


@pytest.mark.parametrize("command", ["", *COMMANDS])
def test_short_help_and_the_exit_code_table_in_every_help(command: str) -> None:
    result = run(*([command] if command else []), "-h")
    assert result.exit_code == EXIT_OK, result.output
    text = " ".join(result.output.split())
    assert "Usage: labctl" in text
    assert "Exit codes: 0 success; 1 problems found" in text and "130 interrupted" in text


def _complete(words: str) -> list[str]:
    """What labctl answers the completion script (`labctl --install-completion` installs it) for the words typed:
    the protocol itself, so the answer does not depend on which shell runs the tests."""
    env = {
        **ENV,
        "_LABCTL_COMPLETE": "complete_bash",
        "COMP_WORDS": words,
        "COMP_CWORD": str(len(words.split(" ")) - 1),
    }
    result = CliRunner().invoke(app, [], env=env, prog_name="labctl")
    assert result.exit_code == EXIT_OK, result.output
    return result.output.split()


def test_shell_completion_completes_commands_options_and_values() -> None:
    assert _complete("labctl pl") == ["plan"]
    assert set(_complete("labctl ")) >= set(COMMANDS)
    assert _complete("labctl check --for") == ["--format"]
    assert _complete("labctl check --format ") == ["text", "markdown", "json"]


def test_a_mistyped_option_is_a_usage_error() -> None:
    assert run("plan", "--stak", "dev").exit_code == EXIT_USAGE


@pytest.mark.parametrize("value", ["json", "JSON", "Json"])
def test_enum_values_in_any_case_and_json_to_stdout(value: str) -> None:
    result = run("check", "--stack", "dev", "--format", value, "--output", "-", "--today", "2026-12-01")
    assert result.exit_code == EXIT_OK, result.output
    report = json.loads(result.stdout)
    assert report["stack"] == "dev" and report["violations"] == [] and report["rules"] > 0


def test_plan_json_to_a_file_and_to_stdout(tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    assert run("plan", "--stack", "dev", "-f", "json", "-o", str(out)).exit_code == EXIT_OK
    assert json.loads(out.read_text(encoding="utf-8"))["deployment"]["resources"]
    result = run("plan", "--stack", "dev", "--format", "json")
    assert json.loads(result.stdout)["deployment"]["manifest"]["stack"] == "dev"


def test_diff_json(tmp_path: Path, dev_plan) -> None:
    snap = tmp_path / "plan.json"
    snap.write_text(dev_plan.to_json(), encoding="utf-8")
    result = run("diff", "--base-snapshot", str(snap), "--head-snapshot", str(snap), "--format", "json")
    assert result.exit_code == EXIT_OK, result.output
    (section,) = json.loads(result.stdout)
    assert section["stack"] == "dev" and section["resources"] == []


def test_smoke_json_never_holds_a_key(tmp_path: Path, fake_azure) -> None:
    from tests.support.fake_gateway import FakeGateway
    from tests.support.smoke_lab import DEPLOYMENTS, KEYS, stack_outputs

    FakeGateway(
        server=fake_azure.server, keys={k: n for n, k in KEYS.items()}, deployments=dict(DEPLOYMENTS)
    ).install()
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps(stack_outputs(fake_azure.base_url)), encoding="utf-8")
    result = run("smoke", "--stack", "dev", "--outputs", str(outputs), "--format", "JSON", "--retries", "0")
    assert result.exit_code == EXIT_OK, result.output
    report = json.loads(result.stdout)
    # Every participant and deployment, then the routes with the first key (GET /v1/models for all deployments).
    assert {(c["participant"], c["deployment"]) for c in report["calls"]} == {
        (p, d) for p in KEYS for d in DEPLOYMENTS
    } | {("student01", "(all)")}
    assert all(c["ok"] for c in report["calls"])
    assert not any(key in result.stdout for key in KEYS.values())


def test_an_unknown_stack_lists_the_stacks_that_exist(project: Path) -> None:
    # Its own project folder: the checkout may hold a class's stack file beside dev's.
    (project / "Pulumi.class-2026-spring.yaml").write_text("config: {}\n", encoding="utf-8")
    result = run("plan", "--stack", "nope", "--project-dir", str(project))
    assert result.exit_code == EXIT_CONFIG
    assert "use one of the stacks there: class-2026-spring, dev" in " ".join(result.output.split())


def test_a_bad_enum_value_lists_the_choices() -> None:
    result = run("check", "--stack", "dev", "--format", "yaml")
    assert result.exit_code == EXIT_USAGE
    assert "text" in result.output and "json" in result.output


def test_stacks_json_by_format_and_by_the_old_flag() -> None:
    assert json.loads(run("stacks", "--format", "JSON").stdout) == json.loads(run("stacks", "--json").stdout)
    assert "dev" in json.loads(run("stacks", "-f", "json", "-o", "-").stdout)
