"""Editing the stack file through its one owner: comments, key order, quoting and line endings survive; the file is
written whole or not at all; and what one command writes, the next read (and the next command) sees."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from labctl.cli import app
from labctl.context import CommandContext
from labctl.stackfile import StackEdit, StackEditError, read_stack_file

STACK = """\
# The lab's record: reviewed in pull requests.
config:
  # Who answers for the lab.
  aoai-lab:owner: ana@contoso.edu   # the instructor
  aoai-lab:regions:
    - eastus2   # preferred
    - swedencentral
  labName: "quoted-lab"
  aoai-lab:deployments:
    - name: chat
      sku: GlobalStandard
      capacity: 10
"""


def _file(tmp_path: Path, text: str = STACK) -> Path:
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_bytes(text.encode("utf-8"))
    return path


def _changed_lines(before: str, after: str) -> list[str]:
    return [
        line
        for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


def test_an_edit_changes_its_line_only_and_keeps_comments_order_and_quotes(tmp_path: Path) -> None:
    path = _file(tmp_path)
    edit = StackEdit(path, "aoai-lab")
    edit.set("owner", "luis@contoso.edu")
    assert edit.save() is True
    after = path.read_text(encoding="utf-8")
    assert _changed_lines(STACK, after) == [
        "-  aoai-lab:owner: ana@contoso.edu   # the instructor",
        "+  aoai-lab:owner: luis@contoso.edu  # the instructor",  # the comment keeps its column
    ]
    keys = list(read_stack_file(path, project="aoai-lab").values)
    assert keys == ["aoai-lab:owner", "aoai-lab:regions", "aoai-lab:labName", "aoai-lab:deployments"]


def test_a_new_key_goes_after_the_key_named_and_an_unqualified_key_is_edited_where_it_is(
    tmp_path: Path,
) -> None:
    path = _file(tmp_path)
    edit = StackEdit(path, "aoai-lab")
    edit.set("location", "eastus2", after="regions")
    edit.set("labName", "other-lab")
    edit.save()
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines.index("  aoai-lab:location: eastus2") == lines.index("    - swedencentral") + 1
    # The file spells it `labName:`: the edit keeps that spelling (and the quotes), never adds a second key.
    assert '  labName: "other-lab"' in lines
    assert not any(line.startswith("  aoai-lab:labName") for line in lines)


def test_removing_a_key_leaves_the_rest_of_the_file_as_it_was(tmp_path: Path) -> None:
    path = _file(tmp_path)
    edit = StackEdit(path, "aoai-lab")
    edit.remove("labName")
    edit.save()
    assert _changed_lines(STACK, path.read_text(encoding="utf-8")) == ['-  labName: "quoted-lab"']


def test_windows_line_endings_stay_windows_line_endings(tmp_path: Path) -> None:
    path = _file(tmp_path, STACK.replace("\n", "\r\n"))
    edit = StackEdit(path, "aoai-lab")
    edit.set("owner", "luis@contoso.edu")
    edit.save()
    data = path.read_bytes()
    assert data.count(b"\r\n") == STACK.count("\n") and b"\n" not in data.replace(b"\r\n", b"")


def test_a_byte_order_mark_stays(tmp_path: Path) -> None:
    # Notepad and other Windows editors save UTF-8 with a BOM; Pulumi reads it, and the edit must not show a change
    # on the first line.
    path = _file(tmp_path, "\ufeff" + STACK)
    edit = StackEdit(path, "aoai-lab")
    edit.set("owner", "luis@contoso.edu")
    edit.save()
    after = path.read_text(encoding="utf-8")
    assert after.startswith("\ufeff# The lab's record")
    assert len(_changed_lines("\ufeff" + STACK, after)) == 2


def test_an_edit_that_changes_nothing_does_not_touch_the_file(tmp_path: Path) -> None:
    path = _file(tmp_path)
    inode = path.stat().st_ino
    edit = StackEdit(path, "aoai-lab")
    edit.set("owner", "ana@contoso.edu")
    assert edit.save() is False
    assert path.stat().st_ino == inode  # an atomic write would have replaced the file (a new inode)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("config: [a, b]\n", "`config:` is not a mapping"),
        ("- a\n- b\n", "is not a YAML mapping"),
        ("config:\n  a: 'open\n", "is not valid YAML"),
    ],
)
def test_a_file_that_cannot_be_edited_is_a_config_error_naming_it(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(StackEditError, match=message) as info:
        StackEdit(_file(tmp_path, text), "aoai-lab")
    assert info.value.exit_code == 3
    assert "Pulumi.dev.yaml" in str(info.value)


def test_the_next_read_sees_an_edit_made_between_two_reads(tmp_path: Path) -> None:
    # The reader keeps parses (a command reads the file several times): a write must never leave it stale.
    path = _file(tmp_path)
    assert read_stack_file(path, project="aoai-lab").values["aoai-lab:owner"] == "ana@contoso.edu"
    edit = StackEdit(path, "aoai-lab")
    edit.set("owner", "luis@contoso.edu")
    edit.save()
    assert read_stack_file(path, project="aoai-lab").values["aoai-lab:owner"] == "luis@contoso.edu"


def test_what_one_command_writes_the_next_command_reads(project: Path) -> None:
    def settings():
        return CommandContext.create("dev", project).settings

    where = ["--stack", "dev", "--project-dir", str(project)]
    assert settings().class_paused is False
    assert CliRunner().invoke(app, ["class", "pause", *where]).exit_code == 0
    assert settings().class_paused is True
    assert CliRunner().invoke(app, ["participant", "suspend", "student02", *where]).exit_code == 0
    assert {p.name: p.state for p in settings().participants} == {
        "student01": "active",
        "student02": "suspended",
    }
    assert CliRunner().invoke(app, ["class", "resume", *where]).exit_code == 0
    assert settings().class_paused is False
