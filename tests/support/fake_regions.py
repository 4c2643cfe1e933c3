"""A fake of a spread lab's gateway on loopback: the rendered policy's routing picks a backend, pools hand calls to
their members in turn, and each region's account keeps the Responses it created (as Azure OpenAI does).

It routes by reading the policy the program rendered (components/policies/spread-routing.xml, filled in) and the
Backend resources of the plan, so a change to either changes what the fake does. It understands only the
condition shapes that file uses; any other condition fails the test, rather than being guessed.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from components.gateway_api import Operation, match, operations, spec_text
from components.gateway_routing import DEPLOYMENT_VARIABLE

_TEMPLATE_TERM = re.compile(r'^context\.Operation\.UrlTemplate\.StartsWith\("([^"]*)"\)$')
_DEPLOYMENT_TERM = re.compile(
    r'^\(string\)context\.Variables\["' + DEPLOYMENT_VARIABLE + r'"\] == "([^"]*)"$'
)
API_PREFIX = "/openai"


def _holds(condition: str, template: str, deployment: str) -> bool:
    """Evaluate a routing condition of the spread policy: terms joined by ||, each of a known shape."""
    if not (condition.startswith("@(") and condition.endswith(")")):
        raise AssertionError(f"unknown routing condition {condition!r}")
    for term in (t.strip() for t in condition[2:-1].split("||")):
        if m := _TEMPLATE_TERM.match(term):
            if template.startswith(m[1]):
                return True
        elif m := _DEPLOYMENT_TERM.match(term):
            if deployment == m[1]:
                return True
        else:
            raise AssertionError(f"unknown routing term {term!r}")
    return False


@dataclass
class SpreadGateway:
    """Regions' accounts behind one gateway, routed by the plan's policy and backends."""

    policy_xml: str
    backends: Mapping[str, Mapping[str, Any]]  # backendId -> Backend inputs as the plan has them
    account_regions: Mapping[str, str]  # account name -> region
    stored: dict[str, set[str]] = field(default_factory=dict)  # region -> response ids
    answered: list[tuple[str, str, str]] = field(default_factory=list)  # (method, template, region)
    _turns: dict[str, Iterator[str]] = field(default_factory=dict)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def install(self, server: HTTPServer) -> SpreadGateway:
        server.expect_request(re.compile(f"^{API_PREFIX}/.*")).respond_with_handler(self.handle)
        return self

    def _backend_id(self, template: str, deployment: str) -> str:
        """The default <set-backend-service>, then the routing <choose> (the one right after the deployment
        variable is set; the policy's other <choose> elements refuse calls, they do not route)."""
        inbound = ET.fromstring(self.policy_xml).find("./inbound")
        assert inbound is not None
        chosen, routing_next = "", False
        for element in inbound:
            if element.tag == "set-backend-service":
                chosen = element.get("backend-id", "")
            elif element.tag == "choose" and routing_next:
                for when in element.findall("when"):
                    if _holds(when.get("condition", ""), template, deployment):
                        chosen = when.find("set-backend-service").get("backend-id", "")  # type: ignore[union-attr]
                        break
            routing_next = element.tag == "set-variable" and element.get("name") == DEPLOYMENT_VARIABLE
        return chosen

    def _region(self, backend_id: str) -> str:
        backend = self.backends[backend_id]
        if backend.get("type") == "Pool":
            with self._lock:
                if backend_id not in self._turns:
                    members = [s["id"].rsplit("/", 1)[-1] for s in backend["pool"]["services"]]
                    self._turns[backend_id] = itertools.cycle(members)
                member = next(self._turns[backend_id])
            return self._region(member)
        host = str(backend["url"]).split("://", 1)[1].split(".", 1)[0]
        return self.account_regions[host]

    def handle(self, request: Request) -> Response:
        path = request.path[len(API_PREFIX) :]
        op: Operation | None = match(operations(spec_text()), request.method, path)
        if op is None:
            return _answer(404, {"statusCode": 404, "message": "Resource not found"})
        body = request.get_json(silent=True) or {}
        deployment = ""
        if "{deployment-id}" in op.template:
            deployment = path.split("/")[2]
        elif request.method == "POST":
            deployment = str(body.get("model", ""))
        region = self._region(self._backend_id(op.template, deployment))
        with self._lock:
            self.answered.append((request.method, op.template, region))
            held = self.stored.setdefault(region, set())
        if op.template.endswith("/responses"):
            previous = body.get("previous_response_id")
            if previous and previous not in held:
                return _error(
                    400, "previous_response_not_found", f"Previous response with id '{previous}' not found."
                )
            response_id = f"resp_{region}_{next(self._ids):04d}"
            held.add(response_id)
            return _answer(200, _response(response_id, str(body.get("model", ""))), region)
        if op.template.endswith("/responses/{response-id}"):
            response_id = path.rsplit("/", 1)[-1]
            if response_id not in held:
                return _error(404, "not_found", f"Response with id '{response_id}' not found.", region)
            if request.method == "DELETE":
                held.discard(response_id)
                return _answer(200, {"id": response_id, "object": "response", "deleted": True}, region)
            return _answer(200, _response(response_id, "chat"), region)
        return _answer(200, {"object": "list", "data": []}, region)


def _answer(status: int, body: Any, region: str = "") -> Response:
    headers = {"x-ms-region": region} if region else {}
    return Response(json.dumps(body), status=status, headers=headers, content_type="application/json")


def _error(status: int, code: str, message: str, region: str = "") -> Response:
    return _answer(
        status, {"error": {"code": code, "message": message, "type": "invalid_request_error"}}, region
    )


def _response(response_id: str, model: str) -> dict[str, Any]:
    return {
        "id": response_id,
        "object": "response",
        "created_at": 1767225600,
        "status": "completed",
        "model": model,
        "output": [
            {
                "type": "message",
                "id": "msg_" + response_id,
                "status": "completed",
                "role": "assistant",
                "content": [{"type": "output_text", "text": "ok", "annotations": []}],
            }
        ],
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
        "usage": {"input_tokens": 13, "output_tokens": 2, "total_tokens": 15},
    }
