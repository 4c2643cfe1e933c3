"""`labctl stacks`: which stacks CI checks, previews and deploys after a change (never a hard-coded `dev`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from labctl.cli import app
from labctl.review.stacks import select_stacks
from tests.labctl.review.test_diff_git import _git


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.class-a.yaml", "Pulumi.old.yaml"):
        (tmp_path / name).write_text("config: {}\n", encoding="utf-8")
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "lab.py").write_text("x = 1\n", encoding="utf-8")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.md").write_text("a\n", encoding="utf-8")
    _git(tmp_path, "init", "--quiet", "--initial-branch", "main")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "--quiet", "-m", "base")
    return tmp_path


def _commit(repo: Path) -> str:
    _git(repo, "add", "-A")
    _git(repo, "commit", "--quiet", "-m", "change")
    return "HEAD~1"


def test_every_stack_without_a_base_or_on_a_first_push(repo: Path) -> None:
    assert select_stacks(repo).stacks == ["class-a", "dev", "old"]
    assert select_stacks(repo, "0000000000000000000000000000000000000000").stacks == ["class-a", "dev", "old"]


def test_only_the_stack_files_that_changed_and_deleted_ones_reported(repo: Path) -> None:
    (repo / "Pulumi.class-a.yaml").write_text("config: {a: 1}\n", encoding="utf-8")
    (repo / "Pulumi.class-b.yaml").write_text("config: {}\n", encoding="utf-8")
    (repo / "Pulumi.old.yaml").unlink()
    (repo / "docs" / "a.md").write_text("b\n", encoding="utf-8")  # docs deploy nothing
    selection = select_stacks(repo, _commit(repo))
    assert selection.stacks == ["class-a", "class-b"]
    assert selection.deleted == ["old"]


def test_a_program_change_concerns_every_stack(repo: Path) -> None:
    (repo / "stacks" / "lab.py").write_text("x = 2\n", encoding="utf-8")
    assert select_stacks(repo, _commit(repo)).stacks == ["class-a", "dev", "old"]


def test_the_command_prints_json_for_a_matrix_and_warns_about_deletions(repo: Path) -> None:
    (repo / "Pulumi.old.yaml").unlink()
    base = _commit(repo)
    result = CliRunner().invoke(
        app, ["stacks", "--changed-since", base, "--json", "--project-dir", str(repo)]
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert json.loads(lines[-1]) == []
    assert "stack file(s) deleted: old" in result.output
    result = CliRunner().invoke(app, ["stacks", "--project-dir", str(repo)])
    assert result.output.splitlines() == ["class-a", "dev"]


def test_changed_since_outside_git_is_a_usage_error_naming_the_fix(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.dev.yaml").write_text("config: {}\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["stacks", "--changed-since", "abc123", "--project-dir", str(tmp_path)])
    text = " ".join(result.output.split())
    assert result.exit_code == 2, result.output
    assert "is not inside a git checkout" in text
    assert "leave out --changed-since" in text
