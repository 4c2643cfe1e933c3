"""Azure calls end: the real azure-mgmt clients against a misbehaving loopback ARM, with labctl's policies.

Each test is a way the network or ARM goes wrong; each asserts what the user gets (which error, which words),
how many requests were made, and that the call ended within the deadline (pytest-timeout is the backstop).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from labctl.azure.resilience import (
    ArmGuard,
    Deadline,
    DeadlineExceeded,
    Throttled,
    UnusableAnswer,
    answers,
    describe,
    pages,
)
from labctl.azure.transport import shared_tls_transport
from tests.support.fake_arm_misbehaving import (
    DELETED_ACCOUNTS,
    LOGIN_PAGE,
    MODELS,
    SUBSCRIPTION,
    USAGES,
    MisbehavingArm,
    json_answer,
    raw_answer,
    usage,
)
from tests.support.fake_azure import FakeCredential, FakeEndpoint

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def arm(fake_azure: FakeEndpoint) -> MisbehavingArm:
    return MisbehavingArm(fake_azure.server).install()


@contextmanager
def cognitive(arm: MisbehavingArm, guard: ArmGuard) -> Iterator[Any]:
    from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient

    with (
        shared_tls_transport() as transport,
        CognitiveServicesManagementClient(
            FakeCredential(),
            SUBSCRIPTION,
            base_url=arm.base,
            credential_scopes=["https://management.azure.com/.default"],
            transport=transport,
            **guard.client_options(),
        ) as client,
    ):
        yield client


def read_usages(arm: MisbehavingArm, guard: ArmGuard) -> list[Any]:
    with cognitive(arm, guard) as client:
        return list(pages(client.usages.list("eastus2"), "usages in eastus2"))


def timed(fn: Any, *args: Any) -> tuple[BaseException, float]:
    started = time.monotonic()
    with pytest.raises(Exception) as info:
        fn(*args)
    return info.value, time.monotonic() - started


# ---- healthy answers still work --------------------------------------------------------------------------------


def test_a_good_list_reads_through_the_policies(arm: MisbehavingArm) -> None:
    arm.on(
        "GET",
        USAGES,
        arm.always(lambda: json_answer({"value": [usage("OpenAI.GlobalStandard.gpt-4o", 5, 50)]})),
    )
    result = read_usages(arm, ArmGuard(Deadline(10)))
    assert [(u.name.value, u.current_value, u.limit) for u in result] == [
        ("OpenAI.GlobalStandard.gpt-4o", 5, 50)
    ]


def test_a_short_retry_after_is_honoured(arm: MisbehavingArm) -> None:
    arm.on(
        "GET",
        USAGES,
        arm.throttled(
            "0.2", times=1, then=lambda: json_answer({"value": [usage("OpenAI.S0.AccountCount", 1, 30)]})
        ),
    )
    assert [u.limit for u in read_usages(arm, ArmGuard(Deadline(10)))] == [30]
    assert arm.count(USAGES) == 2


def test_the_same_list_twice_in_one_command_is_not_a_loop(arm: MisbehavingArm) -> None:
    # Page 1 -> page 2 -> end, read twice with the same guard (preflight reads a region's list per check).
    def two_pages(request: Any) -> Any:
        if request.args.get("$skiptoken"):
            return json_answer({"value": [usage("b")]})
        link = f"{arm.base}{request.path}?api-version={request.args['api-version']}&$skiptoken=2"
        return json_answer({"value": [usage("a")], "nextLink": link})

    arm.on("GET", USAGES, two_pages)
    guard = ArmGuard(Deadline(10))
    assert [u.name.value for u in read_usages(arm, guard)] == ["a", "b"]
    assert [u.name.value for u in read_usages(arm, guard)] == ["a", "b"]


# ---- throttling ------------------------------------------------------------------------------------------------


def test_retry_after_an_hour_is_reported_not_waited_out(arm: MisbehavingArm) -> None:
    arm.on("GET", USAGES, arm.throttled("3600"))
    error, elapsed = timed(read_usages, arm, ArmGuard(Deadline(60)))
    assert isinstance(error, Throttled)
    assert error.status_code == 429 and error.retry_after == 3600
    assert describe(error).startswith(
        "Azure throttled GET .../providers/Microsoft.CognitiveServices/locations/eastus2/usages (429) and asked "
        "to wait 3600 s before retrying; labctl waits at most 30 s. Fix: re-run after that wait"
    )
    assert arm.count(USAGES) == 1
    assert elapsed < 5


def test_retry_after_longer_than_the_deadline_leaves_is_not_waited(arm: MisbehavingArm) -> None:
    arm.on("GET", USAGES, arm.throttled("20"))
    error, elapsed = timed(read_usages, arm, ArmGuard(Deadline(3)))
    assert isinstance(error, Throttled) and "of the deadline (--timeout) were left" in describe(error)
    assert elapsed < 3


def test_unreadable_retry_after_falls_back_to_backoff(arm: MisbehavingArm) -> None:
    arm.on("GET", USAGES, arm.throttled("soon", times=1, then=lambda: json_answer({"value": []})))
    assert read_usages(arm, ArmGuard(Deadline(10), retry_backoff_factor=0.05)) == []


# ---- paging ----------------------------------------------------------------------------------------------------


def test_a_nextlink_pointing_at_itself_stops(arm: MisbehavingArm) -> None:
    arm.on("GET", USAGES, arm.looping_pages([usage("a")], back_to="self"))
    error, _ = timed(read_usages, arm, ArmGuard(Deadline(10)))
    assert isinstance(error, UnusableAnswer)
    assert "points back to a page already read (a looping nextLink)" in describe(error)
    # The first page, its self-link once; the second visit to the self-link is refused before it is sent.
    assert arm.count(USAGES) == 2


def test_two_pages_pointing_at_each_other_stop(arm: MisbehavingArm) -> None:
    arm.on("GET", USAGES, arm.looping_pages([usage("a")], back_to="other"))
    error, _ = timed(read_usages, arm, ArmGuard(Deadline(10)))
    assert isinstance(error, UnusableAnswer) and "looping nextLink" in str(error)
    assert arm.count(USAGES) == 3


def test_an_endless_list_stops_at_the_page_cap(arm: MisbehavingArm) -> None:
    arm.on("GET", USAGES, arm.endless_pages(usage("a")))
    error, _ = timed(read_usages, arm, ArmGuard(Deadline(30), max_pages=7))
    assert isinstance(error, UnusableAnswer) and "more than 7 pages" in str(error)
    assert arm.count(USAGES) == 7


# ---- answers that are not ARM JSON -----------------------------------------------------------------------------


def test_a_proxy_login_page_is_named_as_such(arm: MisbehavingArm) -> None:
    arm.on("GET", USAGES, arm.always(lambda: raw_answer(LOGIN_PAGE, "text/html; charset=utf-8")))
    error, _ = timed(read_usages, arm, ArmGuard(Deadline(10)))
    assert isinstance(error, UnusableAnswer) and error.status == 200
    assert "is an HTML page ('Contoso Secure Web Gateway - Sign in'), not Azure Resource Manager JSON" in str(
        error
    )
    assert "Fix: sign in to the network" in str(error)
    # Not retried: the same page would come back.
    assert arm.count(USAGES) == 1


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ('{"value": {"name": "x"}}', 'value is {"name": "x"}, not a list'),
        ("[1, 2]", "the body is a JSON list, not an object"),
        ('{"value": [42]}', "value[0] is 42, not an object"),
        ('{"value": [], "nextLink": 7}', "nextLink is 7, not a URL"),
        (
            '{"value": [{"name": {"value": "a"}, "currentValue": 0, "limit": "NaN"}]}',
            'value[0].limit is "NaN", not a number',
        ),
        (
            '{"value": [{"name": {"value": "a"}, "currentValue": "many", "limit": 5}]}',
            'value[0].currentValue is "many", not a number',
        ),
        ('{"value": [{"name": "a", "currentValue": 0, "limit": 5}]}', 'value[0].name is "a", not an object'),
        ('{"value": [{"name": {"value": "a"}, "currentValue": 0}]}', "value[0].limit is missing"),
        (
            '{"value": [{"name": {"value": "a"}, "currentValue": 0, "limit": NaN}]}',
            "is not valid JSON (NaN is not a JSON number)",
        ),
        ('{"value": [', "is not valid JSON"),
        ('{"error": {"code": "X", "message": "y"}}', "a success status with an error body"),
    ],
)
def test_a_malformed_200_is_an_unusable_answer(arm: MisbehavingArm, body: str, words: str) -> None:
    arm.on("GET", USAGES, arm.always(lambda: json_answer(body)))
    error, _ = timed(read_usages, arm, ArmGuard(Deadline(10)))
    assert isinstance(error, UnusableAnswer), repr(error)
    assert words in str(error)
    assert str(error).startswith(
        "Azure's answer to GET .../providers/Microsoft.CognitiveServices/locations/eastus2/usages"
    )


def test_model_lists_are_checked_where_labctl_reads_numbers(arm: MisbehavingArm) -> None:
    bad = {
        "value": [
            {
                "kind": "OpenAI",
                "model": {
                    "format": "OpenAI",
                    "name": "gpt-4o",
                    "version": "2024-08-06",
                    "skus": [{"name": "GlobalStandard", "usageName": "x", "capacity": {"maximum": "lots"}}],
                },
            }
        ]
    }
    arm.on("GET", MODELS, arm.always(lambda: json_answer(bad)))
    with cognitive(arm, ArmGuard(Deadline(10))) as client, pytest.raises(UnusableAnswer) as info:
        list(pages(client.models.list("eastus2"), "models in eastus2"))
    assert 'value[0].model.skus[0].capacity.maximum is "lots", not a number' in str(info.value)


def test_a_type_the_shape_checks_miss_is_still_no_traceback(arm: MisbehavingArm) -> None:
    # callRateLimit.count must be a number; the shape checks do not look that deep, the SDK's deserializer does.
    body = {
        "value": [
            {"name": "aoai-x", "location": "eastus2", "properties": {"callRateLimit": {"count": "abc"}}}
        ]
    }
    arm.on("GET", DELETED_ACCOUNTS, arm.always(lambda: json_answer(body)))
    with cognitive(arm, ArmGuard(Deadline(10))) as client, pytest.raises(UnusableAnswer) as info:
        list(pages(client.deleted_accounts.list(), "deleted accounts"))
    assert str(info.value).startswith(
        "Azure's answer for deleted accounts could not be read (Unable to deserialize"
    )


def test_answers_turns_sdk_decoding_errors_into_unusable_answers() -> None:
    from azure.core.exceptions import DeserializationError

    with (
        pytest.raises(UnusableAnswer, match="Azure's answer for the models list could not be read"),
        answers("the models list"),
    ):
        raise DeserializationError(
            "Unable to deserialize to object: type, AttributeError: 'str' has no 'get'"
        )


# ---- deadlines -------------------------------------------------------------------------------------------------


def test_an_answer_that_never_comes_ends_at_the_deadline(arm: MisbehavingArm) -> None:
    arm.on("GET", USAGES, arm.slow(8, lambda: json_answer({"value": []})))
    error, elapsed = timed(read_usages, arm, ArmGuard(Deadline(0.5)))
    assert isinstance(error, DeadlineExceeded)
    assert describe(error).startswith(
        "the command's 0.5 s deadline (--timeout) passed before Azure answered GET"
    )
    assert 0.4 < elapsed < 4


def test_no_call_starts_after_the_deadline(arm: MisbehavingArm) -> None:
    arm.on("GET", USAGES, arm.always(lambda: json_answer({"value": []})))
    error, _ = timed(read_usages, arm, ArmGuard(Deadline(0)))
    assert isinstance(error, DeadlineExceeded)
    assert arm.count(USAGES) == 0


def test_a_purge_that_never_completes_ends_at_the_deadline(arm: MisbehavingArm) -> None:
    # Accepted, then InProgress forever, each poll saying "ask again in an hour".
    arm.never_finishing_purge(retry_after="3600")
    guard = ArmGuard(Deadline(1.5), max_retry_after=0.1)
    seen: list[str] = []
    started = time.monotonic()
    with cognitive(arm, guard) as client, pytest.raises(DeadlineExceeded) as info:
        poller = client.deleted_accounts.begin_purge(
            "eastus2",
            "rg-lab",
            "aoai-lab-dev",
            polling=guard.polling(1.0, what="the purge of aoai-lab-dev finished"),
        )
        guard.wait(poller, on_status=seen.append)
    elapsed = time.monotonic() - started
    assert "passed before the purge of aoai-lab-dev finished (it may still complete in Azure" in str(
        info.value
    )
    assert elapsed < 5
    assert seen and set(seen) <= {"InProgress"}
    # The hour-long Retry-After was capped at 0.1 s: the poller kept asking until the deadline (three polls fit in
    # the 1.5 s with room for slow answers on a loaded machine).
    assert arm.count(re.compile("^/fake-operations/never$")) >= 3


def test_a_poll_wait_longer_than_the_deadline_leaves_ends_at_once(arm: MisbehavingArm) -> None:
    arm.never_finishing_purge(retry_after="3600")
    guard = ArmGuard(Deadline(20))
    started = time.monotonic()
    with cognitive(arm, guard) as client, pytest.raises(DeadlineExceeded):
        guard.wait(
            client.deleted_accounts.begin_purge("eastus2", "rg-lab", "aoai-x", polling=guard.polling())
        )
    # The capped 30 s wait does not fit in the 20 s: no point sleeping until the deadline.
    assert time.monotonic() - started < 5


def test_describe_keeps_arm_codes_and_transport_words() -> None:
    from azure.core.exceptions import ServiceRequestError

    assert describe(ServiceRequestError("Connection refused")) == (
        "no answer from Azure (ServiceRequestError: Connection refused)"
    )


def test_one_options_mapping_serves_several_clients(arm: MisbehavingArm) -> None:
    # azure-core links each policy object to the next one of its pipeline: one options mapping unpacked into two
    # clients must give each client its own policy objects (sharing only the deadline and the paging tracker).
    from azure.mgmt.apimanagement import ApiManagementClient
    from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient

    from tests.support.fake_arm_misbehaving import DELETED_SERVICES

    arm.on("GET", USAGES, arm.always(lambda: json_answer({"value": [usage("a", 1, 2)]})))
    arm.on("GET", DELETED_SERVICES, arm.always(lambda: json_answer({"value": []})))
    guard = ArmGuard(Deadline(10))
    options = guard.client_options(
        base_url=arm.base, credential_scopes=["https://management.azure.com/.default"]
    )
    with (
        shared_tls_transport() as transport,
        CognitiveServicesManagementClient(
            FakeCredential(), SUBSCRIPTION, transport=transport, **options
        ) as cs,
        ApiManagementClient(FakeCredential(), SUBSCRIPTION, transport=transport, **options) as apim,
    ):
        assert [u.limit for u in cs.usages.list("eastus2")] == [2]
        assert list(apim.deleted_services.list_by_subscription()) == []
        assert [u.limit for u in cs.usages.list("eastus2")] == [2]
    assert arm.count(USAGES) == 2 and arm.count(DELETED_SERVICES) == 1


def test_guarded_merging_keeps_fresh_policies_and_retry_settings() -> None:
    from labctl.azure.resilience import DeadlineRetryPolicy, GuardedOptions, guarded

    options = guarded({"base_url": "https://x"}, ArmGuard(Deadline(5)).client_options(), {"retry_total": 0})
    assert isinstance(options, GuardedOptions)
    first, second = dict(options), dict(options)
    assert first["retry_policy"] is not second["retry_policy"]
    assert isinstance(first["retry_policy"], DeadlineRetryPolicy) and first["retry_policy"].total_retries == 0
    assert first["per_call_policies"][0].tracker is second["per_call_policies"][0].tracker
    assert guarded({"a": 1}, None, {"b": 2}) == {"a": 1, "b": 2}
