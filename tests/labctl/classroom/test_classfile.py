"""The stack file as the editing commands see it (labctl/classroom/classfile.py): only they open it, and they still
work when the file does not validate, which is how a broken participant entry gets fixed."""

from __future__ import annotations

import ast
from pathlib import Path

from typer.testing import CliRunner

import labctl.classroom
from labctl.cli import app
from labctl.errors import EXIT_CONFIG, EXIT_OK
from labctl.project import load_stack_settings

CLASSROOM = Path(labctl.classroom.__file__).parent
# What opens the stack file for editing: the editor, its participant flavour, and the command helper that makes one.
OPENERS = {"StackEdit", "ClassFile", "class_file"}
# The functions that may open it: the class_file helper and the commands that change the file. A command that only
# reads participants (handout, usage, roster export) reads `ctx.settings` instead, the program's own reading.
EDITING = {
    "run.class_file",
    "run.run_roster_import",
    "control.run_participants",
    "control._participants_now",
    "control.run_class",
}


def openers_by_function(source: str) -> set[str]:
    """The functions (by name) in `source` that call one of OPENERS."""
    found: set[str] = set()
    for function in ast.walk(ast.parse(source)):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(function):
            if isinstance(node, ast.Call):
                callee = node.func
                name = callee.id if isinstance(callee, ast.Name) else getattr(callee, "attr", None)
                if name in OPENERS:
                    found.add(function.name)
    return found


def test_only_the_editing_commands_open_the_stack_file() -> None:
    opening = {
        f"{path.stem}.{function}"
        for path in sorted(CLASSROOM.glob("*.py"))
        for function in openers_by_function(path.read_text(encoding="utf-8"))
    }
    assert opening == EDITING


def test_the_guard_sees_an_opener_in_a_read() -> None:
    # A read that went back to the file would be found, however it calls the opener.
    sneaky = "def prepare(ctx):\n    doc = run.class_file(ctx)\n    return ClassFile(doc.path, 'p').participants()\n"
    assert openers_by_function(sneaky) == {"prepare"}


BROKEN = """    - name: student01
      email: student01@contoso.edu
      # paused for the exam
      state: paused
"""


def test_a_participant_the_config_refuses_is_fixed_by_an_edit(project: Path, tmp_path: Path) -> None:
    path = project / "Pulumi.dev.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("    - name: student01\n      email: student01@contoso.edu\n", BROKEN), encoding="utf-8"
    )
    runner = CliRunner()
    # A read needs the settings, so it stops with the config's own message (exit 3)...
    read = runner.invoke(app, ["roster", "export", "--project-dir", str(project)])
    assert read.exit_code == EXIT_CONFIG
    assert "aoai-lab:participants[0].state" in read.output
    # ...while the edit reads the file itself: resuming the participant removes the bad line, keeps the rest.
    edit = runner.invoke(app, ["participant", "resume", "student01", "--project-dir", str(project)])
    assert edit.exit_code == EXIT_OK, edit.output
    assert "student01: state paused -> state active" in edit.output
    fixed = path.read_text(encoding="utf-8")
    assert "state: paused" not in fixed and "# paused for the exam" in fixed
    assert fixed.replace("      # paused for the exam\n", "") == text
    assert load_stack_settings("dev", project).participants[0].state == "active"
    assert "still does not validate" not in edit.output


def test_an_edit_that_leaves_the_file_broken_says_pulumi_up_will_refuse_it(project: Path) -> None:
    path = project / "Pulumi.dev.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("    - name: student01\n      email: student01@contoso.edu\n", BROKEN), encoding="utf-8"
    )
    runner = CliRunner()
    # Suspending someone else is done, but the broken line is still there: the instructor is told before `pulumi up`.
    edit = runner.invoke(app, ["participant", "suspend", "student02", "--project-dir", str(project)])
    assert edit.exit_code == EXIT_OK, edit.output
    said = " ".join(edit.output.split())
    assert "Pulumi.dev.yaml still does not validate, so `pulumi up` will refuse it" in said
    assert "aoai-lab:participants[0].state" in said
    pause = runner.invoke(app, ["class", "pause", "--project-dir", str(project)])
    assert pause.exit_code == EXIT_OK and "still does not validate" in " ".join(pause.output.split())


def test_a_roster_import_into_a_broken_file_says_pulumi_up_will_refuse_it(
    project: Path, tmp_path: Path
) -> None:
    path = project / "Pulumi.dev.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("    - name: student01\n      email: student01@contoso.edu\n", BROKEN), encoding="utf-8"
    )
    roster = tmp_path / "class.csv"
    roster.write_text("name,email\nNew Person,new.person@contoso.edu\n", encoding="utf-8")
    imported = CliRunner().invoke(app, ["roster", "import", str(roster), "--project-dir", str(project)])
    assert imported.exit_code == EXIT_OK, imported.output
    assert "new.person@contoso.edu" in path.read_text(encoding="utf-8")
    said = " ".join(imported.output.split())
    assert "Pulumi.dev.yaml still does not validate, so `pulumi up` will refuse it" in said
    assert "aoai-lab:participants[0].state" in said
