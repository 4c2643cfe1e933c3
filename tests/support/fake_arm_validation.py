"""A fake Resource Manager for what preflight asks beyond the model lists: deployment validation, the subscription,
resource providers and the API Management SKU list, served over loopback HTTPS to the real SDK clients.

- `POST /subscriptions/{s}/providers/Microsoft.Resources/deployments/{name}/validate`: per region (the body's
  `location`) 200 with a DeploymentValidateResult, 202 + Location polled N times, 400 with the result's `error`,
  any other status with an ARM error body, or a delay (a region that hangs). Bodies received are kept.
- `GET /subscriptions/{s}`: `subscriptionPolicies.quotaId` / `spendingLimit`.
- `GET /subscriptions/{s}/providers/{ns}` and `POST .../register`: NotRegistered -> Registering (for N reads) ->
  Registered, the long-running state of provider registration.
- `GET /subscriptions/{s}/providers/Microsoft.ApiManagement/skus`: resource SKUs with locations and restrictions.

The error bodies are the real ones quoted in labctl/preflight/verdicts/refusals.py.
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.support.fake_arm import SUBSCRIPTION, TOKEN

_VALIDATE = re.compile(
    r"^/subscriptions/([^/]+)/providers/Microsoft\.Resources/deployments/([^/]+)/validate$", re.I
)
_OPERATION = re.compile(r"^/subscriptions/([^/]+)/operationresults/([^/]+)$", re.I)
_SUBSCRIPTION = re.compile(r"^/subscriptions/([^/]+)$", re.I)
_PROVIDER = re.compile(r"^/subscriptions/([^/]+)/providers/([^/]+)(/register)?$", re.I)
_APIM_SKUS = re.compile(r"^/subscriptions/([^/]+)/providers/Microsoft\.ApiManagement/skus$", re.I)


# ---- real error bodies ----


def disallowed_by_azure(resource: str) -> dict[str, Any]:
    """403 of the Azure for Students region policy (microsoft/microsoft-foundry-for-vscode#373)."""
    return {
        "error": {
            "code": "RequestDisallowedByAzure",
            "target": resource,
            "message": f"Resource '{resource}' was disallowed by Azure: This policy maintains a set of best available "
            "regions where your subscription can deploy resources. The objective of this policy is to ensure that "
            "your subscription has full access to Azure services with optimal performance. Should you need "
            "additional or different regions, contact support..",
        }
    }


def invalid_template(name: str, *inner: dict[str, Any]) -> dict[str, Any]:
    """400 InvalidTemplateDeployment wrapping ValidationForResourceFailed (MicrosoftDocs/azure-docs#108681)."""
    return {
        "error": {
            "code": "InvalidTemplateDeployment",
            "message": f"The template deployment '{name}' is not valid according to the validation procedure. The "
            "tracking id is '9e385e1f-2dbc-4667-be98-7aa2f6bfa5ac'. See inner errors for details.",
            "details": [
                {
                    "code": "ValidationForResourceFailed",
                    "message": "Validation failed for a resource. Check 'Error.Details[0]' for more information.",
                    "details": list(inner),
                }
            ],
        }
    }


def special_feature(kind: str = "OpenAI") -> dict[str, Any]:
    return {
        "code": "SpecialFeatureOrQuotaIdRequired",
        "message": f"The subscription does not have QuotaId/Feature required by SKU 'S0' from kind '{kind}' or "
        "contains blocked QuotaId/Feature.",
    }


def insufficient_quota(model: str, asked: int, available: int) -> dict[str, Any]:
    return {
        "code": "InsufficientQuota",
        "message": f"This operation require {asked} new capacity in quota Tokens Per Minute (thousands) - {model}, "
        f"which is bigger than the current available capacity {available}.",
    }


def soft_deleted(account_id: str) -> dict[str, Any]:
    return {
        "code": "FlagMustBeSetForRestore",
        "message": f"An existing resource with ID '{account_id}' has been soft-deleted. To restore the resource, you "
        "must specify 'restore' to be 'true' in the property. If you don't want to restore existing resource, "
        "please purge it first.",
    }


def over_quota_for_sku() -> dict[str, Any]:
    return {
        "code": "SubscriptionIsOverQuotaForSku",
        "message": "This region has quota of 0 instances for your subscription. Try selecting different region or SKU.",
    }


# ---- the fake ----


@dataclass
class Answer:
    status: int = 200
    body: dict[str, Any] | None = None
    # For 202: how many polls answer 202 before the final result.
    polls: int = 0
    delay_s: float = 0.0


@dataclass
class FakeArmValidation:
    server: HTTPServer
    subscription: str = SUBSCRIPTION
    quota_id: str = "PayAsYouGo_2014-09-01"
    spending_limit: str = "Off"
    # Per region (lower case): the validation answer. Unlisted regions are accepted.
    answers: dict[str, Answer] = field(default_factory=dict)
    # Per deployment name (the validation's name): takes precedence over the region's answer.
    answers_by_name: dict[str, Answer] = field(default_factory=dict)
    # Seconds every call waits (a slow ARM, for the benchmark).
    delay_s: float = 0.0
    providers: dict[str, str] = field(default_factory=dict)
    # How many reads a provider stays "Registering" after register.
    registering_reads: int = 2
    apim_skus: list[dict[str, Any]] = field(default_factory=list)
    bodies: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[tuple[str, str]] = field(default_factory=list)
    _operations: dict[str, tuple[str, int]] = field(default_factory=dict)
    _registering: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        for pattern in (_VALIDATE, _OPERATION, _APIM_SKUS, _PROVIDER, _SUBSCRIPTION):
            self.server.expect_request(pattern).respond_with_handler(self._handle)

    @property
    def base_url(self) -> str:
        return self.server.url_for("/").rstrip("/")

    def answer(self, region: str, status: int = 200, body: dict[str, Any] | None = None, **kw: Any) -> None:
        self.answers[region.lower()] = Answer(status, body, **kw)

    def count(self, what: str) -> int:
        return sum(1 for w, _ in self.calls if w == what)

    def _handle(self, request: Request) -> Response:
        if self.delay_s:
            time.sleep(self.delay_s)
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return _json(
                401,
                {"error": {"code": "InvalidAuthenticationToken", "message": "The access token is invalid."}},
            )
        if not request.args.get("api-version"):
            return _json(
                400, {"error": {"code": "MissingApiVersionParameter", "message": "api-version is required."}}
            )
        path = request.path
        if m := _VALIDATE.match(path):
            return self._validate(request, m[2])
        if m := _OPERATION.match(path):
            return self._operation(m[2])
        if _APIM_SKUS.match(path):
            self._log("apim-skus", "")
            return _json(200, {"value": self.apim_skus})
        if m := _PROVIDER.match(path):
            return self._provider(request, m[2], bool(m[3]))
        if m := _SUBSCRIPTION.match(path):
            self._log("subscription", m[1])
            if m[1] != self.subscription:
                return _json(
                    404,
                    {
                        "error": {
                            "code": "SubscriptionNotFound",
                            "message": f"The subscription '{m[1]}' could not be found.",
                        }
                    },
                )
            return _json(200, self.subscription_body())
        return _json(404, {"error": {"code": "InvalidResourceType", "message": path}})

    def subscription_body(self) -> dict[str, Any]:
        return {
            "id": f"/subscriptions/{self.subscription}",
            "subscriptionId": self.subscription,
            "displayName": "Azure for Students" if "Students" in self.quota_id else "Lab subscription",
            "state": "Enabled",
            "tenantId": "72f988bf-86f1-41af-91ab-2d7cd011db47",
            "subscriptionPolicies": {
                "locationPlacementId": "Public_2014-09-01",
                "quotaId": self.quota_id,
                "spendingLimit": self.spending_limit,
            },
            "authorizationSource": "RoleBased",
        }

    def _log(self, what: str, key: str) -> None:
        with self._lock:
            self.calls.append((what, key))

    def _validate(self, request: Request, name: str) -> Response:
        body = json.loads(request.data or b"{}")
        region = str(body.get("location", "")).lower()
        self._log("validate", region)
        with self._lock:
            self.bodies[region] = body
            self.bodies[name] = body
        answer = self.answers_by_name.get(name) or self.answers.get(region, Answer())
        if answer.delay_s:
            time.sleep(answer.delay_s)
        if answer.status == 202:
            op = f"op-{region}-{len(self.calls)}"
            with self._lock:
                self._operations[op] = (name, answer.polls)
            return self._still_running(op)
        if answer.status == 200:
            return _json(200, answer.body or self.accepted(name, region))
        return _json(
            answer.status, answer.body or {"error": {"code": "InternalServerError", "message": "boom"}}
        )

    def accepted(self, name: str, region: str) -> dict[str, Any]:
        return {
            "id": f"/subscriptions/{self.subscription}/providers/Microsoft.Resources/deployments/{name}",
            "name": name,
            "location": region,
            "properties": {"provisioningState": "Succeeded", "mode": "Incremental", "validatedResources": []},
        }

    def _still_running(self, op: str) -> Response:
        """202 with the operation's Location to poll (and no wait), as ARM answers a validation not yet done."""
        return Response(
            "",
            status=202,
            headers={
                "Location": f"{self.base_url}/subscriptions/{self.subscription}/operationresults/{op}?api-version=2026-06-01",
                "Retry-After": "0",
            },
        )

    def _operation(self, op: str) -> Response:
        self._log("poll", op)
        with self._lock:
            name, left = self._operations[op]
            self._operations[op] = (name, left - 1)
        if left > 0:
            return self._still_running(op)
        region = op.split("-")[1]
        return _json(200, self.accepted(name, region))

    def _provider(self, request: Request, namespace: str, register: bool) -> Response:
        key = namespace.lower()
        self._log("register" if register else "provider", namespace)
        with self._lock:
            state = self.providers.get(key, "NotRegistered")
            if register:
                if state != "Registered":
                    state = "Registering"
                    self._registering[key] = self.registering_reads
            elif state == "Registering":
                left = self._registering.get(key, 0)
                if left <= 0:
                    state = "Registered"
                self._registering[key] = left - 1
            self.providers[key] = state
        return _json(
            200,
            {
                "id": f"/subscriptions/{self.subscription}/providers/{namespace}",
                "namespace": namespace,
                "registrationState": state,
                "registrationPolicy": "RegistrationRequired",
                "resourceTypes": [],
            },
        )


def apim_sku(name: str, locations: list[str], restricted: list[str] | None = None) -> dict[str, Any]:
    """An entry of `Microsoft.ApiManagement/skus` (fields of azure-mgmt-apimanagement's ApiManagementSku)."""
    entry: dict[str, Any] = {
        "resourceType": "service",
        "name": name,
        "locations": locations,
        "locationInfo": [{"location": loc, "zones": []} for loc in locations],
        "restrictions": [],
    }
    if restricted:
        entry["restrictions"].append(
            {
                "type": "Location",
                "values": restricted,
                "restrictionInfo": {"locations": restricted, "zones": []},
                "reasonCode": "NotAvailableForSubscription",
            }
        )
    return entry


def _json(status: int, body: dict[str, Any]) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")
