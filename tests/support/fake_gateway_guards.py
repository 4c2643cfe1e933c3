"""The fake gateway's model of the policy's guards (components/policies/guards/), read from a rendered policy.

Everything the fake enforces comes from the XML: which refusals exist (each `return-response`, by its error code,
with its status and body), the values they compare with (the `set-variable`s the policy's expressions read), the
call rate and concurrency bounds (`rate-limit-by-key`, `limit-concurrency`: their numbers and counter keys) and the
on-error answers to them. The fake does not run C#: each error code stands for one check, written here in Python
(`refusal`). A policy without a refusal does not refuse; a counter keyed on something other than the subscription
is shared by everyone it keys alike (on loopback every caller has the same IP address).
"""

from __future__ import annotations

import json
import re
import threading
import xml.etree.ElementTree as ET
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from components.gateway_guards import CALL_RATE_ID, CONCURRENCY_ID

_SUBSCRIPTION = re.compile(r'context\.Subscription\.Id == "([^"]+)"')
_DEPLOYMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{1,63}")
_RESPONSE_ID = re.compile(r"resp_[A-Za-z0-9_-]{1,200}")
_BAD_PATH = re.compile(r"%2[eEfF]|%5[cC]|%25|\.\.|\\")
OUTPUT_FIELDS = ("max_tokens", "max_completion_tokens", "max_output_tokens")
CHOICE_FIELDS = ("n", "best_of")


@dataclass(frozen=True)
class Refusal:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Caps:
    max_output_tokens: int
    max_choices: int
    refusals: dict[str, Refusal]


@dataclass
class Counter:
    """A rate-limit-by-key or limit-concurrency: its limit, window and counter key, and the on-error answer."""

    limit: int
    key_expression: str
    answer: Refusal | None
    period_s: int = 60
    retry_variable: str | None = None

    def key(self, caller: str, ip: str) -> str:
        if "context.Subscription.Id" in self.key_expression:
            return caller
        if "context.Request.IpAddress" in self.key_expression:
            return ip
        return self.key_expression


@dataclass
class GuardModel:
    refusals: dict[str, Refusal] = field(default_factory=dict)
    variables: dict[str, str] = field(default_factory=dict)
    caps: Caps | None = None
    participant_caps: dict[str, Caps] = field(default_factory=dict)
    injects_caps: bool = False
    call_rate: Counter | None = None
    concurrency: Counter | None = None
    _calls: dict[str, deque[float]] = field(default_factory=dict)
    _in_flight: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # ---- counters ----
    def rate_refusal(self, caller: str, ip: str, now: float) -> Refusal | None:
        rule = self.call_rate
        if rule is None:
            return None
        key = rule.key(caller, ip)
        with self._lock:
            window = self._calls.setdefault(key, deque())
            while window and window[0] <= now - rule.period_s:
                window.popleft()
            if len(window) >= rule.limit:
                retry = max(1, int(window[0] + rule.period_s - now + 0.999))
                answer = rule.answer or Refusal(
                    429, {"statusCode": 429, "message": "Rate limit is exceeded."}
                )
                return Refusal(
                    answer.status, answer.body, {"Retry-After": str(retry), **_static(answer.headers)}
                )
            window.append(now)
        return None

    @contextmanager
    def in_flight(self, caller: str, ip: str) -> Iterator[Refusal | None]:
        """A slot of the caller's concurrency bound for the backend call, or the refusal when none is free."""
        rule = self.concurrency
        if rule is None:
            yield None
            return
        key = rule.key(caller, ip)
        with self._lock:
            full = self._in_flight.get(key, 0) >= rule.limit
            if not full:
                self._in_flight[key] = self._in_flight.get(key, 0) + 1
        if full:
            yield rule.answer or Refusal(429, {"statusCode": 429, "message": "Too many requests."})
            return
        try:
            yield None
        finally:
            with self._lock:
                self._in_flight[key] -= 1

    # ---- what a call may ask for ----
    def caps_of(self, caller: str) -> Caps | None:
        return self.participant_caps.get(caller, self.caps)

    def refusal(self, request: GuardedRequest) -> Refusal | None:
        """The first refusal the policy's inbound guards give this call, in the policy's order."""
        for code, check in _CHECKS:
            refusal = self.refusals.get(code)
            caps = self.caps_of(request.caller)
            if caps is not None and code in caps.refusals:
                refusal = caps.refusals[code]
            if refusal is not None and check(self, request):
                return refusal
        return None

    def inject(self, request: GuardedRequest) -> dict[str, Any]:
        """The body as the policy's last set-body passes it on: the cap where the caller set none, store off."""
        body = dict(request.body)
        caps = self.caps_of(request.caller)
        if not self.injects_caps or caps is None or request.method != "POST":
            return body
        path = request.path
        if path.endswith("/responses"):
            if body.get("max_output_tokens") is None:
                body["max_output_tokens"] = caps.max_output_tokens
            if self.variables.get("lab-allow-store") != "true":
                body["store"] = False
        elif path.endswith("/chat/completions"):
            if body.get("max_tokens") is None and body.get("max_completion_tokens") is None:
                body["max_completion_tokens"] = caps.max_output_tokens
        elif path.endswith("/completions") and body.get("max_tokens") is None:
            body["max_tokens"] = caps.max_output_tokens
        return body


@dataclass(frozen=True)
class GuardedRequest:
    caller: str
    method: str
    path: str  # decoded
    raw_path: str  # as sent, percent-encoding kept
    query_keys: tuple[str, ...]
    params: dict[str, str]  # the operation's matched path parameters, decoded
    body: dict[str, Any]
    body_readable: bool


def _asked(body: dict[str, Any], names: tuple[str, ...], most: int) -> bool:
    for name in names:
        value = body.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value > most:
            return True
    return False


def _deployment_asked(request: GuardedRequest) -> str:
    if "deployment-id" in request.params:
        return request.params["deployment-id"]
    model = request.body.get("model")
    return "" if model is None else (model if isinstance(model, str) else json.dumps(model))


def _not_allowed(model: GuardModel, request: GuardedRequest) -> bool:
    asked = _deployment_asked(request)
    allowed = model.variables.get("lab-allowed-deployments", "").split(",")
    return asked != "" and (not _DEPLOYMENT.fullmatch(asked) or asked not in allowed)


def _store_asked(model: GuardModel, request: GuardedRequest) -> bool:
    if model.variables.get("lab-allow-store") == "true":
        return False
    store = request.body.get("store")
    return (store is not None and store is not False) or request.body.get("previous_response_id") is not None


def _tool_refused(model: GuardModel, request: GuardedRequest) -> bool:
    tools = request.body.get("tools")
    if tools is None:
        return False
    if not isinstance(tools, list):
        return True
    allowed = model.variables.get("lab-allowed-tools", "").split(",")
    return any(not isinstance(t, dict) or t.get("type") not in allowed for t in tools)


def _cap(model: GuardModel, request: GuardedRequest) -> bool:
    caps = model.caps_of(request.caller)
    return caps is not None and _asked(request.body, OUTPUT_FIELDS, caps.max_output_tokens)


def _choices(model: GuardModel, request: GuardedRequest) -> bool:
    caps = model.caps_of(request.caller)
    return caps is not None and _asked(request.body, CHOICE_FIELDS, caps.max_choices)


def _background(model: GuardModel, request: GuardedRequest) -> bool:
    value = request.body.get("background")
    return model.variables.get("lab-allow-background") != "true" and value is not None and value is not False


_Check = Callable[[GuardModel, GuardedRequest], bool]
# The checks in the order the policy runs them (guards/call-guards.xml, guards/participant-caps.xml).
_CHECKS: tuple[tuple[str, _Check], ...] = (
    ("ApiKeyInUrl", lambda m, r: any(k.lower() == "api-key" for k in r.query_keys)),
    ("InvalidPath", lambda m, r: _BAD_PATH.search(r.raw_path) is not None),
    (
        "InvalidDeploymentName",
        lambda m, r: "deployment-id" in r.params and not _DEPLOYMENT.fullmatch(r.params["deployment-id"]),
    ),
    (
        "InvalidResponseId",
        lambda m, r: "response-id" in r.params and not _RESPONSE_ID.fullmatch(r.params["response-id"]),
    ),
    ("InvalidBody", lambda m, r: not r.body_readable),
    ("DeploymentNotAllowed", _not_allowed),
    ("OutputCapExceeded", _cap),
    ("TooManyChoices", _choices),
    (
        "StoredResponsesOff",
        lambda m, r: "response-id" in r.params and m.variables.get("lab-allow-store") != "true",
    ),
    ("StoreNotAllowed", _store_asked),
    ("BackgroundNotAllowed", _background),
    ("ToolNotAllowed", _tool_refused),
)


# ---- reading the rendered policy ----
def _static(headers: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in headers.items() if not v.startswith("@")}


def _answer(element: ET.Element) -> Refusal | None:
    """A `return-response` or an on-error `when`: its status, JSON body and literal headers."""
    body = element.find("set-body")
    if body is None or not body.text or body.text.lstrip().startswith("@"):
        return None
    status = element.find("set-status")
    headers = {}
    for header in element.findall("set-header"):
        value = header.find("value")
        if value is not None and value.text and header.get("name", "").lower() != "content-type":
            headers[header.get("name", "")] = value.text.strip()
    code = int(status.get("code", "0")) if status is not None else 429
    return Refusal(code, json.loads(body.text), headers)


def _code(refusal: Refusal) -> str:
    return str((refusal.body.get("error") or {}).get("code", ""))


def _caps(parent: ET.Element, children: list[ET.Element]) -> Caps:
    values = {e.get("name"): e.get("value", "") for e in children if e.tag == "set-variable"}
    refusals: dict[str, Refusal] = {}
    for choose in (c for c in children if c.tag == "choose"):
        for response in choose.iter("return-response"):
            answer = _answer(response)
            if answer is not None:
                refusals[_code(answer)] = answer
        break  # the caps' own <choose> follows their variables
    return Caps(int(values["lab-max-output-tokens"]), int(values["lab-max-choices"]), refusals)


def _on_error_answer(root: ET.Element, policy_id: str) -> Refusal | None:
    for when in root.findall("on-error/choose/when"):
        if f'"{policy_id}"' in when.get("condition", ""):
            return _answer(when)
    return None


def guards_from_policy(policy_xml: str) -> GuardModel:
    root = ET.fromstring(policy_xml)
    inbound = root.find("inbound")
    assert inbound is not None
    parents = {child: parent for parent in root.iter() for child in parent}
    model = GuardModel()
    for response in inbound.iter("return-response"):
        answer = _answer(response)
        if answer is not None:
            model.refusals.setdefault(_code(answer), answer)
    for variable in inbound.iter("set-variable"):
        model.variables.setdefault(variable.get("name", ""), variable.get("value", ""))
    for variable in inbound.iter("set-variable"):
        if variable.get("name") != "lab-max-output-tokens":
            continue
        parent = parents[variable]
        children = list(parent)
        caps = _caps(parent, children[children.index(variable) :])
        sids = _SUBSCRIPTION.findall(parent.get("condition", "")) if parent.tag == "when" else []
        for sid in sids:
            model.participant_caps[sid] = caps
        if not sids:
            model.caps = caps
    model.injects_caps = any("lab-max-output-tokens" in (b.text or "") for b in inbound.iter("set-body"))
    for rate in inbound.iter("rate-limit-by-key"):
        model.call_rate = Counter(
            limit=int(rate.get("calls", "0")),
            period_s=int(rate.get("renewal-period", "60")),
            key_expression=rate.get("counter-key", ""),
            answer=_on_error_answer(root, rate.get("id", CALL_RATE_ID)),
            retry_variable=rate.get("retry-after-variable-name"),
        )
    for bound in root.iter("limit-concurrency"):
        model.concurrency = Counter(
            limit=int(bound.get("max-count", "0")),
            key_expression=bound.get("key", ""),
            answer=_on_error_answer(root, bound.get("id", CONCURRENCY_ID)),
        )
    return model


def guarded_request(
    *,
    caller: str,
    method: str,
    path: str,
    raw_path: str,
    query_keys: tuple[str, ...],
    params: dict[str, str],
    raw_body: bytes,
) -> GuardedRequest:
    body: dict[str, Any] = {}
    readable = True
    if method == "POST":
        try:
            parsed = json.loads(raw_body or b"null", object_pairs_hook=_no_duplicates)
            readable = isinstance(parsed, dict)
            body = parsed if readable else {}
        except ValueError:
            readable = False
    return GuardedRequest(
        caller=caller,
        method=method,
        path=path,
        raw_path=raw_path,
        query_keys=query_keys,
        params={k: unquote(v) for k, v in params.items()},
        body=body,
        body_readable=readable,
    )


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """The stricter of Json.NET's readings of a key given twice (refuse; the other keeps the last one, as Azure
    OpenAI would): the policy then answers InvalidBody. Which one the gateway's runtime does only a live call shows."""
    keys = [k for k, _ in pairs]
    if len(keys) != len(set(keys)):
        raise ValueError("duplicate key")
    return dict(pairs)
