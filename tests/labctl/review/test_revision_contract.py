"""The contract `labctl diff` relies on: today's labctl plans an older revision's program (its stacks/ and
components/), whatever layout that revision had. aef20ce is the last revision before labctl was regrouped by
command and stacks/ gained config/, facts/, naming and outputs."""

from __future__ import annotations

import io
import subprocess
import tarfile
from pathlib import Path

import pytest

from labctl.project import PROJECT_DIR
from labctl.review.engine import diff_snapshots
from labctl.review.revisions import _finish, _start_plan, base_code_dir, planner_code

BEFORE_THE_MOVE = "aef20ce"


def _export(commit: str, folder: Path) -> None:
    try:
        archive = subprocess.run(
            [
                "git",
                "archive",
                "--format=tar",
                commit,
                "stacks",
                "components",
                "Pulumi.yaml",
                "Pulumi.dev.yaml",
            ],
            cwd=PROJECT_DIR,
            capture_output=True,
            check=True,
            timeout=60,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip(f"revision {commit} is not in this clone (a shallow checkout?)")
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")


def test_todays_labctl_plans_a_revision_from_before_the_move(tmp_path, dev_plan):
    base = tmp_path / "base"
    _export(BEFORE_THE_MOVE, base)
    assert not (base / "stacks" / "config").exists()  # really the old layout
    code = base_code_dir(tmp_path / "code", planner_code(PROJECT_DIR), base)
    out = tmp_path / "base.json"

    snapshot = _finish(_start_plan(base, "dev", out, code), out, BEFORE_THE_MOVE, "-")

    # The same resources with the same inputs: the move changed no behaviour. Only the new outputs are added
    # (gatewayRoot; the Foundry track's contentFilter and foundryProjects, empty on the dev stack).
    diff = diff_snapshots(snapshot, dev_plan.snapshot(), stack="dev", base_label="old", head_label="new")
    assert [(c.op, c.type) for c in diff.resources] == []
    assert sorted((c.path, c.kind) for c in diff.outputs) == [
        ("contentFilter", "add"),
        ("foundryProjects", "add"),
        ("gatewayRoot", "add"),
    ]
