"""`labctl smoke` against a fake gateway on loopback HTTPS, with the real openai SDK doing the calls."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from rich.console import Console
from typer.testing import CliRunner

from labctl.cli import app
from labctl.errors import EXIT_AZURE, LabctlError
from labctl.lifecycle.smoke import DIRECT_CALLER, SmokeError, render_results, run_smoke, smoke_command
from labctl.pulumi_cli import read_stack_outputs
from stacks.outputs import LabOutputs, OutputsError
from tests.support.fake_gateway import (
    DEPLOYMENT_NOT_FOUND,
    PERMISSION_DENIED,
    FakeGateway,
    Scripted,
    azure_error,
    rate_limited,
)
from tests.support.smoke_lab import DEPLOYMENTS, KEYS, stack_outputs, write_outputs


def by_probe(results) -> dict[tuple[str, str], Any]:
    return {(r.probe.caller, r.probe.deployment): r for r in results}


def test_every_participant_calls_every_deployment_through_the_gateway(gateway, outputs):
    results = run_smoke(outputs)

    assert [(r.probe.caller, r.probe.deployment, r.probe.kind) for r in results] == [
        ("student01", "chat", "chat"),
        ("student01", "embeddings", "embeddings"),
        ("student02", "chat", "chat"),
        ("student02", "embeddings", "embeddings"),
    ]
    assert all(r.ok and r.status == 200 for r in results)
    assert by_probe(results)[("student01", "chat")].tokens == 15
    assert by_probe(results)[("student02", "embeddings")].tokens == 4
    # Each probe really went out with its participant's key, to the right operation, with the API version.
    seen = sorted((c.caller, c.deployment, c.op, c.api_version) for c in gateway.calls)
    assert seen == [
        ("student01", "chat", "chat/completions", "2025-04-01-preview"),
        ("student01", "embeddings", "embeddings", "2025-04-01-preview"),
        ("student02", "chat", "chat/completions", "2025-04-01-preview"),
        ("student02", "embeddings", "embeddings", "2025-04-01-preview"),
    ]


def test_a_wrong_or_suspended_key_is_reported_as_a_key_problem_and_never_printed(gateway, fake_azure):
    stale = {**KEYS, "student02": "regenerated-since-0000000000000000000"}
    outputs = LabOutputs.parse(stack_outputs(fake_azure.base_url, keys=stale))

    results = by_probe(run_smoke(outputs))

    assert results[("student01", "chat")].ok
    bad = results[("student02", "chat")]
    assert (bad.status, bad.cause) == (401, "key or subscription state")
    assert "invalid subscription key" in (bad.message or "")
    console = Console(record=True, width=200)
    render_results(list(results.values()), console, direct=False)
    text = console.export_text()
    assert "key or subscription state" in text and "student02" in text
    assert "2/4 calls succeeded" in text
    for key in stale.values():
        assert key not in text


def test_role_not_propagated_is_not_mistaken_for_a_key_problem(gateway, outputs):
    # Azure OpenAI answers the gateway's unauthorised managed identity with 401 PermissionDenied, which APIM
    # passes through: the cause is the role assignment, not the participant's key.
    gateway.fail_next(azure_error(401, "PermissionDenied", PERMISSION_DENIED), deployment="chat", times=None)
    gateway.fail_next(
        azure_error(403, "PermissionDenied", PERMISSION_DENIED), deployment="embeddings", times=None
    )

    results = run_smoke(outputs)

    assert {(r.status, r.cause) for r in results} == {
        (401, "role not propagated"),
        (403, "role not propagated"),
    }
    assert all("propagate" in (r.hint or "") for r in results)


def test_missing_deployment_is_deployment_not_found(gateway, fake_azure):
    outputs = LabOutputs.parse(
        stack_outputs(fake_azure.base_url, deployments={**DEPLOYMENTS, "gpt-4-1": "gpt-4.1"})
    )

    results = by_probe(run_smoke(outputs))

    missing = results[("student01", "gpt-4-1")]
    assert (missing.status, missing.code, missing.cause) == (404, "DeploymentNotFound", "DeploymentNotFound")
    assert missing.message == DEPLOYMENT_NOT_FOUND
    assert results[("student01", "chat")].ok


def test_429_is_retried_politely_then_succeeds(gateway, outputs, caplog):
    gateway.fail_next(rate_limited(retry_after_ms=20), caller="student01", deployment="chat", times=2)
    caplog.set_level(logging.INFO, logger="openai")

    results = by_probe(run_smoke(outputs, max_retries=3))

    retried = results[("student01", "chat")]
    assert retried.ok and retried.retries == 2
    assert results[("student02", "chat")].retries == 0
    calls = [c for c in gateway.calls if (c.caller, c.deployment) == ("student01", "chat")]
    assert len(calls) == 3
    # retry-after-ms was honoured: the SDK waited the 20 ms the service asked for, not its own 0.5 s+ backoff.
    waits = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Retrying request in")]
    assert len(waits) == 2 and all(w.startswith("Retrying request in 0.020000 seconds") for w in waits), waits


def test_429_that_persists_is_reported_as_quota(gateway, outputs):
    gateway.fail_next(rate_limited(), deployment="chat", times=None)

    results = by_probe(run_smoke(outputs, max_retries=2))

    failed = results[("student01", "chat")]
    assert (failed.status, failed.cause) == (429, "quota / rate limit")
    assert len([c for c in gateway.calls if (c.caller, c.deployment) == ("student01", "chat")]) == 3
    assert results[("student01", "embeddings")].ok


def test_503_is_retried(gateway, outputs):
    busy = azure_error(503, "ServiceUnavailable", "The server is busy.", **{"retry-after-ms": "10"})
    gateway.fail_next(busy, caller="student02", deployment="embeddings", times=1)

    results = by_probe(run_smoke(outputs))

    assert results[("student02", "embeddings")].ok
    assert results[("student02", "embeddings")].retries == 1


def test_calls_run_concurrently_but_bounded(fake_azure):
    keys = {f"student{i:02d}": f"key-{i:02d}-0123456789abcdef" for i in range(8)}
    gateway = FakeGateway(
        server=fake_azure.server,
        keys={k: n for n, k in keys.items()},
        deployments={"chat": "gpt-5-mini"},
        delay_s=0.2,
    ).install()
    outputs = LabOutputs.parse(
        stack_outputs(fake_azure.base_url, keys=keys, deployments={"chat": "gpt-5-mini"})
    )

    results = run_smoke(outputs, concurrency=4)

    assert all(r.ok for r in results) and len(results) == 8
    # Observed at the gateway: exactly 4 calls overlapped (concurrent, and bounded). The wall time this buys is
    # measured by scripts/bench_smoke.py, not asserted here.
    assert gateway.max_in_flight == 4


def test_direct_calls_the_account_with_an_entra_id_token(gateway, outputs, fake_credential):
    results = run_smoke(outputs, direct=True, credential=fake_credential)

    assert [(r.probe.caller, r.probe.deployment, r.ok) for r in results] == [
        (DIRECT_CALLER, "chat", True),
        (DIRECT_CALLER, "embeddings", True),
    ]
    assert {c.caller for c in gateway.calls} == {"bearer"}
    assert fake_credential.scopes and set(fake_credential.scopes) == {
        ("https://cognitiveservices.azure.com/.default",)
    }


@pytest.mark.parametrize(
    ("environment", "audience"),
    [
        ("usgovernment", "https://cognitiveservices.azure.us/.default"),
        ("china", "https://cognitiveservices.azure.cn/.default"),
    ],
)
def test_direct_asks_for_the_data_plane_audience_of_the_stacks_cloud(
    gateway, outputs, fake_credential, environment, audience
):
    results = run_smoke(outputs, direct=True, credential=fake_credential, environment=environment)
    assert all(r.ok for r in results)
    assert set(fake_credential.scopes) == {(audience,)}


def test_cli_direct_takes_the_cloud_from_the_stack_file(gateway, fake_azure, fake_credential, tmp_path):
    import shutil

    from labctl.project import PROJECT_DIR

    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(PROJECT_DIR / "Pulumi.yaml", project / "Pulumi.yaml")
    text = (PROJECT_DIR / "Pulumi.dev.yaml").read_text()
    text = text.replace(
        "  azure-native:location: eastus2\n",
        "  azure-native:location: usgovvirginia\n  azure-native:environment: usgovernment\n",
    )
    (project / "Pulumi.gov.yaml").write_text(text)
    outputs_file = write_outputs(tmp_path / "outputs.json", stack_outputs(fake_azure.base_url))
    console = Console(record=True, width=200)
    environments: list[str] = []

    def factory(environment: str):
        environments.append(environment)
        return fake_credential

    code = smoke_command(
        stack="gov",
        outputs_file=outputs_file,
        direct=True,
        concurrency=4,
        retries=0,
        timeout=5,
        project_dir=project,
        console=console,
        err_console=console,
        credential_factory=factory,
    )

    assert code == 0, console.export_text()
    assert environments == ["usgovernment"]
    assert set(fake_credential.scopes) == {("https://cognitiveservices.azure.us/.default",)}


def test_direct_without_the_role_says_so(gateway, outputs, fake_credential):
    gateway.fail_next(azure_error(401, "PermissionDenied", PERMISSION_DENIED), caller="bearer", times=None)

    results = run_smoke(outputs, direct=True, credential=fake_credential)

    assert {r.cause for r in results} == {"no data-plane role"}


def test_direct_without_a_sign_in_is_one_clear_error(gateway, outputs):
    from azure.identity import CredentialUnavailableError

    class SignedOut:
        def get_token(self, *scopes, **kwargs):
            raise CredentialUnavailableError("DefaultAzureCredential failed to retrieve a token")

        def get_token_info(self, *scopes, options=None):
            raise CredentialUnavailableError("DefaultAzureCredential failed to retrieve a token")

    with pytest.raises(SmokeError, match="az login"):
        run_smoke(outputs, direct=True, credential=SignedOut())
    assert gateway.calls == []


def test_unreachable_endpoint_is_a_failed_row_not_a_crash(fake_azure):
    outputs = LabOutputs.parse(stack_outputs("https://127.0.0.1:9"))

    results = run_smoke(outputs, max_retries=0, timeout=5)

    assert len(results) == 4
    assert all(r.status is None and r.cause == "unreachable" for r in results)


# ---- reading the outputs ----


def test_masked_participant_keys_are_refused_with_the_fix(fake_azure):
    data = stack_outputs(fake_azure.base_url)
    data["participantKeys"] = {"student01": "[secret]"}
    with pytest.raises(OutputsError, match="--show-secrets"):
        LabOutputs.parse(data)


def test_outputs_come_from_the_pulumi_cli_when_it_is_installed(fake_pulumi, tmp_path, monkeypatch):
    written = tmp_path / "cli-outputs.json"
    written.write_text(json.dumps(stack_outputs("https://gw.example")), encoding="utf-8")
    monkeypatch.setenv("FAKE_PULUMI_OUTPUTS", str(written))

    data = read_stack_outputs("dev", None, tmp_path)

    assert data["participantKeys"] == KEYS
    assert fake_pulumi.commands() == [["stack", "output", "--json", "--show-secrets", "--stack", "dev"]]
    assert fake_pulumi.invocations()[0]["cwd"] == str(tmp_path)


def test_without_cli_or_file_the_error_says_how_to_get_the_outputs(no_pulumi, tmp_path):
    with pytest.raises(LabctlError) as info:
        read_stack_outputs("dev", None, tmp_path)
    assert "--outputs FILE" in str(info.value)
    assert "pulumi stack output --json --show-secrets --stack dev" in str(info.value)


# ---- the command ----


def test_cli_smoke_passes_with_a_table(gateway, fake_azure, tmp_path):
    outputs_file = write_outputs(tmp_path / "outputs.json", stack_outputs(fake_azure.base_url))

    result = CliRunner().invoke(app, ["smoke", "--outputs", str(outputs_file)], env={"COLUMNS": "200"})

    assert result.exit_code == 0, result.output
    # 2 participants x 2 deployments, then every route once (labctl/lifecycle/smoke_routes.py): chat, streamed
    # chat and Responses on both APIs for chat, embeddings on both, and GET /v1/models.
    assert "13/13 calls succeeded" in result.output
    assert "chat-stream (v1)" in result.output and "models (v1)" in result.output
    assert "student01" in result.output and "embeddings" in result.output
    for key in KEYS.values():
        assert key not in result.output


def test_cli_smoke_exits_1_with_the_cause_when_a_call_fails(gateway, fake_azure, tmp_path):
    gateway.fail_next(
        Scripted(404, {"error": {"code": "DeploymentNotFound", "message": DEPLOYMENT_NOT_FOUND}}),
        deployment="embeddings",
        times=None,
    )
    outputs_file = write_outputs(tmp_path / "outputs.json", stack_outputs(fake_azure.base_url))

    result = CliRunner().invoke(app, ["smoke", "--outputs", str(outputs_file)], env={"COLUMNS": "200"})

    assert result.exit_code == 1
    assert "DeploymentNotFound" in result.output
    assert "2/4 calls succeeded" in result.output


def test_cli_smoke_without_outputs_fails_clearly(no_pulumi, project):
    result = CliRunner().invoke(app, ["smoke", "--project-dir", str(project)], env={"COLUMNS": "200"})

    assert result.exit_code == EXIT_AZURE
    assert "error: the Pulumi CLI is not on PATH" in " ".join(result.output.split())
    assert "Traceback" not in result.output


def test_a_key_echoed_in_an_error_body_is_never_printed(gateway, outputs, tmp_path):
    # Some gateways and proxies echo the rejected key back in their error message: it must not reach the output.
    secret = KEYS["student02"]
    gateway.fail_next(
        Scripted(
            401, {"statusCode": 401, "message": f"Access denied: subscription key '{secret}' is suspended."}
        ),
        caller="student02",
        times=None,
    )

    results = run_smoke(outputs)

    failed = [r for r in results if not r.ok]
    assert failed and all(r.probe.caller == "student02" for r in failed)
    assert all(secret not in (r.message or "") and "***" in (r.message or "") for r in failed)
    console = Console(record=True, width=300)
    render_results(results, console, direct=False)
    text = console.export_text()
    assert "subscription key '***' is suspended" in text
    assert secret not in text


def test_cli_timeout_is_honoured_and_no_answer_at_all_exits_4(fake_azure, tmp_path):
    # The gateway answers after 3 s; with --timeout 1 (and no retries) every call is reported as timed out,
    # instead of succeeding late.
    FakeGateway(
        server=fake_azure.server,
        keys={key: name for name, key in KEYS.items()},
        deployments={"chat": "gpt-5-mini"},
        delay_s=3.0,
    ).install()
    outputs_file = write_outputs(
        tmp_path / "outputs.json", stack_outputs(fake_azure.base_url, deployments={"chat": "gpt-5-mini"})
    )

    result = CliRunner().invoke(
        app,
        ["smoke", "--outputs", str(outputs_file), "--timeout", "1", "--retries", "0"],
        env={"COLUMNS": "200"},
    )

    # Not one call got an answer: the lab could not be checked (4), not "a call failed" (1).
    assert result.exit_code == EXIT_AZURE, result.output
    assert "0/2 calls succeeded" in result.output
    assert "No call got an answer" in result.output
    assert "timed out" in result.output and "no answer within --timeout" in " ".join(result.output.split())


def test_only_the_ca_in_requests_ca_bundle_is_needed(gateway, outputs, fake_azure, monkeypatch, tmp_path):
    # The openai SDK gets the same trust as the ARM clients: the system store plus REQUESTS_CA_BUNDLE.
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(fake_azure.ca_file))
    results = run_smoke(outputs, max_retries=0)
    assert all(r.ok for r in results), [(r.status, r.message) for r in results]

    monkeypatch.delenv("REQUESTS_CA_BUNDLE")
    untrusted = run_smoke(outputs, max_retries=0)
    assert {r.cause for r in untrusted} == {"unreachable"}
    assert all("CERTIFICATE_VERIFY_FAILED" in (r.message or "") for r in untrusted)


# ---- reading the outputs through the Pulumi CLI: failures ----


def test_a_failing_pulumi_stack_output_never_prints_its_standard_output(fake_pulumi, tmp_path, monkeypatch):
    # The CLI's standard output is the outputs with every key in clear: a failure shows its stderr only.
    written = tmp_path / "cli-outputs.json"
    written.write_text(json.dumps(stack_outputs("https://gw.example")), encoding="utf-8")
    monkeypatch.setenv("FAKE_PULUMI_OUTPUTS", str(written))
    monkeypatch.setenv(
        "FAKE_PULUMI_OUTPUT_FAIL", "error: the stack's secrets provider could not decrypt a value"
    )

    with pytest.raises(LabctlError) as info:
        read_stack_outputs("dev", None, tmp_path)

    message = str(info.value)
    assert "could not decrypt a value" in message
    for key in KEYS.values():
        assert key not in message


def test_a_pulumi_stack_output_that_hangs_times_out_clearly(fake_pulumi, tmp_path, monkeypatch):
    from labctl import pulumi_cli

    monkeypatch.setattr(pulumi_cli, "OUTPUTS_TIMEOUT_S", 0.3)
    monkeypatch.setenv("FAKE_PULUMI_OUTPUT_SLEEP", "30")

    with pytest.raises(LabctlError, match=r"did not answer within 0 s.*pass --outputs FILE"):
        read_stack_outputs("dev", None, tmp_path)


def test_the_region_that_answered_is_reported(gateway, outputs):
    """A lab spread over regions: each row says which region served it (Azure OpenAI's `x-ms-region` header,
    passed through by the gateway)."""
    from tests.support.fake_gateway import Scripted, azure_error

    answer = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1764547200,
        "model": "gpt-5-mini",
        "choices": [
            {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "pong"}}
        ],
        "usage": {"prompt_tokens": 9, "completion_tokens": 1, "total_tokens": 10},
    }
    gateway.fail_next(
        Scripted(200, answer, {"x-ms-region": "Sweden Central"}), caller="student01", deployment="chat"
    )
    gateway.fail_next(
        azure_error(400, "OperationNotSupported", "nope", **{"x-ms-region": "East US 2"}),
        caller="student02",
        deployment="chat",
    )
    results = by_probe(run_smoke(outputs, max_retries=0))
    assert results[("student01", "chat")].region == "Sweden Central"
    assert results[("student02", "chat")].region == "East US 2"
    assert results[("student01", "embeddings")].region is None

    from rich.console import Console

    console = Console(record=True, width=200)
    render_results(list(results.values()), console, direct=False)
    assert "Sweden Central" in console.export_text()
