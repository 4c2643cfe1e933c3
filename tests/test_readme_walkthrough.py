"""The README as a new instructor follows it (issue 18): the fast path first, privacy where students' data enters,
no key printed on screen, PowerShell where commands differ, and the handout folder it suggests ignored by git."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from labctl.project import PROJECT_DIR

README = (PROJECT_DIR / "README.md").read_text(encoding="utf-8")


def section(title: str) -> str:
    start = README.index(f"\n## {title}")
    end = README.find("\n## ", start + 1)
    return README[start : end if end != -1 else None]


def test_the_first_commands_set_up_the_fast_path_and_say_how_long_the_suite_takes() -> None:
    offline = section("Try it offline")
    first_block = offline.split("```bash\n", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in first_block.splitlines() if line.strip()]
    assert commands[0] == "uv sync --compile-bytecode"
    assert "uv run pytest" in commands
    assert re.search(r"uv run pytest\s+# the test suite, \d+-\d+ minutes on 2 cores", first_block)


def test_run_a_class_says_the_repository_must_be_private_where_students_data_enters() -> None:
    steps = section("Run a class")
    roster_step = steps[steps.index("2. **The roster in.**") : steps.index("3. **Size it.**")]
    assert "repository must be private" in roster_step
    assert "pulumi config set --path --secret" in roster_step and "secure:" in roster_step


def test_no_command_prints_every_key_on_screen() -> None:
    assert "participantKeys --show-secrets" not in README
    deploy = section("Deploy it for real")
    assert "labctl handout --output handouts/" in deploy


def test_shell_only_commands_have_their_powershell_equivalent() -> None:
    exported = re.findall(r"^\s*export (\w+)=", README, flags=re.MULTILINE)
    assert exported, "the README no longer exports anything: update this test"
    for name in exported:
        assert f"$env:{name} = " in README, f"no PowerShell line for export {name}"
    # `$(...)` is bash; every line that uses it has a PowerShell form that does not.
    assert "$env:AZURE_SUBSCRIPTION_ID = az account show --query id -o tsv" in README


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_the_handout_folder_the_readme_suggests_is_ignored_by_git(tmp_path) -> None:
    folders = set(re.findall(r"labctl handout[^`\n]*--output (\S+?)/", README))
    assert folders == {"handouts"}, folders
    # A fresh repository with the project's .gitignore: a key file in that folder is never staged.
    shutil.copy(PROJECT_DIR / ".gitignore", tmp_path / ".gitignore")
    subprocess.run(["git", "init", "--quiet"], cwd=tmp_path, check=True)
    (tmp_path / "handouts").mkdir()
    (tmp_path / "handouts" / "ana-garcia.md").write_text("key: k1-secret\n", encoding="utf-8")
    ignored = subprocess.run(
        ["git", "check-ignore", "handouts/ana-garcia.md"], cwd=tmp_path, capture_output=True, text=True
    )
    assert ignored.returncode == 0, "handouts/ is not in .gitignore"
    subprocess.run(["git", "add", "-A"], cwd=tmp_path, check=True)
    staged = subprocess.run(
        ["git", "diff", "--cached", "--name-only"], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert "handouts/ana-garcia.md" not in staged.stdout
