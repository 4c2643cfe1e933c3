"""`labctl diff` covers every stack file the change adds, modifies or deletes, one section per stack.

One git repository: main has `dev` and `old-class`; the working tree adds `class-2026` and deletes `old-class`.
The command runs three times (text, markdown, `--stack dev`); planning is the costly part and gives the same
plans each time (same repository, same revisions), so each side of each stack is planned by the first run only and
the later runs reuse it: they still open the base's worktree, pick the stacks and render their own report.
"""

from __future__ import annotations

import shutil

import pytest
from typer.testing import CliRunner

from labctl.cli import app
from labctl.review import revisions
from tests.labctl.review.test_diff_git import _git, _new_repo


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory):
    repo = tmp_path_factory.mktemp("stacks-repo")
    _new_repo(repo)
    shutil.copy(repo / "Pulumi.dev.yaml", repo / "Pulumi.old-class.yaml")
    _git(repo, "add", ".")
    _git(repo, "commit", "--quiet", "-m", "dev and an old class")
    (repo / "Pulumi.old-class.yaml").unlink()
    shutil.copy(repo / "Pulumi.dev.yaml", repo / "Pulumi.class-2026.yaml")
    planned: dict[tuple[str, str], revisions.StackSides] = {}
    plan_pair = revisions._plan_pair

    def plan_once(project_dir, base_dir, stack, base_label, code, tmp):
        if (stack, base_label) not in planned:
            planned[stack, base_label] = plan_pair(project_dir, base_dir, stack, base_label, code, tmp)
        return planned[stack, base_label]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(revisions, "_plan_pair", plan_once)
        text = CliRunner().invoke(app, ["diff", "--project-dir", str(repo), "--base", "main", "--exit-code"])
        markdown = CliRunner().invoke(
            app, ["diff", "--project-dir", str(repo), "--base", "main", "--format", "markdown"]
        )
        only_dev = CliRunner().invoke(
            app, ["diff", "--project-dir", str(repo), "--base", "main", "--stack", "dev"]
        )
    # One base revision: three stacks, each planned (both sides) once.
    assert sorted(stack for stack, _ in planned) == ["class-2026", "dev", "old-class"]
    return text, markdown, only_dev


def _sections(output: str) -> dict[str, str]:
    parts = output.split("labctl diff: stack ")[1:]
    return {part.split(",", 1)[0]: part for part in parts}


def test_one_section_per_stack_on_either_side(run) -> None:
    text, _, _ = run
    assert text.exit_code == 1, text.output  # --exit-code: there are changes
    sections = _sections(text.output)
    assert list(sections) == ["class-2026", "dev", "old-class"]


def test_a_new_stack_shows_everything_it_creates(run) -> None:
    section = _sections(run[0].output)["class-2026"]
    assert "without Pulumi.class-2026.yaml -> the working tree" in section.splitlines()[0]
    summary = section.rstrip().splitlines()[-1]
    assert summary.startswith("+ ") and summary.endswith("~ 0 to update, +- 0 to replace, - 0 to delete")
    assert int(summary.split()[1]) > 30  # the whole lab
    assert "+ azure-native:apimanagement:Subscription gateway-sub-student01 (create)" in section


def test_a_deleted_stack_file_shows_everything_it_would_destroy(run) -> None:
    section = _sections(run[0].output)["old-class"]
    assert "-> the working tree, without Pulumi.old-class.yaml" in section.splitlines()[0]
    summary = section.rstrip().splitlines()[-1]
    assert summary.startswith("+ 0 to create, ~ 0 to update, +- 0 to replace, - ")
    assert "- azure-native:cognitiveservices:Account openai-account (delete)" in section


def test_an_untouched_stack_says_no_changes(run) -> None:
    assert "No changes." in _sections(run[0].output)["dev"]


def test_markdown_has_a_heading_per_stack_and_stack_narrows_it(run) -> None:
    _, markdown, only_dev = run
    assert markdown.exit_code == 0, markdown.output
    headings = [line for line in markdown.output.splitlines() if line.startswith("### Infrastructure diff")]
    assert headings == [
        "### Infrastructure diff for stack `class-2026`",
        "### Infrastructure diff for stack `dev`",
        "### Infrastructure diff for stack `old-class`",
    ]
    assert only_dev.exit_code == 0, only_dev.output
    assert list(_sections(only_dev.output)) == ["dev"]
