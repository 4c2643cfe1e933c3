"""`labctl diff` on a real git repository: a base commit on main, a feature commit, uncommitted edits.

One run of the command (two plan subprocesses, in parallel) covers the default base, the clean worktree, both
revisions' own programs planned by the working tree's labctl (the base's own labctl is broken), the secret-config
comparison and the cleanup, which leaves the user's other worktrees alone; everything is asserted on that one result.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from labctl.cli import app
from labctl.errors import EXIT_CONFIG, EXIT_USAGE
from labctl.project import PROJECT_DIR
from labctl.review.revisions import worktree

# What `labctl plan` needs from the project: the program, its packages and the stack files.
# .gitignore as in a real checkout: running Python leaves __pycache__ folders that git must not report.
PROJECT_FILES = (
    ".gitignore",
    "Pulumi.yaml",
    "Pulumi.dev.yaml",
    "__main__.py",
    "labctl",
    "stacks",
    "components",
    "facts",
)
BROKEN_CLI = """raise SystemExit("this labctl predates `labctl plan --project-dir --json --quiet`")\n"""
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Lab Tester",
    "GIT_AUTHOR_EMAIL": "tester@contoso.edu",
    "GIT_COMMITTER_NAME": "Lab Tester",
    "GIT_COMMITTER_EMAIL": "tester@contoso.edu",
}


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args], cwd=repo, capture_output=True, text=True, env={**os.environ, **GIT_ENV}, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _edit_stack(repo: Path, change) -> None:
    path = repo / "Pulumi.dev.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(doc["config"])
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")


def _new_repo(repo: Path) -> None:
    for name in PROJECT_FILES:
        source = PROJECT_DIR / name
        if source.is_dir():
            shutil.copytree(source, repo / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, repo / name)
    _git(repo, "init", "--quiet", "--initial-branch", "main")


@dataclass
class GitRun:
    repo: Path
    exit_code: int
    output: str
    status_before: str
    status_after: str
    worktrees_after: str
    stale_worktree: Path


@pytest.fixture(scope="module")
def git_run(tmp_path_factory: pytest.TempPathFactory) -> GitRun:
    repo = tmp_path_factory.mktemp("lab-repo")
    _new_repo(repo)
    # The base's labctl can't plan at all (an old one without `plan --json`, or a broken one): the base's program
    # must be planned by the working tree's labctl.
    cli = repo / "labctl" / "cli.py"
    working_cli = cli.read_text(encoding="utf-8")
    cli.write_text(BROKEN_CLI, encoding="utf-8")
    _git(repo, "add", ".")
    _git(repo, "commit", "--quiet", "-m", "base lab")

    # A feature branch: one commit that scales the chat deployment, adds a participant and changes code: the
    # saved searches' category and the gateway policy. Only plans run with each revision's own code see those.
    _git(repo, "switch", "--quiet", "-c", "feature")
    cli.write_text(working_cli, encoding="utf-8")
    monitoring = repo / "components" / "monitoring.py"
    text = monitoring.read_text(encoding="utf-8")
    assert 'QUERY_CATEGORY = "aoai-lab"' in text
    monitoring.write_text(
        text.replace('QUERY_CATEGORY = "aoai-lab"', 'QUERY_CATEGORY = "lab-queries"'), "utf-8"
    )
    policy = repo / "components" / "policies" / "openai-gateway.xml"
    text = policy.read_text(encoding="utf-8")
    policy.write_text(
        text.replace(
            "<base />",
            '<base />\n    <set-header name="x-lab" exists-action="override"><value>aoai</value></set-header>',
            1,
        ),
        "utf-8",
    )

    def scale_and_add(config: dict) -> None:
        config["aoai-lab:deployments"][0]["capacity"] = 80
        config["aoai-lab:participants"].append({"name": "student03", "email": "student03@contoso.edu"})

    _edit_stack(repo, scale_and_add)
    _git(repo, "commit", "--quiet", "-am", "scale chat, add student03")

    # ...and uncommitted edits: a Foundry account (replace), one participant fewer, a provider secret.
    def foundry_and_remove(config: dict) -> None:
        config["aoai-lab:accountKind"] = "AIServices"
        # No Foundry project: only the account's replacement matters here.
        config["aoai-lab:foundryProjects"] = []
        config["aoai-lab:participants"] = [
            p for p in config["aoai-lab:participants"] if p["name"] != "student02"
        ]
        config["azure-native:clientSecret"] = {"secure": "v1:c2VjcmV0LWNpcGhlcnRleHQ="}

    _edit_stack(repo, foundry_and_remove)

    # The user's own worktree, whose folder they deleted without telling git: a stale entry that is theirs to
    # prune, not labctl's.
    stale = tmp_path_factory.mktemp("elsewhere") / "hotfix"
    _git(repo, "worktree", "add", "--quiet", "--detach", str(stale), "main")
    shutil.rmtree(stale)

    status_before = _git(repo, "status", "--porcelain")
    result = CliRunner().invoke(app, ["diff", "--project-dir", str(repo), "--exit-code"])
    return GitRun(
        repo=repo,
        exit_code=result.exit_code,
        output=result.output,
        status_before=status_before,
        status_after=_git(repo, "status", "--porcelain"),
        worktrees_after=_git(repo, "worktree", "list", "--porcelain"),
        stale_worktree=stale,
    )


def test_diff_compares_the_working_tree_with_the_merge_base_of_main(git_run):
    assert git_run.exit_code == 1, git_run.output  # --exit-code and there are changes
    base = _git(git_run.repo, "rev-parse", "--short=7", "main").strip()
    assert f"merge base with main ({base})" in git_run.output.splitlines()[0]
    # The feature commit and the uncommitted edits both count against main: the backend, 5 saved searches and the
    # API policy are updated; the Foundry account is replaced with its 2 deployments, its diagnostic setting and
    # the 4 role assignments on it; a participant in and one out, each a key and a subscription.
    assert git_run.output.rstrip().endswith("+ 2 to create, ~ 10 to update, +- 8 to replace, - 2 to delete")


def test_each_change_is_reported_with_its_kind(git_run):
    out = git_run.output
    assert "+ azure-native:apimanagement:Subscription gateway-sub-student03 (create)" in out
    assert "- azure-native:apimanagement:Subscription gateway-sub-student02 (delete)" in out
    # Scaled, and replaced anyway: Azure deletes a deployment with its account.
    assert "+- azure-native:cognitiveservices:Deployment openai-chat (replace)" in out
    assert "~ sku.capacity: 50 => 80" in out
    assert "+- replaced with openai-account, which its accountName refers to" in out
    assert "+- azure-native:cognitiveservices:Account openai-account (replace)" in out
    assert "~ azure-native:apimanagement:Backend gateway-backend (update)" in out


def test_the_base_program_is_planned_by_the_working_trees_labctl(git_run):
    # The base's own labctl exits at import; its program (stacks, components, stack file) still got planned, and by
    # the same mock cloud as the working tree: the names built on the random suffix are the same on both sides.
    assert "predates" not in git_run.output
    assert "openai-account (replace)" in git_run.output
    assert "name-suffix" not in git_run.output and "accountName:" not in git_run.output


def test_each_revision_is_planned_with_its_own_code(git_run):
    assert '~ category: "aoai-lab" => "lab-queries"' in git_run.output
    assert git_run.output.count('~ category: "aoai-lab" => "lab-queries"') == 8  # one per saved query
    assert '+    <set-header exists-action="override" name="x-lab">' in git_run.output


def test_secret_config_is_reported_by_key_only(git_run):
    assert "+ azure-native:clientSecret: [secret] (added)" in git_run.output
    assert "c2VjcmV0" not in git_run.output


def test_the_working_tree_is_untouched_and_only_labctls_worktree_is_gone(git_run):
    assert git_run.status_after == git_run.status_before
    worktrees = [
        line.split(" ", 1)[1] for line in git_run.worktrees_after.splitlines() if line.startswith("worktree ")
    ]
    # The repository itself and the user's stale worktree, still listed (no global `git worktree prune`).
    assert worktrees == [str(git_run.repo), str(git_run.stale_worktree)]
    assert "prunable" in git_run.worktrees_after
    assert "labctl-diff-" not in git_run.worktrees_after
    assert not list(git_run.repo.glob("**/labctl-diff-*"))


def test_the_worktree_context_removes_its_worktree_and_no_other(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "--quiet", "--initial-branch", "main")
    _git(repo, "commit", "--quiet", "--allow-empty", "-m", "empty")
    stale = tmp_path / "stale"
    _git(repo, "worktree", "add", "--quiet", "--detach", str(stale), "main")
    shutil.rmtree(stale)
    with worktree(repo, _git(repo, "rev-parse", "HEAD").strip()) as tree:
        assert (tree / ".git").is_file()
        shutil.rmtree(tree)  # even a worktree whose folder went away meanwhile is removed from git's list
    listed = _git(repo, "worktree", "list", "--porcelain")
    assert f"worktree {stale}\n" in listed and "prunable" in listed
    assert str(tree) not in listed


def test_a_base_that_cannot_be_planned_is_an_error_and_still_cleaned_up(tmp_path):
    _new_repo(tmp_path)
    _edit_stack(tmp_path, lambda config: config.update({"aoai-lab:gatewayTier": "Gold"}))
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "--quiet", "-m", "a broken stack file")
    _edit_stack(tmp_path, lambda config: config.update({"aoai-lab:gatewayTier": "BasicV2"}))
    result = CliRunner().invoke(app, ["diff", "--project-dir", str(tmp_path), "--base", "HEAD"])
    assert result.exit_code == EXIT_CONFIG  # that revision's stack does not plan
    assert "planning HEAD (" in result.output and "gatewayTier" in result.output
    assert "Fix: that revision's program" in result.output
    assert _git(tmp_path, "worktree", "list", "--porcelain").count("worktree ") == 1


def test_a_project_folder_outside_git_is_a_usage_error_naming_the_fix(tmp_path):
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml"):
        shutil.copy2(PROJECT_DIR / name, tmp_path / name)
    result = CliRunner().invoke(app, ["diff", "--project-dir", str(tmp_path), "--stack", "dev"])
    text = " ".join(result.output.split())
    assert result.exit_code == EXIT_USAGE, result.output
    assert "is not inside a git checkout" in text
    assert "Fix: run it inside the project's git checkout" in text
    assert "--base-snapshot and --head-snapshot" in text
    assert "fatal:" not in text and "Traceback" not in text
