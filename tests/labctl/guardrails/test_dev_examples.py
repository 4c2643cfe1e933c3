"""A class stack copied from Pulumi.dev.yaml with its example values left in (issue 18): `labctl check` says which,
with the fix; stack dev may keep them; the values have one home, and Pulumi.dev.yaml uses exactly them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from labctl.cli import app
from labctl.errors import EXIT_PROBLEMS
from labctl.guardrails.dev_examples import dev_examples
from labctl.project import PROJECT_DIR

CLASS_STACK = Path(__file__).parents[2] / "data" / "Pulumi.class-2026-spring.yaml"
ENV = {"COLUMNS": "200"}
TODAY = "2026-12-01"


def test_pulumi_dev_yaml_uses_exactly_the_example_values() -> None:
    config = yaml.safe_load((PROJECT_DIR / "Pulumi.dev.yaml").read_text(encoding="utf-8"))["config"]
    examples = dev_examples()
    assert config["aoai-lab:owner"] == examples.owner
    assert config["aoai-lab:labName"] == examples.lab_name
    people = {p["principalId"].lower(): p["name"] for p in config["aoai-lab:people"]}
    assert people == examples.principal_ids


@pytest.fixture
def copied_class(tmp_path: Path) -> Path:
    """What step 1 of "Run a class" makes when the instructor stops after the copy: only the dates changed."""
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml"):
        shutil.copy(PROJECT_DIR / name, tmp_path / name)
    text = (PROJECT_DIR / "Pulumi.dev.yaml").read_text(encoding="utf-8")
    (tmp_path / "Pulumi.class-2026-spring.yaml").write_text(
        text.replace('expiresOn: "2026-12-18"', 'expiresOn: "2027-01-29"'), encoding="utf-8"
    )
    return tmp_path


def test_check_refuses_the_examples_left_in_a_class_stack(copied_class: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "check",
            "--stack",
            "class-2026-spring",
            "--project-dir",
            str(copied_class),
            "--today",
            TODAY,
            "--format",
            "json",
        ],
        env=ENV,
    )
    assert result.exit_code == EXIT_PROBLEMS, result.output
    report = json.loads(result.stdout)
    found = [v for v in report["violations"] if v["rule"] == "no-examples-from-dev"]
    assert sorted(v["problem"] for v in found) == [
        "aoai-lab:labName is Pulumi.dev.yaml's example, genai-workshop-dev",
        "aoai-lab:owner is Pulumi.dev.yaml's example, ana.garcia@contoso.edu",
        "aoai-lab:people: principalId 3f2b8c1e-5d4a-4e6f-9b7c-1a2d3e4f5a6b is Pulumi.dev.yaml's example "
        "(ana-garcia); `pulumi up` would fail with PrincipalNotFound",
        # The student group's example id is not here: `student` grants nothing on an OpenAI account (issue 16),
        # so no assignment names it and `pulumi up` would not fail on it.
    ]
    assert all("az ad user show" in v["fix"] and v["severity"] == "mandatory" for v in found)


def test_dev_keeps_them_and_a_finished_class_stack_passes(copied_class: Path) -> None:
    shutil.copy(CLASS_STACK, copied_class / CLASS_STACK.name)
    for stack in ("dev", "class-2026-spring"):
        result = CliRunner().invoke(
            app,
            ["check", "--stack", stack, "--project-dir", str(copied_class), "--today", TODAY],
            env=ENV,
        )
        assert result.exit_code == 0, result.output
        assert f"guardrails pass for stack {stack}" in result.output
