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

    # The move changed no behaviour; what differs is the gateway work that landed after it (issue 9): the API's
    # declared operations, the policy with token limits, LLM logging through the generic resource instead of the
    # 2024-05-01 API diagnostic and a created logger, the saved queries on the LLM log, the workbook, new outputs;
    # and the class work (issue 11): keys generated in the program (a password per participant, set as the
    # subscription's primary key) and no e-mail in the subscription's display name.
    diff = diff_snapshots(snapshot, dev_plan.snapshot(), stack="dev", base_label="old", head_label="new")
    assert sorted((c.op, c.name) for c in diff.resources) == [
        ("create", "gateway-api-diagnostic"),  # azure-native:resources:Resource
        ("create", "gateway-azuremonitor-logger"),  # the Incremental ARM deployment that puts the logger
        ("create", "gateway-class-paused"),  # the named value `labctl class pause --now` flips (issue 20)
        ("create", "gateway-key-student01"),
        ("create", "gateway-key-student02"),
        ("create", "monitoring-query-limit-refusals-by-participant"),
        ("create", "monitoring-query-tokens-by-operation"),
        ("create", "monitoring-query-tokens-by-participant-and-model"),
        ("create", "monitoring-query-top-consumers-today"),
        ("create", "monitoring-workbook"),
        # Students reach the models through the gateway only (issue 16): no role on the account any more.
        ("delete", "access-workshop-students-cognitive-services-openai-user"),
        ("delete", "gateway-api-diagnostic"),  # azure-native:apimanagement:ApiDiagnostic
        ("delete", "gateway-logger"),
        ("delete", "monitoring-query-tokens-by-subscription-and-model"),
        ("update", "gateway-api"),
        ("update", "gateway-api-policy"),
        ("update", "gateway-product"),  # no self-service subscriptions (issue 16)
        ("update", "gateway-sub-student01"),
        ("update", "gateway-sub-student02"),
        ("update", "monitoring-query-latency-by-operation"),
        ("update", "monitoring-query-throttling-rate"),
        ("update", "monitoring-query-tokens-by-ip-and-model"),
    ]
    for change in diff.resources:
        if change.name.startswith("gateway-sub-"):
            assert sorted(p.path for p in change.properties) == ["displayName", "primaryKey"]
    assert [(c.path, c.kind) for c in diff.outputs] == [
        ("accountRegions", "add"),  # the regions of a lab spread over several (issue 12)
        ("contentFilter", "add"),  # the Foundry track (issue 13): empty on the dev stack
        ("foundryProjects", "add"),
        ("gatewayRoot", "add"),
        ("gatewayV1Url", "add"),
        ("labName", "add"),  # the stack and lab the outputs belong to (issue 20: handout refuses another's)
        ("openaiEnv.OPENAI_API_VERSION", "update"),
        ("openaiEnv.OPENAI_BASE_URL", "add"),
        ("openaiEnvShell", "update"),
        ("participantLimits", "add"),
        ("stack", "add"),
    ]
