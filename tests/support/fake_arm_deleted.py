"""A fake Azure Resource Manager for soft-deleted resources, served over loopback HTTPS for the real mgmt clients.

- `GET /subscriptions/{s}/providers/Microsoft.CognitiveServices/deletedAccounts` and
  `GET /subscriptions/{s}/providers/Microsoft.ApiManagement/deletedservices`: `{"value": [...]}` shaped like ARM's.
- `DELETE .../locations/{l}/resourceGroups/{rg}/deletedAccounts/{n}` and `.../locations/{l}/deletedservices/{n}`:
  per item, `accept` (202 + polling; accounts answer with Azure-AsyncOperation and Location, API Management with
  Location only, as their LROs do), `gone` (404), `conflict` (409 every time), `conflict-once` (409, then
  accept), `forbidden` (403 AuthorizationFailed), `fail-async` (accepted, then the operation ends Failed).
- Every request needs `Authorization: Bearer fake-arm-token` and an `api-version`, as ARM does.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
from dataclasses import dataclass, field
from typing import Any, Literal

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

SUBSCRIPTION = "5f1e2d3c-4b5a-4697-8877-665544332211"
TOKEN = "fake-arm-token"
Behaviour = Literal["accept", "gone", "conflict", "conflict-once", "forbidden", "fail-async"]

_LIST_ACCOUNTS = re.compile(
    r"^/subscriptions/([^/]+)/providers/Microsoft\.CognitiveServices/deletedAccounts$"
)
_LIST_SERVICES = re.compile(r"^/subscriptions/([^/]+)/providers/Microsoft\.ApiManagement/deletedservices$")
_PURGE_ACCOUNT = re.compile(
    r"^/subscriptions/([^/]+)/providers/Microsoft\.CognitiveServices/locations/([^/]+)/resourceGroups/([^/]+)"
    r"/deletedAccounts/([^/]+)$"
)
_PURGE_SERVICE = re.compile(
    r"^/subscriptions/([^/]+)/providers/Microsoft\.ApiManagement/locations/([^/]+)/deletedservices/([^/]+)$"
)
_OPERATION = re.compile(r"^/fake-operations/(\d+)$")
_RESULT = re.compile(r"^/fake-operation-results/(\d+)$")


@dataclass
class Deleted:
    kind: Literal["account", "gateway"]
    name: str
    location: str
    resource_group: str
    # None: the list omits `tags` for this item (as ARM may do for deleted accounts, and does for services).
    tags: dict[str, str] | None = None
    behaviour: Behaviour = "accept"
    # Polls answered "in progress" before the operation finishes.
    polls: int = 1

    def arm(self) -> dict[str, Any]:
        if self.kind == "account":
            out: dict[str, Any] = {
                "id": f"/subscriptions/{SUBSCRIPTION}/providers/Microsoft.CognitiveServices/locations/{self.location}"
                f"/resourceGroups/{self.resource_group}/deletedAccounts/{self.name}",
                "name": self.name,
                "type": "Microsoft.CognitiveServices/accounts",
                "location": self.location,
                "kind": "OpenAI",
                "sku": {"name": "S0"},
                "properties": {
                    "endpoint": f"https://{self.name}.openai.azure.com/",
                    "provisioningState": "Deleting",
                    "deletionDate": "2026-11-20T10:05:00Z",
                    "scheduledPurgeDate": "2026-11-22T10:05:00Z",
                },
            }
            if self.tags is not None:
                out["tags"] = self.tags
            return out
        out = {
            "id": f"/subscriptions/{SUBSCRIPTION}/providers/Microsoft.ApiManagement/locations/{self.location}"
            f"/deletedservices/{self.name}",
            "name": self.name,
            "type": "Microsoft.ApiManagement/deletedservices",
            # The deletedservices list gives the display name of the region.
            "location": {"eastus2": "East US 2", "swedencentral": "Sweden Central"}.get(
                self.location, self.location
            ),
            "properties": {
                "serviceId": f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{self.resource_group}"
                f"/providers/Microsoft.ApiManagement/service/{self.name}",
                "scheduledPurgeDate": "2026-11-22T10:09:00Z",
                "deletionDate": "2026-11-20T10:09:00Z",
            },
        }
        # Today's API gives soft-deleted services no tags; a test can give some, as a future API might.
        if self.tags is not None:
            out["tags"] = self.tags
        return out


@dataclass
class _Operation:
    item: Deleted
    polls_left: int
    fail: bool = False


@dataclass
class FakeDeletedArm:
    server: HTTPServer
    items: list[Deleted] = field(default_factory=list)
    deletes: list[tuple[str, str]] = field(default_factory=list)  # (kind, name) per DELETE request
    status_polls: int = 0
    # ARM answers accepted and in-progress polls with Retry-After (whole seconds); a fraction keeps tests fast and
    # shows the pollers honour it rather than their own 10 s interval.
    retry_after: str | None = "0.05"
    _operations: dict[int, _Operation] = field(default_factory=dict)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    _conflicted: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def install(self) -> FakeDeletedArm:
        for pattern, method in (
            (_LIST_ACCOUNTS, "GET"),
            (_LIST_SERVICES, "GET"),
            (_PURGE_ACCOUNT, "DELETE"),
            (_PURGE_SERVICE, "DELETE"),
            (_OPERATION, "GET"),
            (_RESULT, "GET"),
        ):
            self.server.expect_request(pattern, method=method).respond_with_handler(self.handle)
        return self

    @property
    def base(self) -> str:
        return self.server.url_for("/").rstrip("/")

    def handle(self, request: Request) -> Response:
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return _error(
                401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing."
            )
        path = request.path
        with self._lock:
            if m := _OPERATION.match(path):
                return self._operation_status(int(m[1]))
            if m := _RESULT.match(path):
                return self._operation_result(int(m[1]))
            if not request.args.get("api-version"):
                return _error(
                    400, "MissingApiVersionParameter", "The api-version query parameter is required."
                )
            if _LIST_ACCOUNTS.match(path):
                return _json(200, {"value": [i.arm() for i in self.items if i.kind == "account"]})
            if _LIST_SERVICES.match(path):
                return _json(200, {"value": [i.arm() for i in self.items if i.kind == "gateway"]})
            if m := _PURGE_ACCOUNT.match(path):
                return self._purge("account", m[4], location=m[2], resource_group=m[3])
            if m := _PURGE_SERVICE.match(path):
                return self._purge("gateway", m[3], location=m[2], resource_group=None)
        return _error(404, "NotFound", f"no fake for {path}")

    def _find(self, kind: str, name: str) -> Deleted | None:
        return next((i for i in self.items if i.kind == kind and i.name == name), None)

    def _purge(self, kind: str, name: str, *, location: str, resource_group: str | None) -> Response:
        self.deletes.append((kind, name))
        item = self._find(kind, name)
        if (
            item is None
            or item.location != location
            or (resource_group and item.resource_group != resource_group)
        ):
            return _error(404, "ResourceNotFound", f"The deleted resource '{name}' was not found.")
        if item.behaviour == "gone":
            self.items.remove(item)  # purged by someone else meanwhile: the list was stale
            return _error(404, "ResourceNotFound", f"The deleted resource '{name}' was not found.")
        if item.behaviour == "conflict" or (
            item.behaviour == "conflict-once" and name not in self._conflicted
        ):
            self._conflicted.add(name)
            return _error(
                409,
                "Conflict",
                f"The resource '{name}' is still being deleted. Please retry after it completes.",
            )
        if item.behaviour == "forbidden":
            return _error(
                403,
                "AuthorizationFailed",
                "The client 'ana@contoso.edu' does not have authorization to perform action "
                "'Microsoft.CognitiveServices/locations/resourceGroups/deletedAccounts/delete'.",
            )
        op_id = next(self._ids)
        self._operations[op_id] = _Operation(item, item.polls, fail=item.behaviour == "fail-async")
        headers = {"Location": f"{self.base}/fake-operation-results/{op_id}", **self._retry_after()}
        if kind == "account":
            headers["Azure-AsyncOperation"] = f"{self.base}/fake-operations/{op_id}"
        return _json(202, None, headers)

    def _operation_status(self, op_id: int) -> Response:
        self.status_polls += 1
        op = self._operations[op_id]
        if op.polls_left > 0:
            op.polls_left -= 1
            return _json(200, {"id": str(op_id), "status": "InProgress"}, self._retry_after())
        if op.fail:
            return _json(
                200,
                {
                    "id": str(op_id),
                    "status": "Failed",
                    "error": {"code": "InternalError", "message": "Purge failed."},
                },
            )
        self._finish(op)
        return _json(200, {"id": str(op_id), "status": "Succeeded"})

    def _operation_result(self, op_id: int) -> Response:
        self.status_polls += 1
        op = self._operations[op_id]
        if op.polls_left > 0:
            op.polls_left -= 1
            return _json(
                202, None, {"Location": f"{self.base}/fake-operation-results/{op_id}", **self._retry_after()}
            )
        if op.fail:
            return _error(500, "InternalError", "Purge failed.")
        self._finish(op)
        return _json(200, op.item.arm() if op.item.kind == "gateway" else None)

    def _retry_after(self) -> dict[str, str]:
        return {"Retry-After": self.retry_after} if self.retry_after is not None else {}

    def _finish(self, op: _Operation) -> None:
        if op.item in self.items:
            self.items.remove(op.item)


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(
        "" if body is None else json.dumps(body),
        status=status,
        headers={"x-ms-request-id": "00000000-0000-4000-8000-000000000001", **(headers or {})},
        content_type="application/json",
    )


def _error(status: int, code: str, message: str) -> Response:
    return _json(status, {"error": {"code": code, "message": message}})
