"""`labctl preflight` validating a spread with Resource Manager (the loopback fake): each region's request is the
account `pulumi up` would declare there once `--write` pins the spread, under the names single-region validation
uses (a deployed lab's own, else the probe suffix)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from labctl.cli import app
from labctl.errors import EXIT_CONFIG
from labctl.plan.runtime import Plan, plan_stack
from labctl.project import load_stack_settings
from tests.support.fake_arm import SUBSCRIPTION, FakeArm, account, catalog, deployment, quotas
from tests.support.fake_arm_validation import FakeArmValidation
from tests.support.plans import ACCOUNT, APIM, DEPLOYMENT

REGIONS = ("eastus2", "eastus", "canadaeast", "swedencentral")
# 8 left of GlobalStandard (below chat's minimum of 10) and no DataZoneStandard: no single region holds the lab.
SPILL = {
    "OpenAI.GlobalStandard.gpt-5-mini": (492, 500),
    "OpenAI.DataZoneStandard.gpt-5-mini": (300, 300),
}
ACCOUNTS = "Microsoft.CognitiveServices/accounts"


def _preflight(project: Path, arm: FakeArm, *args: str):
    argv = ["preflight", "--project-dir", str(project), "--arm-endpoint", arm.base_url]
    return CliRunner().invoke(app, [*argv, "--subscription", SUBSCRIPTION, *args], env={"COLUMNS": "240"})


def _pin_spread(project: Path, spread: list[tuple[str, str]]) -> None:
    path = project / "Pulumi.dev.yaml"
    entries = "".join(f"    - region: {r}\n      capacity: {{{caps}}}\n" for r, caps in spread)
    path.write_text(
        path.read_text().replace("  aoai-lab:location: eastus2\n", f"  aoai-lab:location:\n{entries}")
    )


def _inner(azure: FakeArmValidation, region: str) -> list[dict[str, Any]]:
    body = azure.bodies[f"aoai-lab-preflight-spread-{region}"]
    return body["properties"]["template"]["resources"][1]["properties"]["template"]["resources"]


def _assert_validated_as_declared(azure: FakeArmValidation, plan: Plan, suffix: str) -> None:
    """Every region's request: the account the plan declares there (its name under `suffix`, its properties) and
    its deployments as declared; the gateway in the primary region only."""
    accounts = plan.by_type(ACCOUNT)
    primary = accounts[0]["inputs"]["accountName"]
    assert {a["inputs"]["location"] for a in accounts} == set(REGIONS)
    for declared in (a["inputs"] for a in accounts):
        region = declared["location"]
        # The plan's name under the lab's suffix (the plan's own is a mock's random string).
        name = f"aoai-lab-dev-{suffix}" + declared["accountName"].removeprefix(primary)
        inner = _inner(azure, region)
        assert [(a["name"], a["location"], a["properties"]) for a in inner if a["type"] == ACCOUNTS] == [
            (name, region, {**declared["properties"], "customSubDomainName": name})
        ]
        assert [
            (r["name"], r["sku"], r["properties"]) for r in inner if r["type"] == f"{ACCOUNTS}/deployments"
        ] == [
            (f"{name}/{d['inputs']['deploymentName']}", d["inputs"]["sku"], d["inputs"]["properties"])
            for d in plan.by_type(DEPLOYMENT)
            if d["inputs"]["accountName"] == declared["accountName"]
        ]
        gateways = [r["name"] for r in inner if r["type"] == "Microsoft.ApiManagement/service"]
        assert gateways == ([f"apim-aoai-lab-dev-{suffix}"] if declared["accountName"] == primary else [])
    assert plan.one(APIM)["inputs"]["location"] == accounts[0]["inputs"]["location"]


def test_a_proposed_spread_is_validated_as_pulumi_up_would_declare_it_after_write(
    project: Path, preflight_arm: FakeArm, preflight_validation: FakeArmValidation
) -> None:
    # The stack is in one region: the other regions' accounts are the program's `<primary>-<region>`, with their
    # own share, as the stack file --write leaves declares them.
    for r in REGIONS:
        preflight_arm.region(r, catalog(), quotas(SPILL))
    result = _preflight(project, preflight_arm, "--write")
    assert result.exit_code == 0, result.output
    assert "spread over 4 regions (eastus2 primary)" in " ".join(result.output.split())
    assert load_stack_settings("dev", project).spills_over
    _assert_validated_as_declared(preflight_validation, plan_stack("dev", project), "pf000")
    assert [r["name"] for r in _inner(preflight_validation, "swedencentral") if r["type"] == ACCOUNTS] == [
        "aoai-lab-dev-pf000-swedencentral"
    ]


def test_a_spread_stack_is_validated_as_its_plan_declares_each_regions_account(
    project: Path, preflight_arm: FakeArm, preflight_validation: FakeArmValidation
) -> None:
    # The stack already spreads the way preflight would: each region's request carries that region's account.
    _pin_spread(project, [("eastus2", "chat: 8, embeddings: 50"), *((r, "chat: 8") for r in REGIONS[1:])])
    for r in REGIONS:
        preflight_arm.region(r, catalog(), quotas(SPILL))
    result = _preflight(project, preflight_arm)
    assert result.exit_code == 0, result.output
    assert "spread over 4 regions (eastus2 primary)" in " ".join(result.output.split())
    _assert_validated_as_declared(preflight_validation, plan_stack("dev", project), "pf000")


def test_a_deployed_spread_lab_is_validated_under_its_own_names_in_every_region(
    project: Path, preflight_arm: FakeArm, preflight_validation: FakeArmValidation
) -> None:
    # Deployed over all four regions (suffix x7k2q), its chat using all that is left in each: the spread it holds
    # is validated as the lab it is, as single-region validation does, never under the probe's names.
    _pin_spread(project, [("eastus2", "chat: 8, embeddings: 50"), *((r, "chat: 8") for r in REGIONS[1:])])
    full = {"OpenAI.GlobalStandard.gpt-5-mini": (500, 500), "OpenAI.DataZoneStandard.gpt-5-mini": (300, 300)}
    for r in REGIONS:
        preflight_arm.region(r, catalog(), quotas(full))
        name = "aoai-lab-dev-x7k2q" + ("" if r == "eastus2" else f"-{r}")
        chat = deployment("chat", "gpt-5-mini", "2025-08-07", "GlobalStandard", 8)
        embeddings = deployment("embeddings", "text-embedding-3-small", "1", "GlobalStandard", 50)
        preflight_arm.deployed(
            "rg-aoai-lab-dev",
            account(name, r, "rg-aoai-lab-dev"),
            [chat, embeddings][: 2 if r == "eastus2" else 1],
        )
    result = _preflight(project, preflight_arm)
    assert result.exit_code == 0, result.output
    assert "spread over 4 regions (eastus2 primary)" in " ".join(result.output.split())
    assert "pf000" not in str(preflight_validation.bodies)
    _assert_validated_as_declared(preflight_validation, plan_stack("dev", project), "x7k2q")


def test_a_proposed_spread_the_program_refuses_is_said_and_never_written(
    project: Path, preflight_arm: FakeArm, preflight_validation: FakeArmValidation, monkeypatch
) -> None:
    from labctl.plan import runtime

    planned = runtime.plan_stack

    def refusing_spreads(stack, project_dir, **kwargs):
        if kwargs.get("pinned"):
            raise runtime.PlanError("aoai-lab:location[1]: the [bold]region[/bold] is refused")
        return planned(stack, project_dir, **kwargs)

    monkeypatch.setattr(runtime, "plan_stack", refusing_spreads)
    before = (project / "Pulumi.dev.yaml").read_text()
    for r in REGIONS:
        preflight_arm.region(r, catalog(), quotas(SPILL))
    result = _preflight(project, preflight_arm, "--write")
    out = " ".join(result.output.split())
    assert result.exit_code == EXIT_CONFIG, out
    assert (
        "the program does not take the spread preflight proposes: aoai-lab:location[1]: the [bold]region[/bold] "
        "is refused" in out
    )
    assert (project / "Pulumi.dev.yaml").read_text() == before
    assert not any(name.startswith("aoai-lab-preflight-spread") for name in preflight_validation.bodies)
