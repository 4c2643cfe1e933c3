"""A fake of the lab's data plane on loopback: API Management in front of Azure OpenAI, answering like both.

It checks the `api-key` header (the APIM subscription key, named like Azure OpenAI's so the SDK works unchanged)
or an Entra ID bearer token (the account, for `--direct`), and answers chat completions and embeddings with the
JSON Azure OpenAI returns, or with the real error bodies:
- APIM's own:         {"statusCode": 401, "message": "Access denied due to invalid subscription key. ..."}
- Azure OpenAI's:     {"error": {"code": "DeploymentNotFound" | "PermissionDenied" | "429", "message": ...}}
Scripted answers (`fail_next`) let a test make one participant or deployment fail, once or for good.
"""

from __future__ import annotations

import base64
import json
import re
import struct
import threading
from dataclasses import dataclass, field
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.support.in_flight import CountsInFlight

PATH_RE = re.compile(r"^/openai/deployments/(?P<deployment>[^/]+)/(?P<op>chat/completions|embeddings)$")

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
    op: str
    api_version: str | None


@dataclass
class FakeGateway(CountsInFlight):
    server: HTTPServer
    keys: dict[str, str]  # key -> participant
    deployments: dict[str, str]  # deployment -> model
    bearer_tokens: set[str] = field(default_factory=set)
    delay_s: float = 0.0
    calls: list[Call] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    # (caller or None for anyone, deployment or None for any) -> answers served before the normal one;
    # a `None` count means "always".
    _script: list[tuple[str | None, str | None, Scripted, int | None]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def install(self) -> FakeGateway:
        self.server.expect_request(PATH_RE, method="POST").respond_with_handler(self.handle)
        return self

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
        return self._counted(self._answer, request)

    def _answer(self, request: Request) -> Response:
        match = PATH_RE.match(request.path)
        assert match is not None
        deployment, op = match["deployment"], match["op"]
        key = request.headers.get("api-key")
        auth = request.headers.get("Authorization", "")
        if key is not None:
            caller = self.keys.get(key)
            if caller is None:
                return _json(apim_error(401, APIM_INVALID_KEY))
        elif auth.startswith("Bearer ") and auth[len("Bearer ") :] in self.bearer_tokens:
            caller = "bearer"
        elif auth:
            return _json(azure_error(401, "401", BAD_TOKEN))
        else:
            return _json(apim_error(401, APIM_MISSING_KEY))
        api_version = request.args.get("api-version")
        with self._lock:
            self.calls.append(Call(caller, deployment, op, api_version))
        if not api_version:
            return _json(azure_error(404, "404", "Resource not found"))

        scripted = self._scripted(caller, deployment)
        if scripted is not None:
            return _json(scripted)
        model = self.deployments.get(deployment)
        if model is None:
            return _json(azure_error(404, "DeploymentNotFound", DEPLOYMENT_NOT_FOUND))
        body = request.get_json(silent=True) or {}
        is_embedding = "embedding" in model
        if (op == "embeddings") != is_embedding:
            operation = "embeddings" if op == "embeddings" else "chatCompletion"
            return _json(
                azure_error(
                    400,
                    "OperationNotSupported",
                    f"The {operation} operation does not work with the specified model, {model}. Please choose "
                    "different model and try again.",
                )
            )
        if op == "embeddings":
            return _json(Scripted(200, _embedding(model, body)))
        return _json(Scripted(200, _chat(model, body)))


def _json(answer: Scripted) -> Response:
    return Response(
        json.dumps(answer.body),
        status=answer.status,
        headers={"apim-request-id": "6c2b1e5e-0000-4000-8000-000000000000", **answer.headers},
        content_type="application/json",
    )


def _chat(model: str, body: dict[str, Any]) -> dict[str, Any]:
    prompt_tokens = 13
    filters = {
        category: {"filtered": False, "severity": "safe"}
        for category in ("hate", "self_harm", "sexual", "violence")
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
            "completion_tokens": 2,
            "total_tokens": prompt_tokens + 2,
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
