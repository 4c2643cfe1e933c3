"""What each candidate region offers: read from Azure Resource Manager with the official client, or from a snapshot.

Live reads go through `azure-mgmt-cognitiveservices` (`models.list`, `usages.list`, paging and retries included),
every region's two lists at once on threads sharing one client. Both the live path and the snapshot path produce the same
ARM-shaped JSON (`value[]` entries of the two lists, trimmed to the fields preflight reads), and one parser turns
that into `labctl.preflight.quota.decisions` dataclasses, so a saved snapshot reproduces a run exactly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any

from azure.core.credentials import TokenCredential
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ServiceRequestError,
    ServiceResponseError,
)

from labctl.azure.resilience import (
    DeadlineExceeded,
    Throttled,
    UnusableAnswer,
    answers,
    describe,
    pages,
    split_options,
)
from labctl.azure.signin import ArmTarget, client_kwargs
from labctl.azure.transport import shared_tls_transport
from labctl.errors import AzureError
from labctl.preflight.model import (
    RegionFailure,
)
from labctl.preflight.offers.arm_data import RegionData, trim_model, trim_usage
from stacks.naming import LabIdentity

# A region's lists should answer in seconds; without these a hung connection would wait 5 minutes per try.
TIMEOUTS: dict[str, Any] = {"connection_timeout": 10, "read_timeout": 30, "timeout": 120}
# ARM codes that say the resource provider does not exist in that region: a definite "no", not an unknown.
REGION_NOT_OFFERED = {
    "locationnotavailableforresourcetype",
    "noregisteredproviderfound",
    "invalidlocation",
    "locationnotavailable",
    "unsupportedlocation",
    "invalidresourcelocation",
}

# {"models": [...], "usages": [...], optionally "lab": {"accounts": [...], "deployments": [...]}} or {"error": {...}}


@dataclass(frozen=True)
class DeployedLab:
    """Where a pinned lab may already be deployed: its own deployments there use that region's quota, so preflight
    reads them (accounts named like the lab's in its resource group) and counts them as available."""

    identity: LabIdentity
    region: str
    # The other regions of a lab spread over several (aoai-lab:location as a list): read and credited the same way.
    also: tuple[str, ...] = ()


def _first_lines(text: str, n: int = 3) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return " ".join(lines[:n])


# ---- live reads ----


def read_live(
    regions: Iterable[str],
    *,
    subscription_id: str,
    credential: TokenCredential,
    target: ArmTarget,
    on_region_done: Callable[[str, RegionData], None] | None = None,
    client_options: Mapping[str, Any] | None = None,
    deployed: DeployedLab | None = None,
) -> dict[str, RegionData]:
    """Both lists for every region, concurrently, and for `deployed.region` the lab's own deployments there.
    Access problems that no region can escape (no sign-in, no access to the subscription, provider not
    registered) raise AzureError; anything else marks only that region as failed."""
    from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient

    regions = list(dict.fromkeys(regions))
    reads = {r: ["models", "usages"] for r in regions}
    for region in (deployed.region, *deployed.also) if deployed is not None else ():
        if region in reads:
            reads[region].append("lab")
    options, connection = split_options(
        client_kwargs(target),
        TIMEOUTS,
        client_options,
        take=("connection_timeout", "read_timeout", "timeout"),
    )
    workers = max(1, min(32, sum(len(w) for w in reads.values())))
    parts: dict[str, dict[str, Any]] = {r: {} for r in regions}
    fatal: AzureError | None = None

    # One client, one connection pool and one TLS context for every region: the calls only wait on the network.
    with (
        shared_tls_transport(pool_size=workers, **connection) as transport,
        CognitiveServicesManagementClient(
            credential, subscription_id, transport=transport, **options
        ) as client,
    ):
        results: dict[str, RegionData] = {}
        # Every call of every region in flight together: the wall time is about one call, whatever the count.
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="arm") as pool:
            futures = [
                pool.submit(_fetch, client, subscription_id, deployed, r, w)
                for r in regions
                for w in reads[r]
            ]
            # Collected on this thread, so the progress callback never runs concurrently.
            for future in as_completed(futures):
                region, what, value = future.result()
                if isinstance(value, AzureError):
                    fatal = value
                    for f in futures:
                        f.cancel()
                    break
                parts[region][what] = value
                if len(parts[region]) == len(reads[region]):
                    results[region] = _region_data(parts[region])
                    if on_region_done is not None:
                        on_region_done(region, results[region])
    if fatal is not None:
        raise fatal
    return {r: results[r] for r in regions if r in results}


def _fetch(
    client: Any, subscription_id: str, deployed: DeployedLab | None, region: str, what: str
) -> tuple[str, str, Any]:
    """One list of one region (`models`, `usages`, or the deployed `lab`'s deployments), trimmed; a failure as
    a RegionFailure (this region only) or an AzureError (every region)."""
    try:
        if what == "models":
            items = pages(client.models.list(region), f"the models in {region}")
            return region, what, [trim_model(m.serialize(keep_readonly=True)) for m in items]
        if what == "lab":
            assert deployed is not None
            with answers(f"the lab's deployments in {region}"):
                here = DeployedLab(deployed.identity, region)
                return region, what, _read_deployed_lab(client, here)
        usages = pages(client.usages.list(region), f"the quota in {region}")
        return region, what, [trim_usage(u.serialize(keep_readonly=True)) for u in usages]
    except (HttpResponseError, ServiceRequestError, ServiceResponseError) as exc:
        failure = _classify(exc, subscription_id, region)
        if what == "lab" and isinstance(failure, RegionFailure):
            failure = RegionFailure(
                f"the lab's own deployments could not be read: {failure.message}",
                failure.code,
                failure.status,
            )
        return region, what, failure
    except (ValueError, TypeError, KeyError, AttributeError):
        # A body of the right shape with values the trimming cannot use: the region is not known.
        message = (
            f"Azure's answer for the {what} of {region} lacks values labctl needs (an incomplete answer)"
        )
        return region, what, RegionFailure(message, "UnusableAnswer")


def _arm_location(value: str | None) -> str:
    return (value or "").replace(" ", "").lower()


def _read_deployed_lab(client: Any, deployed: DeployedLab) -> dict[str, Any]:
    """The lab's accounts in its resource group and region, and their deployments (model, SKU, capacity). A
    resource group or account that does not exist means nothing of the lab is deployed there."""
    identity = deployed.identity
    found: dict[str, Any] = {"accounts": [], "deployments": []}
    try:
        accounts = [
            a
            for a in client.accounts.list_by_resource_group(identity.resource_group)
            if identity.account_name_re.fullmatch(a.name or "")
            and _arm_location(a.location) == deployed.region
        ]
    except HttpResponseError as exc:
        if exc.status_code == 404:  # ResourceGroupNotFound: never deployed, or destroyed
            return found
        raise
    for account in sorted(accounts, key=lambda a: a.name):
        found["accounts"].append({"name": account.name, "kind": account.kind})
        try:
            deployments = list(client.deployments.list(identity.resource_group, account.name))
        except HttpResponseError as exc:
            if exc.status_code == 404:  # deleted meanwhile
                continue
            raise
        for d in deployments:
            model = d.properties.model if d.properties is not None else None
            if d.sku is None or model is None:
                continue
            found["deployments"].append(
                {
                    "account": account.name,
                    "name": d.name,
                    "model": {"format": model.format, "name": model.name, "version": model.version},
                    "sku": {"name": d.sku.name, "capacity": d.sku.capacity},
                }
            )
    return found


def _region_data(done: Mapping[str, Any]) -> RegionData:
    for what in ("models", "usages", "lab"):
        if isinstance(done.get(what), RegionFailure):
            f: RegionFailure = done[what]
            return {
                "error": {
                    "status": f.status,
                    "code": f.code,
                    "message": f.message,
                    "definitive": f.definitive,
                }
            }
    data: RegionData = {"models": done["models"], "usages": done["usages"]}
    if "lab" in done:
        data["lab"] = done["lab"]
    return data


def _classify(exc: Exception, subscription_id: str, region: str) -> RegionFailure | AzureError:
    if isinstance(exc, DeadlineExceeded | UnusableAnswer | Throttled):
        # Not an answer about the region: it could not be checked (the deadline, a proxy page, throttling).
        status = getattr(exc, "status_code", None) or getattr(exc, "status", None)
        return RegionFailure(describe(exc), type(exc).__name__, status)
    if isinstance(exc, ClientAuthenticationError) and getattr(exc, "response", None) is None:
        return AzureError(
            f"signing in to Azure failed. Fix: run `az login` again.\n  {_first_lines(str(exc))}"
        )
    if not isinstance(exc, HttpResponseError) or isinstance(exc, ServiceRequestError | ServiceResponseError):
        return RegionFailure(f"no answer from Azure ({type(exc).__name__}: {_first_lines(str(exc), 1)})")
    status = exc.status_code
    code = (exc.error.code if exc.error is not None else None) or ""
    message = (exc.error.message if exc.error is not None else None) or exc.reason or ""
    lowered = code.lower()
    if status == 401:
        return AzureError(
            f"Azure refused the sign-in token ({code or 401}). Fix: `az login` again; with --arm-endpoint or a "
            "sovereign cloud, sign in to that cloud (`az cloud set`)."
        )
    if status == 403 or lowered in ("authorizationfailed", "linkedauthorizationfailed"):
        return AzureError(
            f"no access to subscription {subscription_id} ({code or status}). Fix: ask its owner for the Reader "
            "role on it (reading model and quota lists needs no more), or pick another subscription with "
            f"--subscription.\n  Azure said: {_first_lines(message, 2)}"
        )
    if lowered in ("subscriptionnotfound", "invalidsubscriptionid"):
        return AzureError(
            f"subscription {subscription_id} was not found in the signed-in tenant ({code}). Fix: check the id "
            "(`az account list -o table`) or sign in to its tenant (`az login --tenant <tenant-id>`)."
        )
    if lowered == "missingsubscriptionregistration":
        return AzureError(
            f"subscription {subscription_id} is not registered for Microsoft.CognitiveServices. Fix: "
            "`az provider register --namespace Microsoft.CognitiveServices` (once per subscription), then retry."
        )
    if lowered in REGION_NOT_OFFERED:
        return RegionFailure(
            f"Azure OpenAI is not offered in {region} ({code or status})", code, status, definitive=True
        )
    if status == 429:
        return RegionFailure(f"throttled (429 {code or 'TooManyRequests'}) after retries", code, status)
    if status is not None and status >= 500:
        return RegionFailure(f"Azure error {status} {code}".rstrip(), code, status)
    return RegionFailure(
        f"Azure error {status} {code}: {_first_lines(message, 1)}".rstrip(": "), code, status
    )
