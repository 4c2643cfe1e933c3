"""A fake of the lab's data plane on loopback: API Management in front of Azure OpenAI, answering like both.

It checks the `api-key` header (the APIM subscription key, named like Azure OpenAI's so the SDK works unchanged)
or an Entra ID bearer token (the account, for `--direct`), and answers the operations the gateway declares:
chat completions (streamed too), embeddings and Responses, on dated api-versions (/openai/deployments/..., and
/openai/responses) and on the v1 API (/openai/v1/...), with the JSON Azure OpenAI returns, or the real errors:
- APIM's own:         {"statusCode": 401, "message": "Access denied due to invalid subscription key. ..."}
- Azure OpenAI's:     {"error": {"code": "DeploymentNotFound" | "PermissionDenied" | "429", "message": ...}}
It enforces the model facts (a GPT-5 deployment answers 400 on an api-version older than its minimum) and, like
the policy's azure-openai-token-limit (or llm-token-limit), a participant's tokens per minute (429 with Retry-After) and token quota (403),
with the refusal bodies of the rendered policy (`limits_from_policy`).
Scripted answers (`fail_next`) let a test make one participant or deployment fail, once or for good.

Like API Management it also takes the key as `?api-key=`, answers GET/DELETE of stored responses and GET
/openai/v1/models, and answers 404 itself for a path no operation matches. `enforce_policy` also applies the
policy's guards (tests/support/fake_gateway_guards.py): calls per minute and in flight per key, what a call may ask
for, and the body the policy passes on (`backend_calls` records what Azure OpenAI would receive). The model writes
`completion_tokens` tokens per answer, fewer when the call caps its output, so a test can make calls overshoot.
"""

from __future__ import annotations

import base64
import json
import re
import struct
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from components.cost_cap import COST_CAP_POLICY_ID
from components.gateway_policy import TOKEN_LIMIT_TAGS, TokenLimits
from facts.content_filter import RESULT_KEYS
from stacks.facts.models import api_version_key, model_facts
from tests.support.content_filter_messages import HEADER as CONTENT_FILTER_HEADER
from tests.support.content_filter_messages import completion_block_header, rewrite_prompt_block
from tests.support.fake_gateway_guards import GuardModel, Refusal, guarded_request, guards_from_policy
from tests.support.in_flight import CountsInFlight

# Dated: /openai/deployments/{d}/{op}?api-version=...; Responses: /openai/responses?api-version=...;
# v1: /openai/v1/{op} with the deployment as `model` in the body.
PATH_RE = re.compile(
    r"^/openai/(?:deployments/(?P<deployment>[^/]+)/(?P<op>chat/completions|embeddings)"
    r"|(?P<v1>v1/)?(?P<op2>chat/completions|embeddings|responses))$"
)
# Operations answered on GET and DELETE (the raw path: percent-encoding kept, as API Management matches segments).
READ_RE = re.compile(r"^/openai/(?P<v1>v1/)?responses/(?P<response>[^/]+)$")
MODELS_PATH = "/openai/v1/models"
ANY_PATH = re.compile(r"^/openai/.*$")
APIM_NOT_FOUND = {"statusCode": 404, "message": "Resource not found"}

TOKENS_CONSUMED_HEADER = "x-participant-tokens-consumed"
APIM_INVALID_KEY = "Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription."
APIM_MISSING_KEY = (
    "Access denied due to missing subscription key. Make sure to include subscription key when making "
    "requests to an API."
)
DEPLOYMENT_NOT_FOUND = (
    "The API deployment for this resource does not exist. If you created the deployment within the last "
    "5 minutes, please wait a moment and try again."
)
PERMISSION_DENIED = "Principal does not have access to API/Operation."
BAD_TOKEN = (
    "Unauthorized. Access token is missing, invalid, audience is incorrect (https://cognitiveservices.azure.com), "
    "or have expired."
)


@dataclass(frozen=True)
class Scripted:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


def azure_error(status: int, code: str, message: str, **headers: str) -> Scripted:
    return Scripted(status, {"error": {"code": code, "message": message}}, dict(headers))


def apim_error(status: int, message: str) -> Scripted:
    return Scripted(status, {"statusCode": status, "message": message})


def rate_limited(retry_after_ms: int = 10) -> Scripted:
    """Azure OpenAI's 429: Retry-After in seconds and, for finer waits, retry-after-ms (both honoured by the SDK)."""
    return azure_error(
        429,
        "429",
        "Requests to the ChatCompletions_Create Operation under Azure OpenAI API version 2024-10-21 have exceeded "
        "token rate limit of your current AIServices S0 pricing tier. Please retry after 1 second.",
        **{"retry-after-ms": str(retry_after_ms), "retry-after": "0"},
    )


@dataclass
class Call:
    caller: str  # participant name, "bearer", or "anonymous"
    deployment: str
    op: str  # chat/completions, embeddings or responses
    api_version: str | None
    method: str = "POST"
    path: str = ""
    api_key: str | None = None
    stream: bool = False
    query: str = ""
    body: dict[str, Any] = field(default_factory=dict)


SUBSCRIPTION_COUNTER = "@(context.Subscription.Id)"


def _limit_in(element: ET.Element, cost_cap: bool = False) -> ET.Element | None:
    """The first token limit under `element`: the participant's own, or (cost_cap) their money cap's."""
    return next(
        (
            e
            for tag in TOKEN_LIMIT_TAGS
            for e in element.iter(tag)
            if (e.get("id") == COST_CAP_POLICY_ID) == cost_cap
        ),
        None,
    )


def limits_from_policy(policy_xml: str) -> tuple[TokenLimits | None, dict[str, TokenLimits], dict[int, Any]]:
    """(everyone's limits, per-participant limits, refusal bodies by status) read from a rendered policy."""
    root = ET.fromstring(policy_xml)

    def limits(element: ET.Element) -> TokenLimits:
        quota = element.get("token-quota")
        tpm = element.get("tokens-per-minute")
        return TokenLimits(
            tokens_per_minute=int(tpm) if tpm else None,
            token_quota=int(quota) if quota else None,
            token_quota_period=element.get("token-quota-period"),  # type: ignore[arg-type]
        )

    default: TokenLimits | None = None
    per: dict[str, TokenLimits] = {}
    inbound = root.find("inbound")
    assert inbound is not None
    for child in inbound:
        if child.tag in TOKEN_LIMIT_TAGS and child.get("id") != COST_CAP_POLICY_ID:
            default = limits(child)
        elif child.tag == "choose" and _limit_in(child) is not None:
            for when in child.findall("when"):
                element = _limit_in(when)
                assert element is not None
                for sid in re.findall(r'context\.Subscription\.Id == "([^"]+)"', when.get("condition", "")):
                    per[sid] = limits(element)
            otherwise = next((_limit_in(o) for o in child.findall("otherwise")), None)
            default = limits(otherwise) if otherwise is not None else None
    bodies: dict[int, Any] = {}
    for when in root.findall("on-error/choose/when"):
        if "participant-token-limit" not in when.get("condition", ""):
            continue  # other refusals (the cost cap's: see cost_caps_from_policy)
        status = 429 if "StatusCode == 429" in when.get("condition", "") else 403
        body = when.find("set-body")
        if body is not None and body.text:
            bodies[status] = json.loads(body.text)
    return default, per, bodies


def cost_caps_from_policy(policy_xml: str) -> tuple[int | None, dict[str, int], Any]:
    """(everyone's cap in tokens, per-participant caps, the 403 body) of a rendered policy's cost caps."""
    root = ET.fromstring(policy_xml)
    inbound = root.find("inbound")
    assert inbound is not None
    everyone: int | None = None
    per: dict[str, int] = {}
    for child in inbound:
        if child.tag in TOKEN_LIMIT_TAGS and child.get("id") == COST_CAP_POLICY_ID:
            everyone = int(child.get("token-quota", "0"))
        elif child.tag == "choose" and _limit_in(child, cost_cap=True) is not None:
            for when in child.findall("when"):
                element = _limit_in(when, cost_cap=True)
                assert element is not None
                for sid in re.findall(r'context\.Subscription\.Id == "([^"]+)"', when.get("condition", "")):
                    per[sid] = int(element.get("token-quota", "0"))
            otherwise = next((_limit_in(o, cost_cap=True) for o in child.findall("otherwise")), None)
            everyone = int(otherwise.get("token-quota", "0")) if otherwise is not None else None
    body = None
    for when in root.findall("on-error/choose/when"):
        if COST_CAP_POLICY_ID in when.get("condition", "") and when.findtext("set-body"):
            body = json.loads(when.findtext("set-body") or "")
    return everyone, per, body


_WINDOW_RE = re.compile(
    r'^@\(string\.CompareOrdinal\(DateTime\.UtcNow\.ToString\("s"\), \(string\)context\.Variables\["(\w+)"\]\) (<|>=) 0\)$'
)


def window_from_policy(policy_xml: str) -> list[tuple[str, float, Any]]:
    """The class window of a rendered policy: (operator, UTC epoch seconds, 403 body) per `<when>`, reading the
    instants from the `<set-variable>`s the conditions compare against (components/policies/class-window.xml)."""
    import datetime as dt

    inbound = ET.fromstring(policy_xml).find("inbound")
    assert inbound is not None
    variables = {v.get("name"): v.get("value", "") for v in inbound.findall("set-variable")}
    rules: list[tuple[str, float, Any]] = []
    for when in inbound.findall("choose/when"):
        match = _WINDOW_RE.match(when.get("condition", ""))
        body = when.find("return-response/set-body")
        if match is None or body is None or not body.text:
            continue
        moment = dt.datetime.fromisoformat(variables[match[1]]).replace(tzinfo=dt.UTC).timestamp()
        rules.append((match[2], moment, json.loads(body.text)))
    return rules


def pause_from_policy(policy_xml: str) -> tuple[str, Scripted] | None:
    """(named value, the 503 answer) when the policy answers from a `{{named value}}` that reads "true"."""
    inbound = ET.fromstring(policy_xml).find("inbound")
    assert inbound is not None
    for variable in inbound.findall("set-variable"):
        named = re.fullmatch(r"\{\{([\w.-]+)\}\}", variable.get("value", ""))
        if named is None:
            continue
        for when in inbound.findall("choose/when"):
            condition = when.get("condition", "")
            if f'context.Variables["{variable.get("name")}"] == "true"' not in condition:
                continue
            status = when.find("return-response/set-status")
            body = when.find("return-response/set-body")
            headers = {
                h.get("name", ""): (h.findtext("value") or "")
                for h in when.findall("return-response/set-header")
                if h.get("name") != "Content-Type"
            }
            assert status is not None and body is not None and body.text
            return named[1], Scripted(int(status.get("code", "0")), json.loads(body.text), headers)
    return None


@dataclass
class FakeGateway(CountsInFlight):
    server: HTTPServer
    keys: dict[str, str]  # key -> participant
    deployments: dict[str, str]  # deployment -> model
    bearer_tokens: set[str] = field(default_factory=set)
    delay_s: float = 0.0
    # The gateway's token limits (see `limits_from_policy`); None: none.
    token_limits: TokenLimits | None = None
    participant_limits: dict[str, TokenLimits] = field(default_factory=dict)
    refusal_bodies: dict[int, Any] = field(default_factory=dict)
    # The policy's <outbound> content-filter rule (tests/support/content_filter_messages.py is its Python twin).
    content_filter_rule: bool = False
    clock: Callable[[], float] = time.time
    # The token limit's counter-key (see `_counter`): whose tokens count together.
    counter_key: str = SUBSCRIPTION_COUNTER
    # The policy's class window: (operator, UTC epoch, 403 body); outside it every key is refused.
    class_window: list[tuple[str, float, Any]] = field(default_factory=list)
    # The policy's guards (tests/support/fake_gateway_guards.py); empty: none.
    guards: GuardModel = field(default_factory=GuardModel)
    # Output tokens the model writes per answer when the call does not cap it lower.
    completion_tokens: int = 2
    # How long Azure OpenAI takes to answer a call the gateway passed on (calls overlap meanwhile).
    backend_delay_s: float = 0.0
    backend_in_flight: int = 0
    backend_max_in_flight: int = 0
    # The policy's pause check: (named value, 503 answer); `named_values` plays the gateway's named values.
    pause: tuple[str, Scripted] | None = None
    named_values: dict[str, str] = field(default_factory=dict)
    # The policy's cost caps (see `cost_caps_from_policy`): tokens over the class, and the 403 body past them.
    cost_cap: int | None = None
    cost_caps: dict[str, int] = field(default_factory=dict)
    budget_body: Any = None
    calls: list[Call] = field(default_factory=list)
    # The calls Azure OpenAI receives, as the policy passes them on.
    backend_calls: list[Call] = field(default_factory=list)
    stored: dict[str, dict[str, Any]] = field(default_factory=dict)
    in_flight: int = 0
    max_in_flight: int = 0
    # (caller or None for anyone, deployment or None for any) -> answers served before the normal one;
    # a `None` count means "always".
    _script: list[tuple[str | None, str | None, Scripted, int | None]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    # participant -> (minute, tokens used in it), (period start, tokens used in it)
    _minute: dict[str, tuple[int, int]] = field(default_factory=dict)
    _quota: dict[str, int] = field(default_factory=dict)
    _spent: dict[str, int] = field(default_factory=dict)  # the cost cap's own counter (over the class)

    def install(self) -> FakeGateway:
        self.server.expect_request(ANY_PATH).respond_with_handler(self.handle)
        return self

    def enforce_policy(self, policy_xml: str) -> FakeGateway:
        """Apply the token limits and refusal bodies of a rendered gateway policy."""
        self.token_limits, self.participant_limits, self.refusal_bodies = limits_from_policy(policy_xml)
        outbound = ET.fromstring(policy_xml).find("outbound")
        self.content_filter_rule = outbound is not None and any(
            h.get("name") == CONTENT_FILTER_HEADER for h in outbound.iter("set-header")
        )
        self.class_window = window_from_policy(policy_xml)
        self.guards = guards_from_policy(policy_xml)
        self.pause = pause_from_policy(policy_xml)
        self.cost_cap, self.cost_caps, self.budget_body = cost_caps_from_policy(policy_xml)
        limit = _limit_in(ET.fromstring(policy_xml))
        self.counter_key = SUBSCRIPTION_COUNTER if limit is None else limit.get("counter-key", "")
        return self

    def _counter(self, caller: str, ip: str) -> str:
        """The counter a call's tokens go to, as the token limit's counter-key says (the two keys the fake
        evaluates)."""
        if self.counter_key == SUBSCRIPTION_COUNTER:
            return caller
        if self.counter_key == "@(context.Request.IpAddress)":
            return ip
        raise AssertionError(f"the fake gateway does not evaluate counter-key {self.counter_key!r}")

    def _limits(self, caller: str) -> TokenLimits | None:
        return self.participant_limits.get(caller, self.token_limits)

    def _outside_window(self, caller: str) -> Response | None:
        if caller != "bearer" and self.pause and self.named_values.get(self.pause[0]) == "true":
            return _json(self.pause[1])
        if caller != "bearer":
            now = self.clock()
            for op, moment, body in self.class_window:
                if (op == "<" and now < moment) or (op == ">=" and now >= moment):
                    return _json(Scripted(403, body))
        return None

    def _refused(self, caller: str, counter: str | None = None) -> Response | None:
        counter = counter or caller
        cap = self.cost_caps.get(caller, self.cost_cap)
        if caller != "bearer" and cap is not None and self._spent.get(caller, 0) >= cap:
            return _json(
                Scripted(403, self.budget_body or {"statusCode": 403, "message": "Token quota is exceeded."})
            )
        limits = self._limits(caller)
        if limits is None or caller == "bearer":
            return None
        now = self.clock()
        minute = int(now // 60)
        with self._lock:
            used_minute = self._minute.get(counter, (minute, 0))
            used = used_minute[1] if used_minute[0] == minute else 0
            if limits.tokens_per_minute is not None and used >= limits.tokens_per_minute:
                retry_after = str(60 - int(now) % 60)
                body = self.refusal_bodies.get(429) or {
                    "statusCode": 429,
                    "message": "Token limit is exceeded.",
                }
                return _json(Scripted(429, body, {"Retry-After": retry_after}))
            if limits.token_quota is not None and self._quota.get(counter, 0) >= limits.token_quota:
                body = self.refusal_bodies.get(403) or {
                    "statusCode": 403,
                    "message": "Token quota is exceeded.",
                }
                return _json(Scripted(403, body))
        return None

    def _count(self, caller: str, tokens: int) -> None:
        minute = int(self.clock() // 60)
        with self._lock:
            at, used = self._minute.get(caller, (minute, 0))
            self._minute[caller] = (minute, (used if at == minute else 0) + tokens)
            self._quota[caller] = self._quota.get(caller, 0) + tokens
            self._spent[caller] = self._spent.get(caller, 0) + tokens

    def fail_next(
        self,
        answer: Scripted,
        *,
        caller: str | None = None,
        deployment: str | None = None,
        times: int | None = 1,
    ) -> None:
        with self._lock:
            self._script.append((caller, deployment, answer, times))

    def _scripted(self, caller: str, deployment: str) -> Scripted | None:
        with self._lock:
            for i, (who, dep, answer, times) in enumerate(self._script):
                if who not in (None, caller) or dep not in (None, deployment):
                    continue
                if times is not None:
                    if times <= 1:
                        self._script.pop(i)
                    else:
                        self._script[i] = (who, dep, answer, times - 1)
                return answer
        return None

    def handle(self, request: Request) -> Response:
        return self._outbound(request, self._counted(self._answer, request))

    def _outbound(self, request: Request, response: Response) -> Response:
        """What the policy's <outbound> does to the backend's answer (only the content-filter rule)."""
        content_type = response.headers.get("Content-Type", "")
        if not self.content_filter_rule or not content_type.startswith("application/json"):
            return response
        text = response.get_data(as_text=True)
        rewritten = rewrite_prompt_block(response.status_code, json.loads(text))
        if rewritten is not None:
            body, headers = rewritten
            return _json(Scripted(response.status_code, body, headers))
        for name, value in completion_block_header(
            response.status_code, request.path, content_type, text
        ).items():
            response.headers[name] = value
        return response

    def _caller(self, request: Request) -> tuple[str, str | None] | Response:
        """Who calls: API Management's key (header, or the query parameter of the same name), or a bearer token
        (the account, for `--direct`); APIM's own 401s otherwise."""
        key = request.headers.get("api-key") or request.args.get("api-key")
        auth = request.headers.get("Authorization", "")
        if key is not None:
            caller = self.keys.get(key)
            if caller is None:
                return _json(apim_error(401, APIM_INVALID_KEY))
            return caller, key
        if auth.startswith("Bearer ") and auth[len("Bearer ") :] in self.bearer_tokens:
            return "bearer", None
        if auth:
            return _json(azure_error(401, "401", BAD_TOKEN))
        return _json(apim_error(401, APIM_MISSING_KEY))

    def _answer(self, request: Request) -> Response:
        raw_path = _raw_path(request)
        operation = _operation(request.method, raw_path)
        if operation is None:  # API Management matches no operation: its own 404, before any policy
            return _json(Scripted(404, APIM_NOT_FOUND))
        v1, op, params = operation
        who = self._caller(request)
        if isinstance(who, Response):
            return who
        caller, key = who
        guarded = guarded_request(
            caller=caller,
            method=request.method,
            path=request.path,
            raw_path=raw_path,
            query_keys=tuple(request.args.keys()),
            params=params,
            raw_body=request.get_data(),
        )
        body = guarded.body
        api_version = request.args.get("api-version")
        call = Call(
            caller,
            guarded.params.get("deployment-id") or str(body.get("model", "")),
            op,
            api_version,
            request.method,
            request.path,
            key,
            bool(body.get("stream")),
            request.query_string.decode(),
            body,
        )
        with self._lock:
            self.calls.append(call)
        if not api_version and not v1:
            return _json(azure_error(404, "404", "Resource not found"))
        ip = request.remote_addr or ""
        if caller != "bearer":
            refused = self._guarded(guarded, ip)
            if refused is not None:
                return refused
            body = self.guards.inject(guarded)
        counter = self._counter(caller, ip)
        refused = self._refused(caller, counter)
        if refused is not None:
            return refused
        with self.guards.in_flight(caller, ip) if caller != "bearer" else _no_bound() as busy:
            if busy is not None:
                return _refusal(busy)
            forwarded = Call(**{**call.__dict__, "body": body})
            with self._lock:
                self.backend_calls.append(forwarded)
                self.backend_in_flight += 1
                self.backend_max_in_flight = max(self.backend_max_in_flight, self.backend_in_flight)
            try:
                if self.backend_delay_s:
                    time.sleep(self.backend_delay_s)
                return self._backend(forwarded, body, v1, counter)
            finally:
                with self._lock:
                    self.backend_in_flight -= 1

    def _guarded(self, guarded: Any, ip: str) -> Response | None:
        """The policy's inbound before the token limit: calls per minute, the class window, then the guards."""
        rate = self.guards.rate_refusal(guarded.caller, ip, self.clock())
        if rate is not None:
            return _refusal(rate)
        outside = self._outside_window(guarded.caller)
        if outside is not None:
            return outside
        refusal = self.guards.refusal(guarded)
        return None if refusal is None else _refusal(refusal)

    def _backend(self, call: Call, body: dict[str, Any], v1: bool, counter: str | None = None) -> Response:
        """Azure OpenAI's answer to a call the gateway passed on."""
        if call.method != "POST":
            return self._read(call)
        scripted = self._scripted(call.caller, call.deployment)
        if scripted is not None:
            return _json(scripted)
        model = self.deployments.get(call.deployment)
        if model is None:
            return _json(azure_error(404, "DeploymentNotFound", DEPLOYMENT_NOT_FOUND))
        too_old = _too_old(model, call.api_version) if not v1 else None
        if too_old:
            return _json(azure_error(400, "BadRequest", too_old))
        op = call.op
        if (op == "embeddings") != ("embedding" in model):
            operation = "embeddings" if op == "embeddings" else "chatCompletion"
            return _json(
                azure_error(
                    400,
                    "OperationNotSupported",
                    f"The {operation} operation does not work with the specified model, {model}. Please choose "
                    "different model and try again.",
                )
            )
        written = _written(body, self.completion_tokens)
        if op == "embeddings":
            answer = _embedding(model, body)
        elif op == "responses":
            answer = _response(model, body, written, len(self.stored))
            if body.get("store", True):  # Azure keeps a response unless told not to
                with self._lock:
                    self.stored[answer["id"]] = answer
        else:
            answer = _chat(model, body, written)
        self._count(counter or call.caller, int(answer["usage"]["total_tokens"]))
        if op == "chat/completions" and body.get("stream"):
            response = _stream(
                answer, include_usage=bool((body.get("stream_options") or {}).get("include_usage"))
            )
        else:
            response = _json(Scripted(200, answer))
        if self._limits(call.caller) is not None:
            # The token-limit policy's tokens-consumed-header-name (components/policies/openai-gateway.xml).
            response.headers[TOKENS_CONSUMED_HEADER] = str(answer["usage"]["total_tokens"])
        return response

    def _read(self, call: Call) -> Response:
        """GET /v1/models, and GET or DELETE of a stored response (whoever created it: the account is shared)."""
        if call.op == "models":
            data = [
                {"id": name, "object": "model", "created": 1767225600, "owned_by": "system"}
                for name in self.deployments
            ]
            return _json(Scripted(200, {"object": "list", "data": data}))
        response_id = call.path.rsplit("/", 1)[-1]
        with self._lock:
            stored = self.stored.get(response_id)
            if stored is not None and call.method == "DELETE":
                del self.stored[response_id]
        if stored is None:
            return _json(azure_error(404, "not_found", f"Response with id '{response_id}' not found."))
        if call.method == "DELETE":
            return _json(Scripted(200, {"id": response_id, "object": "response.deleted", "deleted": True}))
        return _json(Scripted(200, stored))


def _raw_path(request: Request) -> str:
    """The path as the client sent it, percent-encoding kept (what API Management matches and the policy reads as
    context.Request.OriginalUrl.Path)."""
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI") or request.path
    return str(raw).split("?", 1)[0]


def _operation(method: str, raw_path: str) -> tuple[bool, str, dict[str, str]] | None:
    """(v1, op, path parameters) of the declared operation a request lands on, or None."""
    if method == "POST":
        match = PATH_RE.match(raw_path)
        if match is None:
            return None
        params = {"deployment-id": match["deployment"]} if match["deployment"] else {}
        return bool(match["v1"]), match["op"] or match["op2"], params
    if method == "GET" and raw_path == MODELS_PATH:
        return True, "models", {}
    match = READ_RE.match(raw_path)
    if method in ("GET", "DELETE") and match is not None:
        return bool(match["v1"]), "responses", {"response-id": match["response"]}
    return None


@contextmanager
def _no_bound() -> Iterator[Refusal | None]:
    yield None


def _refusal(refusal: Refusal) -> Response:
    return _json(Scripted(refusal.status, refusal.body, dict(refusal.headers)))


def _written(body: dict[str, Any], natural: int) -> int:
    """Output tokens the model writes: what it would, or fewer when the call caps its output."""
    caps = [
        body[name]
        for name in ("max_tokens", "max_completion_tokens", "max_output_tokens")
        if isinstance(body.get(name), int)
    ]
    return min([natural, *caps])


def _too_old(model: str, api_version: str | None) -> str | None:
    """Azure OpenAI's 400 for a model that needs a newer api-version (reasoning models on old versions)."""
    family, _ = model_facts().family(model)
    if family is None or api_version is None:
        return None
    try:
        old = api_version_key(api_version) < api_version_key(family.min_api_version)
    except ValueError:
        return None
    if not old:
        return None
    return f"Model {model} is enabled only for api versions {family.min_api_version} and later"


def _stream(answer: dict[str, Any], *, include_usage: bool) -> Response:
    """A chat completion as server-sent events: one delta per word, then (if asked) a last chunk with usage only."""
    base = {k: answer[k] for k in ("id", "created", "model", "system_fingerprint")}
    events = []
    content = answer["choices"][0]["message"]["content"]
    events.append(
        {
            **base,
            "object": "chat.completion.chunk",
            "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}],
        }
    )
    events.append(
        {
            **base,
            "object": "chat.completion.chunk",
            "choices": [{"index": 0, "delta": {"content": content}, "finish_reason": None}],
        }
    )
    events.append(
        {
            **base,
            "object": "chat.completion.chunk",
            "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
        }
    )
    if include_usage:
        # Streamed responses carry usage only in this last event.
        events.append({**base, "object": "chat.completion.chunk", "choices": [], "usage": answer["usage"]})
    text = "".join(f"data: {json.dumps(e)}\n\n" for e in events) + "data: [DONE]\n\n"
    return Response(text, status=200, content_type="text/event-stream")


def _json(answer: Scripted) -> Response:
    return Response(
        json.dumps(answer.body),
        status=answer.status,
        headers={"apim-request-id": "6c2b1e5e-0000-4000-8000-000000000000", **answer.headers},
        content_type="application/json",
    )


def _chat(model: str, body: dict[str, Any], written: int = 2) -> dict[str, Any]:
    prompt_tokens = 13
    filters = {
        category: {"filtered": False, "severity": "safe"}
        for category in sorted(RESULT_KEYS)  # Azure lists them alphabetically
    }
    return {
        "id": "chatcmpl-AbCdEf0123456789",
        "object": "chat.completion",
        "created": 1767225600,
        "model": f"{model}-2025-08-07",
        "system_fingerprint": None,
        "prompt_filter_results": [{"prompt_index": 0, "content_filter_results": filters}],
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "logprobs": None,
                "message": {"role": "assistant", "content": "ok", "refusal": None, "annotations": []},
                "content_filter_results": filters,
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": written,
            "total_tokens": prompt_tokens + written,
            "completion_tokens_details": {"reasoning_tokens": 0, "accepted_prediction_tokens": 0},
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        },
    }


def _embedding(model: str, body: dict[str, Any]) -> dict[str, Any]:
    vector = [0.0125, -0.0033, 0.0271, 0.0]
    value: Any = vector
    if body.get("encoding_format") == "base64":
        # What the SDK asks for by default: little-endian float32, base64-encoded.
        value = base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
    return {
        "object": "list",
        "data": [{"object": "embedding", "index": 0, "embedding": value}],
        "model": model,
        "usage": {"prompt_tokens": 4, "total_tokens": 4},
    }


def _response(model: str, body: dict[str, Any], written: int = 2, serial: int = 0) -> dict[str, Any]:
    """A Responses API answer (object "response") with its usage in input/output tokens."""
    return {
        "id": f"resp_0123456789abcdef{serial:04d}",
        "object": "response",
        "created_at": 1767225600,
        "status": "completed",
        "model": f"{model}-2025-08-07",
        "output": [
            {
                "type": "message",
                "id": "msg_0123456789abcdef",
                "status": "completed",
                "role": "assistant",
                "content": [{"type": "output_text", "text": "ok", "annotations": []}],
            }
        ],
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
        "usage": {
            "input_tokens": 13,
            "output_tokens": written,
            "total_tokens": 13 + written,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens_details": {"reasoning_tokens": 0},
        },
    }
