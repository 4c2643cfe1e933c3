"""The routes a student uses, called once with a real participant key: chat (plain and streamed), Responses and
embeddings on the dated API and on the v1 API, and `GET /openai/v1/models`. Every POST must come back with the
gateway's `x-participant-tokens-consumed` above 0 when the participant has a token limit: the proof that the
token-limit policy counted it (components/policies/openai-gateway.xml, tokens-consumed-header-name).

`labctl smoke` (labctl/lifecycle/smoke.py) runs these beside its per-participant probes; each is one row.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from labctl.lifecycle.smoke_diagnose import diagnose
from labctl.lifecycle.smoke_probe import (
    CHAT_PROMPT,
    EMBEDDING_INPUT,
    Probe,
    ProbeResult,
    error_details,
    scrub,
    verify,
)
from stacks.config.deployment_kinds import is_audio_model, is_embedding_model
from stacks.facts.models import model_facts
from stacks.outputs import LabOutputs

Api = Literal["dated", "v1"]
ALL_DEPLOYMENTS = "(all)"  # the deployment column of GET /models
Route = Literal["chat", "chat-stream", "responses", "embeddings", "models"]
TOKENS_HEADER = "x-participant-tokens-consumed"


@dataclass(frozen=True)
class RouteCall:
    api: Api
    route: Route

    @property
    def label(self) -> str:
        return f"{self.route} ({self.api})"

    @property
    def is_post(self) -> bool:
        return self.route != "models"


def _answers_responses(model: str) -> bool:
    family, _ = model_facts().family(model)
    return family is not None and "responses" in family.capabilities


def route_calls(model: str, *, embeddings: bool) -> list[RouteCall]:
    """The routes a deployment of `model` takes, on both APIs."""
    routes: list[Route] = ["embeddings"] if embeddings else ["chat", "chat-stream"]
    if not embeddings and _answers_responses(model):
        routes.append("responses")
    return [RouteCall(api, route) for api in ("v1", "dated") for route in routes]


@dataclass(frozen=True)
class RouteAnswer:
    status: int
    headers: Mapping[str, str]
    tokens: int | None
    problem: str | None  # the answer is not what the route returns
    retries: int | None = None


def _usage_tokens(usage: Any) -> int | None:
    return getattr(usage, "total_tokens", None) if usage is not None else None


def call_route(client: Any, call: RouteCall, deployment: str) -> RouteAnswer:
    """One call with the openai SDK (an AzureOpenAI client for "dated", an OpenAI client for "v1"). Raises what
    the SDK raises for an HTTP error; a 2xx that is not the route's answer comes back with a `problem`."""
    if call.route == "chat-stream":
        with client.chat.completions.with_streaming_response.create(
            model=deployment,
            messages=[{"role": "user", "content": CHAT_PROMPT}],
            stream=True,
            stream_options={"include_usage": True},
        ) as response:
            chunks = list(response.parse())
            text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
            usage = next((c.usage for c in reversed(chunks) if getattr(c, "usage", None)), None)
            problem = None if text else "the stream carried no text"
            return RouteAnswer(response.status_code, dict(response.headers), _usage_tokens(usage), problem)
    if call.route == "chat":
        raw = client.chat.completions.with_raw_response.create(
            model=deployment, messages=[{"role": "user", "content": CHAT_PROMPT}]
        )
        parsed = raw.parse()
        problem = None if getattr(parsed, "choices", None) else "the answer has no choices"
    elif call.route == "responses":
        raw = client.responses.with_raw_response.create(model=deployment, input=CHAT_PROMPT)
        parsed = raw.parse()
        problem = None if getattr(parsed, "output", None) else "the answer has no output"
    elif call.route == "embeddings":
        raw = client.embeddings.with_raw_response.create(model=deployment, input=EMBEDDING_INPUT)
        parsed = raw.parse()
        problem = None if getattr(parsed, "data", None) else "the answer has no embeddings"
    else:
        raw = client.models.with_raw_response.list()
        parsed = raw.parse()
        problem = (
            None if isinstance(getattr(parsed, "data", None), list) else "the answer is not a model list"
        )
    return RouteAnswer(
        raw.status_code,
        dict(raw.headers),
        _usage_tokens(getattr(parsed, "usage", None)),
        problem,
        raw.retries_taken,
    )


def counted_problem(call: RouteCall, answer: RouteAnswer, limited: bool) -> str | None:
    """A POST the gateway did not count: no token-limit header, or 0 tokens, for a participant with a limit."""
    if not call.is_post or not limited:
        return None
    value = next((v for k, v in answer.headers.items() if k.lower() == TOKENS_HEADER), None)
    try:
        consumed = int(str(value))
    except ValueError:
        consumed = 0
    if consumed > 0:
        return None
    shown = "absent" if value is None else repr(value)
    return f"{TOKENS_HEADER} is {shown}: the gateway's token limit did not count this call"


def has_limit(outputs: LabOutputs, participant: str) -> bool:
    """Whether the outputs say this participant has a token limit (older stacks do not say: assume none)."""
    return bool(outputs.participant_limits.get(participant))


def _clients(outputs: LabOutputs, key: str, *, max_retries: int, timeout: float) -> dict[Api, Any]:
    """The two clients a student uses, on one connection pool: AzureOpenAI (dated) and OpenAI on /openai/v1/."""
    import openai

    assert outputs.gateway_root is not None and outputs.v1_base_url is not None
    http = openai.DefaultHttpxClient(verify=verify())
    common: dict[str, Any] = {
        "api_key": key,
        "max_retries": max_retries,
        "timeout": timeout,
        "http_client": http,
    }
    return {
        "dated": openai.AzureOpenAI(
            azure_endpoint=outputs.gateway_root.rstrip("/"), api_version=outputs.api_version, **common
        ),
        # The gateway reads the key from `api-key` (docs/gateway.md); the OpenAI client sends it as a bearer.
        "v1": openai.OpenAI(base_url=outputs.v1_base_url, default_headers={"api-key": key}, **common),
    }


def plan_routes(outputs: LabOutputs) -> list[tuple[str, RouteCall]]:
    """(deployment, call) for every route, chat deployments first; GET /models last."""
    models = outputs.deployment_models
    chat = [(n, m) for n, m in sorted(models.items()) if not is_embedding_model(m) and not is_audio_model(m)]
    embeddings = [(n, m) for n, m in sorted(models.items()) if is_embedding_model(m)]
    planned = [(n, c) for n, m in chat for c in route_calls(m, embeddings=False)]
    planned += [(n, c) for n, m in embeddings for c in route_calls(m, embeddings=True)]
    return [*planned, (ALL_DEPLOYMENTS, RouteCall("v1", "models"))]


def run_routes(outputs: LabOutputs, *, max_retries: int = 3, timeout: float = 60.0) -> list[ProbeResult]:
    """Every route once, with the first participant's key; one result per call, never raises for a failed call."""
    if not outputs.participant_keys or not outputs.gateway_root:
        return []
    caller = sorted(outputs.participant_keys)[0]
    key = outputs.participant_keys[caller]
    clients = _clients(outputs, key, max_retries=max_retries, timeout=timeout)
    limited = has_limit(outputs, caller)
    results: list[ProbeResult] = []
    try:
        for deployment, call in plan_routes(outputs):
            results.append(_one(clients[call.api], call, Probe(caller, deployment, call.label), limited, key))
    finally:
        for client in clients.values():
            client.close()
    return results


def _one(client: Any, call: RouteCall, probe: Probe, limited: bool, key: str) -> ProbeResult:
    started = time.perf_counter()
    try:
        answer = call_route(client, call, probe.deployment)
    except Exception as exc:  # every failure is a row, never a crash
        status, code, message = error_details(exc)
        cause, hint = diagnose(status, code, message, direct=False)
        return ProbeResult(
            probe,
            status=status,
            latency_s=time.perf_counter() - started,
            code=code,
            message=scrub(message, [key]),
            cause=cause,
            hint=hint,
        )
    elapsed = time.perf_counter() - started
    region = next((v for k, v in answer.headers.items() if k.lower() == "x-ms-region"), None)
    uncounted = counted_problem(call, answer, limited)
    if answer.problem or uncounted:
        return ProbeResult(
            probe,
            status=answer.status,
            latency_s=elapsed,
            tokens=answer.tokens,
            code="UnusableAnswer" if answer.problem else "NotCounted",
            message=scrub(answer.problem or uncounted or "", [key]),
            cause="unusable answer" if answer.problem else "tokens not counted",
            hint=(
                "the route answered, but not with what it returns: a proxy or a policy that rewrote the body"
                if answer.problem
                else "the participant has a token limit, yet the gateway did not count this call: check the API "
                "policy's azure-openai-token-limit (`labctl check`) and that every operation goes through it"
            ),
            region=region,
        )
    return ProbeResult(
        probe,
        status=answer.status,
        latency_s=elapsed,
        tokens=answer.tokens,
        retries=answer.retries,
        region=region,
    )
