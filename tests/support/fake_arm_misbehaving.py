"""A Resource Manager that answers badly, over loopback HTTPS, for the real azure-mgmt clients.

Each route answers with one of the ways a network or ARM goes wrong in practice: a proxy's HTML sign-in page with
200, JSON of the wrong shape or types (`"limit": "NaN"`), throttling with an hour's Retry-After, a `nextLink`
that points back at itself, an answer that never comes, a long-running operation that never completes. Every
request is logged, so a test can assert how many calls a client made (a loop is many calls to one URL).
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.support.fake_arm import SUBSCRIPTION, TOKEN

Handler = Callable[[Request], Response]

USAGES = re.compile(r"^/subscriptions/[^/]+/providers/Microsoft\.CognitiveServices/locations/([^/]+)/usages$")
MODELS = re.compile(r"^/subscriptions/[^/]+/providers/Microsoft\.CognitiveServices/locations/([^/]+)/models$")
DELETED_ACCOUNTS = re.compile(
    r"^/subscriptions/[^/]+/providers/Microsoft\.CognitiveServices/deletedAccounts$"
)
DELETED_SERVICES = re.compile(r"^/subscriptions/[^/]+/providers/Microsoft\.ApiManagement/deletedservices$")
PURGE_ACCOUNT = re.compile(
    r"^/subscriptions/[^/]+/providers/Microsoft\.CognitiveServices/locations/[^/]+/resourceGroups/[^/]+"
    r"/deletedAccounts/[^/]+$"
)

LOGIN_PAGE = (
    "<!DOCTYPE html><html><head><title>Contoso Secure Web Gateway - Sign in</title></head>"
    "<body><form action='/login'><input name='user'></form></body></html>"
)


def json_answer(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    text = body if isinstance(body, str) else json.dumps(body)
    return Response(text, status=status, headers=headers or {}, content_type="application/json")


def raw_answer(text: str, content_type: str, status: int = 200) -> Response:
    return Response(text, status=status, content_type=content_type)


def usage(name: str, current: Any = 0, limit: Any = 100) -> dict[str, Any]:
    return {
        "name": {"value": name, "localizedValue": name},
        "currentValue": current,
        "limit": limit,
        "unit": "Count",
    }


@dataclass
class Call:
    method: str
    path: str
    query: str


@dataclass
class MisbehavingArm:
    server: HTTPServer
    routes: list[tuple[str, re.Pattern[str], Handler]] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def install(self) -> MisbehavingArm:
        self.server.expect_request(re.compile(".*")).respond_with_handler(self._handle)
        return self

    @property
    def base(self) -> str:
        return self.server.url_for("/").rstrip("/")

    def on(self, method: str, pattern: re.Pattern[str] | str, handler: Handler) -> MisbehavingArm:
        compiled = pattern if isinstance(pattern, re.Pattern) else re.compile(pattern)
        self.routes.append((method.upper(), compiled, handler))
        return self

    def count(self, path_pattern: re.Pattern[str], *, method: str = "GET") -> int:
        return sum(1 for c in self.calls if c.method == method and path_pattern.search(c.path))

    def _handle(self, request: Request) -> Response:
        with self._lock:
            self.calls.append(Call(request.method, request.path, request.query_string.decode()))
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return json_answer({"error": {"code": "AuthenticationFailed", "message": "no token"}}, 401)
        for method, pattern, handler in self.routes:
            if method == request.method and pattern.search(request.path):
                return handler(request)
        return json_answer({"error": {"code": "NotFound", "message": f"no fake for {request.path}"}}, 404)

    # ---- ready-made misbehaviour ----

    def always(self, answer: Callable[[], Response]) -> Handler:
        return lambda _request: answer()

    def looping_pages(self, first: list[dict[str, Any]], *, back_to: str = "self") -> Handler:
        """Every page carries the same item and a nextLink: to the same page (`self`) or alternating between two
        pages (`other`): a list that never ends."""

        def handler(request: Request) -> Response:
            token = request.args.get("$skiptoken")
            # "self": page2 links to page2; "other": page2 and page3 link to each other.
            link_token = "page3" if back_to == "other" and token == "page2" else "page2"
            link = f"{self.base}{request.path}?api-version={request.args.get('api-version')}&$skiptoken={link_token}"
            return json_answer({"value": first, "nextLink": link})

        return handler

    def endless_pages(self, item: dict[str, Any]) -> Handler:
        """A new nextLink on every page, forever (a paging bug that never repeats a URL)."""

        def handler(request: Request) -> Response:
            n = int(request.args.get("$skiptoken") or 0) + 1
            link = f"{self.base}{request.path}?api-version={request.args.get('api-version')}&$skiptoken={n}"
            return json_answer({"value": [item], "nextLink": link})

        return handler

    def slow(self, seconds: float, then: Callable[[], Response]) -> Handler:
        def handler(_request: Request) -> Response:
            time.sleep(seconds)
            return then()

        return handler

    def throttled(
        self, retry_after: str, *, times: int | None = None, then: Callable[[], Response] | None = None
    ) -> Handler:
        """429 with Retry-After (`times` times, then `then()`), ARM's throttling body."""
        left = [times]

        def handler(_request: Request) -> Response:
            if left[0] is None or left[0] > 0 or then is None:
                if left[0] is not None:
                    left[0] -= 1
                return json_answer(
                    {"error": {"code": "TooManyRequests", "message": "Rate limit is exceeded."}},
                    429,
                    {"Retry-After": retry_after},
                )
            return then()

        return handler

    def never_finishing_purge(self, retry_after: str = "3600") -> None:
        """DELETE of a soft-deleted account is accepted (202) and its operation stays InProgress forever."""
        status_path = "/fake-operations/never"
        self.on(
            "DELETE",
            PURGE_ACCOUNT,
            lambda _r: json_answer(
                "", 202, {"Azure-AsyncOperation": f"{self.base}{status_path}", "Retry-After": retry_after}
            ),
        )
        self.on(
            "GET",
            re.compile(f"^{status_path}$"),
            lambda _r: json_answer({"status": "InProgress"}, 200, {"Retry-After": retry_after}),
        )


__all__ = [
    "DELETED_ACCOUNTS",
    "DELETED_SERVICES",
    "LOGIN_PAGE",
    "MODELS",
    "PURGE_ACCOUNT",
    "SUBSCRIPTION",
    "USAGES",
    "MisbehavingArm",
    "json_answer",
    "raw_answer",
    "usage",
]
