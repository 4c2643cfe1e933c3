"""`labctl usage`: who used what, from the lab's Log Analytics workspace, with the official LogsQueryClient.

One query (queries/usage.kql) over the gateway log and the LLM log gives, per participant and deployment: calls,
prompt and completion tokens, refusals by the participant's limits (429 tokens-per-minute, 403 quota or class
window) and 429s from the deployment itself. To that this module adds the share of each participant's token
quota used and an estimated cost from stacks/facts/prices.yaml.

The Log Analytics query API (POST {endpoint}/v1/workspaces/{customerId}/query) does not page: it answers one
JSON document of tables (columns + rows) and, when it could not finish, the rows it has plus an `error` with
code `PartialError`. The query aggregates in the workspace, so the answer is one row per participant and
deployment however many calls there were.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from labctl.classroom.log_names import log_deployment_name
from labctl.errors import AzureError
from labctl.errors import UsageError as BadOption
from stacks.facts.prices import PriceTable

if TYPE_CHECKING:
    from stacks.config.sections import LabSettings

QUERY_FILE = Path(__file__).with_name("queries") / "usage.kql"
DAILY_QUERY_FILE = QUERY_FILE.with_name("usage_daily.kql")  # per day too: the HTML report's charts
# Log Analytics query endpoints per cloud (`azure-native:environment`). Public: the SDK's default;
# US Government: Azure/azure-sdk-for-python sdk/monitor/azure-monitor-query/samples (sovereign cloud sample);
# China: learn.microsoft.com/azure/azure-monitor/logs/api/timeouts as published on docs.azure.cn.
LOGS_ENDPOINTS = {
    "public": "https://api.loganalytics.io",
    "usgovernment": "https://api.loganalytics.us",
    "china": "https://api.loganalytics.azure.cn",
}
DEFAULT_DEADLINE_S = 60.0
# The service's own limit on a query's run time (Prefer: wait=N), learn.microsoft.com/azure/azure-monitor/logs/api/timeouts.
MAX_SERVER_WAIT_S = 600


class UsageError(AzureError):
    """`labctl usage` could not get the numbers; the message says why and what to do (exit 4)."""


# ---- the time window ----

_SINCE_RE = re.compile(r"^\s*(\d+)\s*(m|min|h|d|w)\s*$", re.IGNORECASE)
_UNITS = {"m": "minutes", "min": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_since(text: str) -> dt.timedelta:
    """`90m`, `24h`, `7d`, `2w` -> a duration."""
    match = _SINCE_RE.fullmatch(text)
    if not match or int(match[1]) <= 0:
        raise BadOption(
            f"--since '{text}' is not a duration. Fix: use minutes, hours, days or weeks: 90m, 24h, 7d, 2w"
        )
    return dt.timedelta(**{_UNITS[match[2].lower()]: int(match[1])})


def bind_window(query: str, start: dt.datetime, end: dt.datetime) -> str:
    """Set the query's `let startTime = ...;` and `let endTime = ...;` lines (the saved queries' convention)."""

    def literal(when: dt.datetime) -> str:
        return f"datetime({when.astimezone(dt.UTC).strftime('%Y-%m-%dT%H:%M:%SZ')})"

    bound = query
    for name, when in (("startTime", start), ("endTime", end)):
        bound, count = re.subn(
            rf"^let {name} = .*;$", f"let {name} = {literal(when)};", bound, flags=re.MULTILINE
        )
        if count != 1:
            raise AssertionError(f"{QUERY_FILE.name} must have exactly one `let {name} = ...;` line")
    return bound


# ---- the query ----


@dataclass(frozen=True)
class QueryAnswer:
    rows: list[dict[str, Any]]
    partial: str | None = None  # the service's message when it answered only part of the query


def run_usage_query(
    workspace_id: str,
    start: dt.datetime,
    end: dt.datetime,
    *,
    credential: Any,
    endpoint: str,
    deadline_s: float = DEFAULT_DEADLINE_S,
    transport: Any = None,
    query_file: Path = QUERY_FILE,
) -> QueryAnswer:
    """Run queries/usage.kql (or `query_file`) over [start, end] within a deadline: the answer, or a UsageError."""
    query = bind_window(query_file.read_text(encoding="utf-8"), start, end)
    outcome: dict[str, Any] = {}
    done = threading.Event()

    def work() -> None:
        try:
            # The sign-in first, on its own: LogsQueryClient would turn "not signed in" into an HttpResponseError
            # without a status ("answered None"), after azure-identity logged its whole credential chain.
            from labctl.azure.signin import check_signed_in_for

            check_signed_in_for(credential, logs_scope(endpoint))
            outcome["answer"] = _query(
                workspace_id, query, start, end, credential, endpoint, deadline_s, transport
            )
        except BaseException as exc:  # handed to the caller's thread, which explains it
            outcome["error"] = exc
        finally:
            done.set()

    # A daemon thread: when the deadline passes, the command reports and exits; a stuck socket cannot hold it.
    threading.Thread(target=work, name="usage-query", daemon=True).start()
    if not done.wait(deadline_s):
        raise UsageError(
            f"the workspace did not answer within {deadline_s:.0f} s. Fix: try a shorter --since, or a longer "
            "--timeout; check the network (proxy, firewall) to the Log Analytics endpoint"
        )
    if "error" in outcome:
        raise explain(outcome["error"], workspace_id, deadline_s) from None
    return outcome["answer"]


def logs_scope(endpoint: str) -> str:
    """The Log Analytics API's token scope: the endpoint's root (without a /v1 path) + /.default."""
    from urllib.parse import urlparse

    root = endpoint.rstrip("/")
    if "://" not in root:  # the client adds https:// itself
        root = "https://" + root
    if root.endswith("/v1"):
        parsed = urlparse(root)
        root = f"{parsed.scheme}://{parsed.netloc}"
    return f"{root}/.default"


def _query(
    workspace_id: str,
    query: str,
    start: dt.datetime,
    end: dt.datetime,
    credential: Any,
    endpoint: str,
    deadline_s: float,
    transport: Any,
) -> QueryAnswer:
    from azure.monitor.query import LogsQueryClient, LogsQueryStatus

    # The scope the sign-in check took a token for (not the client's own guess from a /v1/ endpoint).
    options: dict[str, Any] = {
        "endpoint": endpoint,
        "credential_scopes": [logs_scope(endpoint)],
        "retry_total": 1,
        "timeout": deadline_s,
    }
    if transport is not None:
        options["transport"] = transport
    client = LogsQueryClient(credential, **options)
    try:
        result = client.query_workspace(
            workspace_id,
            query,
            timespan=(start, end),
            server_timeout=max(1, min(MAX_SERVER_WAIT_S, int(deadline_s))),
            connection_timeout=min(10.0, deadline_s),
            read_timeout=deadline_s,
        )
    finally:
        client.close()
    if result.status == LogsQueryStatus.PARTIAL:
        tables = result.partial_data or []
        error = result.partial_error
        partial = _partial_text(error)
    else:
        tables, partial = result.tables, None
    rows: list[dict[str, Any]] = []
    for table in tables[:1]:  # the query's result is the primary (first) table
        rows.extend(dict(zip(table.columns, row, strict=False)) for row in table.rows)
    return QueryAnswer(rows, partial)


def _partial_text(error: Any) -> str:
    if error is None:
        return "the workspace answered only part of the query"
    details = [
        d.get("message") or d.get("code")
        for d in (getattr(error, "details", None) or [])
        if isinstance(d, Mapping)
    ]
    inner = "; ".join(str(d) for d in details if d)
    return f"{error.message or error.code}" + (f" ({inner})" if inner else "")


def explain(exc: BaseException, workspace_id: str, deadline_s: float) -> AzureError:
    """The SDK's exceptions as what the user can do about them (never a traceback)."""
    from azure.core.exceptions import (
        ClientAuthenticationError,
        HttpResponseError,
        ServiceRequestError,
        ServiceResponseError,
    )

    if isinstance(exc, AzureError):  # ours already (a UsageError, or signin's "not signed in")
        return exc
    if isinstance(exc, ClientAuthenticationError) and getattr(exc, "status_code", None) != 401:
        return UsageError(
            f"could not sign in to Azure: {_first_line(exc)}. Fix: `az login` (or set AZURE_CLIENT_ID/"
            "AZURE_TENANT_ID/AZURE_CLIENT_SECRET for a service principal)"
        )
    if isinstance(exc, HttpResponseError):
        status = exc.status_code
        code = getattr(getattr(exc, "error", None), "code", None) or ""
        if status == 401:
            return UsageError(
                "the Log Analytics API refused the sign-in (401 AuthorizationRequiredError). Fix: `az login` again; "
                "the token must be for the Log Analytics API of the stack's cloud"
            )
        if status == 403:
            return UsageError(
                f"no access to the lab's workspace {workspace_id} (403 {code or 'InsufficientAccessError'}). Fix: "
                "ask for the 'Log Analytics Reader' role on the workspace (or its resource group), then sign in again"
            )
        if status == 404:
            return UsageError(
                f"workspace {workspace_id} was not found (404). Fix: check the stack outputs' workspaceCustomerId; "
                "has the lab been destroyed?"
            )
        if status == 504 or code == "GatewayTimeout":
            return UsageError(
                f"the query ran out of time in the workspace (504, limit {deadline_s:.0f} s). Fix: a shorter --since"
            )
        if status == 429:
            return UsageError(
                "the Log Analytics API is throttling this caller (429). Fix: wait a minute and retry"
            )
        return UsageError(f"the Log Analytics API answered {status} {code}: {_first_line(exc)}".rstrip(": "))
    if isinstance(exc, ServiceResponseError | ServiceRequestError):
        return UsageError(
            f"could not reach the Log Analytics API: {_first_line(exc)}. Fix: check the network (proxy, firewall, "
            "TLS inspection: REQUESTS_CA_BUNDLE) and retry"
        )
    return UsageError(f"the usage query failed: {type(exc).__name__}: {_first_line(exc)}")


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "message", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


# ---- the report ----


@dataclass(frozen=True)
class UsageLine:
    participant: str
    deployment: str
    model: str
    calls: int
    prompt_tokens: int
    completion_tokens: int
    refused_429: int
    refused_403: int
    backend_429: int
    cost: float | None  # None: no price for the model
    blocked_prompt: int = 0  # content filter (the gateway's x-aoai-lab-content-filter header)
    blocked_completion: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass(frozen=True)
class ParticipantUsage:
    participant: str
    calls: int
    total_tokens: int
    refused_429: int
    refused_403: int
    token_quota: int | None
    token_quota_period: str | None
    cost: float | None
    state: str = "active"
    blocked: int = 0  # calls the content filter blocked (prompt or completion)
    cost_cap: float | None = (
        None  # their costCap (participantLimits, or their own), in the price table's currency
    )

    @property
    def quota_share(self) -> float | None:
        """Tokens used in the window over the quota (the window is --since, not the quota's own period)."""
        return self.total_tokens / self.token_quota if self.token_quota else None


@dataclass
class UsageReport:
    start: dt.datetime
    end: dt.datetime
    lines: list[UsageLine]
    participants: list[ParticipantUsage]
    prices: PriceTable
    partial: str | None = None
    unpriced_models: list[str] = field(default_factory=list)

    @property
    def total_cost(self) -> float:
        return sum(line.cost or 0.0 for line in self.lines)


def _int(value: Any) -> int:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0


def build_report(
    answer: QueryAnswer,
    settings: LabSettings,
    prices: PriceTable,
    start: dt.datetime,
    end: dt.datetime,
) -> UsageReport:
    """The report of `answer` for the class of `settings`: its participants, their state and their budgets as the
    program deploys them (`LabSettings.limits_of`: their own `limits` over the class's, key by key, as the gateway
    policy applies them); a caller the class list does not know gets the class's `participantLimits`."""
    lines: list[UsageLine] = []
    unpriced: set[str] = set()
    for row in answer.rows:
        model = str(row.get("model") or "")
        prompt, completion = _int(row.get("prompt_tokens")), _int(row.get("completion_tokens"))
        price = prices.for_model(model)
        if price is None and (prompt or completion):
            unpriced.add(model or "(unknown model)")
        lines.append(
            UsageLine(
                participant=str(row.get("participant") or "(no key)"),
                deployment=log_deployment_name(row.get("deployment")),  # labctl/classroom/log_names.py
                model=model,
                calls=_int(row.get("calls")),
                prompt_tokens=prompt,
                completion_tokens=completion,
                refused_429=_int(row.get("refused_429")),
                refused_403=_int(row.get("refused_403")),
                backend_429=_int(row.get("backend_429")),
                cost=price.cost(prompt, completion, prices.unit_tokens) if price else None,
                blocked_prompt=_int(row.get("blocked_prompt")),
                blocked_completion=_int(row.get("blocked_completion")),
            )
        )
    lines.sort(key=lambda line: (line.participant, line.deployment))

    by_name: dict[str, list[UsageLine]] = {}
    for line in lines:
        by_name.setdefault(line.participant, []).append(line)
    entries = {p.name: p for p in settings.participants}
    # Everyone on the class list (also those who have not called yet), then callers the list does not know.
    names = list(entries) + sorted(n for n in by_name if n not in entries)
    totals = []
    for name in names:
        own = by_name.get(name, [])
        entry = entries.get(name)
        limits = settings.participant_limits if entry is None else settings.limits_of(entry)
        costs = [line.cost for line in own if line.total_tokens]
        totals.append(
            ParticipantUsage(
                participant=name,
                calls=sum(line.calls for line in own),
                total_tokens=sum(line.total_tokens for line in own),
                refused_429=sum(line.refused_429 for line in own),
                refused_403=sum(line.refused_403 for line in own),
                token_quota=limits.token_quota if limits else None,
                token_quota_period=limits.token_quota_period if limits else None,
                cost=None if any(c is None for c in costs) else sum(c for c in costs if c is not None),
                state="not in the stack" if entry is None else entry.state,
                blocked=sum(line.blocked_prompt + line.blocked_completion for line in own),
                cost_cap=limits.cost_cap if limits else None,
            )
        )
    # The biggest consumers first: what an instructor looks for during class.
    totals.sort(key=lambda p: (-p.total_tokens, -p.calls, p.participant))
    return UsageReport(start, end, lines, totals, prices, answer.partial, sorted(unpriced))
