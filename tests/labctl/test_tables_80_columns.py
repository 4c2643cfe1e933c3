"""`check`, `smoke` and `preflight` in an 80-column terminal (issue 18): no line wider than the terminal, no word
broken inside a cell, no participant or region name cut; columns are dropped (and named) or rows become blocks.

Rich reads the terminal's width from COLUMNS, which is how each CLI test sets 80."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from labctl.cli import app
from labctl.lifecycle.smoke import Probe, ProbeResult
from labctl.lifecycle.smoke_report import render_results
from labctl.project import PROJECT_DIR
from tests.labctl.preflight.test_preflight_cli import FULL
from tests.support.fake_arm import SUBSCRIPTION, catalog, quotas
from tests.support.fake_arm_validation import apim_sku
from tests.support.fake_gateway import FakeGateway
from tests.support.smoke_lab import stack_outputs, write_outputs


@pytest.fixture
def azure(preflight_validation):
    return preflight_validation


@pytest.fixture
def arm(preflight_arm):
    return preflight_arm


@pytest.fixture
def signed_in(preflight_signed_in):
    return preflight_signed_in


NARROW = {"COLUMNS": "80"}
# Box drawing and the table's own punctuation: what separates words besides spaces.
SEPARATORS = re.compile(r"[\s│┃┆╎|─━┌┐└┘├┤┬┴┼╭╮╰╯═║╔╗╚╝╠╣╦╩╬┏┓┗┛┣┫┳┻╋]+")
LONG_NAMES = (
    "maria-del-carmen-rodriguez-lopez",
    "inaki-etxeberria-goikoetxea",
    "jose-alvarez-fernandez",
)
LONG_REGIONS = ("germanywestcentral", "southafricanorth", "australiaeast")


def words(text: str) -> set[str]:
    return {w for w in SEPARATORS.split(text) if w}


def assert_fits(text: str, width: int = 80) -> None:
    too_wide = [line for line in text.splitlines() if len(line) > width]
    assert not too_wide, "\n".join(too_wide)


def assert_whole(text: str, *values: str) -> None:
    """Every word of every value appears whole somewhere: not cut with '…', not folded over two lines."""
    found = words(text)
    missing = [w for v in values for w in v.split() if w.strip(".,:;()") and w not in found]
    assert not missing, f"broken or cut: {missing}\n{text}"


def test_smoke_at_80_columns_keeps_every_participant_and_region_whole() -> None:
    results = [
        ProbeResult(Probe(name, deployment, kind), 200, 0.4321, tokens=12, retries=0, region=region)
        for name, region in zip(LONG_NAMES, LONG_REGIONS, strict=True)
        for deployment, kind in (("chat", "chat"), ("embeddings-large", "embeddings"))
    ]
    results.append(
        ProbeResult(
            Probe(LONG_NAMES[0], "chat", "chat"),
            403,
            0.1,
            cause="PermissionDenied",
            hint="the gateway's identity has no role yet",
            region=LONG_REGIONS[0],
        )
    )
    console = Console(record=True, width=80, color_system=None)
    render_results(results, console, direct=False)
    text = console.export_text()
    assert_fits(text)
    assert_whole(text, *LONG_NAMES, *LONG_REGIONS, "embeddings-large", "PermissionDenied")
    assert "…" not in text


def test_smoke_cli_at_columns_80_with_a_spanish_class(fake_azure, tmp_path: Path) -> None:
    keys = {name: f"k{i}-" + "0123456789abcdef" * 2 for i, name in enumerate(LONG_NAMES)}
    FakeGateway(
        server=fake_azure.server,
        keys={key: name for name, key in keys.items()},
        deployments={"chat": "gpt-5-mini", "embeddings-large": "text-embedding-3-large"},
    ).install()
    outputs = stack_outputs(
        fake_azure.base_url, keys, {"chat": "gpt-5-mini", "embeddings-large": "text-embedding-3-large"}
    )
    path = write_outputs(tmp_path / "outputs.json", outputs)

    result = CliRunner().invoke(app, ["smoke", "--outputs", str(path)], env=NARROW)

    assert result.exit_code == 0, result.output
    assert_fits(result.output)
    assert_whole(result.output, *LONG_NAMES, "embeddings-large")
    # 3 participants x 2 deployments, then every route once with the first key (labctl/lifecycle/smoke_routes.py).
    assert "…" not in result.output and "15/15 calls succeeded" in result.output
    assert all(key not in result.output for key in keys.values())


def test_check_at_80_columns_wraps_between_words(tmp_path: Path) -> None:
    # A class stack with dev's examples left in: violations whose problems and fixes are long sentences.
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml"):
        shutil.copy(PROJECT_DIR / name, tmp_path / name)
    shutil.copy(tmp_path / "Pulumi.dev.yaml", tmp_path / "Pulumi.class-2026-spring.yaml")
    result = CliRunner().invoke(
        app,
        ["check", "--stack", "class-2026-spring", "--project-dir", str(tmp_path), "--today", "2026-12-01"],
        env=NARROW,
    )
    assert result.exit_code == 1, result.output
    json_result = CliRunner().invoke(
        app,
        [
            "check",
            "--stack",
            "class-2026-spring",
            "--project-dir",
            str(tmp_path),
            "--today",
            "2026-12-01",
            "--format",
            "json",
        ],
        env=NARROW,
    )
    violations = json.loads(json_result.stdout)["violations"]
    assert violations
    assert_fits(result.output)
    assert_whole(result.output, *(v["problem"] for v in violations), *(v["resource"] for v in violations))
    assert "…" not in result.output


def test_preflight_at_80_columns_keeps_region_names_whole(project, azure, arm, signed_in) -> None:
    azure.apim_skus.append(apim_sku("BasicV2", list(LONG_REGIONS)))
    text = (project / "Pulumi.dev.yaml").read_text()
    text = text.replace(
        "    - eastus2\n    - eastus\n    - canadaeast\n    - swedencentral\n",
        "".join(f"    - {r}\n" for r in LONG_REGIONS),
    ).replace("  aoai-lab:location: eastus2\n", "")
    (project / "Pulumi.dev.yaml").write_text(text)
    arm.region(LONG_REGIONS[0], catalog(), quotas(FULL))
    for region in LONG_REGIONS[1:]:
        arm.region(region, catalog(), quotas())
    arm_base = arm.base_url

    result = CliRunner().invoke(
        app,
        [
            "preflight",
            "--project-dir",
            str(project),
            "--arm-endpoint",
            arm_base,
            "--subscription",
            SUBSCRIPTION,
        ],
        env=NARROW,
    )

    assert result.exit_code == 0, result.output
    table = result.output.split("Does the lab fit?")[1]
    assert_fits(table)
    assert_whole(table, *LONG_REGIONS, "gpt-5-mini", "text-embedding-3-small", "GlobalStandard")
    assert "…" not in table
