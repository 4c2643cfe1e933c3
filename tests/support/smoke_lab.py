"""The lab the smoke tests call: two participants' keys, two deployments, and the stack outputs
`pulumi stack output --json --show-secrets` would print for it (shared by the lifecycle, classroom and CLI tests)."""

from __future__ import annotations

import json
from pathlib import Path

KEYS = {
    "student01": "k1-0123456789abcdef0123456789abcdef",
    "student02": "k2-fedcba9876543210fedcba9876543210",
}
DEPLOYMENTS = {"chat": "gpt-5-mini", "embeddings": "text-embedding-3-small"}


def stack_outputs(
    base_url: str, keys: dict[str, str] = KEYS, deployments: dict[str, str] = DEPLOYMENTS
) -> dict:
    """The shape `pulumi stack output --json --show-secrets` prints for this lab (see stacks/lab.py)."""
    return {
        "resourceGroup": "rg-aoai-lab-dev",
        "accountName": "aoai-lab-dev-ab1cd",
        "accountEndpoint": f"{base_url}/",
        "deployments": {
            name: {"model": model, "version": "1", "sku": "GlobalStandard", "capacity": 10}
            for name, model in deployments.items()
        },
        "gatewayName": "apim-aoai-lab-dev-ab1cd",
        "gatewayUrl": f"{base_url}/openai",
        "participantKeys": dict(keys),
        "openaiEnv": {
            "AZURE_OPENAI_ENDPOINT": base_url,
            "OPENAI_API_VERSION": "2025-04-01-preview",
            "AZURE_OPENAI_CHAT_DEPLOYMENT": "chat",
            "AZURE_OPENAI_EMBEDDINGS_DEPLOYMENT": "embeddings",
        },
        "expiresOn": "2026-12-18",
    }


def write_outputs(path: Path, data: dict) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path
