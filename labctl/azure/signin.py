"""Signing in to Azure and choosing what to talk to: the cloud, Resource Manager, the subscription, the token.

One set of rules for every command (preflight, purge, down, smoke): the cloud's endpoints come from
stacks/facts/clouds.py, the credential is DefaultAzureCredential pointed at that cloud's authority, a missing
sign-in is reported once up front (`check_signed_in`), and the subscription comes from `resolve_subscription`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from azure.core.credentials import AccessToken, TokenCredential
from azure.core.exceptions import ClientAuthenticationError

from labctl.errors import AzureError, ConfigError
from labctl.processes import run_tool
from stacks.config.formats import GUID_RE
from stacks.facts.clouds import CLOUDS, Cloud, cloud_named, unknown_cloud_message

AZ_TIMEOUT_S = 30


def cloud(environment: str | None) -> Cloud:
    """The stack's cloud (`azure-native:environment`, unset means public); a config error when unknown."""
    found = cloud_named(environment)
    if found is None:
        raise ConfigError(unknown_cloud_message(str(environment)))
    return found


@dataclass(frozen=True)
class ArmTarget:
    endpoint: str
    environment: str = "public"

    @property
    def scope(self) -> str:
        # A custom endpoint (tests, Azure Stack) takes its cloud's audience unless it is a known cloud's own.
        for known in CLOUDS.values():
            if self.endpoint.rstrip("/") == known.arm_endpoint:
                return known.arm_scope
        return (cloud_named(self.environment) or CLOUDS["public"]).arm_scope


def arm_target(environment: str = "public", override: str | None = None) -> ArmTarget:
    if override:
        return ArmTarget(endpoint=override.rstrip("/"), environment=environment)
    return ArmTarget(endpoint=cloud(environment).arm_endpoint, environment=environment)


def cognitive_services_scope(environment: str = "public") -> str:
    """The Entra ID scope of Azure OpenAI data-plane calls in the stack's cloud."""
    return cloud(environment).cognitive_services_scope


def client_kwargs(target: ArmTarget) -> dict[str, Any]:
    """Keyword arguments every azure-mgmt client takes: the endpoint, its token scope and retries (the CA trust
    comes with the transport: `labctl.azure.transport.shared_tls_transport`)."""
    return {
        "base_url": target.endpoint,
        "credential_scopes": [target.scope],
        "retry_total": 3,
        "retry_backoff_factor": 0.5,
    }


def default_credential(environment: str = "public") -> TokenCredential:
    """az login, environment variables, workload identity (CI), managed identity: DefaultAzureCredential's
    chain, pointed at the cloud's authority. `AZURE_TOKEN_CREDENTIALS` narrows the chain (azure-identity)."""
    from azure.identity import DefaultAzureCredential

    return DefaultAzureCredential(authority=(cloud_named(environment) or CLOUDS["public"]).authority)


class SharedTokenCredential:
    """One token per scope for every client and thread of a command, renewed 5 minutes before it expires.

    Clients each keep their own token cache, so ten region clients would start ten `az account get-access-token`
    processes at once; behind this wrapper they share one sign-in."""

    def __init__(self, inner: TokenCredential) -> None:
        self._inner = inner
        self._lock = threading.Lock()
        self._tokens: dict[tuple[str, ...], AccessToken] = {}

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        with self._lock:
            token = self._tokens.get(scopes)
            # A claims challenge (continuous access evaluation) asks for a new token, never the cached one.
            if token is None or kwargs.get("claims") or token.expires_on - 300 < time.time():
                token = self._inner.get_token(*scopes, **kwargs)
                self._tokens[scopes] = token
            return token

    def close(self) -> None:
        close = getattr(self._inner, "close", None)
        if callable(close):
            close()


# ---- the subscription ----


def resolve_subscription(explicit: str | None, *, ask_az_cli: bool = True) -> tuple[str, str]:
    """The subscription and where it came from: --subscription, then AZURE_SUBSCRIPTION_ID, then (with
    `ask_az_cli`) the Azure CLI's current subscription (`az account show`). Commands that delete pass
    `ask_az_cli=False`: they must be told their subscription, not inherit whatever `az account set` chose last."""
    if explicit:
        return _check_guid(explicit.strip(), "--subscription"), "--subscription"
    env = os.environ.get("AZURE_SUBSCRIPTION_ID", "").strip()
    if env:
        return _check_guid(env, "AZURE_SUBSCRIPTION_ID"), "AZURE_SUBSCRIPTION_ID"
    if not ask_az_cli:
        raise AzureError(
            "no subscription given. Fix: pass --subscription <id> or set AZURE_SUBSCRIPTION_ID "
            "(`az account show --query id -o tsv`)"
        )
    current = _az_current_subscription()
    if current:
        return _check_guid(current, "az account show"), "az account show"
    raise AzureError(
        "no subscription chosen. Fix: pass --subscription <id>, set AZURE_SUBSCRIPTION_ID, or sign in with "
        "`az login` and pick one with `az account set --subscription <id>`"
    )


def _az_current_subscription() -> str | None:
    az = shutil.which("az")
    if not az:
        return None
    try:
        out = run_tool([az, "account", "show", "--query", "id", "--output", "tsv"], timeout=AZ_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 and out.stdout.strip() else None


def _check_guid(value: str, source: str) -> str:
    if not GUID_RE.fullmatch(value):
        raise AzureError(
            f"{source}: '{value}' is not a subscription id. Fix: use the subscription's GUID, not its name "
            "(`az account list --query [].id -o tsv`)"
        )
    return value.lower()


# ---- signing in ----


@contextlib.contextmanager
def _quiet_identity_log() -> Iterator[None]:
    """DefaultAzureCredential logs its failure as a warning too; while signing in, only errors get through. The
    logger's own level is put back afterwards, whatever happens (it is process-wide)."""
    identity_log = logging.getLogger("azure.identity")
    level = identity_log.level
    identity_log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        identity_log.setLevel(level)


def check_signed_in(credential: TokenCredential, target: ArmTarget) -> None:
    """Get one token up front: a missing sign-in is reported once, clearly, before anything is read or changed."""
    check_signed_in_for(credential, target.scope)


def check_signed_in_for(credential: TokenCredential, scope: str) -> None:
    """`check_signed_in` for any API's scope (Log Analytics, ...). Needed where the SDK client would wrap the
    credential's error in a plain HttpResponseError (azure-monitor-query does), losing what it means."""
    from azure.identity import CredentialUnavailableError

    try:
        with _quiet_identity_log():
            credential.get_token(scope)
    except (CredentialUnavailableError, ClientAuthenticationError) as exc:
        raise sign_in_error(exc) from None


def sign_in_error(exc: Exception) -> AzureError:
    """One line and the fix; azure-identity's account of each credential it tried (~15 lines: environment,
    managed identity, VS Code, Azure CLI, PowerShell, azd, broker) only with `labctl --verbose`."""
    from azure.identity import CredentialUnavailableError

    chain = str(exc).strip()
    # The chain raises ClientAuthenticationError when no credential had a sign-in to offer.
    if isinstance(exc, CredentialUnavailableError) or "failed to retrieve a token" in chain:
        return AzureError(
            "not signed in to Azure. Fix: run `az login` (for a sovereign cloud first `az cloud set --name "
            "AzureUSGovernment` or `AzureChinaCloud`), or set AZURE_CLIENT_ID, AZURE_TENANT_ID and a secret or "
            "certificate for a service principal; in CI use workload identity (azure/login with OIDC)",
            details=f"azure-identity said:\n{chain}",
        )
    first = _first_line(chain)
    return AzureError(
        "signing in to Azure failed"
        + (f": {first.rstrip('.')}" if first else "")
        + ". Fix: run `az login` again (the session may have expired, or the tenant needs `az login --tenant "
        "<tenant-id>`); for a service principal, check AZURE_CLIENT_ID, AZURE_TENANT_ID and its secret",
        details=f"azure-identity said:\n{chain}",
    )


def _first_line(message: str) -> str:
    """The first line that says something (never a token: azure-identity's messages hold none), at most 200
    characters: Entra ID's answers go on with trace and correlation ids."""
    for line in message.splitlines():
        line = line.strip()
        if line and "troubleshoot" not in line and not line.lower().startswith("attempted credentials"):
            if len(line) <= 200:
                return line
            # Entra ID's sentences run long: keep the whole ones that fit ("...: Invalid client secret provided.").
            cut = line[:200].rfind(". ")
            return line[: cut + 1] if cut > 0 else line[:199] + "…"
    return ""
