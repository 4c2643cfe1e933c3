"""What a failed smoke call most likely means, and what to do: the failures labs actually meet."""

from __future__ import annotations


def diagnose(status: int | None, code: str | None, message: str, *, direct: bool) -> tuple[str, str]:
    """(short cause, what to do) for the failures labs actually meet."""
    text = (message or "").lower()
    if status is None:
        if code == "timeout":
            return (
                "timed out",
                "no answer within --timeout (or --call-timeout): the region or the gateway is overloaded; re-run later",
            )
        if code == "connection":
            return (
                "unreachable",
                "no HTTP answer: check the endpoint in the outputs, DNS, proxy and TLS trust",
            )
        return "client error", "the call failed before reaching the service; see the message"
    if code == "PermissionDenied" or (status == 403 and "quota" not in text):
        if direct:
            return "no data-plane role", (
                "your identity is not (yet) allowed to call the account: it needs Cognitive Services OpenAI User "
                "on the account (the instructor/student role sets grant it); new assignments take a few minutes "
                "to propagate"
            )
        return "role not propagated", (
            "the gateway's managed identity is not (yet) allowed to call the account: role assignments take up "
            "to ~10 minutes to propagate after `pulumi up`. Wait and re-run; if it persists, check the gateway's "
            "Cognitive Services OpenAI User assignment on the account"
        )
    if status == 401:
        if direct:
            return "token rejected", (
                "the account did not accept your Entra ID token: sign in to the account's tenant "
                "(`az login --tenant ...`) and check AZURE_TOKEN_CREDENTIALS"
            )
        return "key or subscription state", (
            "the gateway rejected the participant's key: it is wrong or was regenerated since the outputs were "
            "read, or the participant's gateway subscription is suspended, cancelled or expired (API Management "
            "answers 401 for all of these). Re-read the outputs; check the subscription under API Management > "
            "Subscriptions"
        )
    if status == 404:
        if code == "DeploymentNotFound":
            return "DeploymentNotFound", (
                "the account has no deployment by this name, or it was created in the last ~5 minutes: check "
                "`pulumi stack output deployments` against the account, or wait and re-run"
            )
        return "no such operation", (
            "the endpoint has no such path: for the gateway, check AZURE_OPENAI_ENDPOINT (the gateway root, "
            "without /openai) and that the API was imported with the inference spec"
        )
    if status == 429 or (status == 403 and "quota" in text):
        return "quota / rate limit", (
            "the deployment's tokens-per-minute (its capacity) or the gateway's token limit is exhausted, even "
            "after polite retries: raise the capacity (`labctl preflight`), lower --concurrency, or wait a minute"
        )
    if status == 400 and code == "OperationNotSupported":
        return "wrong operation", "the model does not support this call (chat on an embedding model?)"
    if status >= 500:
        return "service unavailable", (
            "the service or the gateway's backend kept failing after retries (busy region, or the backend "
            "circuit breaker is open): re-run in a few minutes"
        )
    return f"HTTP {status}", "the request was rejected; see the message"
