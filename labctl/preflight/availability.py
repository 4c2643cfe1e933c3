"""What each candidate region offers: read from Azure Resource Manager with the official client, or from a snapshot.

Live reads go through `azure-mgmt-cognitiveservices` (`models.list`, `usages.list`, paging and retries included),
every region's two lists at once on threads sharing one client. Both the live path and the snapshot path produce the same
ARM-shaped JSON (`value[]` entries of the two lists, trimmed to the fields preflight reads), and one parser turns
that into `labctl.preflight.decisions` dataclasses, so a saved snapshot reproduces a run exactly.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from azure.core.credentials import TokenCredential
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ServiceRequestError,
    ServiceResponseError,
)

from labctl.azure.signin import ArmTarget, client_kwargs
from labctl.azure.transport import shared_tls_transport
from labctl.errors import AzureError, UsageError
from labctl.preflight.decisions import (
    ExistingDeployment,
    ModelOffer,
    Quota,
    RegionAvailability,
    RegionFailure,
    SkuOffer,
)
from labctl.preflight.stackfile import atomic_write_text
from stacks.naming import LabIdentity

SNAPSHOT_FORMAT = "aoai-lab/availability/v1"
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
RegionData = dict[str, Any]


@dataclass(frozen=True)
class DeployedLab:
    """Where a pinned lab may already be deployed: its own deployments there use that region's quota, so preflight
    reads them (accounts named like the lab's in its resource group) and counts them as available."""

    identity: LabIdentity
    region: str


class SnapshotError(UsageError):
    """The availability file (--availability) cannot be used; the message says why."""


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
    if deployed is not None and deployed.region in reads:
        reads[deployed.region].append("lab")
    options = {**client_kwargs(target), **TIMEOUTS, **(client_options or {})}
    workers = max(1, min(32, sum(len(w) for w in reads.values())))
    connection = {k: options.pop(k) for k in ("connection_timeout", "read_timeout") if k in options}
    parts: dict[str, dict[str, Any]] = {r: {} for r in regions}
    fatal: AzureError | None = None

    # One client, one connection pool and one TLS context for every region: the calls only wait on the network.
    with (
        shared_tls_transport(pool_size=workers, **connection) as transport,
        CognitiveServicesManagementClient(
            credential, subscription_id, transport=transport, **options
        ) as client,
    ):

        def fetch(region: str, what: str) -> tuple[str, str, Any]:
            try:
                if what == "models":
                    items = client.models.list(region)
                    return region, what, [_trim_model(m.serialize(keep_readonly=True)) for m in items]
                if what == "lab":
                    assert deployed is not None
                    return region, what, _read_deployed_lab(client, deployed)
                usages = client.usages.list(region)
                return region, what, [_trim_usage(u.serialize(keep_readonly=True)) for u in usages]
            except (HttpResponseError, ServiceRequestError, ServiceResponseError) as exc:
                failure = _classify(exc, subscription_id, region)
                if what == "lab" and isinstance(failure, RegionFailure):
                    failure = RegionFailure(
                        f"the lab's own deployments could not be read: {failure.message}",
                        failure.code,
                        failure.status,
                    )
                return region, what, failure

        results: dict[str, RegionData] = {}
        # Every call of every region in flight together: the wall time is about one call, whatever the count.
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="arm") as pool:
            futures = [pool.submit(fetch, r, w) for r in regions for w in reads[r]]
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
            if identity.account_name_re.match(a.name or "") and _arm_location(a.location) == deployed.region
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


# ---- ARM JSON -> trimmed JSON -> dataclasses ----


def _trim_model(entry: Mapping[str, Any]) -> dict[str, Any]:
    """Keep what preflight reads; the full list (rate limits, costs, capabilities) is ten times bigger."""
    model = entry.get("model") or {}
    keep = {
        k: model[k]
        for k in ("format", "name", "version", "lifecycleStatus", "isDefaultVersion", "deprecation")
        if model.get(k) is not None
    }
    replacement = model.get("replacementConfig") or {}
    if replacement.get("targetModelName"):
        keep["replacementConfig"] = {
            k: replacement[k] for k in ("targetModelName", "targetModelVersion") if replacement.get(k)
        }
    keep["skus"] = [
        {k: sku[k] for k in ("name", "usageName", "deprecationDate", "capacity") if sku.get(k) is not None}
        for sku in model.get("skus") or []
    ]
    out = {k: entry[k] for k in ("kind", "skuName") if entry.get(k) is not None}
    out["model"] = keep
    return out


def _trim_usage(entry: Mapping[str, Any]) -> dict[str, Any]:
    name = entry.get("name") or {}
    return {
        "name": {"value": name.get("value")},
        "currentValue": entry.get("currentValue"),
        "limit": entry.get("limit"),
        **({"unit": entry["unit"]} if entry.get("unit") else {}),
    }


class _BadValue(ValueError):
    """A value of the availability data that is not what ARM gives; `field` says which one."""

    def __init__(self, field: str, value: Any, expected: str) -> None:
        super().__init__(f"{field}: {value!r} is not {expected}")


def _date(value: Any, field: str = "date") -> dt.date | None:
    if value in (None, ""):
        return None
    text = str(value).strip()
    try:
        stamp = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            return dt.date.fromisoformat(text[:10])
        except ValueError:
            raise _BadValue(field, value, "a date (YYYY-MM-DD or an ISO 8601 time)") from None
    if stamp.tzinfo is not None:
        stamp = stamp.astimezone(dt.UTC)
    return stamp.date()


def _int(value: Any, field: str = "value") -> int | None:
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise _BadValue(field, value, "a whole number") from None
    if isinstance(value, bool) or not number.is_integer():
        raise _BadValue(field, value, "a whole number")
    return int(number)


def _number(value: Any, field: str) -> float:
    if value is None:
        return 0.0
    try:
        if isinstance(value, bool):
            raise ValueError
        return float(value)
    except (TypeError, ValueError):
        raise _BadValue(field, value, "a number") from None


def _mapping(value: Any, field: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise _BadValue(field, value, "an object")
    return value


def _list(value: Any, field: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _BadValue(field, value, "a list")
    return value


def parse_region(region: str, data: Mapping[str, Any]) -> RegionAvailability:
    """Trimmed ARM JSON of one region -> what preflight decides on. A value that is not what ARM gives (a
    hand-edited snapshot) raises SnapshotError naming the region, the entry and the field."""
    error = data.get("error")
    if error:
        error = error if isinstance(error, Mapping) else {"message": str(error)}
        return RegionAvailability(
            region,
            failure=RegionFailure(
                str(error.get("message") or error.get("code") or "failed"),
                error.get("code"),
                error.get("status"),
                bool(error.get("definitive")),
            ),
        )
    where = f"region '{region}'"
    try:
        models: list[ModelOffer] = []
        for i, entry in enumerate(_list(data.get("models"), "models")):
            where = f"region '{region}', models[{i}]"
            m = _mapping(_mapping(entry, "entry").get("model"), "model")
            if not m.get("name"):
                continue
            where = f"region '{region}', model {m['name']} {m.get('version', '')}".rstrip()
            models.append(_model(entry, m))
        usages: dict[str, Quota] = {}
        for i, u in enumerate(_list(data.get("usages"), "usages")):
            where = f"region '{region}', usages[{i}]"
            name = _mapping(_mapping(u, "entry").get("name"), "name").get("value")
            if not name:
                continue
            where = f"region '{region}', usage {name}"
            usages[name] = Quota(
                name, _number(u.get("currentValue"), "currentValue"), _number(u.get("limit"), "limit")
            )
        where = f"region '{region}', lab"
        lab = _mapping(data.get("lab"), "lab")
        accounts = tuple(
            str(_mapping(a, "accounts[]").get("name") or "") for a in _list(lab.get("accounts"), "accounts")
        )
        deployed: list[ExistingDeployment] = []
        for i, d in enumerate(_list(lab.get("deployments"), "deployments")):
            where = f"region '{region}', lab deployments[{i}]"
            d = _mapping(d, "deployment")
            model, sku = _mapping(d.get("model"), "model"), _mapping(d.get("sku"), "sku")
            deployed.append(
                ExistingDeployment(
                    account=str(d.get("account") or ""),
                    name=str(d.get("name") or ""),
                    model=str(model.get("name") or ""),
                    version=str(model.get("version") or ""),
                    format=str(model.get("format") or "OpenAI"),
                    sku=str(sku.get("name") or ""),
                    capacity=_int(sku.get("capacity"), "sku.capacity") or 0,
                )
            )
    except _BadValue as exc:
        raise SnapshotError(f"availability data, {where}: {exc}") from None
    return RegionAvailability(
        region, tuple(models), usages, lab_accounts=accounts, lab_deployments=tuple(deployed)
    )


def _model(entry: Mapping[str, Any], m: Mapping[str, Any]) -> ModelOffer:
    replacement = _mapping(m.get("replacementConfig"), "replacementConfig")
    target = " ".join(
        str(v) for v in (replacement.get("targetModelName"), replacement.get("targetModelVersion")) if v
    )
    skus = []
    for s in _list(m.get("skus"), "skus"):
        s = _mapping(s, "skus[]")
        capacity = _mapping(s.get("capacity"), f"skus[{s.get('name')}].capacity")
        field = f"skus[{s.get('name')}].capacity"
        skus.append(
            SkuOffer(
                name=str(s.get("name", "")),
                usage_name=s.get("usageName"),
                minimum=_int(capacity.get("minimum"), f"{field}.minimum"),
                maximum=_int(capacity.get("maximum"), f"{field}.maximum"),
                step=_int(capacity.get("step"), f"{field}.step"),
                allowed=tuple(
                    _int(v, f"{field}.allowedValues") or 0
                    for v in _list(capacity.get("allowedValues"), f"{field}.allowedValues")
                ),
                retires_on=_date(s.get("deprecationDate"), f"skus[{s.get('name')}].deprecationDate"),
            )
        )
    return ModelOffer(
        name=str(m["name"]),
        version=str(m.get("version", "")),
        format=str(m.get("format") or "OpenAI"),
        kind=entry.get("kind"),
        lifecycle=m.get("lifecycleStatus"),
        inference_retires_on=_date(
            _mapping(m.get("deprecation"), "deprecation").get("inference"), "deprecation.inference"
        ),
        replacement=target or None,
        is_default=bool(m.get("isDefaultVersion")),
        skus=tuple(skus),
    )


def parse_all(data: Mapping[str, RegionData]) -> dict[str, RegionAvailability]:
    return {region: parse_region(region, d) for region, d in data.items()}


# ---- snapshots ----


def save_snapshot(
    path: Path, data: Mapping[str, RegionData], *, arm_endpoint: str, captured_at: dt.datetime
) -> None:
    """Write the regions' lists as read, for review and for `--availability`. Holds no ids, tokens or secrets."""
    doc = {
        "format": SNAPSHOT_FORMAT,
        "capturedAt": captured_at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
        "armEndpoint": arm_endpoint,
        "regions": {r: data[r] for r in data},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    # Atomically, like the stack file: an interrupted save leaves the previous snapshot, never half of one.
    atomic_write_text(path, json.dumps(doc, indent=1, sort_keys=False, default=str) + "\n")


def load_snapshot(path: Path) -> tuple[dict[str, RegionData], dict[str, Any]]:
    """The regions' lists from a snapshot file, and its header (format, capturedAt, armEndpoint)."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SnapshotError(f"{path}: no such file. Fix: save one with --save-availability {path}") from None
    except (OSError, json.JSONDecodeError) as exc:
        raise SnapshotError(f"{path}: not a readable JSON snapshot ({exc})") from None
    if (
        not isinstance(doc, dict)
        or doc.get("format") != SNAPSHOT_FORMAT
        or not isinstance(doc.get("regions"), dict)
    ):
        raise SnapshotError(
            f'{path}: not an availability snapshot (expected "format": "{SNAPSHOT_FORMAT}" and a "regions" '
            "object). Fix: save one with `labctl preflight --save-availability FILE`"
        )
    regions: dict[str, RegionData] = {}
    for region, data in doc["regions"].items():
        if not isinstance(data, dict) or not ({"models", "usages"} <= set(data) or "error" in data):
            raise SnapshotError(
                f'{path}: region \'{region}\' needs "models" and "usages" lists, or an "error"'
            )
        regions[region] = data
    header = {k: v for k, v in doc.items() if k != "regions"}
    return regions, header
