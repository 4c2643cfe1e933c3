"""What `labctl handout` refuses before writing a key, and who it writes for (--only, same display names)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from labctl.classroom.handout import students_from
from labctl.errors import EXIT_OK, EXIT_USAGE
from tests.labctl.classroom.test_class_cli import KEYS, invoke, outputs
from tests.support.class_settings import class_settings

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


@pytest.fixture
def repo_project(project: Path, tmp_path: Path) -> Path:
    """The project folder as a git repository, the way an instructor's clone is."""
    _git(project, "init", "-q")
    return project


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(outputs(stack="dev", labName="genai-workshop-dev")), encoding="utf-8")
    return path


def handout(project: Path, out: Path, saved: Path, *extra: str):
    return invoke("handout", "-o", str(out), "--outputs", str(saved), "--project-dir", str(project), *extra)


@needs_git
def test_a_folder_git_would_track_is_refused_with_the_fix(repo_project: Path, saved: Path) -> None:
    out = repo_project / "handouts"
    result = handout(repo_project, out, saved)
    assert result.exit_code == EXIT_USAGE
    text = " ".join(result.output.split())
    assert "git would track the handouts (handouts/student01.env" in text
    assert "Fix: add the folder to .gitignore (`echo 'handouts/' >> .gitignore`" in text
    assert not out.exists()  # nothing written

    (repo_project / ".gitignore").write_text("handouts/\n", encoding="utf-8")
    assert handout(repo_project, out, saved).exit_code == EXIT_OK
    assert (out / "student01.md").exists()


@needs_git
def test_an_ignore_rule_for_some_files_only_is_not_enough(repo_project: Path, saved: Path) -> None:
    # `*.env` is ignored but the Markdown pages would still be committed, with the keys in them.
    (repo_project / ".gitignore").write_text("*.env\n", encoding="utf-8")
    result = handout(repo_project, repo_project / "keys", saved)
    assert result.exit_code == EXIT_USAGE
    assert "keys/student01.md" in result.output and "keys/student01.env" not in result.output


@needs_git
def test_an_already_tracked_handout_is_refused_even_when_ignored(repo_project: Path, saved: Path) -> None:
    out = repo_project / "handouts"
    out.mkdir()
    (out / "student01.md").write_text("old\n", encoding="utf-8")
    _git(repo_project, "add", "handouts/student01.md")
    (repo_project / ".gitignore").write_text("handouts/\n", encoding="utf-8")
    result = handout(repo_project, out, saved)
    assert result.exit_code == EXIT_USAGE and "handouts/student01.md" in result.output


def test_outside_any_repository_is_fine(project: Path, tmp_path: Path, saved: Path) -> None:
    assert handout(project, tmp_path / "elsewhere", saved).exit_code == EXIT_OK


def test_a_plan_snapshot_as_outputs_is_explained_and_previews_with_preview(
    project: Path, tmp_path: Path, dev_plan
) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text(dev_plan.to_json(), encoding="utf-8")
    result = handout(project, tmp_path / "h", plan)
    assert result.exit_code == EXIT_USAGE
    text = " ".join(result.output.split())
    assert "is a plan snapshot (`labctl plan --json`), not the outputs of a deployed stack" in text
    assert "has `pulumi up` completed" not in text
    assert "add --preview" in text and not (tmp_path / "h").exists()

    result = handout(project, tmp_path / "h", plan, "--preview")
    assert result.exit_code == EXIT_OK, result.output
    assert "Wrote preview handouts (placeholder keys) for 2 participant(s)" in result.output
    page = (tmp_path / "h" / "student01.md").read_text(encoding="utf-8")
    assert page.splitlines()[2].startswith("**VISTA PREVIA: todavía no hay nada desplegado.")
    assert "`TU-CLAVE-DE-LA-FICHA-REAL`" in page
    assert dev_plan.outputs["gatewayRoot"] in page


def test_preview_without_outputs_plans_the_stack(project: Path, tmp_path: Path, no_pulumi: None) -> None:
    result = invoke(
        "handout", "--preview", "-o", str(tmp_path / "p"), "--lang", "en", "--project-dir", str(project)
    )
    assert result.exit_code == EXIT_OK, result.output
    page = (tmp_path / "p" / "student02.md").read_text(encoding="utf-8")
    assert "**PREVIEW: nothing is deployed yet." in page and "`YOUR-KEY-FROM-THE-REAL-HANDOUT`" in page


def test_the_outputs_of_another_stack_are_refused(project: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.json"
    other.write_text(json.dumps(outputs(stack="class-2026-spring", labName="spring")), encoding="utf-8")
    result = handout(project, tmp_path / "h", other)
    assert result.exit_code == EXIT_USAGE
    text = " ".join(result.output.split())
    assert "the outputs are those of stack class-2026-spring, not of stack dev" in text
    assert "Fix: `pulumi stack output --json --show-secrets --stack dev > outputs.json`" in text
    assert not (tmp_path / "h").exists()
    other.write_text(json.dumps(outputs(stack="dev", labName="spring")), encoding="utf-8")
    assert "the outputs are those of lab spring" in " ".join(
        handout(project, tmp_path / "h", other).output.split()
    )


def test_only_writes_the_named_participants_by_name_email_or_display_name(
    project: Path, tmp_path: Path, saved: Path
) -> None:
    stack_file = project / "Pulumi.dev.yaml"
    doc = yaml.safe_load(stack_file.read_text(encoding="utf-8"))
    doc["config"]["aoai-lab:participants"][1]["displayName"] = "José Álvarez"
    stack_file.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")

    result = handout(project, tmp_path / "a", saved, "--only", "jose alvarez")
    assert result.exit_code == EXIT_OK, result.output
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["student02.env", "student02.md"]
    result = handout(project, tmp_path / "b", saved, "--only", "STUDENT01@contoso.edu,student02")
    assert result.exit_code == EXIT_OK and len(list((tmp_path / "b").iterdir())) == 4
    result = handout(project, tmp_path / "c", saved, "--only", "studnt01", "--only", "nobody")
    assert result.exit_code == EXIT_USAGE
    text = " ".join(result.output.split())
    assert "no participant named 'studnt01' in Pulumi.dev.yaml. Fix: did you mean 'student01'?" in text
    assert "no participant named 'nobody'" in text and not (tmp_path / "c").exists()  # both, at once


def test_two_participants_with_the_same_display_name_get_handouts_titled_apart() -> None:
    people = [
        {"name": "maria-lopez", "email": "mlopez@uni.es", "displayName": "María López"},
        {"name": "maria-lopez-2", "email": "mlopez2@uni.es", "displayName": "maría lópez"},
        {"name": "ana", "email": "ana@uni.es", "displayName": "Ana"},
    ]
    settings = class_settings(people)
    found, _ = students_from(settings.participants, {p["name"]: "k" for p in people}, settings.limits_of)
    assert [s.title for s in found] == ["María López (mlopez@uni.es)", "maría lópez (mlopez2@uni.es)", "Ana"]


def test_the_keys_of_the_outputs_never_reach_the_terminal_on_refusal(project: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.json"
    other.write_text(json.dumps(outputs(stack="other")), encoding="utf-8")
    result = handout(project, tmp_path / "h", other)
    assert all(key not in result.output for key in KEYS.values())


def test_the_class_time_zone_reaches_the_handout_and_a_bad_one_is_a_config_error(
    project: Path, tmp_path: Path, saved: Path
) -> None:
    from labctl.errors import EXIT_CONFIG

    stack_file = project / "Pulumi.dev.yaml"
    doc = yaml.safe_load(stack_file.read_text(encoding="utf-8"))
    doc["config"]["aoai-lab:timeZone"] = "America/Mexico_City"
    stack_file.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    result = handout(project, tmp_path / "tz", saved, "--lang", "en")
    assert result.exit_code == EXIT_OK, result.output
    page = (tmp_path / "tz" / "student01.md").read_text(encoding="utf-8")
    assert "until 2026-12-19 00:00 America/Mexico_City (2026-12-19 06:00 UTC)" in page

    doc["config"]["aoai-lab:timeZone"] = "Europe/Madird"
    stack_file.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    result = handout(project, tmp_path / "bad", saved)
    assert result.exit_code == EXIT_CONFIG
    assert "aoai-lab:timeZone" in result.output and "did you mean 'Europe/Madrid'?" in " ".join(
        result.output.split()
    )
