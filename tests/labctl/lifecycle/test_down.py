"""`labctl down`: destroy through the Automation API, then purge; offline with a stand-in `pulumi` executable.

The real `pulumi destroy` against Azure cannot run here (no CLI binary, no Azure account): the stand-in records what
the Automation API asks the CLI to do, which is what can be checked offline.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from labctl.cli import app
from labctl.errors import EXIT_AZURE, EXIT_USAGE, AzureError, LabctlError
from labctl.lifecycle.down import DownError, destroy_with_automation_api, down_command
from labctl.project import PROJECT_DIR
from stacks.naming import LabIdentity


@pytest.fixture
def run_down(monkeypatch):
    """down_command with the purge's two steps replaced by recorders (the real ones: see the end-to-end tests)."""
    from labctl.lifecycle import purge

    def run(*, destroy=None, purge_code: int = 0, yes: bool = True, answer: bool = True, prepare_error=None):
        console = Console(record=True, width=200)
        events: list[str] = []

        def prepare(identity, subscription, arm_endpoint):
            events.append("prepare purge")
            if prepare_error is not None:
                raise prepare_error
            return purge.PurgeSession(identity, "5f1e2d3c-4b5a-4697-8877-665544332211", None, None)

        def run_purge(session, **kw) -> int:
            events.append("purge")
            return purge_code

        monkeypatch.setattr(purge, "prepare_purge", prepare)
        monkeypatch.setattr(purge, "run_purge", run_purge)

        def fake_destroy(stack: str, project_dir: Path, on_output) -> None:
            events.append(f"destroy {stack}")
            on_output("Resources:\n    - 42 deleted\n")

        def confirm(question: str) -> bool:
            events.append("confirm: " + question)
            return answer

        try:
            code = down_command(
                identity=LabIdentity("aoai-lab", "dev"),
                project_dir=PROJECT_DIR,
                subscription=None,
                arm_endpoint=None,
                yes=yes,
                wait=0,
                console=console,
                err_console=console,
                confirm=confirm,
                destroy=destroy or fake_destroy,
            )
        except LabctlError as exc:
            code = exc
        return code, events, console.export_text()

    return run


def test_missing_pulumi_cli_is_a_clear_error_and_nothing_runs(no_pulumi, run_down):
    error, events, _ = run_down()

    assert isinstance(error, LabctlError) and error.exit_code == EXIT_AZURE
    assert events == []
    assert "Pulumi CLI is not installed" in str(error)
    assert "get.pulumi.com" in str(error) and "pulumi.com/docs/install" in str(error)


def test_destroy_runs_before_the_purge(fake_pulumi, run_down):
    code, events, text = run_down(purge_code=0)

    assert code == 0
    assert events == ["prepare purge", "destroy dev", "purge"]
    assert "42 deleted" in text


def test_purge_exit_code_is_the_result(fake_pulumi, run_down):
    code, events, _ = run_down(purge_code=1)

    assert code == 1
    assert events[-1] == "purge"


def test_a_failed_destroy_stops_before_the_purge(fake_pulumi, run_down):
    def failing(stack, project_dir, on_output):
        raise DownError("`pulumi destroy` of stack dev failed; nothing was purged.")

    error, events, _ = run_down(destroy=failing)

    assert isinstance(error, DownError) and error.exit_code == EXIT_AZURE
    assert "purge" not in events
    assert "nothing was purged" in str(error)


def test_a_purge_that_cannot_be_prepared_stops_before_destroying(fake_pulumi, run_down):
    error, events, _ = run_down(prepare_error=AzureError("no subscription given. Fix: ..."))

    assert isinstance(error, AzureError)
    assert events == ["prepare purge"]


def test_nothing_is_destroyed_unless_confirmed(fake_pulumi, run_down):
    code, events, text = run_down(yes=False, answer=False)

    assert code == 1
    assert events[0] == "prepare purge" and len(events) == 2
    # The question names what it acts on: the stack, the subscription and the resource group.
    assert events[1].startswith(
        "confirm: Destroy every resource of stack dev (subscription 5f1e2d3c-4b5a-4697-8877-665544332211, "
        "resource group rg-aoai-lab-dev)"
    )
    assert "Nothing destroyed" in text


def test_automation_api_destroys_the_selected_stack_of_the_project(fake_pulumi):
    lines: list[str] = []

    destroy_with_automation_api("dev", PROJECT_DIR, lines.append)

    commands = fake_pulumi.commands()
    assert ["stack", "select", "--stack", "dev"] in commands
    destroy = next(c for c in commands if c[0] == "destroy")
    assert "--yes" in destroy and "--skip-preview" in destroy
    assert destroy[destroy.index("--stack") + 1] == "dev"
    # It runs the project's own program from its folder (not an inline program).
    assert all(i["cwd"] == str(PROJECT_DIR) for i in fake_pulumi.invocations() if i["args"][0] != "version")
    assert any("42 deleted" in line for line in lines)


def test_automation_api_failure_becomes_a_down_error(fake_pulumi, monkeypatch):
    monkeypatch.setenv(
        "FAKE_PULUMI_DESTROY_FAIL", "the current deployment has 1 resource(s) with pending operations"
    )

    with pytest.raises(DownError, match="pending operations"):
        destroy_with_automation_api("dev", PROJECT_DIR, lambda _: None)


def test_cli_down_without_pulumi_says_how_to_install(no_pulumi, monkeypatch):
    monkeypatch.setenv("AZURE_SUBSCRIPTION_ID", "5f1e2d3c-4b5a-4697-8877-665544332211")

    result = CliRunner().invoke(app, ["down", "--stack", "dev", "--yes"], env={"COLUMNS": "200"})

    assert result.exit_code == EXIT_AZURE
    assert "Pulumi CLI is not installed" in result.output


def test_cli_down_yes_needs_an_explicit_stack(fake_pulumi):
    result = CliRunner().invoke(app, ["down", "--yes"], env={"COLUMNS": "200"})

    assert result.exit_code == EXIT_USAGE
    assert "--stack dev" in result.output
    assert not any(c[0] == "destroy" for c in fake_pulumi.commands())


def test_cli_down_asks_for_the_stack_name(project, deleted_arm, fake_pulumi):
    deleted_arm.items = _lab_leftovers()
    argv = ["down", "--project-dir", str(project), "--arm-endpoint", deleted_arm.base, "--wait", "0"]

    refused = CliRunner().invoke(app, argv, input="yes\n", env={"COLUMNS": "200"})

    assert refused.exit_code == 1, refused.output
    assert "Type the stack name (dev)" in refused.output and "Nothing destroyed" in refused.output
    assert not any(c[0] == "destroy" for c in fake_pulumi.commands())

    typed = CliRunner().invoke(app, argv, input="dev\n", env={"COLUMNS": "200"})

    assert typed.exit_code == 0, typed.output
    assert deleted_arm.items == []


# ---- end to end: the CLI, the Automation API driving the stand-in `pulumi`, then the real purge ----


@pytest.fixture
def deleted_arm(fake_azure, fake_credential, monkeypatch):
    from labctl.azure import signin as azure_clients
    from tests.support.fake_arm_deleted import SUBSCRIPTION, FakeDeletedArm

    monkeypatch.setattr(azure_clients, "default_credential", lambda environment="public": fake_credential)
    monkeypatch.setenv("AZURE_SUBSCRIPTION_ID", SUBSCRIPTION)
    return FakeDeletedArm(server=fake_azure.server).install()


def _lab_leftovers(**kw):
    from tests.support.fake_arm_deleted import Deleted

    tags = {"pulumi-project": "aoai-lab", "pulumi-stack": "dev"}
    return [
        Deleted("account", "aoai-lab-dev-x7k2q", "eastus2", "rg-aoai-lab-dev", tags=tags),
        Deleted("gateway", "apim-aoai-lab-dev-x7k2q", "eastus2", "rg-aoai-lab-dev", **kw),
    ]


def down_cli(project: Path, arm, *args: str):
    argv = [
        "down",
        "--stack",
        "dev",
        "--yes",
        "--project-dir",
        str(project),
        "--arm-endpoint",
        arm.base,
        *args,
    ]
    return CliRunner().invoke(app, argv, env={"COLUMNS": "200"})


def test_cli_down_destroys_then_purges_for_real(project, deleted_arm, fake_pulumi):
    deleted_arm.items = _lab_leftovers()

    result = down_cli(project, deleted_arm, "--wait", "0")

    assert result.exit_code == 0, result.output
    destroy = next(c for c in fake_pulumi.commands() if c[0] == "destroy")
    assert destroy[destroy.index("--stack") + 1] == "dev"
    # The purge really ran, with the real clients, after the destroy.
    assert sorted(deleted_arm.deletes) == [
        ("account", "aoai-lab-dev-x7k2q"),
        ("gateway", "apim-aoai-lab-dev-x7k2q"),
    ]
    assert deleted_arm.items == []
    out = result.output
    assert (
        out.index("42 deleted")
        < out.index("purge soft-deleted resources")
        < out.index("Nothing of aoai-lab/dev")
    )


def test_cli_down_honours_wait_for_items_still_deleting(project, deleted_arm, fake_pulumi):
    # Right after a destroy the gateway's soft delete is still running (409 once): --wait keeps retrying it.
    deleted_arm.items = _lab_leftovers(behaviour="conflict-once")
    waited = down_cli(project, deleted_arm, "--wait", "0.3")
    assert waited.exit_code == 0, waited.output
    assert deleted_arm.deletes.count(("gateway", "apim-aoai-lab-dev-x7k2q")) == 2
    assert deleted_arm.items == []


def test_cli_down_without_wait_leaves_the_item_for_a_rerun(project, deleted_arm, fake_pulumi):
    deleted_arm.items = _lab_leftovers(behaviour="conflict-once")
    result = down_cli(project, deleted_arm, "--wait", "0")
    assert result.exit_code == 1, result.output
    assert deleted_arm.deletes.count(("gateway", "apim-aoai-lab-dev-x7k2q")) == 1
    assert "still deleting" in result.output
    assert "Run `labctl purge --stack dev` again" in " ".join(result.output.split())


def test_cli_down_checks_the_sign_in_before_destroying_anything(
    project, fake_azure, fake_pulumi, monkeypatch
):
    from azure.identity import CredentialUnavailableError

    from labctl.azure import signin as azure_clients
    from tests.support.fake_arm_deleted import SUBSCRIPTION

    class SignedOut:
        def get_token(self, *scopes, **kwargs):
            raise CredentialUnavailableError("DefaultAzureCredential failed to retrieve a token")

    monkeypatch.setattr(azure_clients, "default_credential", lambda environment="public": SignedOut())
    monkeypatch.setenv("AZURE_SUBSCRIPTION_ID", SUBSCRIPTION)

    result = CliRunner().invoke(
        app, ["down", "--stack", "dev", "--yes", "--project-dir", str(project)], env={"COLUMNS": "200"}
    )

    assert result.exit_code == EXIT_AZURE
    assert "not signed in to Azure" in result.output
    assert not any(c[0] == "destroy" for c in fake_pulumi.commands())


def test_cli_down_with_an_unreachable_resource_manager_fails_clearly(
    project, deleted_arm, fake_pulumi, monkeypatch
):
    import functools

    from labctl.azure.resilience import ArmGuard
    from labctl.lifecycle import purge

    # No retries of the refused connection (3 s of back-off): the guard sets the retries of every client.
    monkeypatch.setattr(purge, "ArmGuard", functools.partial(ArmGuard, retry_total=0))

    result = CliRunner().invoke(
        app,
        [
            "down",
            "--stack",
            "dev",
            "--yes",
            "--project-dir",
            str(project),
            "--arm-endpoint",
            "https://127.0.0.1:9",
            "--wait",
            "0",
        ],
        env={"COLUMNS": "200"},
    )

    assert result.exit_code == EXIT_AZURE
    assert isinstance(result.exception, SystemExit)  # no traceback
    text = " ".join(result.output.split())
    assert "no answer from Azure Resource Manager" in text
    assert "Run `labctl purge --stack dev` again" in text


def test_cli_down_format_json_reports_what_was_destroyed_and_purged(
    project, deleted_arm, fake_pulumi, tmp_path
):
    deleted_arm.items = _lab_leftovers()
    report_file = tmp_path / "reports" / "down.json"

    result = down_cli(project, deleted_arm, "--wait", "0", "--format", "json", "-o", str(report_file))

    assert result.exit_code == 0, result.output
    report = json.loads(report_file.read_text(encoding="utf-8"))
    assert report["stack"] == "dev" and report["resourceGroup"] == "rg-aoai-lab-dev"
    assert report["destroyed"] == {"resourceChanges": {"delete": 42}}  # Pulumi's own summary of the destroy
    assert sorted((r["kind"], r["name"]) for r in report["purge"]["found"]) == [
        ("account", "aoai-lab-dev-x7k2q"),
        ("gateway", "apim-aoai-lab-dev-x7k2q"),
    ]
    assert report["purge"]["results"] and report["exitCode"] == 0
    # stdout is the JSON (here: `-`), the people's progress goes elsewhere; nothing of a key or secret in it.
    deleted_arm.items = _lab_leftovers()
    to_stdout = down_cli(project, deleted_arm, "--wait", "0", "--format", "json", "-o", "-")
    assert to_stdout.exit_code == 0, to_stdout.output
    assert json.loads(to_stdout.stdout)["destroyed"] == {"resourceChanges": {"delete": 42}}
    assert "key" not in to_stdout.stdout.lower() and "secret" not in to_stdout.stdout.lower()


def test_cli_down_format_json_needs_yes(fake_pulumi, project):
    result = CliRunner().invoke(
        app,
        ["down", "--stack", "dev", "--format", "json", "--project-dir", str(project)],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == EXIT_USAGE
    assert "--format json goes with --yes" in result.output
    assert not any(c[0] == "destroy" for c in fake_pulumi.commands())
