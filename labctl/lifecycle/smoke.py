"""`labctl smoke`: prove end to end that every participant can call every model, before the class does.

One small call per chat deployment and participant key (an embedding for embedding deployments), through the
gateway with the official `openai` SDK exactly as a student would use it, then every route a student uses once
(labctl/lifecycle/smoke_routes.py: streamed chat, Responses, v1 and dated, /v1/models; each POST counted by the
gateway), or, with `--direct`, straight to the account with Entra ID, to tell a gateway problem from a model problem. Calls run concurrently (bounded); 429 and
503 are retried by the SDK itself, which honours Retry-After.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from labctl.errors import EXIT_AZURE, EXIT_OK, EXIT_PROBLEMS, AzureError
from labctl.lifecycle.smoke_diagnose import diagnose
from labctl.lifecycle.smoke_report import render_results, result_row
from stacks.config.deployment_kinds import is_audio_model, is_embedding_model
from stacks.outputs import LabOutputs

DEFAULT_CONCURRENCY = 20
DEFAULT_RETRIES = 3
DEFAULT_TIMEOUT = 60.0
# `pulumi stack output` reads the backend; a stuck login must not hang the command.
# Short and cheap: any model answers it in a few tokens. No max_tokens: reasoning models reject it and older
# API versions do not know max_completion_tokens.
CHAT_PROMPT = "Reply with the single word: ok"
EMBEDDING_INPUT = "aoai-lab smoke test"
DIRECT_CALLER = "(you, Entra ID)"

CallKind = Literal["chat", "embeddings"]


class SmokeError(AzureError):
    """The smoke test could not start or could not call (no sign-in, no endpoint): exit 4."""


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


def plan_probes(outputs: LabOutputs, direct: bool) -> list[Probe]:
    callers = [DIRECT_CALLER] if direct else sorted(outputs.participant_keys)
    return [
        Probe(caller, name, "embeddings" if is_embedding_model(model) else "chat")
        for caller in callers
        for name, model in sorted(outputs.deployment_models.items())
        if not is_audio_model(model)
    ]


def unprobed(outputs: LabOutputs) -> list[str]:
    """Deployments smoke does not call: speech models answer on /audio/..., which the gateway does not declare."""
    return sorted(name for name, model in outputs.deployment_models.items() if is_audio_model(model))


def _answer_problem(kind: str, parsed: Any) -> str | None:
    """What is missing from a parsed answer (the SDK builds its models without validating them)."""
    items = getattr(parsed, "choices" if kind == "chat" else "data", None)
    if not isinstance(items, list) or not items:
        return f"the answer has no {'choices' if kind == 'chat' else 'embeddings'}"
    return None


def _scrub(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def _error_details(exc: Exception) -> tuple[int | None, str | None, str]:
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


def _verify() -> ssl.SSLContext:
    """The same CA trust as the ARM clients (the system store plus REQUESTS_CA_BUNDLE), for httpx."""
    from labctl.azure.transport import tls_context

    return tls_context()


def run_smoke(
    outputs: LabOutputs,
    *,
    direct: bool = False,
    credential: Any | None = None,
    environment: str = "public",
    concurrency: int = DEFAULT_CONCURRENCY,
    max_retries: int = DEFAULT_RETRIES,
    timeout: float = DEFAULT_TIMEOUT,
    on_result: Callable[[ProbeResult], None] | None = None,
    deadline_s: float | None = None,
) -> list[ProbeResult]:
    """Run every probe; never raises for a failed call (it becomes a result with a likely cause). `environment`
    is the stack's `azure-native:environment`: with `direct`, it sets the Entra ID token audience."""
    import openai

    probes = plan_probes(outputs, direct)
    if not probes:
        raise SmokeError(
            "nothing to call: the outputs have no participant keys. Fix: add aoai-lab:participants, or use "
            "--direct to call the account with your own identity"
        )
    endpoint = outputs.account_endpoint if direct else outputs.gateway_root
    if not endpoint:
        what = "accountEndpoint" if direct else "gatewayRoot (or openaiEnv.AZURE_OPENAI_ENDPOINT, gatewayUrl)"
        raise SmokeError(f"the stack outputs have no {what}")

    scope = None
    if direct:
        if credential is None:
            raise SmokeError("--direct needs a credential")
        from labctl.azure.signin import cognitive_services_scope

        scope = cognitive_services_scope(environment)

    # One connection pool for every call; each participant gets its own client (its key) on top of it.
    http_client = openai.DefaultHttpxClient(verify=_verify())
    common: dict[str, Any] = {
        "azure_endpoint": endpoint.rstrip("/"),
        "api_version": outputs.api_version,
        "max_retries": max_retries,
        "timeout": timeout,
        "http_client": http_client,
    }
    clients: dict[str, openai.AzureOpenAI] = {}
    if direct:
        from azure.identity import get_bearer_token_provider

        assert scope is not None
        # The data-plane audience of the stack's cloud (cognitiveservices.azure.us / .azure.cn outside public).
        provider = get_bearer_token_provider(credential, scope)
        try:
            provider()  # one token up front: a missing sign-in is one clear error, not a failed row per call
        except Exception as exc:
            http_client.close()
            detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise SmokeError(
                f"could not get an Entra ID token for Azure OpenAI ({detail}). Fix: `az login` (or set "
                "AZURE_CLIENT_ID/AZURE_TENANT_ID and a secret for a service principal), then run again",
                details=f"azure-identity said:\n{exc}",
            ) from None
        clients[DIRECT_CALLER] = openai.AzureOpenAI(azure_ad_token_provider=provider, **common)
    else:
        for name, key in outputs.participant_keys.items():
            clients[name] = openai.AzureOpenAI(api_key=key, **common)
    secrets = list(outputs.participant_keys.values())

    ends = None if deadline_s is None else time.monotonic() + deadline_s

    def call(probe: Probe) -> ProbeResult:
        client = clients[probe.caller]
        started = time.perf_counter()
        if ends is not None:
            remaining = ends - time.monotonic()
            if remaining <= 0:
                return ProbeResult(
                    probe,
                    status=None,
                    latency_s=0.0,
                    code="deadline",
                    cause="not run",
                    hint="the --timeout deadline passed before this call started: re-run with a longer --timeout "
                    "or a higher --concurrency",
                )
            # No call outlives the round's deadline.
            client = client.with_options(timeout=min(timeout, remaining))
        try:
            if probe.kind == "chat":
                raw = client.chat.completions.with_raw_response.create(
                    model=probe.deployment, messages=[{"role": "user", "content": CHAT_PROMPT}]
                )
            else:
                raw = client.embeddings.with_raw_response.create(
                    model=probe.deployment, input=EMBEDDING_INPUT
                )
        except Exception as exc:  # every failure is a row in the table, never a crash of the whole run
            status, code, message = _error_details(exc)
            cause, hint = diagnose(status, code, message, direct=direct)
            return ProbeResult(
                probe,
                status=status,
                latency_s=time.perf_counter() - started,
                code=_scrub(code, secrets) if code else code,
                message=_scrub(message, secrets),
                cause=_scrub(cause, secrets),
                hint=_scrub(hint, secrets),
                region=getattr(getattr(exc, "response", None), "headers", {}).get("x-ms-region"),
            )
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
                message=_scrub(problem[:300], secrets),
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

    results: list[ProbeResult] = []
    try:
        with ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="smoke") as pool:
            futures = [pool.submit(call, p) for p in probes]
            for future in as_completed(futures):
                result = future.result()
                results.append(result)
                if on_result is not None:
                    on_result(result)
    finally:
        http_client.close()
    order = {p: i for i, p in enumerate(probes)}
    return sorted(results, key=lambda r: order[r.probe])


def smoke_exit_code(results: list[ProbeResult]) -> int:
    """0 every call answered well; 4 not one call got an HTTP answer (could not call: README's exit codes);
    1 otherwise (the lab answered, and some answer was a failure)."""
    if results and all(r.status is None for r in results):
        return EXIT_AZURE
    return EXIT_OK if all(r.ok for r in results) else EXIT_PROBLEMS


def smoke_command(
    *,
    stack: str,
    outputs_file: Path | None,
    direct: bool,
    concurrency: int,
    retries: int,
    timeout: float,
    project_dir: Path,
    console: Console,
    err_console: Console,
    credential_factory: Callable[[str], Any] | None = None,
    wait_minutes: float = 0.0,
    wait_interval_s: float | None = None,
    deadline_s: float | None = None,
    report_format: str = "text",
    report_output: Path | None = None,
) -> int:
    """What `labctl smoke` does; returns 0 when every call succeeded, 1 when one failed, 4 when no call got an
    answer; raises a LabctlError when it cannot start. With `wait_minutes`, keeps trying while the failures
    are propagation delays."""
    from labctl.project import lab_identity
    from labctl.pulumi_cli import parse_outputs, read_stack_outputs

    if report_format == "json":
        console = err_console  # the table for people to stderr; stdout (or --output) gets the JSON
    outputs = parse_outputs(read_stack_outputs(stack, outputs_file, project_dir))
    credential = None
    environment = "public"
    if direct:
        from labctl.azure import signin

        environment = lab_identity(stack, project_dir).environment
        credential = (credential_factory or signin.default_credential)(environment)
    total = len(plan_probes(outputs, direct))
    for name in unprobed(outputs):
        console.print(f"{name}: not called (a speech model: it answers on /audio/, not chat)", markup=False)

    def attempt() -> list[ProbeResult]:
        with Progress(
            TextColumn("smoke"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as progress:
            task = progress.add_task("calls", total=total)
            return run_smoke(
                outputs,
                direct=direct,
                credential=credential,
                environment=environment,
                concurrency=concurrency,
                max_retries=retries,
                timeout=timeout,
                on_result=lambda _: progress.advance(task),
                deadline_s=deadline_s,
            )

    from labctl.lifecycle import smoke_wait

    results, summary = smoke_wait.smoke_with_wait(attempt, wait_minutes, console, interval_s=wait_interval_s)
    if not direct and results and all(r.ok for r in results):
        from labctl.lifecycle.smoke_routes import run_routes

        # Once the lab answers every participant: every route a student uses, once, with a real participant key
        # (while calls fail, the routes would only repeat the failure).
        results = [*results, *run_routes(outputs, max_retries=retries, timeout=timeout)]
    render_results(results, console, direct=direct)
    if summary:
        console.print(summary, markup=False, highlight=False)
    code = smoke_exit_code(results)
    if code == EXIT_AZURE:
        console.print(
            "No call got an answer (network, DNS, TLS or timeout): the lab could not be checked (exit 4).",
            markup=False,
            highlight=False,
        )
    if report_format == "json":
        from labctl.output import emit_json

        rows = [result_row(r) for r in results]
        emit_json({"stack": stack, "exitCode": code, "calls": rows}, report_output)
    return code
