"""ARM's `models` and `usages` lists as preflight keeps them: trimmed to the fields it reads, parsed into
`labctl.preflight.model` dataclasses, and saved to or loaded from an availability snapshot file. The live path
(`labctl.preflight.offers.availability`) and `--availability FILE` both end here, so a saved snapshot reproduces a run."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from labctl.errors import UsageError
from labctl.files import atomic_write_text
from labctl.preflight.model import (
    ExistingDeployment,
    ModelOffer,
    Quota,
    RegionAvailability,
    RegionFailure,
    SkuOffer,
)

# One region's data as ARM-shaped JSON: {"models": [...], "usages": [...]} or {"error": {...}}.
RegionData = dict[str, Any]


SNAPSHOT_FORMAT = "aoai-lab/availability/v1"


class SnapshotError(UsageError):
    """The availability file (--availability) cannot be used; the message says why."""


def trim_model(entry: Mapping[str, Any]) -> dict[str, Any]:
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


def trim_usage(entry: Mapping[str, Any]) -> dict[str, Any]:
    name = entry.get("name") or {}
    return {
        "name": {"value": name.get("value")},
        "currentValue": entry.get("currentValue"),
        "limit": entry.get("limit"),
        **({"unit": entry["unit"]} if entry.get("unit") else {}),
        # A pool scope, should Azure declare one (labctl/preflight/spread/pooled.py: how pooled quota is recognised).
        **{k: entry[k] for k in ("scope", "quotaScope") if isinstance(entry.get(k), str)},
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


def save_snapshot(
    path: Path,
    data: Mapping[str, RegionData],
    *,
    arm_endpoint: str,
    captured_at: dt.datetime,
    subscription: Mapping[str, Any] | None = None,
    azure: Mapping[str, Any] | None = None,
) -> None:
    """Write the regions' lists as read, for review and for `--availability`. Holds no ids, tokens or secrets;
    `subscription` is the offer (quotaId, spendingLimit), which `labctl check` judges a budget by."""
    doc: dict[str, Any] = {
        "format": SNAPSHOT_FORMAT,
        "capturedAt": captured_at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
        "armEndpoint": arm_endpoint,
    }
    if subscription:
        doc["subscription"] = dict(subscription)
    if azure:
        # Azure's own verdicts (validation per region, gateway tiers), so a replay decides as the live run did.
        doc["azure"] = dict(azure)
    doc["regions"] = {r: data[r] for r in data}
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
