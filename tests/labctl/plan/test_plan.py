"""`labctl plan`: the real program under the mock runtime, its snapshot and its errors."""

from __future__ import annotations

import json
import os
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

from labctl.plan.runtime import STACK_TYPE, PlanError, run_program
from labctl.project import PROJECT_DIR


def _labctl(*args: str, cwd: Path = PROJECT_DIR) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "labctl.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_snapshot_has_the_shape_of_pulumi_stack_export(dev_plan):
    snap = dev_plan.snapshot()
    resources = snap["deployment"]["resources"]
    stack = resources[0]
    assert stack["type"] == STACK_TYPE and stack["custom"] is False
    urns = {r["urn"] for r in resources}
    for r in resources:
        assert set(r) <= {
            "urn",
            "type",
            "custom",
            "parent",
            "dependencies",
            "inputs",
            "outputs",
            "additionalSecretOutputs",
        }
        assert r["urn"].startswith("urn:pulumi:dev::aoai-lab::")
        if r["type"] != STACK_TYPE:
            assert r["parent"] in urns
        assert all(d in urns for d in r["dependencies"])
        # Everything a resource depends on comes before it, as in a real checkpoint.
        for d in r["dependencies"]:
            assert resources.index(next(x for x in resources if x["urn"] == d)) < resources.index(r)
    assert stack["outputs"]["gatewayUrl"].startswith("https://")


def test_inputs_are_camel_case_as_the_provider_receives_them(dev_plan):
    for r in dev_plan.resources:
        for key in r["inputs"]:
            assert "_" not in key or key.startswith("__"), (r["urn"], key)


def test_two_runs_give_byte_identical_files(tmp_path):
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    assert _labctl("plan", "--json", str(first), "--quiet").returncode == 0
    assert _labctl("plan", "--json", str(second), "--quiet").returncode == 0
    assert first.read_bytes() == second.read_bytes()
    data = json.loads(first.read_text())
    assert data["deployment"]["resources"][0]["outputs"]["participantKeys"] == "[secret]"


def test_plan_prints_the_tree_and_a_summary():
    result = _labctl("plan")
    assert result.returncode == 0, result.stderr
    assert "azure-native:cognitiveservices:Account" in result.stdout
    assert "deploymentName=chat" in result.stdout
    assert "Azure resources" in result.stdout and "would be created" in result.stdout


def _bad_project(tmp_path: Path) -> Path:
    for name in ("Pulumi.yaml",):
        (tmp_path / name).write_text((PROJECT_DIR / name).read_text())
    text = (PROJECT_DIR / "Pulumi.dev.yaml").read_text()
    text = text.replace("capacity: 50", "capacity: -1", 1).replace("roleSet: student", "roleSet: pupil")
    (tmp_path / "Pulumi.dev.yaml").write_text(text)
    return tmp_path


def test_bad_config_exits_non_zero_with_the_message_and_no_traceback(tmp_path):
    result = _labctl("plan", "--project-dir", str(_bad_project(tmp_path)))
    assert result.returncode == 3  # config error (labctl/errors.py)
    assert "aoai-lab:deployments[0].capacity" in result.stderr
    assert "aoai-lab:people[1].roleSet" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert "Azure resources" not in result.stdout  # nothing declared


def test_missing_stack_file(tmp_path):
    (tmp_path / "Pulumi.yaml").write_text((PROJECT_DIR / "Pulumi.yaml").read_text())
    result = _labctl("plan", "--stack", "prod", "--project-dir", str(tmp_path))
    assert result.returncode == 3  # config error (labctl/errors.py)
    assert "stack 'prod' (from --stack) has no Pulumi.prod.yaml" in " ".join(result.stderr.split())
    assert "Traceback" not in result.stderr


def test_pulumi_up_entry_point_declares_nothing_on_bad_config():
    """__main__.py (what `pulumi up` runs) raises RunError before any resource is registered."""
    config = {"aoai-lab:owner": "nobody", "aoai-lab:regions": "[]", "azure-native:location": "eastus2"}
    with pytest.raises(PlanError) as info:
        run_program(
            lambda: runpy.run_path(str(PROJECT_DIR / "__main__.py")),
            project="aoai-lab",
            stack="dev",
            config=config,
        )
    message = str(info.value)
    assert "aoai-lab:owner" in message and "aoai-lab:regions" in message and "aoai-lab:expiresOn" in message
    assert "Traceback" not in message


def test_pulumi_up_entry_point_declares_the_lab():
    from labctl.project import read_stack_config

    config, _ = read_stack_config("dev")
    plan = run_program(
        lambda: runpy.run_path(str(PROJECT_DIR / "__main__.py")),
        project="aoai-lab",
        stack="dev",
        config=config,
    )
    assert len(plan.by_type("azure-native:cognitiveservices:Deployment")) == 2


def test_only_azure_native_api_version_aliases_are_skipped():
    import pulumi

    from labctl.plan.shortcuts import is_api_version_alias

    assert is_api_version_alias(pulumi.Alias(type_="azure-native:apimanagement/v20240501:Subscription"))
    assert is_api_version_alias(pulumi.Alias(type_="azure-native:cognitiveservices/v20230501preview:Account"))
    # Renames the project itself declares must still reach the engine.
    assert not is_api_version_alias(pulumi.Alias(name="old-gateway"))
    assert not is_api_version_alias(pulumi.Alias(type_="aoai-lab:components:Gateway"))
    assert not is_api_version_alias(
        pulumi.Alias(type_="azure-native:apimanagement/v20240501:Subscription", name="old")
    )


def test_a_plan_leaves_no_unclosed_event_loop() -> None:
    # An event loop nobody closed is freed by the cyclic GC, in any order; when its self-pipe socket goes first,
    # Python prints "Exception ignored in: BaseEventLoop.__del__ ... Invalid file descriptor: -1" after the
    # command. Every loop the plan makes must be closed by the plan: the GC then finds none to warn about.
    import gc
    import warnings

    from labctl.plan.runtime import plan_stack

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        plan_stack("dev")
        gc.collect()
    assert [str(w.message) for w in caught if "unclosed event loop" in str(w.message)] == []
