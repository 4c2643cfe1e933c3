"""The instructor's live view: an Azure Monitor workbook whose queries run on fixture rows of the gateway's logs."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest

from components.monitoring import WORKBOOK_FILE, workbook_name
from tests.support.llm_logs import T0, create_tables
from tests.support.plans import WORKSPACE, inputs

duckdb_kql = pytest.importorskip("duckdb_kql")
WORKBOOK = "azure-native:applicationinsights:Workbook"


@pytest.fixture(scope="module")
def items() -> dict[str, dict]:
    data = json.loads(WORKBOOK_FILE.read_text(encoding="utf-8"))
    assert data["version"] == "Notebook/1.0"
    return {item["name"]: item for item in data["items"]}


@pytest.fixture(scope="module")
def logs():
    con = duckdb_kql.connect()
    create_tables(con)
    return con


def _run(con, query: str) -> list[dict]:
    result = duckdb_kql.query(con, query)
    cols = [c[0] for c in result.description]
    return [dict(zip(cols, row, strict=True)) for row in result.fetchall()]


def test_workbook_in_the_resource_group_bound_to_the_workspace(dev_plan):
    (workbook,) = dev_plan.by_type(WORKBOOK)
    i = workbook["inputs"]
    ws = dev_plan.one(WORKSPACE)
    workspace_id = (
        f"/subscriptions/6b1f3c2e-8a4d-4c3b-9e2f-0d5a7b9c1e24/resourceGroups/{i['resourceGroupName']}"
    )
    workspace_id += f"/providers/Microsoft.OperationalInsights/workspaces/{ws['inputs']['workspaceName']}"
    assert i["kind"] == "shared" and i["category"] == "workbook" and i["version"] == "Notebook/1.0"
    assert i["sourceId"] == workspace_id
    assert uuid.UUID(i["resourceName"]) and i["resourceName"] == workbook_name(workspace_id)
    assert i["location"] == inputs(dev_plan, WORKSPACE)["location"]
    data = json.loads(i["serializedData"])
    assert data["fallbackResourceIds"] == [workspace_id]
    assert i["tags"]["owner"] == "ana.garcia@contoso.edu"


def test_every_query_follows_the_time_range_and_parses(items):
    queries = [item for item in items.values() if item["type"] == 3]
    assert {q["name"] for q in queries} == {
        "tokens-by-participant-over-time",
        "tokens-by-participant-and-model",
        "refusals-by-participant",
        "latency",
        "errors",
    }
    (param,) = items["parameters"]["content"]["parameters"]
    assert param["name"] == "TimeRange" and param["type"] == 4  # a time range picker
    for q in queries:
        assert q["content"]["timeContextFromParameter"] == "TimeRange", q["name"]
        assert q["content"]["resourceType"] == "microsoft.operationalinsights/workspaces"
        assert duckdb_kql.validate(q["content"]["query"]) == [], q["name"]
        assert "Body" not in q["content"]["query"]


def test_tokens_by_participant_over_time(logs, items):
    rows = _run(logs, items["tokens-by-participant-over-time"]["content"]["query"])
    assert [(r["participant"], r["TimeGenerated"], r["total_tokens"]) for r in rows] == [
        ("student01", T0, 200),
        ("student02", T0, 23),
        ("student02", T0 + dt.timedelta(minutes=5), 80),
    ]
    assert items["tokens-by-participant-over-time"]["content"]["visualization"] == "timechart"


def test_refusals_by_participant_say_which_limit(logs, items):
    rows = _run(logs, items["refusals-by-participant"]["content"]["query"])
    assert {(r["participant"], r["refusal"]): r["refusals"] for r in rows} == {
        ("student01", "participant tokens per minute (429)"): 1,
        ("student03", "participant token quota (403)"): 1,
        ("student02", "deployment capacity (429)"): 1,
    }


def test_latency_and_errors(logs, items):
    latency = _run(logs, items["latency"]["content"]["query"])
    assert [(r["TimeGenerated"], r["p95_ms"]) for r in latency] == [
        (T0, 900),
        (T0 + dt.timedelta(minutes=5), 1100),
    ]
    errors = _run(logs, items["errors"]["content"]["query"])
    # Limit refusals have their own chart: the errors are the deployment's 429 and the 500.
    assert {(r["ResponseCode"], r["backend"]): r["errors"] for r in errors} == {(429, 429): 1, (500, 500): 1}
