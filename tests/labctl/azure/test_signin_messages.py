"""Sign-in errors are one line and the fix; azure-identity's credential chain only with `labctl --verbose` (issue 18).

Both failures are real azure-identity ones, on this machine only: DefaultAzureCredential's developer chain with an
Azure CLI that is signed out (a fake `az` on PATH), and a service principal whose secret Entra ID refuses (a fake
authority on 127.0.0.1 answering AADSTS7000215)."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from labctl.azure import signin
from labctl.cli import app
from labctl.errors import EXIT_AZURE
from tests.support.fake_arm import SUBSCRIPTION

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
SIGNED_OUT_AZ = f"""#!{sys.executable}
import sys
sys.stderr.write("ERROR: Please run 'az login' to setup account.\\n")
sys.exit(1)
"""
CHAIN_NAMES = ("SharedTokenCacheCredential", "AzurePowerShellCredential", "AzureDeveloperCliCredential")


def error_lines(output: str) -> list[str]:
    return output[output.index("error: ") :].splitlines()


def preflight(project: Path, *first: str):
    argv = [*first, "preflight", "--project-dir", str(project), "--subscription", SUBSCRIPTION]
    return CliRunner().invoke(app, argv, env={"COLUMNS": "120"})


@pytest.fixture
def signed_out_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """DefaultAzureCredential's developer chain (no managed identity: nothing leaves the machine), `az` signed out."""
    folder = tmp_path / "bin"
    folder.mkdir()
    az = folder / "az"
    az.write_text(SIGNED_OUT_AZ)
    az.chmod(az.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("AZURE_TOKEN_CREDENTIALS", "dev")


def test_not_signed_in_is_one_line_and_the_fix(project: Path, signed_out_cli: None) -> None:
    result = preflight(project)
    assert result.exit_code == EXIT_AZURE, result.output
    lines = error_lines(result.output)
    assert lines[0].startswith("error: not signed in to Azure. Fix: run `az login`")
    assert len(lines) <= 4, "\n".join(lines)  # the message, wrapped at 120 columns, and the --verbose hint
    assert "labctl --verbose" in lines[-1]
    assert not any(name in result.output for name in CHAIN_NAMES)


def test_verbose_shows_the_credential_chain(project: Path, signed_out_cli: None) -> None:
    result = preflight(project, "--verbose")
    assert result.exit_code == EXIT_AZURE
    text = " ".join(result.output.split())
    assert text.startswith("error: not signed in to Azure") or "error: not signed in to Azure" in text
    assert "azure-identity said:" in text
    assert "AzureCliCredential: Please run 'az login'" in text
    assert all(name in text for name in CHAIN_NAMES)


@pytest.fixture
def refusing_authority(fake_azure, monkeypatch: pytest.MonkeyPatch):
    """A service principal's secret that the (fake, loopback) Entra ID refuses."""
    from azure.identity import ClientSecretCredential

    base = fake_azure.base_url
    fake_azure.server.expect_request(f"/{TENANT}/v2.0/.well-known/openid-configuration").respond_with_json(
        {
            "token_endpoint": f"{base}/{TENANT}/oauth2/v2.0/token",
            "authorization_endpoint": f"{base}/{TENANT}/oauth2/v2.0/authorize",
            "issuer": f"{base}/{TENANT}/v2.0",
        }
    )
    fake_azure.server.expect_request(f"/{TENANT}/oauth2/v2.0/token", method="POST").respond_with_json(
        {
            "error": "invalid_client",
            "error_description": "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in "
            "the request is the client secret value, not the client secret ID, for a secret added to app "
            "'11111111-2222-3333-4444-555555555555'.\r\nTrace ID: 0a1b2c3d\r\nCorrelation ID: 4e5f6a7b\r\n"
            "Timestamp: 2026-12-06 21:00:00Z",
            "error_codes": [7000215],
        },
        status=401,
    )

    def credential(environment: str = "public"):
        return ClientSecretCredential(
            TENANT,
            "11111111-2222-3333-4444-555555555555",
            "not-the-secret-value",
            authority=base,
            disable_instance_discovery=True,
            connection_verify=str(fake_azure.ca_file),
        )

    monkeypatch.setattr(signin, "default_credential", credential)


def test_a_refused_secret_is_one_line_with_entra_ids_reason(project: Path, refusing_authority) -> None:
    result = preflight(project)
    assert result.exit_code == EXIT_AZURE, result.output
    lines = error_lines(result.output)
    text = " ".join(" ".join(lines).split())
    assert text.startswith("error: signing in to Azure failed:")
    assert (
        "signing in to Azure failed: Authentication failed: AADSTS7000215: Invalid client secret provided. Fix:"
        in text
    )
    assert "check AZURE_CLIENT_ID, AZURE_TENANT_ID and its secret" in text
    assert "Trace ID" not in text and "Correlation ID" not in text
    assert len(lines) <= 5, "\n".join(lines)
    assert "not-the-secret-value" not in result.output
