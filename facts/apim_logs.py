"""API Management's logging facts: the API version with LLM logs on an API diagnostic, and the size limits.

Sources:
- `largeLanguageModel` (LLMDiagnosticSettings) first appears on API diagnostics in Microsoft.ApiManagement
  2024-06-01-preview: Azure/azure-rest-api-specs specification/apimanagement/resource-manager/
  Microsoft.ApiManagement/preview/2024-06-01-preview/definitions.json; learn.microsoft.com/azure/api-management/
  api-management-howto-llm-logs.
- Body and entry limits: MicrosoftDocs/azure-docs includes/api-management-log-entry-size-limit.md (a body is cut at
  8,192 bytes; every body of an entry whose attributes pass 32 KB is dropped) and api-management-howto-llm-logs.md
  (LLM messages up to 32 KB in one entry, larger ones split into 32 KB chunks).
"""

from __future__ import annotations

# Microsoft.ApiManagement API version with `largeLanguageModel` on API diagnostics (this or later).
LLM_DIAGNOSTIC_API_VERSION = "2024-06-01-preview"
# Bytes API Management logs of one request or response body at most.
MAX_BODY_BYTES = 8192
# Bytes of an LLM prompt or completion that fit one log entry.
MAX_MESSAGE_BYTES = 32 * 1024
