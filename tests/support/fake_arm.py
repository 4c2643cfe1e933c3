"""A fake Azure Resource Manager for the Microsoft.CognitiveServices location lists, served over loopback HTTPS.

It answers `GET /subscriptions/{s}/providers/Microsoft.CognitiveServices/locations/{l}/models|usages` the way ARM
does: `{"value": [...], "nextLink": ...}` pages, ARM error bodies `{"error": {"code", "message"}}`, Retry-After on
throttling, 401 for a missing or wrong bearer token. The real `azure-mgmt-cognitiveservices` client talks to it.
Builders below make entries shaped like the real lists (usage names that differ from model names, `-finetune`
duplicates, deprecation and replacement fields, account-count usages).
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.support.in_flight import CountsInFlight

SUBSCRIPTION = "0b6c1f5e-3d2a-4c8b-9e7f-5a4d3c2b1a09"
TOKEN = "fake-arm-token"
_PATH = re.compile(
    r"^/subscriptions/([^/]+)/providers/Microsoft\.CognitiveServices/locations/([^/]+)/(models|usages)$"
)
_ACCOUNTS = re.compile(
    r"^/subscriptions/([^/]+)/resourceGroups/([^/]+)/providers/Microsoft\.CognitiveServices/accounts$", re.I
)
_DEPLOYMENTS = re.compile(
    r"^/subscriptions/([^/]+)/resourceGroups/([^/]+)/providers/Microsoft\.CognitiveServices/accounts/([^/]+)"
    r"/deployments$",
    re.I,
)


def sku(
    name: str,
    usage_name: str,
    *,
    minimum: int | None = 1,
    maximum: int | None = 1000,
    step: int | None = 1,
    default: int = 10,
    deprecation: str | None = None,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": name,
        "usageName": usage_name,
        "capacity": {"minimum": minimum, "maximum": maximum, "step": step, "default": default},
        "rateLimits": [
            {"key": "request", "renewalPeriod": 10.0, "count": 1.0},
            {"key": "token", "renewalPeriod": 60.0, "count": 1000.0},
        ],
        "cost": [{"name": f"{name} meter", "meterId": "00000000-0000-0000-0000-000000000000"}],
    }
    if deprecation:
        out["deprecationDate"] = deprecation
    return out


def model(
    name: str,
    version: str,
    skus: list[dict[str, Any]],
    *,
    kind: str = "OpenAI",
    lifecycle: str = "GenerallyAvailable",
    inference_deprecation: str | None = None,
    replacement: tuple[str, str] | None = None,
    default: bool = True,
    fmt: str = "OpenAI",
) -> dict[str, Any]:
    m: dict[str, Any] = {
        "format": fmt,
        "name": name,
        "version": version,
        "lifecycleStatus": lifecycle,
        "isDefaultVersion": default,
        "capabilities": {"chatCompletion": "true", "maxContextToken": "128000"},
        "maxCapacity": 1000,
        "skus": skus,
        "deprecation": {
            "fineTune": "2027-01-01T00:00:00Z",
            "inference": inference_deprecation or "2027-06-30T00:00:00Z",
        },
        "systemData": {"createdAt": "2025-01-01T00:00:00Z", "lastModifiedAt": "2025-06-01T00:00:00Z"},
    }
    if replacement:
        m["replacementConfig"] = {"targetModelName": replacement[0], "targetModelVersion": replacement[1]}
    return {"kind": kind, "skuName": "S0", "description": f"{name} {version}", "model": m}


def usage(name: str, current: float, limit: float, unit: str = "Count") -> dict[str, Any]:
    return {
        "name": {"value": name, "localizedValue": name.replace(".", " ")},
        "currentValue": current,
        "limit": limit,
        "unit": unit,
        "quotaPeriod": None,
        "nextResetTime": None,
        "status": "Included",
    }


def catalog() -> list[dict[str, Any]]:
    """A region that offers the dev stack's models, listed the way ARM lists them."""
    return [
        model(
            "gpt-5-mini",
            "2025-08-07",
            [
                sku("GlobalStandard", "OpenAI.GlobalStandard.gpt-5-mini"),
                sku("DataZoneStandard", "OpenAI.DataZoneStandard.gpt-5-mini"),
            ],
        ),
        # The same model for Foundry (AIServices) accounts: a separate entry with the same usage names.
        model(
            "gpt-5-mini",
            "2025-08-07",
            [sku("GlobalStandard", "OpenAI.GlobalStandard.gpt-5-mini")],
            kind="AIServices",
        ),
        model(
            "text-embedding-3-small",
            "1",
            [
                sku("GlobalStandard", "OpenAI.GlobalStandard.text-embedding-3-small"),
                sku("Standard", "OpenAI.Standard.text-embedding-3-small", maximum=350),
            ],
        ),
        model(
            "gpt-4.1",
            "2025-04-14",
            [
                sku("GlobalStandard", "OpenAI.GlobalStandard.gpt4.1"),
                # Fine-tuning quota listed as a second Standard entry: not the base deployment's quota.
                sku("Standard", "OpenAI.Standard.gpt-4.1-finetune", maximum=100),
                sku("Standard", "OpenAI.Standard.gpt4.1", maximum=100),
            ],
        ),
    ]


def account(
    name: str, location: str, resource_group: str, *, kind: str = "OpenAI", tags: dict[str, str] | None = None
) -> dict[str, Any]:
    """An entry of `accounts` (list by resource group), shaped like ARM's."""
    return {
        "id": f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{resource_group}/providers/"
        f"Microsoft.CognitiveServices/accounts/{name}",
        "name": name,
        "type": "Microsoft.CognitiveServices/accounts",
        "location": location,
        "kind": kind,
        "sku": {"name": "S0"},
        "tags": tags or {},
        "properties": {"endpoint": f"https://{name}.openai.azure.com/", "provisioningState": "Succeeded"},
    }


def deployment(
    name: str, model_name: str, version: str, sku_name: str, capacity: int, *, fmt: str = "OpenAI"
) -> dict[str, Any]:
    """An entry of `accounts/{a}/deployments`, shaped like ARM's."""
    return {
        "id": f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/a"
        f"/deployments/{name}",
        "name": name,
        "type": "Microsoft.CognitiveServices/accounts/deployments",
        "sku": {"name": sku_name, "capacity": capacity},
        "properties": {
            "model": {"format": fmt, "name": model_name, "version": version},
            "versionUpgradeOption": "NoAutoUpgrade",
            "provisioningState": "Succeeded",
            "currentCapacity": capacity,
        },
    }


def quotas(overrides: dict[str, tuple[float, float]] | None = None) -> list[dict[str, Any]]:
    """Usages for `catalog()` as (current, limit): generous unless `overrides` says otherwise."""
    base = {
        "OpenAI.S0.AccountCount": (2, 30),
        "OpenAI.GlobalStandard.gpt-5-mini": (0, 500),
        "OpenAI.DataZoneStandard.gpt-5-mini": (0, 300),
        "OpenAI.GlobalStandard.text-embedding-3-small": (0, 450),
        "OpenAI.Standard.text-embedding-3-small": (0, 350),
        "OpenAI.GlobalStandard.gpt4.1": (0, 450),
        "OpenAI.Standard.gpt4.1": (0, 100),
        "OpenAI.Standard.gpt-4.1-finetune": (0, 5),
    }
    base.update(overrides or {})
    return [usage(n, c, lim) for n, (c, lim) in base.items()]


@dataclass
class _Failure:
    status: int
    code: str
    message: str
    times: int | None  # None: every call
    headers: dict[str, str]
    what: tuple[str, ...]
    used: int = 0


@dataclass
class FakeArm(CountsInFlight):
    """Register regions, then point the client at `server.url_for('/')`. Every request is logged in `calls`."""

    server: HTTPServer
    subscription: str = SUBSCRIPTION
    page_size: int = 2
    delay_s: float = 0.0
    regions: dict[str, dict[str, list[dict[str, Any]]]] = field(default_factory=dict)
    # Resource groups (lower-case name) -> accounts (ARM entries) and their deployments by account name.
    groups: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    deployments: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # Extra seconds before answering calls about one region (a region that hangs).
    slow: dict[str, float] = field(default_factory=dict)
    failures: dict[str, _Failure] = field(default_factory=dict)
    calls: list[tuple[str, str]] = field(default_factory=list)
    tokens: Counter[str] = field(default_factory=Counter)
    in_flight: int = 0
    max_in_flight: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.server.expect_request(re.compile(r"^/subscriptions/.*")).respond_with_handler(self._handle)

    @property
    def base_url(self) -> str:
        return self.server.url_for("/").rstrip("/")

    def region(self, name: str, models: list[dict[str, Any]], usages: list[dict[str, Any]]) -> FakeArm:
        self.regions[name] = {"models": models, "usages": usages}
        return self

    def deployed(
        self, resource_group: str, account_entry: dict[str, Any], deployments: list[dict[str, Any]]
    ) -> FakeArm:
        """An account (see `account()`) in a resource group, with its deployments (see `deployment()`)."""
        self.groups.setdefault(resource_group.lower(), []).append(account_entry)
        self.deployments[account_entry["name"]] = deployments
        return self

    def fail(
        self,
        region: str,
        status: int,
        code: str,
        message: str = "",
        *,
        times: int | None = None,
        headers: dict[str, str] | None = None,
        what: tuple[str, ...] = ("models", "usages"),
    ) -> FakeArm:
        # `region` may also be a resource group name: then every accounts/deployments call in it fails.
        self.failures[region] = _Failure(status, code, message or code, times, headers or {}, what)
        return self

    def count(self, region: str, what: str | None = None) -> int:
        return sum(1 for r, w in self.calls if r == region and (what is None or w == what))

    def _handle(self, request: Request) -> Response:
        return self._counted(self._answer, request)

    def _answer(self, request: Request) -> Response:
        if _ACCOUNTS.match(request.path) or _DEPLOYMENTS.match(request.path):
            return self._lab(request)
        match = _PATH.match(request.path)
        if match is None:
            return _error(404, "InvalidResourceType", f"The resource type could not be found: {request.path}")
        subscription, region, what = match.groups()
        with self._lock:
            self.calls.append((region, what))
            self.tokens[request.headers.get("Authorization", "")] += 1
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return _error(401, "InvalidAuthenticationToken", "The access token is invalid.")
        if not request.args.get("api-version"):
            return _error(400, "MissingApiVersionParameter", "The api-version query parameter is required.")
        if subscription != self.subscription:
            return _error(
                404, "SubscriptionNotFound", f"The subscription '{subscription}' could not be found."
            )
        if self.slow.get(region):
            time.sleep(self.slow[region])
        failure = self.failures.get(region)
        if failure is not None and what in failure.what:
            with self._lock:
                active = failure.times is None or failure.used < failure.times
                failure.used += 1
            if active:
                return _error(failure.status, failure.code, failure.message, failure.headers)
        if region not in self.regions:
            return _error(
                400,
                "NoRegisteredProviderFound",
                f"No registered resource provider found for location '{region}' and API version "
                f"'{request.args.get('api-version')}' for type 'locations/{what}'.",
            )
        items = self.regions[region][what]
        start = int(request.args.get("$skiptoken", "0"))
        page = items[start : start + self.page_size]
        body: dict[str, Any] = {"value": page}
        if start + self.page_size < len(items):
            query = urlencode(
                {"api-version": request.args["api-version"], "$skiptoken": start + self.page_size}
            )
            body["nextLink"] = f"{self.base_url}{request.path}?{query}"
        return Response(json.dumps(body), status=200, content_type="application/json")

    def _lab(self, request: Request) -> Response:
        """`accounts` of a resource group and `deployments` of an account, one page each (404 when absent)."""
        accounts, deployments = _ACCOUNTS.match(request.path), _DEPLOYMENTS.match(request.path)
        group = (accounts or deployments)[2]  # type: ignore[index]
        with self._lock:
            self.calls.append((group, "deployments" if deployments else "accounts"))
            self.tokens[request.headers.get("Authorization", "")] += 1
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return _error(401, "InvalidAuthenticationToken", "The access token is invalid.")
        failure = self.failures.get(group)
        if failure is not None:
            with self._lock:
                active = failure.times is None or failure.used < failure.times
                failure.used += 1
            if active:
                return _error(failure.status, failure.code, failure.message, failure.headers)
        entries = self.groups.get(group.lower())
        if entries is None:
            return _error(404, "ResourceGroupNotFound", f"Resource group '{group}' could not be found.")
        if accounts:
            return Response(json.dumps({"value": entries}), status=200, content_type="application/json")
        name = deployments[3]  # type: ignore[index]
        if not any(a["name"] == name for a in entries):
            return _error(
                404,
                "ResourceNotFound",
                f"The Resource 'Microsoft.CognitiveServices/accounts/{name}' under resource group '{group}' "
                "was not found.",
            )
        body = {"value": self.deployments.get(name, [])}
        return Response(json.dumps(body), status=200, content_type="application/json")


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps({"error": {"code": code, "message": message}}),
        status=status,
        headers={"x-ms-failure-cause": "gateway", **(headers or {})},
        content_type="application/json",
    )
