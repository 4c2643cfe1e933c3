"""A fake Log Analytics query endpoint on loopback HTTPS, answering like the real one.

`POST /v1/workspaces/{workspaceId}/query` with `{"query", "timespan"}` and `Authorization: Bearer <token>`;
the KQL really runs (duckdb-kql) over fixture rows of `ApiManagementGatewayLogs` and
`ApiManagementGatewayLlmLog`, restricted to the request's timespan as the service does. Shapes, from the
public sources:
- 200: `{"tables": [{"name": "PrimaryResult", "columns": [{"name", "type"}], "rows": [[...]]}]}`
  (Azure/azure-rest-api-specs specification/operationalinsights/data-plane/Microsoft.OperationalInsights/
  stable/v1/examples/oms-post-example.json)
- partial: the tables plus `"error": {"code": "PartialError", "message": ..., "details": [...]}` (HTTP 200)
- 401: `{"error": {"message": "Valid authentication was not provided", "code": "AuthorizationRequiredError"}}`
  (microsoft/vscode-ext-kusto#80)
- 403: `{"error": {"message": "The provided credentials have insufficient access to perform the requested
  operation", "code": "InsufficientAccessError"}}` (Azure/azure-sdk-for-net#37173, microsoft/foundry-dev-tools#734)
- 504 when the query outlives `Prefer: wait=N` (learn.microsoft.com/azure/azure-monitor/logs/api/timeouts).
The API does not page: one answer per query.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import re
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

PATH_RE = re.compile(r"^/v1/workspaces/(?P<workspace>[^/]+)/query$")
TOKEN = "fake-arm-token"

GATEWAY_COLUMNS = (
    ("TimeGenerated", "TIMESTAMP"),
    ("CorrelationId", "VARCHAR"),
    ("ApimSubscriptionId", "VARCHAR"),
    ("ApiId", "VARCHAR"),
    ("OperationId", "VARCHAR"),
    ("Url", "VARCHAR"),
    ("ResponseCode", "INTEGER"),
    ("BackendResponseCode", "INTEGER"),
    ("CallerIpAddress", "VARCHAR"),
    ("TotalTime", "BIGINT"),
    ("ResponseHeaders", "JSON"),
)
LLM_COLUMNS = (
    ("TimeGenerated", "TIMESTAMP"),
    ("CorrelationId", "VARCHAR"),
    ("DeploymentName", "VARCHAR"),
    ("ModelName", "VARCHAR"),
    ("OperationName", "VARCHAR"),
    ("PromptTokens", "INTEGER"),
    ("CompletionTokens", "INTEGER"),
    ("TotalTokens", "INTEGER"),
    ("IsStreamCompletion", "BOOLEAN"),
    ("SequenceNumber", "INTEGER"),
)
# duckdb type -> the type name the query API reports for a column.
KQL_TYPES = {
    "VARCHAR": "string",
    "BIGINT": "long",
    "HUGEINT": "long",
    "INTEGER": "int",
    "DOUBLE": "real",
    "DECIMAL": "real",
    "BOOLEAN": "bool",
    "JSON": "dynamic",
    "TIMESTAMP": "datetime",
    "TIMESTAMP WITH TIME ZONE": "datetime",
}


@dataclass(frozen=True)
class Call:
    """One fixture call through the gateway: a gateway-log row and, when it reached the model, an LLM-log row
    (plus a message-chunk row with the same CorrelationId, as message logging writes)."""

    when: dt.datetime
    participant: str
    deployment: str
    model: str
    status: int = 200
    backend_status: int | None = 200
    prompt_tokens: int = 0
    completion_tokens: int = 0
    chunk_row: bool = False
    content_filter: str | None = (
        None  # "prompt" | "completion": the gateway's x-aoai-lab-content-filter header
    )


def call_rows(calls: Iterable[Call]) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    gateway, llm = [], []
    for call in calls:
        cid = str(uuid.uuid4())
        url = f"https://gw.azure-api.net/openai/deployments/{call.deployment}/chat/completions?api-version=2024-10-21"
        backend = call.backend_status if call.status not in (403,) else None
        headers = (
            json.dumps({"x-aoai-lab-content-filter": call.content_filter}) if call.content_filter else None
        )
        gateway.append(
            (call.when, cid, call.participant, "azure-openai", "ChatCompletions_Create", url, call.status, backend,
             "10.0.0.1", 120, headers)
        )  # fmt: skip
        if backend == 200:
            total = call.prompt_tokens + call.completion_tokens
            llm.append(
                (call.when, cid, call.deployment, call.model, "chat.completions", call.prompt_tokens,
                 call.completion_tokens, total, False, 0)
            )  # fmt: skip
            if call.chunk_row:
                llm.append((call.when, cid, "", "", "", None, None, None, False, 1))
    return gateway, llm


@dataclass
class Scripted:
    status: int
    body: dict[str, Any]
    delay_s: float = 0.0
    with_rows: bool = False  # run the query and add its tables (a partial result)


@dataclass
class FakeLogAnalytics:
    server: HTTPServer
    workspace: str = "11111111-2222-3333-4444-555555555555"
    denied: set[str] = field(default_factory=set)
    token: str = TOKEN
    requests: list[dict[str, Any]] = field(default_factory=list)
    _script: list[Scripted] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        import duckdb_kql

        self.con = duckdb_kql.connect()
        for table, columns in (
            ("ApiManagementGatewayLogs", GATEWAY_COLUMNS),
            ("ApiManagementGatewayLlmLog", LLM_COLUMNS),
        ):
            spec = ", ".join(f"{n} {t}" for n, t in columns)
            self.con.sql(f"CREATE TABLE all_{table} ({spec})")

    def install(self) -> FakeLogAnalytics:
        self.server.expect_request(PATH_RE, method="POST").respond_with_handler(self.handle)
        return self

    def add_calls(self, calls: Iterable[Call]) -> None:
        gateway, llm = call_rows(calls)
        with self._lock:
            if gateway:
                self.con.executemany(
                    f"INSERT INTO all_ApiManagementGatewayLogs VALUES ({', '.join('?' * 11)})", gateway
                )
            if llm:
                self.con.executemany(
                    f"INSERT INTO all_ApiManagementGatewayLlmLog VALUES ({', '.join('?' * 10)})", llm
                )

    def answer_next(self, answer: Scripted) -> None:
        with self._lock:
            self._script.append(answer)

    # ---- the endpoint ----

    def handle(self, request: Request) -> Response:
        match = PATH_RE.match(request.path)
        assert match is not None
        body = request.get_json(silent=True) or {}
        with self._lock:
            self.requests.append(
                {
                    "workspace": match["workspace"],
                    "body": body,
                    "prefer": request.headers.get("Prefer"),
                    "authorization": request.headers.get("Authorization"),
                }
            )
            scripted = self._script.pop(0) if self._script else None
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return _error(401, "AuthorizationRequiredError", "Valid authentication was not provided")
        if match["workspace"] in self.denied:
            return _error(
                403,
                "InsufficientAccessError",
                "The provided credentials have insufficient access to perform the requested operation",
            )
        if match["workspace"] != self.workspace:
            return _error(404, "WorkspaceNotFoundError", f"Workspace {match['workspace']} was not found")
        if scripted is not None:
            if scripted.delay_s:
                time.sleep(scripted.delay_s)
            if not scripted.with_rows:
                return Response(
                    json.dumps(scripted.body), status=scripted.status, content_type="application/json"
                )
        result = self._run(body.get("query", ""), body.get("timespan"))
        if scripted is not None:
            result.update(scripted.body)
            return Response(json.dumps(result), status=scripted.status, content_type="application/json")
        return Response(json.dumps(result), content_type="application/json")

    def _run(self, query: str, timespan: str | None) -> dict[str, Any]:
        import duckdb_kql

        start, end = _window(timespan)
        with self._lock:
            for table in ("ApiManagementGatewayLogs", "ApiManagementGatewayLlmLog"):
                self.con.sql(
                    f"CREATE OR REPLACE VIEW {table} AS SELECT * FROM all_{table} "
                    f"WHERE TimeGenerated >= '{start:%Y-%m-%d %H:%M:%S.%f}' AND TimeGenerated <= '{end:%Y-%m-%d %H:%M:%S.%f}'"
                )
            cursor = duckdb_kql.query(self.con, query)
            columns = [
                {"name": d[0], "type": KQL_TYPES.get(str(d[1]).split("(")[0], "string")}
                for d in cursor.description
            ]
            rows = [[_json_value(v) for v in row] for row in cursor.fetchall()]
        return {"tables": [{"name": "PrimaryResult", "columns": columns, "rows": rows}]}


def _error(status: int, code: str, message: str) -> Response:
    body = {"error": {"message": message, "code": code, "correlationId": str(uuid.uuid4())}}
    return Response(json.dumps(body), status=status, content_type="application/json")


def _window(timespan: str | None) -> tuple[dt.datetime, dt.datetime]:
    """The request's ISO 8601 timespan (`start/end`, `start/PTnS` or `PTnS`) as naive UTC bounds."""
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    if not timespan:
        return dt.datetime(1970, 1, 1), now
    if "/" in timespan:
        first, second = timespan.split("/", 1)
        start = _instant(first)
        end = start + _duration(second) if second.startswith("P") else _instant(second)
        return start, end
    return now - _duration(timespan), now


def _instant(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(dt.UTC).replace(tzinfo=None)


def _duration(text: str) -> dt.timedelta:
    match = re.fullmatch(r"P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:([\d.]+)S)?)?", text)
    assert match, f"unsupported duration {text}"
    days, hours, minutes, seconds = (float(g) if g else 0.0 for g in match.groups())
    return dt.timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, decimal.Decimal):
        return float(value)
    return value
