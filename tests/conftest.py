"""Shared fixtures: the loopback-only network guard, plans of the dev stack, fake Azure endpoints."""

from __future__ import annotations

import copy
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from labctl.plan.runtime import Plan, plan_stack, run_program
from labctl.project import PROJECT_DIR, read_stack_config, stack_file
from tests.support.network_guard import loopback_only

pytest_plugins = ["tests.support.fake_azure", "tests.support.fake_pulumi", "tests.support.preflight_arm"]


@pytest.fixture(autouse=True, scope="session")
def _loopback_only() -> Iterator[None]:
    # DefaultAzureCredential must never probe IMDS (169.254.169.254) or login hosts from a test.
    os.environ["AZURE_TOKEN_CREDENTIALS"] = "dev"
    with loopback_only():
        yield


# The stack every test acts on unless it names another (--stack) or unsets this: never "the only stack file" of the
# checkout, nor the stack the developer's Pulumi CLI has selected. A class's Pulumi.<class>.yaml committed beside
# Pulumi.dev.yaml (what the README's "Run a class" has instructors do) must not change what a test plans or checks
# (issue 18; tests/test_checkout_stacks.py replays it).
TEST_STACK = "dev"


@pytest.fixture(autouse=True)
def _tests_name_their_stack(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LABCTL_STACK", TEST_STACK)


@pytest.fixture(scope="session")
def dev_plan() -> Plan:
    """The real program with the real Pulumi.dev.yaml under the mock runtime."""
    return plan_stack("dev")


@pytest.fixture(scope="session")
def dev_config() -> dict[str, Any]:
    """Pulumi.dev.yaml's `config:` mapping, as YAML data (copy before changing)."""
    return yaml.safe_load(stack_file("dev").read_text(encoding="utf-8"))["config"]


def _flatten(config: dict[str, Any]) -> dict[str, str]:
    import datetime as dt
    import json

    flat: dict[str, str] = {}
    for key, value in config.items():
        if isinstance(value, str):
            flat[key] = value
        elif isinstance(value, bool):
            flat[key] = "true" if value else "false"
        elif isinstance(value, dt.date):
            flat[key] = value.isoformat()
        elif isinstance(value, int | float):
            flat[key] = str(value)
        else:
            flat[key] = json.dumps(value)
    return flat


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A writable copy of the project's Pulumi.yaml and the real dev stack file (for --project-dir)."""
    folder = tmp_path / "project"
    folder.mkdir()
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml"):
        shutil.copy(PROJECT_DIR / name, folder / name)
    return folder


@pytest.fixture
def plan_with(dev_config: dict[str, Any]) -> Callable[..., Plan]:
    """Plan the dev stack with some config keys replaced (None removes a key)."""

    def make(stack: str = "dev", **changes: Any) -> Plan:
        from stacks.program import run

        config = copy.deepcopy(dev_config)
        for key, value in changes.items():
            full = key if ":" in key else f"aoai-lab:{key}"
            if value is None:
                config.pop(full, None)
            else:
                config[full] = value
        return run_program(run, project="aoai-lab", stack=stack, config=_flatten(config))

    return make


__all__ = ["PROJECT_DIR", "read_stack_config"]
