"""What the gateway logs per call: token counts always (LLM logs), bodies only when asked, and bounded.

Token accounting reads `ApiManagementGatewayLlmLog` (prompt/completion/total tokens per request, streamed or not,
chat, Responses and embeddings alike), written when the API diagnostic has `largeLanguageModel.logs = enabled` and
the service's diagnostic setting sends the GatewayLlmLogs category. It never depends on logged bodies: APIM cuts a
body at 8,192 bytes and drops every body of an entry whose attributes pass 32 KB
(MicrosoftDocs/azure-docs includes/api-management-log-entry-size-limit.md).

pulumi-azure-native 3.x declares API Management at API version 2024-05-01, which has no `largeLanguageModel`, so
the API diagnostic is declared with the provider's generic `azure-native:resources:Resource` at an explicit
`api_version` (LLMDiagnosticSettings: `logs` enabled|disabled; `requests`/`responses` {messages: "all",
maxSizeInBytes}; Microsoft.ApiManagement 2024-06-01-preview definitions, as generated into the provider SDKs).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

# The service's facts (facts/apim_logs.py); the lab keeps each LLM message in one entry (MAX_MESSAGE_BYTES).
from facts.apim_logs import MAX_BODY_BYTES, MAX_MESSAGE_BYTES

# APIM's Azure Monitor logger, the one the API diagnostic writes through.
#
# When it exists is not settled by the sources: Azure-Samples/AI-Gateway (modules/apim/v3/apim.bicep) declares it
# (`loggerType: azureMonitor`, `isBuffered: false`) on a new service; hashicorp/terraform-provider-azurerm#29050 reports
# it appears once a diagnostic setting exists; portal-made services have it. pulumi-azure-native refuses to create a
# resource that already exists ("cannot create already existing resource", pulumi/pulumi-azure-native#1123), so
# neither `apimanagement.Logger` (fails where it exists) nor a bare reference (fails where it does not) works
# both ways. The lab declares it the way the Bicep sample does: an ARM template deployment in Incremental mode,
# which PUTs the logger (create-or-update) whether or not it exists and touches nothing else.
AZURE_MONITOR_LOGGER = "azuremonitor"
LOGGER_TEMPLATE = Path(__file__).parent / "arm" / "azuremonitor-logger.json"
LOGGER_DEPLOYMENT = "apim-azuremonitor-logger"
LOGGER_DEPLOYMENT_MODE = (
    "Incremental"  # never Complete: that would delete the resource group's other resources
)
DIAGNOSTIC_ID = "azuremonitor"
# Headers the lab logs: a handful of short ones, so their share of an entry stays small.
FRONTEND_RESPONSE_HEADERS = (
    "retry-after",
    "x-participant-remaining-tokens",
    "x-participant-remaining-quota-tokens",
    # Set by the content-filter step of the policy (foundry track): lands in ApiManagementGatewayLogs.ResponseHeaders.
    "x-aoai-lab-content-filter",
)
BACKEND_RESPONSE_HEADERS = ("x-ms-region", "x-ratelimit-remaining-tokens")


@dataclass(frozen=True)
class GatewayLogging:
    """What the API diagnostic logs. Bodies and messages hold students' prompts: off unless asked for."""

    # Bytes of the caller's request body and of Azure OpenAI's response body in ApiManagementGatewayLogs
    # (0: none). Only those two of the four bodies are logged, so an entry stays under 32 KB.
    body_bytes: int = 0
    # Bytes of prompts and of completions in ApiManagementGatewayLlmLog (0: tokens and model only).
    message_bytes: int = 0
    # The caller's IP address in ApiManagementGatewayLogs.CallerIpAddress: personal data, off unless asked for.
    log_client_ip: bool = False

    def __post_init__(self) -> None:
        if not 0 <= self.body_bytes <= MAX_BODY_BYTES:
            raise ValueError(f"body_bytes must be 0 to {MAX_BODY_BYTES} (API Management's maximum per body)")
        if not 0 <= self.message_bytes <= MAX_MESSAGE_BYTES:
            raise ValueError(f"message_bytes must be 0 to {MAX_MESSAGE_BYTES} (one log entry per message)")

    @property
    def logs_bodies(self) -> bool:
        return self.body_bytes > 0


@cache
def logger_template() -> dict[str, Any]:
    """The ARM template that puts the `azuremonitor` logger (parameter: serviceName), exactly as ARM receives it."""
    return json.loads(LOGGER_TEMPLATE.read_text(encoding="utf-8"))


# Query parameters the diagnostic never logs as sent: a participant key sent as ?api-key= (the policy refuses such a
# call, but APIM logs the request URL anyway). `Hide` drops the parameter, `Mask` keeps it as ***
# (DataMaskingEntity.mode, Microsoft.ApiManagement 2024-06-01-preview definitions.json: HttpMessageDiagnostic.dataMasking
# {queryParams, headers}; headers take Mask only).
MASKED_QUERY_PARAMS = ("api-key",)


def _http(headers: tuple[str, ...], body_bytes: int, *, masked: bool = False) -> dict[str, Any]:
    http: dict[str, Any] = {"headers": list(headers), "body": {"bytes": body_bytes}}
    if masked:
        http["dataMasking"] = {
            "queryParams": [{"value": name, "mode": "Hide"} for name in MASKED_QUERY_PARAMS]
        }
    return http


def api_diagnostic_properties(service_id: str, logging: GatewayLogging) -> dict[str, Any]:
    """The `properties` of the API diagnostic, exactly as sent to Azure."""
    llm: dict[str, Any] = {"logs": "enabled"}
    if logging.message_bytes:
        message = {"messages": "all", "maxSizeInBytes": logging.message_bytes}
        llm["requests"] = dict(message)
        llm["responses"] = dict(message)
    return {
        "loggerId": f"{service_id}/loggers/{AZURE_MONITOR_LOGGER}",
        "alwaysLog": "allErrors",
        "logClientIp": logging.log_client_ip,
        "verbosity": "information",
        "sampling": {"samplingType": "fixed", "percentage": 100},
        "frontend": {
            "request": _http((), logging.body_bytes, masked=True),
            "response": _http(FRONTEND_RESPONSE_HEADERS, 0),
        },
        "backend": {
            "request": _http((), 0, masked=True),
            "response": _http(BACKEND_RESPONSE_HEADERS, logging.body_bytes),
        },
        "largeLanguageModel": llm,
    }
