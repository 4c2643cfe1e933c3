"""The Log Analytics workspace and the saved Kusto queries, parsed and run on fixture rows."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from components.monitoring import QUERY_CATEGORY, load_queries
from tests.support.plans import SAVED_SEARCH, WORKSPACE, inputs

duckdb_kql = pytest.importorskip("duckdb_kql")


def test_workspace_retention_and_daily_cap(dev_plan, plan_with):
    ws = inputs(dev_plan, WORKSPACE)
    assert ws["retentionInDays"] == 30
    assert ws["workspaceCapping"] == {"dailyQuotaGb": 1}
    assert ws["sku"] == {"name": "PerGB2018"}
    ws = inputs(plan_with(logRetentionDays=90, logDailyCapGb="0.5"), WORKSPACE)
    assert ws["retentionInDays"] == 90
    assert ws["workspaceCapping"] == {"dailyQuotaGb": 0.5}


def test_saved_searches(dev_plan):
    searches = {s["inputs"]["savedSearchId"]: s["inputs"] for s in dev_plan.by_type(SAVED_SEARCH)}
    assert set(searches) == {
        "aoai-lab-recent-diagnostics",
        "aoai-lab-tokens-by-ip-and-model",
        "aoai-lab-tokens-by-subscription-and-model",
        "aoai-lab-throttling-rate",
        "aoai-lab-latency-by-operation",
    }
    ws = inputs(dev_plan, WORKSPACE)["workspaceName"]
    for s in searches.values():
        assert s["category"] == QUERY_CATEGORY == "aoai-lab"
        assert s["workspaceName"] == ws
        assert s["displayName"] and not s["displayName"].startswith("aoai-lab-")
        assert {"name": "owner", "value": "ana.garcia@contoso.edu"} in s["tags"]


@pytest.fixture(scope="module")
def queries():
    return {q.id: q for q in load_queries()}


def test_every_query_parses(queries):
    for q in queries.values():
        assert duckdb_kql.validate(q.query) == [], q.id


def test_workshop_query_got_its_pipes(queries):
    lines = [ln for ln in queries["recent-diagnostics"].query.splitlines() if not ln.startswith("//")]
    assert lines == [
        "AzureDiagnostics",
        "| take 100",
        "| project TimeGenerated, _ResourceId, Category, OperationName",
    ]


T0 = dt.datetime(2026, 11, 20, 10, 0)


def _body(model: str, prompt: int, completion: int) -> str:
    return json.dumps(
        {
            "model": model,
            "usage": {
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": prompt + completion,
            },
        }
    )


# (minute, operation, status, body, ip, subscription, total ms, backend ms)
GATEWAY_ROWS = [
    (
        1,
        "ChatCompletions_Create",
        200,
        _body("gpt-5-mini-2025-08-07", 100, 20),
        "10.0.0.1",
        "student01",
        900,
        850,
    ),
    (
        2,
        "ChatCompletions_Create",
        200,
        _body("gpt-5-mini-2025-08-07", 50, 30),
        "10.0.0.1",
        "student01",
        700,
        650,
    ),
    (
        3,
        "chatcompletions_create",
        200,
        _body("gpt-5-mini-2025-08-07", 10, 5),
        "10.0.0.2",
        "student02",
        500,
        450,
    ),
    (
        4,
        "embeddings_create",
        200,
        json.dumps({"model": "text-embedding-3-small", "usage": {"prompt_tokens": 8, "total_tokens": 8}}),
        "10.0.0.2",
        "student02",
        100,
        80,
    ),
    (6, "ChatCompletions_Create", 429, '{"error":{"code":"429"}}', "10.0.0.1", "student01", 30, 25),
    (7, "ChatCompletions_Create", 429, '{"error":{"code":"429"}}', "10.0.0.2", "student02", 35, 30),
    (
        8,
        "ChatCompletions_Create",
        200,
        _body("gpt-5-mini-2025-08-07", 40, 40),
        "10.0.0.2",
        "student02",
        1100,
        1000,
    ),
    (9, "ChatCompletions_Create", 500, "", "10.0.0.2", "student02", 60, 55),
]


@pytest.fixture(scope="module")
def logs():
    con = duckdb_kql.connect()
    con.sql(
        "CREATE TABLE ApiManagementGatewayLogs (TimeGenerated TIMESTAMP, OperationId VARCHAR, ResponseCode INTEGER,"
        " BackendResponseBody VARCHAR, CallerIpAddress VARCHAR, ApimSubscriptionId VARCHAR, TotalTime BIGINT,"
        " BackendTime BIGINT)"
    )
    for minute, *rest in GATEWAY_ROWS:
        con.execute(
            "INSERT INTO ApiManagementGatewayLogs VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [T0 + dt.timedelta(minutes=minute), *rest],
        )
    con.sql(
        "CREATE TABLE AzureDiagnostics (TimeGenerated TIMESTAMP, _ResourceId VARCHAR, Category VARCHAR,"
        " OperationName VARCHAR, ResultSignature VARCHAR)"
    )
    for i in range(150):
        con.execute(
            "INSERT INTO AzureDiagnostics VALUES (?, ?, ?, ?, ?)",
            [
                T0 + dt.timedelta(seconds=i),
                "/subscriptions/s/x",
                "RequestResponse",
                "ChatCompletions_Create",
                "200",
            ],
        )
    return con


def _rows(con, query):
    result = duckdb_kql.query(con, query)
    cols = [c[0] for c in result.description]
    return [dict(zip(cols, row, strict=True)) for row in result.fetchall()]


def test_recent_diagnostics_returns_100_projected_rows(logs, queries):
    rows = _rows(logs, queries["recent-diagnostics"].query)
    assert len(rows) == 100
    assert list(rows[0]) == ["TimeGenerated", "_ResourceId", "Category", "OperationName"]


def test_tokens_by_ip_and_model(logs, queries):
    rows = _rows(logs, queries["tokens-by-ip-and-model"].query)
    by_ip = {r["ip"]: r for r in rows}
    assert set(by_ip) == {"10.0.0.1", "10.0.0.2"}  # embeddings and errors are not chat completions
    one = list(by_ip["10.0.0.1"].values())
    assert one[1] == "gpt-5-mini-2025-08-07"
    assert one[2:] == [150, 50, 200, 100]  # prompt, completion, total, average total
    two = list(by_ip["10.0.0.2"].values())
    assert two[2:] == [50, 45, 95, 47.5]


def test_tokens_by_participant_subscription_and_model(logs, queries):
    rows = _rows(logs, queries["tokens-by-subscription-and-model"].query)
    got = {
        (r["ApimSubscriptionId"], r["model"]): (
            r["requests"],
            r["prompt_tokens"],
            r["completion_tokens"],
            r["total_tokens"],
        )
        for r in rows
    }
    assert got == {
        ("student01", "gpt-5-mini-2025-08-07"): (2, 150, 50, 200),
        ("student02", "gpt-5-mini-2025-08-07"): (2, 50, 45, 95),
        ("student02", "text-embedding-3-small"): (1, 8, 0, 8),  # embeddings have no completion
    }
    assert rows[0]["ApimSubscriptionId"] == "student01"  # ordered by total tokens


def test_throttling_rate_over_time(logs, queries):
    rows = _rows(logs, queries["throttling-rate"].query)
    assert [(r["TimeGenerated"], r["requests"], r["throttled"], r["throttled_pct"]) for r in rows] == [
        (T0, 4, 0, 0.0),
        (T0 + dt.timedelta(minutes=5), 4, 2, 50.0),
    ]


def test_latency_percentiles_by_operation(logs, queries):
    rows = {r["OperationId"]: r for r in _rows(logs, queries["latency-by-operation"].query)}
    chat = rows["ChatCompletions_Create"]
    assert chat["requests"] == 6
    assert chat["p99_ms"] == 1100
    assert chat["p50_ms"] in (60, 700)  # nearest-rank percentile of 6 values
    assert rows["embeddings_create"]["p95_ms"] == 100
    assert next(iter(rows)) == "ChatCompletions_Create"  # slowest first
