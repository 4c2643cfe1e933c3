"""suspend / resume / rotate: one reviewable line in the stack file, the rest untouched."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from labctl.classroom.classfile import ClassFile, ClassFileError
from labctl.classroom.participant import edit_participant, pulumi_up_hint
from labctl.errors import UsageError


def entry(path: Path, name: str) -> dict:
    participants = yaml.safe_load(path.read_text(encoding="utf-8"))["config"]["aoai-lab:participants"]
    return next(p for p in participants if p["name"] == name)


def diff_lines(before: str, after: str) -> list[str]:
    import difflib

    return [
        line
        for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


def test_suspend_then_resume_is_one_line_each_way(project: Path) -> None:
    path = project / "Pulumi.dev.yaml"
    original = path.read_text(encoding="utf-8")
    doc = ClassFile(path, "aoai-lab")
    edit = edit_participant(doc, "student02", "suspend")
    assert edit.describe() == "student02: state active -> state suspended"
    assert doc.save()
    suspended = path.read_text(encoding="utf-8")
    assert diff_lines(original, suspended) == ["+      state: suspended"]
    assert entry(path, "student02") == {
        "name": "student02",
        "email": "student02@contoso.edu",
        "state": "suspended",
    }

    doc = ClassFile(path, "aoai-lab")
    assert not edit_participant(doc, "student02", "suspend").changed
    edit = edit_participant(doc, "student02", "resume")
    assert edit.describe() == "student02: state suspended -> state active"
    doc.save()
    assert path.read_text(encoding="utf-8") == original


def test_rotate_bumps_the_rotation_number(project: Path) -> None:
    path = project / "Pulumi.dev.yaml"
    for expected in (1, 2):
        doc = ClassFile(path, "aoai-lab")
        edit = edit_participant(doc, "student01", "rotate")
        doc.save()
        assert entry(path, "student01")["rotation"] == expected
    assert edit.describe() == "student01: rotation 1 -> rotation 2"
    assert pulumi_up_hint("dev", edit) == (
        "pulumi up --stack dev   # replaces the participant's key; hand them the new one with `labctl handout`"
    )


def test_unknown_participant_lists_the_known_ones(project: Path) -> None:
    doc = ClassFile(project / "Pulumi.dev.yaml", "aoai-lab")
    with pytest.raises(
        UsageError,
        match=r"no participant named 'zoe' in Pulumi.dev.yaml. Fix: give one of the participants' names: student01, "
        r"student02",
    ):
        edit_participant(doc, "zoe", "rotate")


def test_a_dotted_name_gets_the_slug_suggested(project: Path) -> None:
    doc = ClassFile(project / "Pulumi.dev.yaml", "aoai-lab")
    with pytest.raises(
        UsageError,
        match=r"no participant named 'Student 01' in Pulumi.dev.yaml. Fix: did you mean 'student01'\? Participants",
    ):
        edit_participant(doc, "Student 01", "suspend")
    (project / "Pulumi.dev.yaml").write_text(
        (project / "Pulumi.dev.yaml").read_text(encoding="utf-8").replace("student02", "ana-garcia"),
        encoding="utf-8",
    )
    with pytest.raises(UsageError, match=r"Fix: did you mean 'ana-garcia'\?"):
        edit_participant(ClassFile(project / "Pulumi.dev.yaml", "aoai-lab"), "ana.garcia", "suspend")


def test_a_bad_rotation_value_is_named(tmp_path: Path) -> None:
    path = tmp_path / "Pulumi.c.yaml"
    path.write_text(
        "config:\n  aoai-lab:participants:\n    - name: a\n      email: a@b.cd\n      rotation: two\n"
    )
    with pytest.raises(
        ClassFileError, match=r"aoai-lab:participants\[a\].rotation is 'two'. Fix: a whole number"
    ):
        edit_participant(ClassFile(path, "aoai-lab"), "a", "rotate")
