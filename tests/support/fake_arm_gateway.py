"""A fake Azure Resource Manager for one API Management service's subscriptions and named values, on loopback HTTPS,
for the real ApiManagementClient (labctl/classroom/gateway_control.py).

It checks every request as ARM would and records it exactly (method, path, api-version, If-Match, body):
- `PATCH .../service/{s}/subscriptions/{sid}?api-version=2024-05-01`: If-Match required (400 otherwise), body
  `{"properties": {"state": ...}}`; 200 with the subscription contract, 404 for an unknown sid.
- `PATCH .../service/{s}/namedValues/{id}?api-version=2024-05-01`: a long-running operation: 202 with Location
  (polled until done, then 200 with the named value), 404 for an unknown named value.
Scripted behaviours: `fail[sid] = (status, code)`, `throttle_s` (429 with that Retry-After on every PATCH),
`never_done` (the named value's operation stays in progress), and a 401 for any other bearer token.
Contract: Azure/azure-rest-api-specs, Microsoft.ApiManagement stable/2024-05-01 apimsubscriptions.json and
apimnamedvalues.json.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
from dataclasses import dataclass, field
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

SUBSCRIPTION = "7c1d2e3f-4a5b-4c6d-8e7f-8091a2b3c4d5"
RESOURCE_GROUP = "rg-aoai-lab-dev"
SERVICE = "apim-aoai-lab-dev-ab12c"
TOKEN = "fake-arm-token"
API_VERSION = "2024-05-01"
_BASE = (
    rf"^/subscriptions/{SUBSCRIPTION}/resourceGroups/{RESOURCE_GROUP}/providers/Microsoft\.ApiManagement"
    rf"/service/{SERVICE}"
)
_SUBSCRIPTION = re.compile(_BASE + r"/subscriptions/([^/]+)$")
_NAMED_VALUE = re.compile(_BASE + r"/namedValues/([^/]+)$")
_OPERATION = re.compile(r"^/fake-nv-operations/(\d+)$")


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    api_version: str | None
    if_match: str | None
    body: Any


@dataclass
class FakeGatewayArm:
    server: HTTPServer
    states: dict[str, str] = field(default_factory=dict)  # sid -> active | suspended
    named_values: dict[str, str] = field(default_factory=dict)
    fail: dict[str, tuple[int, str]] = field(default_factory=dict)
    throttle_s: int | None = None
    never_done: bool = False
    polls: int = 1  # in-progress answers before a named value's operation finishes
    requests: list[Seen] = field(default_factory=list)
    _ops: dict[int, tuple[str, str, int]] = field(default_factory=dict)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def install(self) -> FakeGatewayArm:
        for pattern, method in ((_SUBSCRIPTION, "PATCH"), (_NAMED_VALUE, "PATCH"), (_OPERATION, "GET")):
            self.server.expect_request(pattern, method=method).respond_with_handler(self.handle)
        return self

    @property
    def base(self) -> str:
        return self.server.url_for("/").rstrip("/")

    def handle(self, request: Request) -> Response:
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return _error(401, "AuthenticationFailed", "Authentication failed.")
        with self._lock:
            if m := _OPERATION.match(request.path):
                return self._operation(int(m[1]))
            body = request.get_json(silent=True)
            self.requests.append(
                Seen(
                    request.method,
                    request.path,
                    request.args.get("api-version"),
                    request.headers.get("If-Match"),
                    body,
                )
            )
            if request.args.get("api-version") != API_VERSION:
                return _error(400, "InvalidApiVersionParameter", "The api-version is not supported.")
            if not request.headers.get("If-Match"):
                return _error(400, "ValidationError", "If-Match header is required.")
            if self.throttle_s is not None:
                return _error(
                    429, "TooManyRequests", "Too many requests.", {"Retry-After": str(self.throttle_s)}
                )
            if m := _SUBSCRIPTION.match(request.path):
                return self._subscription(m[1], body)
            if m := _NAMED_VALUE.match(request.path):
                return self._named_value(m[1], body)
        return _error(404, "NotFound", "no fake for this path")

    def _subscription(self, sid: str, body: Any) -> Response:
        if sid in self.fail:
            status, code = self.fail[sid]
            return _error(status, code, f"scripted failure for {sid}")
        if sid not in self.states:
            return _error(404, "ResourceNotFound", "Subscription not found.")
        self.states[sid] = body["properties"]["state"]
        return _json(200, self._contract(sid))

    def _contract(self, sid: str) -> dict[str, Any]:
        return {
            "id": f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{RESOURCE_GROUP}/providers/"
            f"Microsoft.ApiManagement/service/{SERVICE}/subscriptions/{sid}",
            "type": "Microsoft.ApiManagement/service/subscriptions",
            "name": sid,
            "properties": {"displayName": sid, "scope": "/products/aoai-lab", "state": self.states[sid]},
        }

    def _named_value(self, name: str, body: Any) -> Response:
        if name not in self.named_values:
            return _error(404, "ResourceNotFound", "Property not found.")
        op = next(self._ids)
        self._ops[op] = (name, body["properties"]["value"], self.polls)
        return _json(202, None, {"Location": f"{self.base}/fake-nv-operations/{op}", "Retry-After": "0"})

    def _operation(self, op: int) -> Response:
        name, value, left = self._ops[op]
        if self.never_done or left > 0:
            self._ops[op] = (name, value, left - 1)
            return _json(202, None, {"Location": f"{self.base}/fake-nv-operations/{op}", "Retry-After": "0"})
        self.named_values[name] = value
        return _json(
            200,
            {
                "id": f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{RESOURCE_GROUP}/providers/"
                f"Microsoft.ApiManagement/service/{SERVICE}/namedValues/{name}",
                "type": "Microsoft.ApiManagement/service/namedValues",
                "name": name,
                "properties": {"displayName": name, "value": value, "secret": False},
            },
        )


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(
        "" if body is None else json.dumps(body),
        status=status,
        headers=headers or {},
        content_type="application/json",
    )


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Response:
    return _json(status, {"error": {"code": code, "message": message}}, headers)


def outputs(arm: FakeGatewayArm) -> dict[str, Any]:
    """Stack outputs that name this gateway (what `pulumi stack output --json` gives)."""
    return {
        "resourceGroup": RESOURCE_GROUP,
        "gatewayName": SERVICE,
        "deployments": {"chat": {"model": "gpt-5-mini", "version": "2025-08-07", "sku": "GlobalStandard"}},
        "gatewayRoot": f"https://{SERVICE}.azure-api.net",
    }
