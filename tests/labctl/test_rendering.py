"""Text from the stack file, the outputs or Azure is printed as it is: never read as rich markup (a name like
`[/x]` would crash rich with MarkupError, `[ta] maria` would lose text), and errors carry no literal markup."""

from __future__ import annotations

import copy
from pathlib import Path

from rich.console import Console
from typer.testing import CliRunner

from labctl.cli import app
from labctl.errors import EXIT_CONFIG
from labctl.guardrails.model import Rule, Violation
from labctl.guardrails.report import check_table
from labctl.plan.render import render_plan

USER_TEXT = "[/x] [ta] maria [bold]"


def test_plan_tree_prints_names_and_values_as_they_are(dev_plan) -> None:
    plan = copy.deepcopy(dev_plan)
    for r in plan.resources:
        if r["type"] == "azure-native:resources:ResourceGroup":
            r["urn"] = r["urn"].rsplit("::", 1)[0] + "::" + USER_TEXT
            r["inputs"]["location"] = USER_TEXT
    plan.warnings = [f"warning text {USER_TEXT}"]
    console = Console(record=True, width=400)
    render_plan(plan, console)
    text = console.export_text()
    assert text.count(USER_TEXT) >= 3


def test_guardrail_table_prints_messages_as_they_are(capsys, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "400")
    rule = Rule(
        id="tags", severity="mandatory", scope="resource", title="t", rationale="r", fix=f"fix {USER_TEXT}"
    )
    violation = Violation(
        rule=rule, urn=f"urn:pulumi:dev::aoai-lab::x::{USER_TEXT}", message=f"bad {USER_TEXT}"
    )
    check_table("dev", [violation], 1)
    out = " ".join(capsys.readouterr().out.split())
    assert out.count("[/x] [ta] maria") >= 2


def test_errors_have_no_literal_markup(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: aoai-lab\nruntime: python\n", encoding="utf-8")
    (tmp_path / "Pulumi.dev.yaml").write_text("config:\n  aoai-lab:owner: '[red]x[/red]'\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["plan", "--stack", "dev", "--project-dir", str(tmp_path)])
    assert result.exit_code == EXIT_CONFIG
    assert result.output.startswith("error: ")
    assert "[/red]error" not in result.output and "[red]error" not in result.output
    # The user's own text is shown as typed.
    assert "'[red]x[/red]' is not an e-mail address" in result.output
