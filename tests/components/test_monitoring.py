"""The Log Analytics workspace and the saved Kusto queries, parsed and run on fixture rows."""

from __future__ import annotations

import datetime as dt

import pytest

from components.monitoring import QUERY_CATEGORY, bind_parameters, kql_datetime, load_queries
from tests.support.llm_logs import CHAT, EMBED, T0, create_tables
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
        "aoai-lab-tokens-by-participant-and-model",
        "aoai-lab-tokens-by-operation",
        "aoai-lab-top-consumers-today",
        "aoai-lab-limit-refusals-by-participant",
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


def test_no_query_reads_logged_bodies(queries):
    # Token accounting must work with body logging off (the default).
    for q in queries.values():
        assert "Body" not in q.query, q.id


def test_every_gateway_query_takes_a_time_window(queries):
    for q in queries.values():
        if q.id == "recent-diagnostics":
            assert q.parameters == {}
            continue
        assert set(q.parameters) == {"startTime", "endTime"}, q.id
        assert q.parameters["endTime"] == "now()"
    assert queries["top-consumers-today"].parameters["startTime"] == "startofday(now())"
    assert queries["tokens-by-participant-and-model"].parameters["startTime"] == "ago(1d)"


def test_binding_replaces_only_the_parameter_lines(queries):
    q = queries["tokens-by-participant-and-model"]
    bound = q.bind(startTime=kql_datetime(dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.UTC)))
    assert "let startTime = datetime(2026-11-20T09:30:00Z);\n" in bound
    assert "let endTime = now();\n" in bound
    assert bound.replace("datetime(2026-11-20T09:30:00Z)", "ago(1d)") == q.query
    with pytest.raises(KeyError, match="no parameter since"):
        bind_parameters(q.query, since="ago(1h)")


def test_workshop_query_got_its_pipes(queries):
    lines = [ln for ln in queries["recent-diagnostics"].query.splitlines() if not ln.startswith("//")]
    assert lines == [
        "AzureDiagnostics",
        "| take 100",
        "| project TimeGenerated, _ResourceId, Category, OperationName",
    ]


@pytest.fixture(scope="module")
def logs():
    con = duckdb_kql.connect()
    create_tables(con)
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


WINDOW = {"startTime": kql_datetime(T0), "endTime": kql_datetime(T0 + dt.timedelta(hours=1))}


def _rows(con, query, **params):
    result = duckdb_kql.query(con, query.bind(**params) if params else query.query)
    cols = [c[0] for c in result.description]
    return [dict(zip(cols, row, strict=True)) for row in result.fetchall()]


def test_recent_diagnostics_returns_100_projected_rows(logs, queries):
    rows = _rows(logs, queries["recent-diagnostics"])
    assert len(rows) == 100
    assert list(rows[0]) == ["TimeGenerated", "_ResourceId", "Category", "OperationName"]


def test_tokens_by_participant_and_model(logs, queries):
    rows = _rows(logs, queries["tokens-by-participant-and-model"], **WINDOW)
    got = {
        (r["participant"], r["DeploymentName"], r["ModelName"]): (
            r["requests"],
            r["prompt_tokens"],
            r["completion_tokens"],
            r["total_tokens"],
        )
        for r in rows
    }
    assert got == {
        # A chat call and a streamed v1 chat call (its message-chunk rows are not requests and hold no tokens).
        ("student01", "chat", CHAT): (2, 150, 50, 200),
        # Responses and v1 chat.
        ("student02", "chat", CHAT): (2, 50, 45, 95),
        ("student02", "embeddings", EMBED): (1, 8, 0, 8),  # embeddings count, without any logged body
    }
    assert rows[0]["participant"] == "student01"  # ordered by total tokens


def test_time_window_excludes_what_is_outside(logs, queries):
    later = {"startTime": kql_datetime(T0 + dt.timedelta(minutes=5)), "endTime": WINDOW["endTime"]}
    rows = _rows(logs, queries["tokens-by-participant-and-model"], **later)
    assert [(r["participant"], r["total_tokens"]) for r in rows] == [("student02", 80)]


def test_tokens_by_operation_and_streaming(logs, queries):
    rows = _rows(logs, queries["tokens-by-operation"], **WINDOW)
    got = {(r["operation"], r["streamed"]): (r["requests"], r["total_tokens"]) for r in rows}
    assert got == {
        ("ChatCompletions_Create", False): (1, 120),
        ("V1_ChatCompletions_Create", True): (1, 80),
        ("V1_ChatCompletions_Create", False): (1, 80),
        ("Responses_Create", False): (1, 15),
        ("embeddings_create", False): (1, 8),
    }


def test_top_consumers_today(logs, queries):
    rows = _rows(logs, queries["top-consumers-today"], **WINDOW)
    assert [(r["participant"], r["requests"], r["total_tokens"], r["share_pct"]) for r in rows] == [
        ("student01", 2, 200, 66.0),
        ("student02", 3, 103, 34.0),
    ]


def test_limit_refusals_by_participant(logs, queries):
    rows = _rows(logs, queries["limit-refusals-by-participant"], **WINDOW)
    assert [
        (r["participant"], r["requests"], r["minute_limit_429"], r["quota_403"], r["deployment_429"])
        for r in rows
    ] == [
        ("student01", 3, 1, 0, 0),  # over its tokens per minute
        ("student03", 1, 0, 1, 0),  # over its quota
        ("student02", 5, 0, 0, 1),  # the deployment's capacity, not the participant's limit
    ]


def test_refusals_over_time(logs, queries):
    rows = _rows(logs, queries["throttling-rate"], **WINDOW)
    assert [
        (r["TimeGenerated"], r["requests"], r["refused_429"], r["refused_403"], r["throttled_pct"])
        for r in rows
    ] == [
        (T0, 4, 0, 0, 0.0),
        (T0 + dt.timedelta(minutes=5), 5, 2, 1, 60.0),
    ]


def test_latency_percentiles_by_operation(logs, queries):
    rows = {r["OperationId"]: r for r in _rows(logs, queries["latency-by-operation"], **WINDOW)}
    chat = rows["ChatCompletions_Create"]
    assert chat["requests"] == 4
    assert chat["p99_ms"] == 900
    assert chat["p50_ms"] in (35, 60)  # nearest-rank percentile of 4 values
    assert rows["embeddings_create"]["p95_ms"] == 100
    assert next(iter(rows)) == "V1_ChatCompletions_Create"  # slowest first


def test_tokens_by_ip_and_model(logs, queries):
    rows = _rows(logs, queries["tokens-by-ip-and-model"], **WINDOW)
    got = {
        (r["ip"], r["model"]): (
            r["prompt_tokens"],
            r["completion_tokens"],
            r["total_tokens"],
            r["avg_total_tokens"],
        )
        for r in rows
    }
    assert got == {
        ("10.0.0.1", CHAT): (150, 50, 200, 100.0),
        ("10.0.0.2", CHAT): (50, 45, 95, 47.5),
        ("10.0.0.2", EMBED): (8, 0, 8, 8.0),  # embeddings now count: usage came after the vectors in the body
    }
