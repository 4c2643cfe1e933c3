"""The class window: outside aoai-lab:startsOn .. expiresOn (in aoai-lab:timeZone) every participant key gets a clear
403 from the gateway; a paused class gets 503.

APIM's own subscription `expirationDate` does not block calls ("for audit purposes only", Microsoft.ApiManagement
REST spec), so the window lives in the policy; here it is rendered, planned, and enforced by the loopback fake for
the real openai SDK.
"""

from __future__ import annotations

import datetime as dt
import json
import ssl
import xml.etree.ElementTree as ET

import openai
import pytest

from components.class_window import ClassWindow
from components.gateway_policy import GatewayPolicyArgs, render_policy
from stacks.config.class_times import TimeZoneError, class_times
from tests.support.fake_gateway import FakeGateway
from tests.support.plans import API_POLICY, inputs

START, END = dt.date(2026, 12, 1), dt.date(2026, 12, 18)
KEY = "k1-0123456789abcdef0123456789abcdef"
MADRID = "Europe/Madrid"


def _inbound(policy: str) -> ET.Element:
    inbound = ET.fromstring(policy).find("inbound")
    assert inbound is not None
    return inbound


def _variables(policy: str) -> dict[str, str]:
    return {v.get("name", ""): v.get("value", "") for v in _inbound(policy).findall("set-variable")}


def _window(starts: dt.date | None, ends: dt.date | None, zone: str | None = None) -> ClassWindow:
    from stacks.config.sections import LabSettings  # noqa: F401  (the stack layer's function, as the program uses it)
    from stacks.gateway_config import class_window

    class Settings:
        class_times = class_times(starts, ends, zone)

    return class_window(Settings())  # type: ignore[arg-type]


def test_the_window_is_checked_before_any_token_and_answers_403_with_a_reason() -> None:
    policy = render_policy(GatewayPolicyArgs(class_window=ClassWindow.utc_days(START, END)))
    inbound = _inbound(policy)
    tags = [child.tag for child in inbound]
    # After <base />: the pause check, then the window, both before the token limit is counted.
    assert tags[:6] == ["base", "set-variable", "choose", "set-variable", "set-variable", "choose"]
    # expiresOn is the last day keys work: refused from the next day, 00:00 UTC.
    assert _variables(policy) == {
        "classPaused": "{{class-paused}}",
        "classOpensAtUtc": "2026-12-01T00:00:00",
        "classClosesAtUtc": "2026-12-19T00:00:00",
    }
    before, after = inbound[5].findall("when")
    for when, code in ((before, "ClassNotStarted"), (after, "ClassEnded")):
        assert when.find("return-response/set-status").attrib == {"code": "403", "reason": "Forbidden"}  # type: ignore[union-attr]
        body = json.loads(when.find("return-response/set-body").text)  # type: ignore[union-attr,arg-type]
        assert body["error"]["code"] == code
    message = json.loads(before.find("return-response/set-body").text)["error"]["message"]  # type: ignore[union-attr,arg-type]
    assert "work from 2026-12-01 00:00 UTC." in message


def test_madrid_opens_at_local_midnight_in_winter_and_summer() -> None:
    winter = render_policy(GatewayPolicyArgs(class_window=_window(START, END, MADRID)))
    # CET is UTC+1: 00:00 on 1 December in Madrid is 23:00 UTC the day before.
    assert _variables(winter)["classOpensAtUtc"] == "2026-11-30T23:00:00"
    assert _variables(winter)["classClosesAtUtc"] == "2026-12-18T23:00:00"
    summer = render_policy(
        GatewayPolicyArgs(class_window=_window(dt.date(2026, 7, 1), dt.date(2026, 7, 3), MADRID))
    )
    assert _variables(summer)["classOpensAtUtc"] == "2026-06-30T22:00:00"  # CEST, UTC+2
    # A window across the change back to winter time (25 October 2026): each end has its own offset.
    autumn = _window(dt.date(2026, 10, 24), dt.date(2026, 10, 25), MADRID)
    assert autumn.opens_at == dt.datetime(2026, 10, 23, 22, tzinfo=dt.UTC)
    assert autumn.closes_at == dt.datetime(2026, 10, 25, 23, tzinfo=dt.UTC)
    assert autumn.opens_label == "2026-10-24 00:00 Europe/Madrid (2026-10-23 22:00 UTC)"
    ended = json.loads(
        _inbound(winter).findall("choose")[1].findall("when")[1].findtext("return-response/set-body")
    )  # type: ignore[arg-type]
    assert "ended at 2026-12-19 00:00 Europe/Madrid (2026-12-18 23:00 UTC)" in ended["error"]["message"]


def test_a_midnight_that_does_not_exist_opens_at_the_first_real_instant() -> None:
    # Chile moves its clocks from 00:00 to 01:00 on 6 September 2026: that day starts at 01:00 local, 04:00 UTC.
    times = class_times(dt.date(2026, 9, 6), dt.date(2026, 9, 6), "America/Santiago")
    assert times.opens_utc == dt.datetime(2026, 9, 6, 4, tzinfo=dt.UTC)
    assert times.opens is not None and times.opens.hour == 1


def test_a_one_day_class_is_a_whole_day_and_a_reversed_one_is_refused() -> None:
    one_day = _window(START, START, MADRID)
    assert one_day.closes_at - one_day.opens_at == dt.timedelta(days=1)  # type: ignore[operator]
    # The config's check and the policy's component refuse the same windows, with the same rule (facts/).
    for refuse in (lambda: class_times(END, START), lambda: ClassWindow.utc_days(END, START)):
        with pytest.raises(ValueError, match=r"opens .* at or after it closes"):
            refuse()


def test_a_wrong_zone_name_says_which_one_is_meant() -> None:
    with pytest.raises(TimeZoneError, match="did you mean 'Europe/Madrid'"):
        class_times(START, END, "europe/madrid")
    with pytest.raises(TimeZoneError, match="Fix: "):
        class_times(START, END, "../../etc/passwd")


def test_no_window_keeps_only_the_pause_check_and_an_open_start_drops_its_check() -> None:
    plain = render_policy(GatewayPolicyArgs())
    assert _variables(plain) == {"classPaused": "{{class-paused}}"}
    assert len(_inbound(plain).findall("choose")) == 1
    assert "class-window" not in plain
    only_end = render_policy(GatewayPolicyArgs(class_window=ClassWindow.utc_days(None, END)))
    assert "classOpensAtUtc" not in only_end
    conditions = [w.get("condition") for w in _inbound(only_end).findall("choose")[1].findall("when")]
    assert conditions == [
        '@(string.CompareOrdinal(DateTime.UtcNow.ToString("s"), (string)context.Variables["classClosesAtUtc"]) >= 0)'
    ]


def test_the_stack_window_and_zone_reach_the_planned_policy(plan_with) -> None:
    plan = plan_with(startsOn="2026-12-02", expiresOn="2026-12-02", timeZone="America/Mexico_City")
    policy = inputs(plan, API_POLICY)["value"]
    # A one-day class in Mexico City (UTC-6, no daylight saving since 2022).
    assert _variables(policy)["classOpensAtUtc"] == "2026-12-02T06:00:00"
    assert _variables(policy)["classClosesAtUtc"] == "2026-12-03T06:00:00"


@pytest.mark.parametrize(
    ("moment", "outcome"),
    [
        (dt.datetime(2026, 11, 30, 22, 59, tzinfo=dt.UTC), "ClassNotStarted"),
        (dt.datetime(2026, 11, 30, 23, 0, tzinfo=dt.UTC), None),  # 00:00 in Madrid
        (dt.datetime(2026, 12, 18, 22, 59, tzinfo=dt.UTC), None),
        (dt.datetime(2026, 12, 18, 23, 0, tzinfo=dt.UTC), "ClassEnded"),
    ],
)
def test_a_student_sees_why_with_the_openai_sdk(fake_azure, moment: dt.datetime, outcome: str | None) -> None:
    gateway = FakeGateway(
        server=fake_azure.server,
        keys={KEY: "student01"},
        deployments={"chat": "gpt-5-mini"},
        clock=moment.timestamp,
    ).install()
    gateway.enforce_policy(render_policy(GatewayPolicyArgs(class_window=_window(START, END, MADRID))))
    client = _client(fake_azure)

    def call():
        return client.chat.completions.create(model="chat", messages=[{"role": "user", "content": "hola"}])

    if outcome is None:
        assert call().choices[0].message.content
        return
    with pytest.raises(openai.PermissionDeniedError) as err:
        call()
    assert err.value.status_code == 403
    assert err.value.code == outcome
    assert (
        "has not started" if outcome == "ClassNotStarted" else "ended at 2026-12-19 00:00 Europe/Madrid"
    ) in str(err.value)


def _client(fake_azure) -> openai.AzureOpenAI:
    http = openai.DefaultHttpxClient(verify=ssl.create_default_context(cafile=str(fake_azure.ca_file)))
    return openai.AzureOpenAI(
        azure_endpoint=fake_azure.base_url,
        api_key=KEY,
        api_version="2025-04-01-preview",
        http_client=http,
        max_retries=0,
    )


def test_a_paused_class_answers_503_with_retry_after_until_resumed(fake_azure) -> None:
    gateway = FakeGateway(
        server=fake_azure.server, keys={KEY: "student01"}, deployments={"chat": "gpt-5-mini"}
    ).install()
    gateway.enforce_policy(render_policy(GatewayPolicyArgs()))
    client = _client(fake_azure)

    def call():
        return client.chat.completions.create(model="chat", messages=[{"role": "user", "content": "hola"}])

    gateway.named_values["class-paused"] = "false"
    assert call().choices[0].message.content
    gateway.named_values["class-paused"] = "true"
    with pytest.raises(openai.InternalServerError) as err:
        call()
    assert err.value.status_code == 503
    assert err.value.response.headers["Retry-After"] == "60"
    assert err.value.code == "ClassPaused"
    assert "paused by the instructor" in str(err.value)
    gateway.named_values["class-paused"] = "false"
    assert call().choices[0].message.content


def test_a_one_day_class_plans_and_works_that_day(plan_with, fake_azure) -> None:
    """startsOn == expiresOn is a class of one day: config accepts it, so the program (what `pulumi up` runs) must
    too, and keys work from its 00:00 to its 23:59 (UTC without aoai-lab:timeZone)."""
    plan = plan_with(startsOn="2026-12-10", expiresOn="2026-12-10", timeZone=None)
    gateway = FakeGateway(
        server=fake_azure.server, keys={KEY: "student01"}, deployments={"chat": "gpt-5-mini"}
    )
    gateway.install().enforce_policy(inputs(plan, API_POLICY)["value"])
    client = _client(fake_azure)
    messages = [{"role": "user", "content": "hola"}]
    for moment, works in [
        (dt.datetime(2026, 12, 9, 23, 59, tzinfo=dt.UTC), False),
        (dt.datetime(2026, 12, 10, 0, 0, tzinfo=dt.UTC), True),
        (dt.datetime(2026, 12, 10, 23, 59, tzinfo=dt.UTC), True),
        (dt.datetime(2026, 12, 11, 0, 0, tzinfo=dt.UTC), False),
    ]:
        gateway.clock = moment.timestamp
        if works:
            assert client.chat.completions.create(model="chat", messages=messages).choices[0].message.content  # type: ignore[arg-type]
        else:
            with pytest.raises(openai.PermissionDeniedError):
                client.chat.completions.create(model="chat", messages=messages)  # type: ignore[arg-type]
