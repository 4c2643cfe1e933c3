"""Signing in and reaching Azure Resource Manager: one place for clouds, CA trust and credentials.

Every command that talks to Azure (preflight, purge, smoke) builds its clients here, so a sovereign cloud, a
corporate TLS proxy or the loopback fake ARM of the tests is handled the same way everywhere.
"""

from __future__ import annotations

import os
import ssl
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from azure.core.credentials import TokenCredential

# Resource Manager endpoint and the token audience per `azure-native:environment`.
ARM_ENDPOINTS: dict[str, str] = {
    "public": "https://management.azure.com",
    "usgovernment": "https://management.usgovcloudapi.net",
    "china": "https://management.chinacloudapi.cn",
}
# Entra ID authority per cloud (for the credential).
AUTHORITIES: dict[str, str] = {
    "public": "login.microsoftonline.com",
    "usgovernment": "login.microsoftonline.us",
    "china": "login.chinacloudapi.cn",
}
# Audience of tokens for Azure OpenAI data-plane calls (the gateway policy uses the same).
COGNITIVE_SERVICES_SCOPE = "https://cognitiveservices.azure.com/.default"


class AzureAccessError(Exception):
    """A problem the user can fix (not signed in, no access); the message says how."""


@dataclass(frozen=True)
class ArmTarget:
    endpoint: str
    environment: str = "public"

    @property
    def scope(self) -> str:
        # Custom endpoints (tests, Azure Stack) take the public audience unless they are a known cloud.
        if self.endpoint.rstrip("/") in ARM_ENDPOINTS.values():
            return f"{self.endpoint.rstrip('/')}/.default"
        return f"{ARM_ENDPOINTS.get(self.environment, ARM_ENDPOINTS['public'])}/.default"


def arm_target(environment: str = "public", override: str | None = None) -> ArmTarget:
    if override:
        return ArmTarget(endpoint=override.rstrip("/"), environment=environment)
    if environment not in ARM_ENDPOINTS:
        raise AzureAccessError(
            f"azure-native:environment '{environment}' is not a known cloud. Fix: use public, usgovernment or "
            "china, or pass --arm-endpoint"
        )
    return ArmTarget(endpoint=ARM_ENDPOINTS[environment], environment=environment)


def ca_bundle() -> str | bool:
    """What `connection_verify` gets: True (certifi) unless REQUESTS_CA_BUNDLE adds CAs, in which case a bundle
    of the system store, certifi and those CAs, so adding a private CA never drops the public ones."""
    extra = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("SSL_CERT_FILE")
    if not extra:
        return True
    parts: list[str] = []
    import certifi

    system = ssl.get_default_verify_paths().cafile
    for path in (system, certifi.where(), extra):
        if path and Path(path).is_file():
            parts.append(Path(path).read_text(encoding="utf-8", errors="replace"))
    with tempfile.NamedTemporaryFile("w", suffix=".pem", prefix="labctl-ca-", delete=False) as handle:
        handle.write("\n".join(parts))
    return handle.name


def default_credential(environment: str = "public") -> TokenCredential:
    """az login, environment variables, workload identity (CI), managed identity: DefaultAzureCredential's
    chain, pointed at the cloud's authority. `AZURE_TOKEN_CREDENTIALS` narrows the chain (azure-identity)."""
    from azure.identity import DefaultAzureCredential

    return DefaultAzureCredential(authority=AUTHORITIES.get(environment, AUTHORITIES["public"]))


def client_kwargs(target: ArmTarget) -> dict[str, Any]:
    """Keyword arguments every azure-mgmt client takes: the endpoint, its token scope and CA trust."""
    return {
        "base_url": target.endpoint,
        "credential_scopes": [target.scope],
        "connection_verify": ca_bundle(),
        "retry_total": 3,
        "retry_backoff_factor": 0.5,
    }
