"""`labctl smoke`: prove end to end that every participant can call every model, before the class does.

One small call per chat deployment and participant key (an embedding for embedding deployments), through the
gateway with the official `openai` SDK exactly as a student would use it (labctl/lifecycle/smoke_probe.py), then
every route a student uses once (labctl/lifecycle/smoke_routes.py: streamed chat, Responses, v1 and dated,
/v1/models; each POST counted by the gateway), or, with `--direct`, straight to the account with Entra ID, to tell
a gateway problem from a model problem. Calls run concurrently (bounded); 429 and 503 are retried by the SDK
itself, which honours Retry-After.

This module composes the others; none of them imports it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from labctl.azure import signin
from labctl.errors import EXIT_AZURE, EXIT_OK, EXIT_PROBLEMS, AzureError
from labctl.lifecycle.smoke_probe import DIRECT_CALLER, CallSettings, Probe, ProbeResult, call_probe, verify
from labctl.lifecycle.smoke_report import render_results, result_row
from labctl.lifecycle.smoke_routes import run_routes
from labctl.lifecycle.smoke_wait import smoke_with_wait
from labctl.output import emit_json
from labctl.project import lab_identity
from labctl.pulumi_cli import parse_outputs, read_stack_outputs
from stacks.config.deployment_kinds import is_audio_model, is_embedding_model
from stacks.outputs import LabOutputs

# What tests and the table module import from here (their home is smoke_probe.py and smoke_report.py).
__all__ = [
    "DIRECT_CALLER",
    "Probe",
    "ProbeResult",
    "SmokeError",
    "render_results",
    "run_smoke",
    "smoke_command",
]

DEFAULT_CONCURRENCY = 20
DEFAULT_RETRIES = 3
DEFAULT_TIMEOUT = 60.0


class SmokeError(AzureError):
    """The smoke test could not start or could not call (no sign-in, no endpoint): exit 4."""


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


def _endpoint(outputs: LabOutputs, direct: bool) -> str:
    endpoint = outputs.account_endpoint if direct else outputs.gateway_root
    if not endpoint:
        what = "accountEndpoint" if direct else "gatewayRoot (or openaiEnv.AZURE_OPENAI_ENDPOINT, gatewayUrl)"
        raise SmokeError(f"the stack outputs have no {what}")
    return endpoint


def _token_provider(credential: Any, environment: str) -> Callable[[], str]:
    """An Entra ID token provider for the data-plane audience of the stack's cloud (cognitiveservices.azure.us /
    .azure.cn outside public), proven with one token up front: a missing sign-in is one clear error, not a
    failed row per call."""
    from azure.identity import get_bearer_token_provider

    provider = get_bearer_token_provider(credential, signin.cognitive_services_scope(environment))
    try:
        provider()
    except Exception as exc:
        detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise SmokeError(
            f"could not get an Entra ID token for Azure OpenAI ({detail}). Fix: `az login` (or set "
            "AZURE_CLIENT_ID/AZURE_TENANT_ID and a secret for a service principal), then run again",
            details=f"azure-identity said:\n{exc}",
        ) from None
    return provider


def _clients(
    outputs: LabOutputs, common: dict[str, Any], provider: Callable[[], str] | None
) -> dict[str, Any]:
    """One client per caller (its key, or the Entra ID provider), all on the connection pool in `common`."""
    import openai

    if provider is not None:
        return {DIRECT_CALLER: openai.AzureOpenAI(azure_ad_token_provider=provider, **common)}
    return {name: openai.AzureOpenAI(api_key=key, **common) for name, key in outputs.participant_keys.items()}


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
    endpoint = _endpoint(outputs, direct)
    if direct and credential is None:
        raise SmokeError("--direct needs a credential")

    # One connection pool for every call; each participant gets its own client (its key) on top of it.
    http_client = openai.DefaultHttpxClient(verify=verify())
    try:
        provider = _token_provider(credential, environment) if direct else None
        common = {
            "azure_endpoint": endpoint.rstrip("/"),
            "api_version": outputs.api_version,
            "max_retries": max_retries,
            "timeout": timeout,
            "http_client": http_client,
        }
        clients = _clients(outputs, common, provider)
        settings = CallSettings(
            timeout=timeout,
            ends=None if deadline_s is None else time.monotonic() + deadline_s,
            direct=direct,
            secrets=list(outputs.participant_keys.values()),
        )
        results = _call_all(probes, clients, settings, concurrency, on_result)
    finally:
        http_client.close()
    order = {p: i for i, p in enumerate(probes)}
    return sorted(results, key=lambda r: order[r.probe])


def _call_all(
    probes: list[Probe],
    clients: dict[str, Any],
    settings: CallSettings,
    concurrency: int,
    on_result: Callable[[ProbeResult], None] | None,
) -> list[ProbeResult]:
    results: list[ProbeResult] = []
    with ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="smoke") as pool:
        futures = [pool.submit(call_probe, clients[p.caller], p, settings) for p in probes]
        for future in as_completed(futures):
            result = future.result()
            results.append(result)
            if on_result is not None:
                on_result(result)
    return results


def smoke_exit_code(results: list[ProbeResult]) -> int:
    """0 every call answered well; 4 not one call got an HTTP answer (could not call: README's exit codes);
    1 otherwise (the lab answered, and some answer was a failure)."""
    if results and all(r.status is None for r in results):
        return EXIT_AZURE
    return EXIT_OK if all(r.ok for r in results) else EXIT_PROBLEMS


@dataclass(frozen=True)
class _Round:
    """One round of calls as `labctl smoke` runs it: the stack's outputs, who calls, and the command's limits."""

    outputs: LabOutputs
    direct: bool
    credential: Any
    environment: str
    concurrency: int
    retries: int
    timeout: float
    deadline_s: float | None

    def run(self, console: Console) -> list[ProbeResult]:
        with Progress(
            TextColumn("smoke"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as progress:
            task = progress.add_task("calls", total=len(plan_probes(self.outputs, self.direct)))
            return run_smoke(
                self.outputs,
                direct=self.direct,
                credential=self.credential,
                environment=self.environment,
                concurrency=self.concurrency,
                max_retries=self.retries,
                timeout=self.timeout,
                on_result=lambda _: progress.advance(task),
                deadline_s=self.deadline_s,
            )


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
    if report_format == "json":
        console = err_console  # the table for people to stderr; stdout (or --output) gets the JSON
    outputs = parse_outputs(read_stack_outputs(stack, outputs_file, project_dir))
    credential = None
    environment = "public"
    if direct:
        environment = lab_identity(stack, project_dir).environment
        credential = (credential_factory or signin.default_credential)(environment)
    for name in unprobed(outputs):
        console.print(f"{name}: not called (a speech model: it answers on /audio/, not chat)", markup=False)
    one_round = _Round(outputs, direct, credential, environment, concurrency, retries, timeout, deadline_s)
    results, summary = smoke_with_wait(
        lambda: one_round.run(console), wait_minutes, console, interval_s=wait_interval_s
    )
    if not direct and results and all(r.ok for r in results):
        # Once the lab answers every participant: every route a student uses, once, with a real participant key
        # (while calls fail, the routes would only repeat the failure).
        results = [*results, *run_routes(outputs, max_retries=retries, timeout=timeout)]
    code = _report(results, summary, console, direct=direct)
    if report_format == "json":
        emit_json(
            {"stack": stack, "exitCode": code, "calls": [result_row(r) for r in results]}, report_output
        )
    return code


def _report(results: list[ProbeResult], summary: str, console: Console, *, direct: bool) -> int:
    """The table, the wait's summary and the exit code's reason, for people; returns the exit code."""
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
    return code
