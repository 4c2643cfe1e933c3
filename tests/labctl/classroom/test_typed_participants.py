"""One reading of a participant: `labctl handout` and `labctl usage` show a participant's e-mail, display name,
state and budget as stacks/config validates and normalises them, which is what `pulumi up` deploys; never the
stack file's own spelling, re-read on the side."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from labctl.classroom.handout import Limits
from labctl.cli import app
from labctl.errors import EXIT_OK
from labctl.snapshot import STACK_TYPE, resources
from tests.labctl.classroom.test_class_cli import usage_args
from tests.support.fake_log_analytics import Call, FakeLogAnalytics

# How an instructor may well write an entry (pasted from a spreadsheet, typed by hand): the config accepts each
# value and normalises it (surrounding spaces dropped, fixed choices in the model's case).
AS_TYPED = """    - name: student01
      email: " Student01@Contoso.edu "
      displayName: "  Ana García "
      state: Suspended
      limits: {tokenQuota: 5000, tokenQuotaPeriod: weekly, costCap: 0.5}
"""


def invoke(*args: str):
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})


@pytest.fixture
def typed(project: Path, tmp_path: Path) -> tuple[Path, dict, dict]:
    """(the project, what the program deploys for student01: its gateway subscription's inputs and its
    participantLimits output) from one offline plan of the stack with the entry above."""
    path = project / "Pulumi.dev.yaml"
    text = path.read_text(encoding="utf-8")
    plain = "    - name: student01\n      email: student01@contoso.edu\n"
    assert plain in text  # the dev stack's first participant, replaced below
    path.write_text(text.replace(plain, AS_TYPED), encoding="utf-8")
    snapshot = tmp_path / "plan.json"
    result = invoke("plan", "-q", "--json", str(snapshot), "--project-dir", str(project))
    assert result.exit_code == EXIT_OK, result.output
    planned = resources(json.loads(snapshot.read_text(encoding="utf-8")))
    subscription = next(
        r["inputs"]
        for r in planned
        if r["type"] == "azure-native:apimanagement:Subscription" and r["inputs"].get("sid") == "student01"
    )
    stack = next(r for r in planned if r["type"] == STACK_TYPE)
    return project, subscription, stack["outputs"]["participantLimits"]["student01"]


def test_the_handout_states_the_participant_as_the_program_deploys_them(
    typed: tuple[Path, dict, dict], tmp_path: Path
) -> None:
    project, subscription, budget = typed
    assert subscription["state"] == "suspended"  # `Suspended` in the file
    assert (budget["tokenQuota"], budget["tokenQuotaPeriod"]) == (5000, "Weekly")
    out = tmp_path / "handouts"
    result = invoke(
        "handout",
        "--preview",
        "--outputs",
        str(tmp_path / "plan.json"),
        "--format",
        "csv",
        "--lang",
        "en",
        "--out",
        str(out),
        "--project-dir",
        str(project),
    )
    assert result.exit_code == EXIT_OK, result.output
    rows = {
        r["participant"]: r for r in csv.DictReader(io.StringIO((out / "handout.csv").read_text("utf-8-sig")))
    }
    ana = rows["student01"]
    assert (ana["name"], ana["email"]) == ("Ana García", "Student01@Contoso.edu")
    deployed = Limits(budget.get("tokensPerMinute"), budget["tokenQuota"], budget["tokenQuotaPeriod"])
    assert ana["token_limits"] == deployed.describe()
    # The gateway refuses a suspended participant's key: the instructor is told, whatever case the file used.
    assert "suspended (their keys are refused until resumed): student01" in " ".join(result.output.split())


def test_usage_reports_the_participant_as_the_program_deploys_them(
    typed: tuple[Path, dict, dict], tmp_path: Path, fake_azure, fake_credential, monkeypatch
) -> None:
    from labctl.azure import signin

    project, subscription, budget = typed
    monkeypatch.setattr(signin, "default_credential", lambda environment="public": fake_credential)
    called = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(hours=1)
    FakeLogAnalytics(server=fake_azure.server).install().add_calls(
        [Call(called, "student01", "chat", "gpt-5-mini")]
    )
    result = invoke(*usage_args(project, tmp_path, fake_azure, "--format", "json"))
    assert result.exit_code == EXIT_OK, result.output
    ana = next(p for p in json.loads(result.output)["participants"] if p["participant"] == "student01")
    assert ana["state"] == subscription["state"]
    assert (ana["tokenQuota"], ana["tokenQuotaPeriod"], ana["costCap"]) == (
        budget["tokenQuota"],
        budget["tokenQuotaPeriod"],
        budget["costCap"],
    )
