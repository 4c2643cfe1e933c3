"""One smoke call and what came of it: the probe, its result, and how an SDK error or a 2xx that is not an answer
becomes a row with a likely cause. `labctl smoke` (smoke.py) and its routes (smoke_routes.py) both build on it;
it imports neither, so the smoke modules depend on each other one way only."""

from __future__ import annotations

import ssl
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from labctl.azure.transport import tls_context
from labctl.lifecycle.smoke_diagnose import diagnose

# Short and cheap: any model answers it in a few tokens. No max_tokens: reasoning models reject it and older
# API versions do not know max_completion_tokens.
CHAT_PROMPT = "Reply with the single word: ok"
EMBEDDING_INPUT = "aoai-lab smoke test"
DIRECT_CALLER = "(you, Entra ID)"

CallKind = Literal["chat", "embeddings"]


@dataclass(frozen=True)
class Probe:
    caller: str  # participant name, or DIRECT_CALLER
    deployment: str
    kind: str  # a CallKind, or a route's label ("chat-stream (v1)": labctl/lifecycle/smoke_routes.py)


@dataclass(frozen=True)
class ProbeResult:
    probe: Probe
    status: int | None  # None: no HTTP answer at all (DNS, TLS, timeout)
    latency_s: float
    tokens: int | None = None
    retries: int | None = None
    code: str | None = None
    message: str | None = None
    cause: str | None = None
    hint: str | None = None
    region: str | None = None  # `x-ms-region`: in a lab spread over regions, which one served the call

    @property
    def ok(self) -> bool:
        # A 2xx whose body is not an answer (a proxy page, a rewritten body) has a cause: it is not ok.
        return self.status is not None and 200 <= self.status < 300 and self.cause is None


def scrub(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def error_details(exc: Exception) -> tuple[int | None, str | None, str]:
    """(HTTP status, error code, message) of what the openai SDK raised."""
    import openai

    if isinstance(exc, openai.APIStatusError):
        body = exc.body if isinstance(exc.body, dict) else {}
        # Azure OpenAI: {"error": {"code", "message"}} (the SDK unwraps "error");
        # API Management's own errors: {"statusCode": 401, "message": ...}.
        code = exc.code or (str(body["code"]) if body.get("code") is not None else None)
        message = str(body.get("message") or exc.message)
        return exc.status_code, code, message
    if isinstance(exc, openai.APITimeoutError):
        return None, "timeout", "the call timed out"
    if isinstance(exc, openai.APIConnectionError):
        cause = exc.__cause__ or exc
        return None, "connection", f"{type(cause).__name__}: {cause}"
    return None, type(exc).__name__, str(exc)


def verify() -> ssl.SSLContext:
    """The same CA trust as the ARM clients (the system store plus REQUESTS_CA_BUNDLE), for httpx."""
    return tls_context()


def _answer_problem(kind: str, parsed: Any) -> str | None:
    """What is missing from a parsed answer (the SDK builds its models without validating them)."""
    items = getattr(parsed, "choices" if kind == "chat" else "data", None)
    if not isinstance(items, list) or not items:
        return f"the answer has no {'choices' if kind == 'chat' else 'embeddings'}"
    return None


@dataclass(frozen=True)
class CallSettings:
    """What every probe of a round shares."""

    timeout: float  # seconds per call
    ends: float | None  # time.monotonic() when the round's deadline passes (None: no deadline)
    direct: bool
    secrets: list[str]  # participant keys: never shown, even when an error echoes one


def not_run(probe: Probe) -> ProbeResult:
    return ProbeResult(
        probe,
        status=None,
        latency_s=0.0,
        code="deadline",
        cause="not run",
        hint="the --timeout deadline passed before this call started: re-run with a longer --timeout "
        "or a higher --concurrency",
    )


def call_probe(client: Any, probe: Probe, settings: CallSettings) -> ProbeResult:
    """One call with `client` (an AzureOpenAI client); never raises for a failed call."""
    started = time.perf_counter()
    if settings.ends is not None:
        remaining = settings.ends - time.monotonic()
        if remaining <= 0:
            return not_run(probe)
        # No call outlives the round's deadline.
        client = client.with_options(timeout=min(settings.timeout, remaining))
    try:
        if probe.kind == "chat":
            raw = client.chat.completions.with_raw_response.create(
                model=probe.deployment, messages=[{"role": "user", "content": CHAT_PROMPT}]
            )
        else:
            raw = client.embeddings.with_raw_response.create(model=probe.deployment, input=EMBEDDING_INPUT)
    except Exception as exc:  # every failure is a row in the table, never a crash of the whole run
        return _failed(probe, exc, started, settings)
    return _answered(probe, raw, started, settings.secrets)


def _failed(probe: Probe, exc: Exception, started: float, settings: CallSettings) -> ProbeResult:
    status, code, message = error_details(exc)
    cause, hint = diagnose(status, code, message, direct=settings.direct)
    secrets = settings.secrets
    return ProbeResult(
        probe,
        status=status,
        latency_s=time.perf_counter() - started,
        code=scrub(code, secrets) if code else code,
        message=scrub(message, secrets),
        cause=scrub(cause, secrets),
        hint=scrub(hint, secrets),
        region=getattr(getattr(exc, "response", None), "headers", {}).get("x-ms-region"),
    )


def _answered(probe: Probe, raw: Any, started: float, secrets: list[str]) -> ProbeResult:
    # The service answered: what it said must be an answer, else the service (or what sits in front of it)
    # is to blame, not the client.
    try:
        parsed = raw.parse()
        problem = _answer_problem(probe.kind, parsed)
    except Exception as exc:
        problem = f"{type(exc).__name__}: {exc}"
    if problem:
        return ProbeResult(
            probe,
            status=raw.status_code,
            latency_s=time.perf_counter() - started,
            code="UnusableAnswer",
            message=scrub(problem[:300], secrets),
            cause="unusable answer",
            hint=(
                f"HTTP {raw.status_code} came back, but not an Azure OpenAI answer: a proxy or sign-in page in "
                "front of the endpoint, or a gateway policy that rewrote the body. Check the endpoint and any "
                "proxy (HTTPS_PROXY)"
            ),
            region=raw.headers.get("x-ms-region"),
        )
    usage = getattr(parsed, "usage", None)
    return ProbeResult(
        probe,
        status=raw.status_code,
        latency_s=time.perf_counter() - started,
        tokens=getattr(usage, "total_tokens", None),
        retries=raw.retries_taken,
        region=raw.headers.get("x-ms-region"),
    )
