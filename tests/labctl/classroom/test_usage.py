"""`labctl usage` against a fake Log Analytics query endpoint: the real LogsQueryClient over loopback HTTPS."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from labctl.azure.transport import shared_tls_transport
from labctl.classroom.usage import (
    QueryAnswer,
    UsageError,
    bind_window,
    build_report,
    parse_since,
    run_usage_query,
)
from stacks.facts.prices import load_prices
from tests.support.class_settings import class_settings
from tests.support.fake_log_analytics import Call, FakeLogAnalytics, Scripted

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
PARTICIPANTS = [
    {"name": "ana", "email": "ana@x.edu", "limits": {"tokenQuota": 10_000, "tokenQuotaPeriod": "Daily"}},
    {"name": "bob", "email": "bob@x.edu"},
    {"name": "carla", "email": "carla@x.edu", "state": "suspended"},
]


def ago(**delta: float) -> dt.datetime:
    return (NOW - dt.timedelta(**delta)).replace(tzinfo=None)


@pytest.fixture
def logs(fake_azure) -> FakeLogAnalytics:
    fake = FakeLogAnalytics(server=fake_azure.server).install()
    fake.add_calls(
        [
            Call(
                ago(hours=1),
                "ana",
                "chat",
                "gpt-5-mini-2025-08-07",
                prompt_tokens=1000,
                completion_tokens=3000,
                chunk_row=True,
            ),
            Call(
                ago(hours=2), "ana", "chat", "gpt-5-mini-2025-08-07", prompt_tokens=500, completion_tokens=500
            ),
            Call(ago(hours=2), "ana", "embeddings", "text-embedding-3-small", prompt_tokens=2000),
            Call(
                ago(hours=3), "ana", "chat", "", status=429, backend_status=None
            ),  # over her tokens per minute
            Call(
                ago(hours=4), "bob", "chat", "", status=403, backend_status=None
            ),  # over quota / outside window
            Call(
                ago(hours=4), "bob", "chat", "", status=429, backend_status=429
            ),  # the deployment itself is full
            Call(
                ago(hours=5), "bob", "chat", "gpt-5-mini-2025-08-07", prompt_tokens=100, completion_tokens=100
            ),
            Call(
                ago(days=3), "bob", "chat", "gpt-5-mini-2025-08-07", prompt_tokens=99_999, completion_tokens=1
            ),
            Call(ago(hours=5), "bob", "chat", "", status=400, backend_status=400, content_filter="prompt"),
            Call(
                ago(hours=5),
                "bob",
                "chat",
                "gpt-5-mini-2025-08-07",
                prompt_tokens=10,
                completion_tokens=0,
                content_filter="completion",
            ),
            Call(ago(hours=6), "ghost", "chat", "my-finetune-1", prompt_tokens=10, completion_tokens=10),
        ]
    )
    return fake


@pytest.fixture
def transport(fake_azure) -> Iterator[object]:
    with shared_tls_transport() as t:
        yield t


def run(
    logs: FakeLogAnalytics,
    fake_azure,
    fake_credential,
    transport,
    *,
    since: str = "24h",
    deadline: float = 20,
    workspace: str | None = None,
) -> QueryAnswer:
    return run_usage_query(
        workspace or logs.workspace,
        NOW - parse_since(since),
        NOW,
        credential=fake_credential,
        endpoint=fake_azure.base_url,
        deadline_s=deadline,
        transport=transport,
    )


def test_tokens_calls_and_refusals_per_participant_and_deployment(
    logs, fake_azure, fake_credential, transport
) -> None:
    answer = run(logs, fake_azure, fake_credential, transport)
    assert answer.partial is None
    got = {
        (r["participant"], r["deployment"]): (
            r["calls"], r["prompt_tokens"], r["completion_tokens"], r["refused_429"], r["refused_403"], r["backend_429"],
            r["blocked_prompt"], r["blocked_completion"], r["model"],
        )
        for r in answer.rows
    }  # fmt: skip
    assert got == {
        ("ana", "chat"): (3, 1500, 3500, 1, 0, 0, 0, 0, "gpt-5-mini-2025-08-07"),
        ("ana", "embeddings"): (1, 2000, 0, 0, 0, 0, 0, 0, "text-embedding-3-small"),
        # The call 3 days ago is outside --since 24h; a blocked prompt has no token row.
        ("bob", "chat"): (5, 110, 100, 0, 1, 1, 1, 1, "gpt-5-mini-2025-08-07"),
        ("ghost", "chat"): (1, 10, 10, 0, 0, 0, 0, 0, "my-finetune-1"),
    }


def test_the_request_is_what_the_service_expects(logs, fake_azure, fake_credential, transport) -> None:
    run(logs, fake_azure, fake_credential, transport, deadline=30)
    (request,) = logs.requests
    assert request["workspace"] == logs.workspace
    assert request["authorization"] == "Bearer fake-arm-token"
    assert request["prefer"] == "wait=30"
    start, end = request["body"]["timespan"].split("/")
    assert dt.datetime.fromisoformat(end.replace("Z", "+00:00")) - dt.datetime.fromisoformat(
        start.replace("Z", "+00:00")
    ) == dt.timedelta(hours=24)
    assert "let startTime = datetime(" in request["body"]["query"]
    # Entra ID token for the query endpoint's own audience.
    assert fake_credential.scopes[-1] == (f"{fake_azure.base_url}/.default",)


def test_a_longer_window_sees_older_calls(logs, fake_azure, fake_credential, transport) -> None:
    rows = {
        (r["participant"], r["deployment"]): r
        for r in run(logs, fake_azure, fake_credential, transport, since="7d").rows
    }
    assert rows[("bob", "chat")]["prompt_tokens"] == 110 + 99_999


def test_report_shares_of_quota_costs_and_everyone_on_the_list(
    logs, fake_azure, fake_credential, transport
) -> None:
    answer = run(logs, fake_azure, fake_credential, transport)
    report = build_report(
        answer, class_settings(PARTICIPANTS), load_prices(), NOW - dt.timedelta(hours=24), NOW
    )
    people = {p.participant: p for p in report.participants}
    # The biggest consumers first; those who have not called yet last.
    assert list(people) == ["ana", "bob", "ghost", "carla"]
    assert [p.total_tokens for p in report.participants] == sorted(
        (p.total_tokens for p in report.participants), reverse=True
    )
    ana = people["ana"]
    assert (ana.calls, ana.total_tokens, ana.refused_429, ana.token_quota) == (4, 7000, 1, 10_000)
    assert ana.quota_share == pytest.approx(0.7)
    # gpt-5-mini: 1500 in x $0.25/M + 3500 out x $2/M; embeddings 2000 x $0.02/M
    assert ana.cost == pytest.approx((1500 * 0.25 + 3500 * 2.00 + 2000 * 0.02) / 1e6)
    assert people["carla"].calls == 0 and people["carla"].state == "suspended"
    assert people["bob"].quota_share is None and people["bob"].blocked == 2
    assert people["ghost"].state == "not in the stack" and people["ghost"].cost is None
    assert report.unpriced_models == ["my-finetune-1"]


def test_partial_result_keeps_the_rows_and_says_so(logs, fake_azure, fake_credential, transport) -> None:
    logs.answer_next(
        Scripted(
            200,
            {
                "error": {
                    "code": "PartialError",
                    "message": "There were some errors when processing your query.",
                    "details": [
                        {
                            "code": "EngineError",
                            "message": "Query result set has exceeded the internal data size limit",
                        }
                    ],
                }
            },
            with_rows=True,
        )
    )
    answer = run(logs, fake_azure, fake_credential, transport)
    assert len(answer.rows) == 4
    assert answer.partial == (
        "There were some errors when processing your query. (Query result set has exceeded the internal data size limit)"
    )


def test_401_says_sign_in_again(logs, fake_azure, transport) -> None:
    from tests.support.fake_azure import FakeCredential

    with pytest.raises(
        UsageError, match=r"refused the sign-in \(401 AuthorizationRequiredError\). Fix: `az login`"
    ):
        run(logs, fake_azure, FakeCredential("expired-token"), transport)


def test_403_on_a_workspace_without_access_names_the_role(
    logs, fake_azure, fake_credential, transport
) -> None:
    logs.denied.add("99999999-0000-0000-0000-000000000000")
    with pytest.raises(UsageError) as err:
        run(logs, fake_azure, fake_credential, transport, workspace="99999999-0000-0000-0000-000000000000")
    assert str(err.value) == (
        "no access to the lab's workspace 99999999-0000-0000-0000-000000000000 (403 InsufficientAccessError). Fix: "
        "ask for the 'Log Analytics Reader' role on the workspace (or its resource group), then sign in again"
    )


def test_unknown_workspace(logs, fake_azure, fake_credential, transport) -> None:
    with pytest.raises(UsageError, match=r"workspace 0 was not found \(404\)"):
        run(logs, fake_azure, fake_credential, transport, workspace="0")


def test_a_silent_workspace_hits_the_overall_deadline(logs, fake_azure, fake_credential, transport) -> None:
    logs.answer_next(Scripted(200, {"tables": []}, delay_s=3))
    with pytest.raises(UsageError, match="did not answer within 1 s"):
        run(logs, fake_azure, fake_credential, transport, deadline=1)


def test_504_from_the_service(logs, fake_azure, fake_credential, transport) -> None:
    body = {"error": {"code": "GatewayTimeout", "message": "The gateway did not receive a response in time"}}
    logs.answer_next(Scripted(504, body))
    logs.answer_next(Scripted(504, body))  # azure-core retries once
    with pytest.raises(UsageError, match=r"ran out of time in the workspace \(504"):
        run(logs, fake_azure, fake_credential, transport)


@pytest.mark.parametrize(
    ("text", "delta"),
    [
        ("90m", dt.timedelta(minutes=90)),
        ("24h", dt.timedelta(hours=24)),
        ("7d", dt.timedelta(days=7)),
        ("2w", dt.timedelta(weeks=2)),
    ],
)
def test_since(text: str, delta: dt.timedelta) -> None:
    assert parse_since(text) == delta


@pytest.mark.parametrize("text", ["", "0h", "yesterday", "24"])
def test_bad_since_names_the_fix(text: str) -> None:
    from labctl.errors import UsageError as BadOption

    with pytest.raises(BadOption, match="Fix: use minutes, hours, days or weeks"):
        parse_since(text)


def test_bind_window_sets_both_lets() -> None:
    start = dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC)
    bound = bind_window(
        "let startTime = ago(1d);\nlet endTime = now();\nT", start, start + dt.timedelta(hours=1)
    )
    assert (
        bound
        == "let startTime = datetime(2026-12-01T09:00:00Z);\nlet endTime = datetime(2026-12-01T10:00:00Z);\nT"
    )


def test_renderings_carry_the_same_numbers_and_never_interpret_markup(
    logs, fake_azure, fake_credential, transport
) -> None:
    import csv
    import io
    import json

    from rich.console import Console

    from labctl.classroom.usage_render import render_csv, render_json, render_table

    logs.add_calls(
        [Call(ago(hours=1), "[red]x[/red]", "chat", "gpt-5-mini", prompt_tokens=1, completion_tokens=1)]
    )
    answer = run(logs, fake_azure, fake_credential, transport)
    report = build_report(
        answer, class_settings(PARTICIPANTS), load_prices(), NOW - dt.timedelta(hours=24), NOW
    )

    rows = list(csv.DictReader(io.StringIO(render_csv(report))))
    ana_chat = next(r for r in rows if (r["participant"], r["deployment"]) == ("ana", "chat"))
    assert (ana_chat["calls"], ana_chat["total_tokens"], ana_chat["refused_429"]) == ("3", "5000", "1")
    assert float(ana_chat["estimated_cost"]) == pytest.approx((1500 * 0.25 + 3500 * 2.0) / 1e6)

    data = json.loads(render_json(report))
    assert data["prices"]["checked"] == "2026-12-01"
    assert next(p for p in data["participants"] if p["participant"] == "ana")["quotaShare"] == 0.7
    assert data["unpricedModels"] == ["my-finetune-1"]

    console = Console(record=True, width=200, color_system=None)
    render_table(report, console)
    text = console.export_text()
    assert "[red]x[/red]" in text  # printed as written, not as markup
    assert "70% of 10,000/daily" in text
    assert "no price for my-finetune-1" in text


def test_not_signed_in_says_az_login_not_answered_none(logs, fake_azure, transport, caplog) -> None:
    # What DefaultAzureCredential does with no sign-in at all: log the chain as a warning, raise
    # ClientAuthenticationError. LogsQueryClient wraps that in a status-less HttpResponseError ("answered None").
    import logging

    from azure.core.exceptions import ClientAuthenticationError

    from labctl.errors import EXIT_AZURE, AzureError

    class SignedOut:
        def __init__(self) -> None:
            self.scopes: list[tuple[str, ...]] = []

        def get_token(self, *scopes: str, **_: object):
            self.scopes.append(scopes)
            logging.getLogger("azure.identity").warning("Attempted credentials: EnvironmentCredential: ...")
            raise ClientAuthenticationError(
                "DefaultAzureCredential failed to retrieve a token from the included credentials.\n"
                "Attempted credentials:\n\tAzureCliCredential: Azure CLI not found on path"
            )

    signed_out = SignedOut()
    with caplog.at_level(logging.WARNING, logger="azure.identity"), pytest.raises(AzureError) as raised:
        run(logs, fake_azure, signed_out, transport)
    message = str(raised.value)
    assert message.startswith("not signed in to Azure. Fix: run `az login`"), message
    assert "answered None" not in message
    assert raised.value.exit_code == EXIT_AZURE
    assert signed_out.scopes == [(f"{fake_azure.base_url}/.default",)]  # the scope the client itself asks for
    assert not [r for r in caplog.records if r.name.startswith("azure.identity")]  # no credential-chain dump


@pytest.mark.parametrize(
    ("endpoint", "scope"),
    [
        ("https://api.loganalytics.io", "https://api.loganalytics.io/.default"),
        ("https://api.loganalytics.us/v1/", "https://api.loganalytics.us/.default"),
        ("api.loganalytics.azure.cn", "https://api.loganalytics.azure.cn/.default"),
    ],
)
def test_logs_scope_is_the_api_root(endpoint: str, scope: str) -> None:
    from labctl.classroom.usage import logs_scope

    assert logs_scope(endpoint) == scope


def test_a_quota_period_in_any_case_is_reported_as_the_settings_spell_it(
    logs, fake_azure, fake_credential, transport
) -> None:
    # The config accepts `tokenQuotaPeriod: daily` (stacks/config/section_base.py); the report spells it as the settings do.
    answer = run(logs, fake_azure, fake_credential, transport)
    people = [
        {**p, "limits": {"tokenQuota": 10_000, "tokenQuotaPeriod": "daily"}} if p["name"] == "ana" else p
        for p in PARTICIPANTS
    ]
    report = build_report(answer, class_settings(people), load_prices(), NOW - dt.timedelta(hours=24), NOW)
    ana = next(p for p in report.participants if p.participant == "ana")
    assert (ana.token_quota, ana.token_quota_period) == (10_000, "Daily")
