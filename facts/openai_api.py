"""Where Azure OpenAI's data-plane API sits under an endpoint: the dated API at `<endpoint>/openai` (the
`AzureOpenAI` client appends it to `azure_endpoint`), the v1 API at `<endpoint>/openai/v1/` (what the plain `OpenAI`
client takes as `base_url`, no api-version). The gateway serves its API at the same path, so both clients work
against the gateway as against an account.

Sources: learn.microsoft.com/azure/ai-foundry/openai/api-version-lifecycle (v1: `base_url=
"https://YOUR-RESOURCE-NAME.openai.azure.com/openai/v1/"`); learn.microsoft.com/azure/ai-foundry/openai/reference
(dated: `POST https://{endpoint}/openai/deployments/{deployment-id}/chat/completions?api-version=...`).
"""

from __future__ import annotations

# The path segment of the API under an endpoint (and the gateway API's path).
API_PATH = "openai"


def api_url(root: str) -> str:
    """The dated API's URL under an endpoint (an account's, or the gateway's root)."""
    return f"{root.rstrip('/')}/{API_PATH}"


def v1_base_url(root: str) -> str:
    """The v1 API's base URL under an endpoint, as `OpenAI(base_url=...)` takes it (with its final slash)."""
    return f"{api_url(root)}/v1/"
