"""The class window: outside aoai-lab:startsOn .. expiresOn every participant key gets a clear 403 from the gateway.

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

from components.gateway_policy import ClassWindow, GatewayPolicyArgs, render_policy
from tests.support.fake_gateway import FakeGateway
from tests.support.plans import API_POLICY, inputs

START, END = dt.date(2026, 12, 1), dt.date(2026, 12, 18)
KEY = "k1-0123456789abcdef0123456789abcdef"


def _inbound(policy: str) -> ET.Element:
    inbound = ET.fromstring(policy).find("inbound")
    assert inbound is not None
    return inbound


def test_the_window_is_checked_first_and_answers_403_with_a_reason() -> None:
    inbound = _inbound(render_policy(GatewayPolicyArgs(class_window=ClassWindow(START, END))))
    assert [child.tag for child in inbound][:2] == ["base", "choose"]
    before, after = inbound[1].findall("when")
    assert before.get("condition") == "@(DateTime.UtcNow < new DateTime(2026, 12, 1))"
    # expiresOn is the last day keys work: refused from the next day, 00:00 UTC.
    assert after.get("condition") == "@(DateTime.UtcNow >= new DateTime(2026, 12, 19))"
    for when, code in ((before, "ClassNotStarted"), (after, "ClassEnded")):
        assert when.find("return-response/set-status").attrib == {"code": "403", "reason": "Forbidden"}  # type: ignore[union-attr]
        body = json.loads(when.find("return-response/set-body").text)  # type: ignore[union-attr,arg-type]
        assert body["error"]["code"] == code
    assert (
        "work from 2026-12-01 (UTC)"
        in json.loads(before.find("return-response/set-body").text)["error"]["message"]
    )  # type: ignore[union-attr,arg-type]


def test_no_window_no_element_and_an_open_start() -> None:
    assert _inbound(render_policy(GatewayPolicyArgs())).find("choose") is None
    assert "class-window" not in render_policy(GatewayPolicyArgs())
    only_end = _inbound(render_policy(GatewayPolicyArgs(class_window=ClassWindow(ends_on=END))))
    assert [w.get("condition") for w in only_end.findall("choose/when")] == [
        "@(DateTime.UtcNow >= new DateTime(2026, 12, 19))"
    ]
    with pytest.raises(ValueError, match="starts"):
        ClassWindow(END, START)


def test_the_stack_window_reaches_the_planned_policy(plan_with) -> None:
    plan = plan_with(startsOn="2026-12-02", expiresOn="2026-12-20")
    inbound = _inbound(inputs(plan, API_POLICY)["value"])
    assert [w.get("condition") for w in inbound.find("choose").findall("when")] == [  # type: ignore[union-attr]
        "@(DateTime.UtcNow < new DateTime(2026, 12, 2))",
        "@(DateTime.UtcNow >= new DateTime(2026, 12, 21))",
    ]


@pytest.mark.parametrize(
    ("moment", "outcome"),
    [
        (dt.datetime(2026, 11, 30, 23, 59, tzinfo=dt.UTC), "ClassNotStarted"),
        (dt.datetime(2026, 12, 1, 0, 0, tzinfo=dt.UTC), None),
        (dt.datetime(2026, 12, 18, 23, 59, tzinfo=dt.UTC), None),
        (dt.datetime(2026, 12, 19, 0, 0, tzinfo=dt.UTC), "ClassEnded"),
    ],
)
def test_a_student_sees_why_with_the_openai_sdk(fake_azure, moment: dt.datetime, outcome: str | None) -> None:
    gateway = FakeGateway(
        server=fake_azure.server,
        keys={KEY: "student01"},
        deployments={"chat": "gpt-5-mini"},
        clock=moment.timestamp,
    ).install()
    gateway.enforce_policy(render_policy(GatewayPolicyArgs(class_window=ClassWindow(START, END))))
    http = openai.DefaultHttpxClient(verify=ssl.create_default_context(cafile=str(fake_azure.ca_file)))
    client = openai.AzureOpenAI(
        azure_endpoint=fake_azure.base_url,
        api_key=KEY,
        api_version="2025-04-01-preview",
        http_client=http,
        max_retries=0,
    )

    def call():
        return client.chat.completions.create(model="chat", messages=[{"role": "user", "content": "hola"}])

    if outcome is None:
        assert call().choices[0].message.content
        return
    with pytest.raises(openai.PermissionDeniedError) as err:
        call()
    assert err.value.status_code == 403
    assert err.value.code == outcome
    assert ("has not started" if outcome == "ClassNotStarted" else "ended on 2026-12-18") in str(err.value)


def test_a_one_day_class_plans_and_works_that_day(plan_with, fake_azure) -> None:
    """startsOn == expiresOn is a class of one day: config accepts it, so the program (what `pulumi up` runs) must
    too, and keys work from its 00:00 to its 23:59 UTC."""
    plan = plan_with(startsOn="2026-12-10", expiresOn="2026-12-10")
    gateway = FakeGateway(
        server=fake_azure.server, keys={KEY: "student01"}, deployments={"chat": "gpt-5-mini"}
    )
    gateway.install().enforce_policy(inputs(plan, API_POLICY)["value"])
    http = openai.DefaultHttpxClient(verify=ssl.create_default_context(cafile=str(fake_azure.ca_file)))
    client = openai.AzureOpenAI(
        azure_endpoint=fake_azure.base_url,
        api_key=KEY,
        api_version="2025-04-01-preview",
        http_client=http,
        max_retries=0,
    )
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
