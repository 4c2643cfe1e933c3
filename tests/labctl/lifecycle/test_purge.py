"""`labctl purge` against a fake ARM on loopback HTTPS, with the real azure-mgmt clients and their LRO pollers."""

from __future__ import annotations

import pytest
from rich.console import Console
from typer.testing import CliRunner

from labctl.azure import signin as azure_clients
from labctl.azure.signin import arm_target, resolve_subscription
from labctl.cli import app
from labctl.errors import EXIT_AZURE, EXIT_USAGE, AzureError
from labctl.lifecycle.purge import mgmt_clients, purge_command
from labctl.lifecycle.soft_deleted import find_soft_deleted
from stacks.naming import LabIdentity
from tests.support.fake_arm_deleted import SUBSCRIPTION, Deleted, FakeDeletedArm

LAB = LabIdentity(project="aoai-lab", stack="dev")
LAB_TAGS = {"pulumi-project": "aoai-lab", "pulumi-stack": "dev", "owner": "ana@contoso.edu"}


def lab_account(name: str = "aoai-lab-dev-x7k2q", **kw) -> Deleted:
    return Deleted("account", name, "eastus2", "rg-aoai-lab-dev", tags=dict(LAB_TAGS), **kw)


def lab_gateway(name: str = "apim-aoai-lab-dev-x7k2q", **kw) -> Deleted:
    return Deleted("gateway", name, "eastus2", "rg-aoai-lab-dev", **kw)


@pytest.fixture
def arm(fake_azure) -> FakeDeletedArm:
    return FakeDeletedArm(server=fake_azure.server).install()


def run_purge(
    arm: FakeDeletedArm, credential, *, yes: bool = True, answer: bool = True, **kw
) -> tuple[int, str]:
    console = Console(record=True, width=220)
    asked: list[str] = []

    def confirm(question: str) -> bool:
        asked.append(question)
        return answer

    code = purge_command(
        identity=LAB,
        subscription_id=SUBSCRIPTION,
        credential=credential,
        target=arm_target(override=arm.base),
        yes=yes,
        console=console,
        err_console=console,
        confirm=confirm,
        **{"polling_interval": 0.01, "conflict_retry_s": 0.05, **kw},
    )
    text = console.export_text()
    if asked:
        text = "ASKED: " + " | ".join(asked) + "\n" + text
    return code, text


def test_only_the_labs_own_soft_deleted_resources_are_matched(arm, fake_credential):
    arm.items = [
        lab_account(),
        lab_gateway(),
        # Another stack of the same project: the anchored name pattern keeps it out.
        Deleted(
            "account",
            "aoai-lab-dev2-x7k2q",
            "eastus2",
            "rg-aoai-lab-dev2",
            tags={**LAB_TAGS, "pulumi-stack": "dev2"},
        ),
        # A stack whose name begins with the lab's (`dev-teams`): its word is no suffix, its suffix no region.
        Deleted(
            "account",
            "aoai-lab-dev-teams-k3m9p",
            "eastus2",
            "rg-aoai-lab-dev-teams",
            tags={**LAB_TAGS, "pulumi-stack": "dev-teams"},
        ),
        Deleted("account", "aoai-lab-dev-teams-k3m9p-swedencentral", "swedencentral", "rg-x", tags=None),
        # The lab's name pattern, but someone else's tags or no tags: never purged.
        Deleted("account", "aoai-lab-dev-zz999", "eastus2", "rg-other", tags={"pulumi-project": "other"}),
        Deleted("account", "aoai-lab-dev-aa111", "eastus2", "rg-other", tags=None),
        Deleted("gateway", "apim-aoai-lab-dev-bb222", "eastus2", "rg-someone-else"),
        # Unrelated resources of the subscription.
        Deleted("account", "contoso-prod-openai", "swedencentral", "rg-prod", tags={"env": "prod"}),
        Deleted("gateway", "apim-contoso-prod", "swedencentral", "rg-prod"),
    ]
    with mgmt_clients(fake_credential, SUBSCRIPTION, arm_target(override=arm.base)) as (cs, apim):
        found = find_soft_deleted(LAB, cs, apim)

    assert [(i.kind, i.name, i.location, i.resource_group) for i in found.ours] == [
        ("account", "aoai-lab-dev-x7k2q", "eastus2", "rg-aoai-lab-dev"),
        ("gateway", "apim-aoai-lab-dev-x7k2q", "eastus2", "rg-aoai-lab-dev"),
    ]
    assert sorted(i.name for i, _ in found.lookalikes) == [
        "aoai-lab-dev-aa111",
        "aoai-lab-dev-zz999",
        "apim-aoai-lab-dev-bb222",
    ]
    assert arm.deletes == []


def test_purge_accepted_with_202_is_polled_to_completion(arm, fake_credential):
    arm.items = [
        lab_account(polls=2),
        lab_gateway(polls=2),
        Deleted("account", "contoso-prod-openai", "eastus2", "rg-prod"),
    ]

    code, text = run_purge(arm, fake_credential)

    assert code == 0, text
    assert sorted(arm.deletes) == [("account", "aoai-lab-dev-x7k2q"), ("gateway", "apim-aoai-lab-dev-x7k2q")]
    # The pollers followed Azure-AsyncOperation (account) and Location (gateway) until done.
    assert arm.status_polls >= 6
    assert [i.name for i in arm.items] == ["contoso-prod-openai"]
    assert "purged" in text
    assert "Nothing of aoai-lab/dev is left soft-deleted" in text


def test_purge_is_idempotent(arm, fake_credential):
    arm.items = [lab_account(), lab_gateway()]
    assert run_purge(arm, fake_credential)[0] == 0
    arm.deletes.clear()

    code, text = run_purge(arm, fake_credential)

    assert code == 0
    assert arm.deletes == []
    assert "Nothing to purge" in text


def test_already_gone_counts_as_done(arm, fake_credential):
    arm.items = [lab_account(behaviour="gone"), lab_gateway()]

    code, text = run_purge(arm, fake_credential)

    assert code == 0, text
    assert "already gone" in text


def test_still_deleting_is_reported_and_left_for_a_rerun(arm, fake_credential):
    arm.items = [lab_account(), lab_gateway(behaviour="conflict")]

    code, text = run_purge(arm, fake_credential)

    assert code == 1
    assert "still deleting" in text
    assert "run `labctl purge` again" in text
    assert [i.name for i in arm.items] == ["apim-aoai-lab-dev-x7k2q"]
    assert "Still soft-deleted" in text


def test_still_deleting_is_retried_while_waiting(arm, fake_credential):
    arm.items = [lab_gateway(behaviour="conflict-once")]

    code, text = run_purge(arm, fake_credential, conflict_wait_s=5)

    assert code == 0, text
    assert arm.deletes == [("gateway", "apim-aoai-lab-dev-x7k2q"), ("gateway", "apim-aoai-lab-dev-x7k2q")]


def test_one_failure_does_not_stop_the_others_and_the_summary_says_what_is_left(arm, fake_credential):
    arm.items = [
        lab_account(),
        lab_account("aoai-lab-dev-q9w8e", behaviour="forbidden"),
        lab_account("aoai-lab-dev-r5t6y", behaviour="fail-async"),
        lab_gateway(),
    ]

    code, text = run_purge(arm, fake_credential)

    assert code == 1
    assert len(arm.deletes) == 4
    assert sorted(i.name for i in arm.items) == ["aoai-lab-dev-q9w8e", "aoai-lab-dev-r5t6y"]
    assert "AuthorizationFailed" in text
    left = text.split("Still soft-deleted", 1)[1]
    assert "aoai-lab-dev-q9w8e" in left and "aoai-lab-dev-r5t6y" in left
    assert "aoai-lab-dev-x7k2q" not in left


def test_nothing_is_purged_unless_confirmed(arm, fake_credential):
    arm.items = [lab_account(), lab_gateway()]

    code, text = run_purge(arm, fake_credential, yes=False, answer=False)

    assert code == 1
    # The question names the stack, the subscription and the resource group it acts on.
    assert text.startswith(
        f"ASKED: Purge these 2 resources of stack dev (subscription {SUBSCRIPTION}, resource group rg-aoai-lab-dev) "
        "permanently?"
    )
    assert arm.deletes == []
    assert "Nothing purged" in text


def test_listing_without_access_fails_clearly(arm):
    from tests.support.fake_azure import FakeCredential

    with pytest.raises(AzureError, match="cannot list soft-deleted resources") as info:
        run_purge(arm, FakeCredential(token="someone-else"))

    assert info.value.exit_code == EXIT_AZURE
    assert arm.deletes == []


def test_subscription_comes_from_the_option_or_the_environment(monkeypatch):
    monkeypatch.delenv("AZURE_SUBSCRIPTION_ID", raising=False)
    # A purge never takes the Azure CLI's current subscription: it must be told.
    with pytest.raises(AzureError, match="AZURE_SUBSCRIPTION_ID"):
        resolve_subscription(None, ask_az_cli=False)
    monkeypatch.setenv("AZURE_SUBSCRIPTION_ID", SUBSCRIPTION)
    assert resolve_subscription(None, ask_az_cli=False) == (SUBSCRIPTION, "AZURE_SUBSCRIPTION_ID")
    other = "11111111-2222-4333-8444-555555555555"
    assert resolve_subscription(other, ask_az_cli=False) == (other, "--subscription")
    with pytest.raises(AzureError, match="not a subscription id"):
        resolve_subscription("My Azure Pass", ask_az_cli=False)


def test_cli_purge_yes(arm, fake_credential, monkeypatch):
    arm.items = [lab_account(), lab_gateway()]
    # The command signs in with DefaultAzureCredential; here it gets the fake one (no login host, no IMDS).
    monkeypatch.setattr(azure_clients, "default_credential", lambda environment="public": fake_credential)
    monkeypatch.setenv("AZURE_SUBSCRIPTION_ID", SUBSCRIPTION)

    result = CliRunner().invoke(
        app, ["purge", "--stack", "dev", "--yes", "--arm-endpoint", arm.base], env={"COLUMNS": "200"}
    )

    assert result.exit_code == 0, result.output
    assert arm.items == []
    assert "Nothing of aoai-lab/dev is left soft-deleted" in result.output


def test_cli_purge_without_subscription(monkeypatch):
    monkeypatch.delenv("AZURE_SUBSCRIPTION_ID", raising=False)

    result = CliRunner().invoke(app, ["purge", "--stack", "dev", "--yes"])

    assert result.exit_code == EXIT_AZURE
    assert "--subscription" in result.output


def test_cli_purge_yes_needs_an_explicit_stack(monkeypatch):
    monkeypatch.setenv("AZURE_SUBSCRIPTION_ID", SUBSCRIPTION)

    result = CliRunner().invoke(app, ["purge", "--yes"], env={"COLUMNS": "200"})

    assert result.exit_code == EXIT_USAGE
    assert "needs the stack named on the command line" in result.output and "--stack dev" in result.output


def test_cli_purge_asks_for_the_stack_name_and_stops_on_anything_else(arm, fake_credential, monkeypatch):
    arm.items = [lab_account(), lab_gateway()]
    monkeypatch.setattr(azure_clients, "default_credential", lambda environment="public": fake_credential)
    monkeypatch.setenv("AZURE_SUBSCRIPTION_ID", SUBSCRIPTION)
    args = ["purge", "--arm-endpoint", arm.base]

    refused = CliRunner().invoke(app, args, input="y\n", env={"COLUMNS": "200"})

    assert refused.exit_code == 1, refused.output
    assert f"subscription {SUBSCRIPTION}, resource group rg-aoai-lab-dev" in " ".join(refused.output.split())
    assert "Type the stack name (dev)" in refused.output and "Nothing purged" in refused.output
    assert len(arm.items) == 2

    typed = CliRunner().invoke(app, args, input="dev\n", env={"COLUMNS": "200"})

    assert typed.exit_code == 0, typed.output
    assert arm.items == []


def _found(arm: FakeDeletedArm, credential):
    with mgmt_clients(credential, SUBSCRIPTION, arm_target(override=arm.base)) as (cs, apim):
        return find_soft_deleted(LAB, cs, apim)


def test_an_account_listed_without_tags_is_matched_by_its_resource_group(arm, fake_credential):
    # ARM's deletedAccounts list may leave out tags: the lab's own account must not be skipped for that. Its id
    # still names the lab's resource group, which stands in for the tags.
    arm.items = [
        Deleted("account", "aoai-lab-dev-x7k2q", "eastus2", "rg-aoai-lab-dev", tags=None),
        Deleted("account", "aoai-lab-dev-e4r5t", "eastus2", "rg-aoai-lab-dev", tags={}),
        # Tags present and naming another stack: left alone, even in the lab's resource group.
        Deleted(
            "account",
            "aoai-lab-dev-zz999",
            "eastus2",
            "rg-aoai-lab-dev",
            tags={**LAB_TAGS, "pulumi-stack": "prod"},
        ),
        # No tags and another resource group: left alone.
        Deleted("account", "aoai-lab-dev-aa111", "eastus2", "rg-other", tags=None),
    ]

    found = _found(arm, fake_credential)

    assert [i.name for i in found.ours] == ["aoai-lab-dev-e4r5t", "aoai-lab-dev-x7k2q"]
    reasons = {i.name: why for i, why in found.lookalikes}
    assert reasons == {
        "aoai-lab-dev-zz999": "tags say pulumi-project=aoai-lab, pulumi-stack=prod",
        "aoai-lab-dev-aa111": "it lists no tags and was in resource group rg-other",
    }


def test_a_gateway_whose_tags_name_another_stack_is_left_alone(arm, fake_credential):
    # Name and resource group fit, but the service comes with tags (which the API may add one day) of another
    # stack: tags that are there always win.
    arm.items = [
        lab_gateway("apim-aoai-lab-dev-x7k2q", tags={"pulumi-project": "aoai-lab", "pulumi-stack": "other"}),
        lab_gateway("apim-aoai-lab-dev-y8l3r", tags=dict(LAB_TAGS)),
        lab_gateway("apim-aoai-lab-dev-z9m4s"),
    ]

    found = _found(arm, fake_credential)

    assert [i.name for i in found.ours] == ["apim-aoai-lab-dev-y8l3r", "apim-aoai-lab-dev-z9m4s"]
    assert [(i.name, why) for i, why in found.lookalikes] == [
        ("apim-aoai-lab-dev-x7k2q", "tags say pulumi-project=aoai-lab, pulumi-stack=other")
    ]


def test_an_unreachable_resource_manager_is_a_clear_error(fake_credential):
    console = Console(record=True, width=220)

    with pytest.raises(AzureError) as info:
        purge_command(
            identity=LAB,
            subscription_id=SUBSCRIPTION,
            credential=fake_credential,
            target=arm_target(override="https://127.0.0.1:9"),
            yes=True,
            console=console,
            err_console=console,
            confirm=lambda _: True,
            client_options={"retry_total": 0},
        )

    assert "cannot list soft-deleted resources" in str(info.value)
    assert "no answer from Azure Resource Manager (ServiceRequestError" in str(info.value)


def no_retries(monkeypatch) -> None:
    """azure-core retries a refused connection 3 times with back-off (3 s in all): not needed to see the error.
    The command's guard sets the retries of every client it makes, so the guard is the one to change."""
    import functools

    from labctl.azure.resilience import ArmGuard
    from labctl.lifecycle import purge

    monkeypatch.setattr(purge, "ArmGuard", functools.partial(ArmGuard, retry_total=0))


def test_cli_purge_with_an_unreachable_endpoint_exits_4_without_a_traceback(fake_credential, monkeypatch):
    no_retries(monkeypatch)
    monkeypatch.setattr(azure_clients, "default_credential", lambda environment="public": fake_credential)
    monkeypatch.setenv("AZURE_SUBSCRIPTION_ID", SUBSCRIPTION)

    result = CliRunner().invoke(
        app,
        ["purge", "--stack", "dev", "--yes", "--arm-endpoint", "https://127.0.0.1:9"],
        env={"COLUMNS": "200"},
    )

    assert result.exit_code == EXIT_AZURE, result.output
    assert isinstance(result.exception, SystemExit)
    assert "no answer from Azure Resource Manager" in " ".join(result.output.split())


def test_cli_purge_checks_the_sign_in_before_listing(arm, monkeypatch):
    from azure.identity import CredentialUnavailableError

    class SignedOut:
        def get_token(self, *scopes, **kwargs):
            raise CredentialUnavailableError("DefaultAzureCredential failed to retrieve a token")

        def close(self):
            pass

    arm.items = [lab_account()]
    monkeypatch.setattr(azure_clients, "default_credential", lambda environment="public": SignedOut())
    monkeypatch.setenv("AZURE_SUBSCRIPTION_ID", SUBSCRIPTION)

    result = CliRunner().invoke(
        app, ["purge", "--stack", "dev", "--yes", "--arm-endpoint", arm.base], env={"COLUMNS": "200"}
    )

    assert result.exit_code == EXIT_AZURE
    assert "not signed in to Azure" in result.output and "az login" in result.output
    assert arm.server.log == []  # nothing was even listed
    assert [i.name for i in arm.items] == ["aoai-lab-dev-x7k2q"]


def test_still_deleting_is_retried_within_a_short_wait(arm, fake_credential):
    # A wait shorter than the retry interval still gets a retry, cut to what is left of the wait.
    arm.items = [lab_gateway(behaviour="conflict-once")]

    code, text = run_purge(arm, fake_credential, conflict_wait_s=0.3, conflict_retry_s=15)

    assert code == 0, text
    assert len(arm.deletes) == 2


def test_a_spread_labs_regional_accounts_are_purged_in_their_own_regions(arm, fake_credential):
    """A lab spread over regions (aoai-lab:location as a list) leaves one soft-deleted account per region."""
    arm.items = [
        lab_account(),
        Deleted(
            "account", "aoai-lab-dev-x7k2q-swedencentral", "swedencentral", "rg-aoai-lab-dev", tags=LAB_TAGS
        ),
        # Another stack's regional account: the anchored pattern keeps it out.
        Deleted(
            "account",
            "aoai-lab-dev2-x7k2q-swedencentral",
            "swedencentral",
            "rg-aoai-lab-dev2",
            tags={**LAB_TAGS, "pulumi-stack": "dev2"},
        ),
    ]
    code, text = run_purge(arm, fake_credential)
    assert code == 0, text
    assert sorted(arm.deletes) == [
        ("account", "aoai-lab-dev-x7k2q"),
        ("account", "aoai-lab-dev-x7k2q-swedencentral"),
    ]
