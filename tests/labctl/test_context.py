"""Which stack a command acts on, and what `--yes` may skip (labctl/context.py)."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from labctl.cli import app
from labctl.context import CommandContext, pulumi_selected_stack, resolve_stack
from labctl.errors import EXIT_CONFIG, EXIT_USAGE, ConfigError, UsageError
from labctl.project import PROJECT_DIR

STACK_FILE = (PROJECT_DIR / "Pulumi.dev.yaml").read_text(encoding="utf-8")


@pytest.fixture
def folder(tmp_path: Path, monkeypatch) -> Path:
    """A project with stacks dev and prod, no Pulumi CLI on PATH, no LABCTL_STACK."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "Pulumi.yaml").write_text((PROJECT_DIR / "Pulumi.yaml").read_text(encoding="utf-8"))
    for name in ("dev", "prod"):
        (project / f"Pulumi.{name}.yaml").write_text(STACK_FILE, encoding="utf-8")
    monkeypatch.delenv("LABCTL_STACK", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    return project


def fake_pulumi_on_path(tmp_path: Path, monkeypatch, *, prints: str, exit_code: int = 0) -> Path:
    """A `pulumi` that answers `stack --show-name` and records how it was asked."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    log = tmp_path / "pulumi-args.txt"
    script = bin_dir / "pulumi"
    script.write_text(
        f"#!{sys.executable}\n"
        "import os, sys\n"
        f"open({str(log)!r}, 'a').write(' '.join(sys.argv[1:]) + ' @ ' + os.getcwd() + '\\n')\n"
        f"sys.stdout.write({prints!r})\n"
        f"sys.exit({exit_code})\n",
        encoding="utf-8",
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", str(bin_dir) + os.pathsep + os.environ.get("PATH", ""))
    return log


def test_the_stack_option_wins(folder):
    choice = resolve_stack("prod", folder)
    assert (choice.name, choice.source, choice.explicit) == ("prod", "--stack", True)


def test_then_labctl_stack(folder, monkeypatch):
    monkeypatch.setenv("LABCTL_STACK", "prod")
    choice = resolve_stack(None, folder)
    assert (choice.name, choice.explicit) == ("prod", False)


def test_then_the_stack_the_pulumi_cli_selected(folder, tmp_path, monkeypatch):
    log = fake_pulumi_on_path(tmp_path, monkeypatch, prints="prod\n")

    choice = resolve_stack(None, folder)

    assert choice.name == "prod" and choice.source == "the Pulumi CLI's selected stack"
    # Asked without prompts, in the project folder.
    assert log.read_text().strip() == f"stack --show-name --non-interactive @ {folder}"


def test_a_fully_qualified_selected_stack_is_reduced_to_its_name(folder, tmp_path, monkeypatch):
    fake_pulumi_on_path(tmp_path, monkeypatch, prints="my-org/aoai-lab/prod\n")
    assert pulumi_selected_stack(folder) == "prod"


def test_a_pulumi_cli_that_fails_means_not_known(folder, tmp_path, monkeypatch):
    fake_pulumi_on_path(tmp_path, monkeypatch, prints="", exit_code=255)
    assert pulumi_selected_stack(folder) is None
    (folder / "Pulumi.prod.yaml").unlink()
    assert resolve_stack(None, folder).name == "dev"  # the only stack file


def test_the_only_stack_file(folder):
    (folder / "Pulumi.prod.yaml").unlink()
    choice = resolve_stack(None, folder)
    assert (choice.name, choice.source) == ("dev", "the only stack file")


def test_two_stacks_and_nothing_chosen_lists_them(folder):
    with pytest.raises(ConfigError, match=r"which stack\?.*stacks here: dev, prod") as info:
        resolve_stack(None, folder)
    assert info.value.exit_code == EXIT_CONFIG


def test_an_unknown_stack_lists_the_stacks_that_exist(folder):
    with pytest.raises(
        ConfigError, match=r"stack 'test' \(from --stack\) has no Pulumi.test.yaml.*dev, prod"
    ):
        resolve_stack("test", folder)


def test_a_stack_whose_file_is_gone_is_accepted_where_it_need_not_exist(folder):
    assert resolve_stack("old", folder, need_file=False).name == "old"


def test_cli_without_a_stack_in_a_folder_of_two_is_a_config_error(folder):
    result = CliRunner().invoke(app, ["plan", "--project-dir", str(folder)], env={"COLUMNS": "200"})
    assert result.exit_code == EXIT_CONFIG
    assert "which stack?" in result.output and "dev, prod" in result.output
    assert "Traceback" not in result.output


def test_yes_needs_the_stack_on_the_command_line(folder, monkeypatch):
    monkeypatch.setenv("LABCTL_STACK", "dev")
    ctx = CommandContext.create(None, folder)
    with pytest.raises(UsageError, match="add --stack dev") as info:
        ctx.require_explicit_stack_for_yes("purge")
    assert info.value.exit_code == EXIT_USAGE
    CommandContext.create("dev", folder).require_explicit_stack_for_yes("purge")


def test_the_typed_stack_name_must_match_exactly(folder):
    ctx = CommandContext.create("prod", folder)
    asked: list[str] = []
    for answer, expected in (("prod", True), (" prod ", True), ("y", False), ("Prod", False), ("", False)):
        ctx.prompt = lambda question, a=answer: asked.append(question) or a
        assert ctx.confirm_by_stack_name("Purge?") is expected
    assert "Type the stack name (prod)" in asked[0]


def test_settings_are_read_once_and_config_problems_are_exit_3(folder):
    (folder / "Pulumi.prod.yaml").write_text(STACK_FILE.replace("gatewayTier: BasicV2", "gatewayTier: Gold"))
    assert "gatewayTier: Gold" in (folder / "Pulumi.prod.yaml").read_text()
    ctx = CommandContext.create("prod", folder)
    with pytest.raises(ConfigError, match="gatewayTier") as info:
        _ = ctx.settings
    assert info.value.exit_code == EXIT_CONFIG
    good = CommandContext.create("dev", folder)
    assert good.settings is good.settings
    assert good.identity.resource_group == "rg-aoai-lab-dev"
