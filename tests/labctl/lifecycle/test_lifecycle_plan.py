"""What `labctl plan` says about a lab's lifecycle: the past-expiry warning, and the names `labctl purge` relies on."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import yaml
from rich.console import Console
from typer.testing import CliRunner

from labctl.cli import app
from labctl.plan.render import render_plan
from labctl.project import PROJECT_DIR, lab_identity
from stacks.naming import LabIdentity


def test_past_expiry_is_warned_in_the_plan(plan_with):
    plan = plan_with(expiresOn="2020-01-01")

    expiry = [w for w in plan.warnings if "expired" in w]
    assert expiry == [
        "this lab expired on 2020-01-01 (aoai-lab:expiresOn): tear it down with `labctl down`, or move the date "
        "if the class goes on."
    ]
    console = Console(record=True, width=200)
    render_plan(plan, console)
    assert "warning: this lab expired on 2020-01-01" in console.export_text()


def test_future_expiry_is_not_warned(plan_with):
    soon = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    assert not [w for w in plan_with(expiresOn=soon).warnings if "expired" in w]


def test_labctl_plan_quiet_still_shows_the_expiry_warning(tmp_path: Path):
    shutil.copy(PROJECT_DIR / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    doc = yaml.safe_load((PROJECT_DIR / "Pulumi.dev.yaml").read_text(encoding="utf-8"))
    doc["config"]["aoai-lab:expiresOn"] = "2020-01-01"
    (tmp_path / "Pulumi.dev.yaml").write_text(yaml.safe_dump(doc), encoding="utf-8")

    result = CliRunner().invoke(
        app, ["plan", "--quiet", "--project-dir", str(tmp_path)], env={"COLUMNS": "200"}
    )

    assert result.exit_code == 0, result.output
    assert "warning: this lab expired on 2020-01-01" in result.output


def test_purge_recognises_the_names_and_tags_the_program_gives(dev_plan):
    """stacks/naming.py holds the naming rules of stacks/lab.py and the tools; if they drift, purge would miss the lab."""
    lab = lab_identity("dev")
    assert lab == LabIdentity(project="aoai-lab", stack="dev", environment="public")
    account = dev_plan.one("azure-native:cognitiveservices:Account")["inputs"]
    gateway = dev_plan.one("azure-native:apimanagement:ApiManagementService")["inputs"]
    rg = dev_plan.one("azure-native:resources:ResourceGroup")["inputs"]

    assert lab.account_name_re.match(account["accountName"])
    assert lab.gateway_name_re.match(gateway["serviceName"])
    assert rg["resourceGroupName"] == lab.resource_group
    assert lab.tags.items() <= account["tags"].items()
    assert lab.tags.items() <= gateway["tags"].items()
    # Another stack's resources never match.
    other = LabIdentity(project="aoai-lab", stack="dev-2")
    assert not lab.account_name_re.match(account["accountName"].replace("-dev-", "-dev-2-"))
    assert not other.account_name_re.match(account["accountName"])
