"""Fixture rows shaped like the gateway's Log Analytics tables, loaded into duckdb for duckdb-kql.

Columns follow learn.microsoft.com/azure/azure-monitor/reference/tables/apimanagementgatewayllmlog (all of them)
and .../apimanagementgatewaylogs (the ones the lab's queries read, plus a few neighbours). `dynamic` columns are
JSON text. The scenario is one class hour: calls that succeed (chat, streamed chat, Responses, embeddings, dated
and v1), refusals by the participant limits (429/403, no backend call, no LLM row), a deployment 429, a 500, and
message-chunk rows (prompt logging on) that carry no token counts.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

T0 = dt.datetime(2026, 11, 20, 10, 0)
RESOURCE_ID = (
    "/SUBSCRIPTIONS/6B1F3C2E-8A4D-4C3B-9E2F-0D5A7B9C1E24/RESOURCEGROUPS/RG-AOAI-LAB-DEV/PROVIDERS/"
    "MICROSOFT.APIMANAGEMENT/SERVICE/APIM-AOAI-LAB-DEV-AB1CD"
)

GATEWAY_COLUMNS = {
    "TenantId": "VARCHAR",
    "TimeGenerated": "TIMESTAMP",
    "CorrelationId": "VARCHAR",
    "ApiId": "VARCHAR",
    "OperationId": "VARCHAR",
    "ApimSubscriptionId": "VARCHAR",
    "ProductId": "VARCHAR",
    "Method": "VARCHAR",
    "Url": "VARCHAR",
    "ResponseCode": "INTEGER",
    "BackendResponseCode": "INTEGER",
    "CallerIpAddress": "VARCHAR",
    "TotalTime": "BIGINT",
    "BackendTime": "BIGINT",
    "IsRequestSuccess": "BOOLEAN",
    "LastErrorReason": "VARCHAR",
    "LastErrorSource": "VARCHAR",
    "BackendResponseBody": "VARCHAR",
    "Region": "VARCHAR",
    "Type": "VARCHAR",
    "_ResourceId": "VARCHAR",
}
LLM_COLUMNS = {
    "TenantId": "VARCHAR",
    "TimeGenerated": "TIMESTAMP",
    "OperationName": "VARCHAR",
    "CorrelationId": "VARCHAR",
    "Region": "VARCHAR",
    "RequestId": "VARCHAR",
    "DeploymentName": "VARCHAR",
    "ModelName": "VARCHAR",
    "ApiVersion": "VARCHAR",
    "IsStreamCompletion": "BOOLEAN",
    "PromptTokens": "INTEGER",
    "CompletionTokens": "INTEGER",
    "TotalTokens": "INTEGER",
    "SequenceNumber": "INTEGER",
    "RequestMessages": "VARCHAR",
    "ResponseMessages": "VARCHAR",
    "SourceSystem": "VARCHAR",
    "Type": "VARCHAR",
    "_ResourceId": "VARCHAR",
    "_SubscriptionId": "VARCHAR",
}


@dataclass(frozen=True)
class Call:
    """One call through the gateway: its gateway row and, when Azure OpenAI answered, its LLM log row(s)."""

    minute: int
    correlation: str
    participant: str
    operation: str
    status: int
    backend_status: int | None
    ip: str
    total_ms: int
    backend_ms: int
    deployment: str = ""
    model: str = ""
    prompt: int = 0
    completion: int = 0
    stream: bool = False
    api_version: str = ""
    chunks: int = 0  # message-chunk rows (prompt logging on)


CHAT = "gpt-5-mini-2025-08-07"
EMBED = "text-embedding-3-small"
V = "2025-04-01-preview"
CALLS: tuple[Call, ...] = (
    Call(
        1,
        "c01",
        "student01",
        "ChatCompletions_Create",
        200,
        200,
        "10.0.0.1",
        900,
        850,
        "chat",
        CHAT,
        100,
        20,
        False,
        V,
    ),
    Call(
        2,
        "c02",
        "student01",
        "V1_ChatCompletions_Create",
        200,
        200,
        "10.0.0.1",
        700,
        650,
        "chat",
        CHAT,
        50,
        30,
        True,
        "",
        2,
    ),
    Call(
        3,
        "c03",
        "student02",
        "Responses_Create",
        200,
        200,
        "10.0.0.2",
        500,
        450,
        "chat",
        CHAT,
        10,
        5,
        False,
        V,
    ),
    Call(
        4,
        "c04",
        "student02",
        "embeddings_create",
        200,
        200,
        "10.0.0.2",
        100,
        80,
        "embeddings",
        EMBED,
        8,
        0,
        False,
        V,
    ),
    # The participant limits refuse in the gateway: no backend call, no LLM row.
    Call(6, "c05", "student01", "ChatCompletions_Create", 429, None, "10.0.0.1", 30, 0),
    Call(7, "c06", "student03", "V1_Responses_Create", 403, None, "10.0.0.3", 25, 0),
    # The deployment's own capacity: Azure OpenAI answered 429.
    Call(7, "c07", "student02", "ChatCompletions_Create", 429, 429, "10.0.0.2", 35, 30),
    Call(
        8,
        "c08",
        "student02",
        "V1_ChatCompletions_Create",
        200,
        200,
        "10.0.0.2",
        1100,
        1000,
        "chat",
        CHAT,
        40,
        40,
        False,
        "",
    ),
    Call(9, "c09", "student02", "ChatCompletions_Create", 500, 500, "10.0.0.2", 60, 55),
)


def gateway_rows(calls: tuple[Call, ...] = CALLS) -> list[dict[str, Any]]:
    rows = []
    for c in calls:
        refused = c.backend_status is None
        rows.append(
            {
                "TenantId": "ws",
                "TimeGenerated": T0 + dt.timedelta(minutes=c.minute),
                "CorrelationId": c.correlation,
                "ApiId": "azure-openai",
                "OperationId": c.operation,
                "ApimSubscriptionId": c.participant,
                "ProductId": "aoai-lab",
                "Method": "GET" if c.operation.endswith("_Get") else "POST",
                "Url": f"https://apim-aoai-lab-dev-ab1cd.azure-api.net/openai/{c.operation.lower()}",
                "ResponseCode": c.status,
                "BackendResponseCode": c.backend_status,
                "CallerIpAddress": c.ip,
                "TotalTime": c.total_ms,
                "BackendTime": c.backend_ms,
                "IsRequestSuccess": c.status < 400,
                "LastErrorReason": "" if c.status < 400 else ("TokenLimitExceeded" if refused else ""),
                "LastErrorSource": "azure-openai-token-limit" if refused else "",
                "BackendResponseBody": "",  # body logging is off by default
                "Region": "East US 2",
                "Type": "ApiManagementGatewayLogs",
                "_ResourceId": RESOURCE_ID,
            }
        )
    return rows


def llm_rows(calls: tuple[Call, ...] = CALLS) -> list[dict[str, Any]]:
    rows = []
    for c in calls:
        if not c.model:
            continue
        base = {
            "TenantId": "ws",
            "TimeGenerated": T0 + dt.timedelta(minutes=c.minute),
            "OperationName": c.operation,
            "CorrelationId": c.correlation,
            "Region": "East US 2",
            "RequestId": f"req-{c.correlation}",
            "SourceSystem": "Azure",
            "Type": "ApiManagementGatewayLlmLog",
            "_ResourceId": RESOURCE_ID,
            "_SubscriptionId": "6b1f3c2e-8a4d-4c3b-9e2f-0d5a7b9c1e24",
        }
        rows.append(
            {
                **base,
                "DeploymentName": c.deployment,
                "ModelName": c.model,
                "ApiVersion": c.api_version,
                "IsStreamCompletion": c.stream,
                "PromptTokens": c.prompt,
                "CompletionTokens": c.completion,
                "TotalTokens": c.prompt + c.completion,
                "SequenceNumber": 0,
                "RequestMessages": None,
                "ResponseMessages": None,
            }
        )
        for n in range(1, c.chunks + 1):
            rows.append(
                {
                    **base,
                    "DeploymentName": "",
                    "ModelName": "",
                    "ApiVersion": "",
                    "IsStreamCompletion": c.stream,
                    "PromptTokens": None,
                    "CompletionTokens": None,
                    "TotalTokens": None,
                    "SequenceNumber": n,
                    "RequestMessages": json.dumps([{"role": "user", "content": "Say ok."}])
                    if n == 1
                    else None,
                    "ResponseMessages": json.dumps([{"role": "assistant", "content": "ok"}])
                    if n == 2
                    else None,
                }
            )
    return rows


def create_tables(
    con: Any, gateway: list[dict[str, Any]] | None = None, llm: list[dict[str, Any]] | None = None
) -> None:
    """Create and fill ApiManagementGatewayLogs and ApiManagementGatewayLlmLog on a duckdb(-kql) connection."""
    for table, columns, rows in (
        ("ApiManagementGatewayLogs", GATEWAY_COLUMNS, gateway_rows() if gateway is None else gateway),
        ("ApiManagementGatewayLlmLog", LLM_COLUMNS, llm_rows() if llm is None else llm),
    ):
        con.sql(f"CREATE TABLE {table} ({', '.join(f'{n} {t}' for n, t in columns.items())})")
        marks = ", ".join("?" for _ in columns)
        for row in rows:
            con.execute(f"INSERT INTO {table} VALUES ({marks})", [row.get(n) for n in columns])
