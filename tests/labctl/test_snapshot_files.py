"""Snapshot files given on the command line: anything that is not a `labctl plan --json` file is a usage error
saying what is wrong with it, never a KeyError or an "empty plan"."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from labctl.cli import app
from labctl.errors import EXIT_OK, EXIT_USAGE

BAD = {
    "empty-object": ("{}", "it has no `deployment` object"),
    "list": ("[]", "it is a JSON list, not an object"),
    "no-resources": ('{"deployment": {}}', "`deployment.resources` is missing"),
    "resources-not-list": ('{"deployment": {"resources": {}}}', "`deployment.resources` is not a list"),
    "resource-not-object": (
        '{"deployment": {"resources": [3]}}',
        "`deployment.resources[0]` is not an object",
    ),
    "no-type": ('{"deployment": {"resources": [{"urn": "u"}]}}', "`deployment.resources[0].type` is missing"),
    "inputs-wrong": (
        '{"deployment": {"resources": [{"urn": "u", "type": "t", "inputs": []}]}}',
        "`deployment.resources[0].inputs` has the wrong type",
    ),
    "no-stack": ('{"deployment": {"resources": []}}', "it has no pulumi:pulumi:Stack resource"),
    "not-json": ("{", "can't read"),
    "binary": (b"\xff\xfe\x00", "can't read"),
}


def _write(tmp_path: Path, content: str | bytes) -> Path:
    path = tmp_path / "snap.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


@pytest.mark.parametrize("case", list(BAD))
def test_check_snapshot_that_is_not_a_plan(tmp_path: Path, case: str) -> None:
    content, words = BAD[case]
    result = CliRunner().invoke(
        app, ["check", "--snapshot", str(_write(tmp_path, content))], env={"COLUMNS": "300"}
    )
    assert result.exit_code == EXIT_USAGE, result.output
    assert words in result.output
    assert "Traceback" not in result.output and "KeyError" not in result.output


@pytest.mark.parametrize("case", ["empty-object", "no-stack", "list"])
def test_diff_base_snapshot_that_is_not_a_plan(tmp_path: Path, case: str, dev_plan) -> None:
    good = tmp_path / "good.json"
    good.write_text(dev_plan.to_json(), encoding="utf-8")
    content, words = BAD[case]
    result = CliRunner().invoke(
        app,
        ["diff", "--base-snapshot", str(_write(tmp_path, content)), "--head-snapshot", str(good)],
        env={"COLUMNS": "300"},
    )
    assert result.exit_code == EXIT_USAGE, result.output
    assert "--base-snapshot" in result.output and words in result.output
    # Not read as "everything is new".
    assert "create" not in result.output.lower()


def test_a_real_plan_snapshot_still_checks(tmp_path: Path, dev_plan) -> None:
    good = tmp_path / "good.json"
    good.write_text(dev_plan.to_json(), encoding="utf-8")
    result = CliRunner().invoke(app, ["check", "--snapshot", str(good), "--today", "2026-12-01"])
    assert result.exit_code == EXIT_OK, result.output
