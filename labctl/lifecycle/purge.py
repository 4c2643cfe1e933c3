"""`labctl purge`: remove the lab's soft-deleted Azure OpenAI accounts and API Management services for good.

After `pulumi destroy` both stay soft-deleted for days: the account keeps counting against the subscription's
account quota and its name, the gateway keeps its name. This finds them in the subscription's `deletedAccounts`
and `deletedservices` lists, keeps only the ones that are provably this lab's, and purges them with the official
management clients.

What "provably this lab's" means (nothing else in the subscription is ever touched):
- Azure OpenAI account: name `{project}-{stack}-xxxxx` AND tags `pulumi-project`/`pulumi-stack` naming this stack;
  when the list gives the item without tags, its former resource group `rg-{project}-{stack}` (from its id) stands
  in for them. Tags that are there and name something else always win: such an item is left alone.
- API Management service: name `apim-{project}-{stack}-xxxxx` AND its former resource group `rg-{project}-{stack}`
  (soft-deleted services carry no tags in the API; if a list ever gives tags, they must not name another stack).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from azure.core.credentials import TokenCredential
from azure.core.exceptions import AzureError as SdkError
from azure.core.exceptions import HttpResponseError
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from labctl.azure.resilience import (
    ArmGuard,
    Deadline,
    DeadlineExceeded,
    Throttled,
    UnusableAnswer,
    answers,
    describe,
    guarded,
)
from labctl.azure.signin import ArmTarget, client_kwargs
from labctl.azure.transport import shared_tls_transport
from labctl.errors import EXIT_AZURE, AzureError
from labctl.lifecycle.purge_item import (
    CONFLICT_RETRY_S,
    DEFAULT_POLLING_INTERVAL,
    DEFAULT_PURGE_TIMEOUT_S,
    PurgeResult,
    arm_error,
    purge_one,
)
from labctl.lifecycle.soft_deleted import Findings, SoftDeleted, find_soft_deleted
from stacks.naming import LabIdentity


def purge_all(
    items: list[SoftDeleted],
    cs_client: Any,
    apim_client: Any,
    console: Console,
    *,
    polling_interval: float = DEFAULT_POLLING_INTERVAL,
    conflict_wait_s: float = 0.0,
    conflict_retry_s: float = CONFLICT_RETRY_S,
    guard: ArmGuard | None = None,
) -> list[PurgeResult]:
    """All purges at once (each is a slow server-side operation), with a live line per item."""
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TextColumn("[dim]{task.fields[status]}[/dim]"),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        tasks = {
            item: progress.add_task(f"{item.label} {escape(item.name)}", total=1, status="queued")
            for item in items
        }

        def run(item: SoftDeleted) -> PurgeResult:
            task = tasks[item]
            result = purge_one(
                item,
                cs_client,
                apim_client,
                polling_interval=polling_interval,
                conflict_wait_s=conflict_wait_s,
                conflict_retry_s=conflict_retry_s,
                on_status=lambda s: progress.update(task, status=escape(s)),
                guard=guard,
            )
            progress.update(task, completed=1)
            return result

        with ThreadPoolExecutor(max_workers=max(1, min(8, len(items))), thread_name_prefix="purge") as pool:
            return list(pool.map(run, items))


def _items_table(title: str, items: list[SoftDeleted]) -> Table:
    table = Table(title=title)
    for column in ("kind", "name", "location", "resource group", "deleted", "purged by Azure on"):
        table.add_column(column)
    for i in items:
        # Names and places come from Azure: never read as markup.
        cells = (i.name, i.location, i.resource_group or "-", i.deleted_on or "-", i.purge_on or "-")
        table.add_row(i.label, *(escape(str(c)) for c in cells))
    return table


@contextmanager
def mgmt_clients(
    credential: TokenCredential,
    subscription_id: str,
    target: ArmTarget,
    client_options: Mapping[str, Any] | None = None,
) -> Iterator[tuple[Any, Any]]:
    """Both management clients on one transport (the system CA store plus REQUESTS_CA_BUNDLE), closed after.
    `client_options` override azure-core settings (tests: fewer retries)."""
    from azure.mgmt.apimanagement import ApiManagementClient
    from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient

    # Guarded options (labctl/azure/resilience.py) give each client its own policy objects.
    kwargs = guarded(client_kwargs(target), client_options)
    with (
        shared_tls_transport() as transport,
        CognitiveServicesManagementClient(credential, subscription_id, transport=transport, **kwargs) as cs,
        ApiManagementClient(credential, subscription_id, transport=transport, **kwargs) as apim,
    ):
        yield cs, apim


def purge_command(
    *,
    identity: LabIdentity,
    subscription_id: str,
    credential: TokenCredential,
    target: ArmTarget,
    yes: bool,
    console: Console,
    err_console: Console,
    confirm: Callable[[str], bool],
    polling_interval: float = DEFAULT_POLLING_INTERVAL,
    conflict_wait_s: float = 0.0,
    conflict_retry_s: float = CONFLICT_RETRY_S,
    client_options: Mapping[str, Any] | None = None,
    timeout: float = DEFAULT_PURGE_TIMEOUT_S,
    report_format: str = "text",
    report_output: Path | None = None,
    report_sink: dict[str, Any] | None = None,
) -> int:
    """What `labctl purge` does; returns the exit code (0: nothing of the lab is left soft-deleted; 1: something
    is left or was not confirmed; 4: the deadline ended a purge before Azure finished it). Raises AzureError
    (exit 4) when Azure cannot be read. `timeout` bounds every Azure call of the command."""
    guard = ArmGuard(Deadline(timeout))
    options = guarded(guard.client_options(), client_options)
    report: dict[str, Any] = {
        "stack": identity.stack,
        "subscription": subscription_id,
        "found": [],
        "results": [],
    }
    if report_format == "json":
        console = err_console  # the tables for people to stderr; stdout (or --output) gets the JSON
    with mgmt_clients(credential, subscription_id, target, options) as (cs_client, apim_client):
        code = _purge(
            report=report,
            identity=identity,
            subscription_id=subscription_id,
            target=target,
            cs_client=cs_client,
            apim_client=apim_client,
            yes=yes,
            console=console,
            err_console=err_console,
            confirm=confirm,
            polling_interval=polling_interval,
            conflict_wait_s=conflict_wait_s,
            conflict_retry_s=conflict_retry_s,
            guard=guard,
        )
    if report_sink is not None:  # `labctl down --format json` nests this report in its own
        report_sink.update(report, exitCode=code)
    if report_format == "json":
        from labctl.output import emit_json

        emit_json({**report, "exitCode": code}, report_output)
    return code


def _item(i: SoftDeleted) -> dict[str, Any]:
    return {"kind": i.kind, "name": i.name, "location": i.location, "resourceGroup": i.resource_group}


def _purge(
    *,
    report: dict[str, Any],
    identity: LabIdentity,
    subscription_id: str,
    target: ArmTarget,
    cs_client: Any,
    apim_client: Any,
    yes: bool,
    console: Console,
    err_console: Console,
    confirm: Callable[[str], bool],
    polling_interval: float,
    conflict_wait_s: float,
    conflict_retry_s: float,
    guard: ArmGuard,
) -> int:
    findings = _list_soft_deleted(identity, subscription_id, target, cs_client, apim_client)
    for item, reason in findings.lookalikes:
        console.print(
            f"[yellow]left alone:[/yellow] {item.label} {escape(item.name)}: the name fits stack "
            f"{identity.stack} but {escape(reason)}",
            highlight=False,
        )
    report["found"] = [_item(i) for i in findings.ours]
    if not findings.ours:
        console.print(
            f"Nothing to purge: no soft-deleted account or gateway of {identity.project}/{identity.stack} in "
            f"subscription {subscription_id}."
        )
        return 0
    console.print(
        _items_table(f"Soft-deleted resources of {identity.project}/{identity.stack}", findings.ours)
    )
    if not yes and not confirm(
        f"Purge these {len(findings.ours)} resources of stack {identity.stack} (subscription {subscription_id}, "
        f"resource group {identity.resource_group}) permanently? They cannot be restored"
    ):
        console.print("Nothing purged.")
        return 1

    results = purge_all(
        findings.ours,
        cs_client,
        apim_client,
        console,
        polling_interval=polling_interval,
        conflict_wait_s=conflict_wait_s,
        conflict_retry_s=conflict_retry_s,
        guard=guard,
    )
    report["results"] = [{**_item(r.item), "outcome": r.outcome, "detail": r.detail} for r in results]
    console.print(_results_table(results))
    return _conclude(results, identity, cs_client, apim_client, console, err_console, report)


def _list_soft_deleted(
    identity: LabIdentity, subscription_id: str, target: ArmTarget, cs_client: Any, apim_client: Any
) -> Findings:
    """What the subscription lists as soft-deleted and this lab's; AzureError (exit 4) with the fix otherwise."""
    try:
        with answers("the soft-deleted lists"):
            return find_soft_deleted(identity, cs_client, apim_client)
    except (DeadlineExceeded, Throttled, UnusableAnswer) as exc:
        raise AzureError(
            f"cannot list soft-deleted resources in subscription {subscription_id}: {describe(exc)}"
        ) from None
    except HttpResponseError as exc:
        raise AzureError(
            f"cannot list soft-deleted resources in subscription {subscription_id}: {arm_error(exc)}. "
            "Fix: sign in (`az login`) as someone with Contributor on the subscription"
        ) from None
    except SdkError as exc:
        raise AzureError(
            f"cannot list soft-deleted resources in subscription {subscription_id}: {arm_error(exc)}. Fix: "
            f"check the network, proxy and TLS trust (REQUESTS_CA_BUNDLE) for {target.endpoint}, then run "
            "`labctl purge` again"
        ) from None


OUTCOME_COLOURS = {
    "purged": "green",
    "already gone": "green",
    "still deleting": "yellow",
    "failed": "red",
    "not finished": "yellow",
}


def _results_table(results: list[PurgeResult]) -> Table:
    summary = Table(title="Purge")
    for column in ("kind", "name", "result", "detail"):
        summary.add_column(column)
    for r in results:
        colour = OUTCOME_COLOURS[r.outcome]
        summary.add_row(
            r.item.label, escape(r.item.name), f"[{colour}]{r.outcome}[/{colour}]", escape(r.detail)
        )
    return summary


def _conclude(
    results: list[PurgeResult],
    identity: LabIdentity,
    cs_client: Any,
    apim_client: Any,
    console: Console,
    err_console: Console,
    report: dict[str, Any],
) -> int:
    """The exit code from what is left, which is what Azure still lists, not what we hope happened."""
    unfinished = [r for r in results if r.outcome == "not finished"]
    if unfinished:
        # The deadline passed: listing again would only hit it too. Say what did not finish, exit 4.
        console.print(
            _items_table("Not finished before the deadline (--timeout)", [r.item for r in unfinished])
        )
        console.print(
            "Azure may still complete these purges: run `labctl purge` again later (it is idempotent), with a "
            "longer --timeout if they take longer.",
            markup=False,
        )
        return EXIT_AZURE
    try:
        with answers("the soft-deleted lists"):
            left = find_soft_deleted(identity, cs_client, apim_client).ours
    except SdkError as exc:
        err_console.print(f"[yellow]warning:[/yellow] could not list again: {escape(arm_error(exc))}")
        left = [r.item for r in results if r.outcome in ("still deleting", "failed")]
    report["left"] = [_item(i) for i in left]
    if left:
        console.print(_items_table("Still soft-deleted", left))
        if any(r.outcome == "still deleting" for r in results):
            console.print(
                "Deletes still in progress: run `labctl purge` again in a few minutes (it is idempotent)."
            )
        return 1
    console.print(f"[green]Nothing of {identity.project}/{identity.stack} is left soft-deleted.[/green]")
    return 1 if any(r.outcome == "failed" for r in results) else 0


@dataclass(frozen=True)
class PurgeSession:
    """Everything a purge needs, resolved and signed in before anything is deleted (so `labctl down` fails before
    destroying anything when the purge could not run)."""

    identity: LabIdentity
    subscription_id: str
    target: ArmTarget
    credential: TokenCredential


def prepare_purge(identity: LabIdentity, subscription: str | None, arm_endpoint: str | None) -> PurgeSession:
    """Resolve the subscription (never the Azure CLI's current one: a purge must be told), the cloud and the
    sign-in. Raises AzureError or ConfigError with the fix."""
    from labctl.azure import signin

    subscription_id, _source = signin.resolve_subscription(subscription, ask_az_cli=False)
    target = signin.arm_target(identity.environment, arm_endpoint)
    credential = signin.SharedTokenCredential(signin.default_credential(identity.environment))
    signin.check_signed_in(credential, target)
    return PurgeSession(identity, subscription_id, target, credential)


def run_purge(
    session: PurgeSession,
    *,
    yes: bool,
    console: Console,
    err_console: Console,
    confirm: Callable[[str], bool],
    conflict_wait_s: float = 0.0,
    timeout: float = DEFAULT_PURGE_TIMEOUT_S,
    report_format: str = "text",
    report_output: Path | None = None,
    report_sink: dict[str, Any] | None = None,
) -> int:
    return purge_command(
        timeout=timeout,
        report_format=report_format,
        report_output=report_output,
        report_sink=report_sink,
        identity=session.identity,
        subscription_id=session.subscription_id,
        credential=session.credential,
        target=session.target,
        yes=yes,
        console=console,
        err_console=err_console,
        confirm=confirm,
        conflict_wait_s=conflict_wait_s,
    )
