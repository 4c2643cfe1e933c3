"""Tests do not depend on which stack files the checkout holds (issue 18).

An instructor who follows "Run a class" commits `Pulumi.class-2026-spring.yaml` beside `Pulumi.dev.yaml`; the suite
then must still plan and check `dev` (13 tests used to fail with "which stack? ..."). tests/conftest.py names the
stack for every test (LABCTL_STACK=dev); this replays the class checkout on a copy of the project root.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from labctl.cli import app
from labctl.errors import EXIT_CONFIG
from labctl.project import PROJECT_DIR

CLASS_STACK = Path(__file__).parent / "data" / "Pulumi.class-2026-spring.yaml"
ENV = {"COLUMNS": "200"}


@pytest.fixture
def class_checkout(tmp_path: Path) -> Path:
    """The project root as a class's repository has it: dev's stack file and a class's."""
    root = tmp_path / "checkout"
    root.mkdir()
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml"):
        shutil.copy(PROJECT_DIR / name, root / name)
    shutil.copy(CLASS_STACK, root / CLASS_STACK.name)
    return root


def test_every_test_names_its_stack() -> None:
    assert os.environ.get("LABCTL_STACK") == "dev"


def test_plan_and_check_act_on_dev_beside_a_class_stack(class_checkout: Path) -> None:
    planned = CliRunner().invoke(app, ["plan", "-q", "--project-dir", str(class_checkout)], env=ENV)
    assert planned.exit_code == 0, planned.output
    checked = CliRunner().invoke(
        app, ["check", "--today", "2026-12-01", "--project-dir", str(class_checkout)], env=ENV
    )
    assert checked.exit_code == 0, checked.output
    assert "for stack dev" in checked.output


def test_the_class_stack_is_a_valid_class(class_checkout: Path) -> None:
    # The replayed file is a real class (it plans), so the suite's pass above is not a broken file ignored.
    result = CliRunner().invoke(
        app, ["plan", "-q", "--stack", "class-2026-spring", "--project-dir", str(class_checkout)], env=ENV
    )
    assert result.exit_code == 0, result.output


def test_without_a_named_stack_the_class_checkout_is_ambiguous(
    class_checkout: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # What the suite met before conftest named the stack: two stack files, no choice.
    monkeypatch.delenv("LABCTL_STACK")
    monkeypatch.setenv("PATH", str(tmp_path / "no-pulumi-here"))
    result = CliRunner().invoke(app, ["plan", "-q", "--project-dir", str(class_checkout)], env=ENV)
    assert result.exit_code == EXIT_CONFIG
    assert "which stack?" in result.output and "class-2026-spring, dev" in result.output
