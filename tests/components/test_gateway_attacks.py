"""A student who wants more than their share, played through the real openai SDK against the rendered policy.

The loopback fake gateway enforces what the planned policy says (tests/support/fake_gateway_guards.py reads every
number, list and refusal from the XML), so each test fails if the policy stops refusing. Each refusal is checked as
the student sees it: status, error code, message, Retry-After.
"""

from __future__ import annotations

import ssl
import threading
import xml.etree.ElementTree as ET
from typing import Any

import openai
import pytest

from components.gateway_guards import CallCaps, GatewayGuards, ResponsesRules
from components.gateway_policy import TokenLimits
from tests.support.fake_gateway import FakeGateway
from tests.support.gateway_plans import plan_gateway
from tests.support.plans import API_POLICY, inputs

KEYS = {
    "student01": "k1-0123456789abcdef0123456789abcdef",
    "student02": "k2-fedcba9876543210fedcba9876543210",
}
DEPLOYMENTS = {"chat": "gpt-5-mini", "embeddings": "text-embedding-3-small", "other": "gpt-4.1"}
API_VERSION = "2025-04-01-preview"
MESSAGES = [{"role": "user", "content": "Say ok."}]
GUARDS = GatewayGuards(
    deployments=("chat", "embeddings"),
    max_concurrent_calls=2,
    caps=CallCaps(max_output_tokens=500),
    participant_caps={"student02": CallCaps(max_output_tokens=2000, max_choices=2)},
)


def _policy(guards: GatewayGuards | None = GUARDS, **changes) -> str:
    return inputs(plan_gateway(guards=guards, **changes), API_POLICY)["value"]


@pytest.fixture(scope="module")
def policy() -> str:
    return _policy()


def _enforcing(fake_azure, policy: str, **options: Any) -> FakeGateway:
    """The class's fake gateway, its clock fixed, enforcing `policy` (the rendered XML)."""
    return (
        FakeGateway(
            server=fake_azure.server,
            keys={key: name for name, key in KEYS.items()},
            deployments=dict(DEPLOYMENTS),
            clock=lambda: 1_800_000_000.0,
            **options,
        )
        .install()
        .enforce_policy(policy)
    )


@pytest.fixture
def gateway(fake_azure, policy) -> FakeGateway:
    return _enforcing(fake_azure, policy)


def _http(fake_azure) -> openai.DefaultHttpxClient:
    return openai.DefaultHttpxClient(verify=ssl.create_default_context(cafile=str(fake_azure.ca_file)))


def _azure(fake_azure, who: str = "student01") -> openai.AzureOpenAI:
    return openai.AzureOpenAI(
        azure_endpoint=fake_azure.base_url,
        api_key=KEYS[who],
        api_version=API_VERSION,
        http_client=_http(fake_azure),
        max_retries=0,
    )


def _v1(fake_azure, who: str = "student01", **options) -> openai.OpenAI:
    return openai.OpenAI(
        base_url=f"{fake_azure.base_url}/openai/v1/",
        api_key=KEYS[who],
        default_headers={"api-key": KEYS[who]},
        http_client=_http(fake_azure),
        max_retries=0,
        **options,
    )


def _error(err: pytest.ExceptionInfo[openai.APIStatusError]) -> tuple[int, str, str]:
    body = err.value.response.json()["error"]
    return err.value.status_code, body["code"], body["message"]


def test_a_key_in_the_url_is_refused_before_azure_sees_it(fake_azure, gateway):
    # The SDK with the key as a query parameter only (APIM accepts it there too).
    client = openai.OpenAI(
        base_url=f"{fake_azure.base_url}/openai/v1/",
        api_key="unused",
        default_query={"api-key": KEYS["student01"]},
        http_client=_http(fake_azure),
        max_retries=0,
    )
    with pytest.raises(openai.BadRequestError) as err:
        client.chat.completions.create(model="chat", messages=MESSAGES)  # type: ignore[arg-type]
    status, code, message = _error(err)
    assert (status, code) == (400, "ApiKeyInUrl") and "api-key header" in message
    assert gateway.calls[0].caller == "student01"  # it was a valid key...
    assert gateway.backend_calls == []  # ...and nothing reached Azure OpenAI


def test_calls_that_cost_no_tokens_still_count_per_key(fake_azure):
    _enforcing(fake_azure, _policy(GatewayGuards(deployments=("chat", "embeddings"), calls_per_minute=5)))
    client = _v1(fake_azure)
    for _ in range(3):
        assert [m.id for m in client.models.list()] == list(DEPLOYMENTS)
    with pytest.raises(openai.PermissionDeniedError):  # a GET of a stored response: refused, and counted
        client.responses.retrieve("resp_abc")
    with pytest.raises(
        openai.PermissionDeniedError
    ):  # a deployment the class does not have: refused, counted
        client.chat.completions.create(model="gpt-4o", messages=MESSAGES)  # type: ignore[arg-type]
    with pytest.raises(openai.RateLimitError) as err:
        client.models.list()
    status, code, message = _error(err)
    assert (status, code) == (
        429,
        "ParticipantCallRateExceeded",
    ) and "more than 5 calls in a minute" in message
    assert 1 <= int(err.value.response.headers["retry-after"]) <= 60
    # Per key: another student is not slowed down.
    assert len(_v1(fake_azure, "student02").models.list().data) == 3


def _in_parallel(calls: int, call) -> list[object]:
    """Start `calls` calls at once (a barrier lines them up); each result or the exception it raised."""
    barrier = threading.Barrier(calls)
    results: list[object] = [None] * calls

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = call()
        except Exception as exc:  # the refusal is the result
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_parallel_calls_past_the_bound_are_refused_at_once(fake_azure, gateway):
    gateway.backend_delay_s = 1.0  # each call holds its slot for a second
    client = _azure(fake_azure)
    results = _in_parallel(5, lambda: client.chat.completions.create(model="chat", messages=MESSAGES))  # type: ignore[arg-type]
    refused = [r for r in results if isinstance(r, openai.RateLimitError)]
    assert gateway.backend_max_in_flight <= 2
    assert len(refused) >= 3 and len(refused) + len(gateway.backend_calls) == 5
    answer = refused[0].response
    assert answer.status_code == 429 and answer.headers["retry-after"] == "2"
    assert answer.json()["error"]["code"] == "ParticipantConcurrencyExceeded"
    assert "already has 2 calls in progress" in answer.json()["error"]["message"]


@pytest.mark.parametrize("guarded", [False, True])
def test_concurrent_long_answers_overshoot_the_token_limit_only_by_the_bounds(fake_azure, guarded):
    """Token limits count a completion after it is written: calls in flight together all pass the check. Without
    guards, six parallel long answers use thirty times the minute's budget; with them, at most the budget plus
    two capped calls."""
    policy = _policy(GUARDS if guarded else None, token_limits=TokenLimits(tokens_per_minute=100))
    # The model would write 500 tokens if let.
    gateway = _enforcing(fake_azure, policy, completion_tokens=500, backend_delay_s=0.5)
    client = _azure(fake_azure)
    _in_parallel(6, lambda: client.chat.completions.create(model="chat", messages=MESSAGES))  # type: ignore[arg-type]
    used = gateway._minute["student01"][1]
    if guarded:
        assert used <= 100 + 2 * (13 + 500)
        assert all(c.body["max_completion_tokens"] == 500 for c in gateway.backend_calls)
    else:
        assert used == 6 * (13 + 500)


def test_output_caps_hold_per_call_and_per_participant(fake_azure, gateway):
    azure, v1 = _azure(fake_azure), _v1(fake_azure)
    for ask in (
        {"max_tokens": 100_000},
        {"max_completion_tokens": 501},
        {"extra_body": {"max_tokens": "100000"}},  # not a whole number: refused, not guessed
        {"extra_body": {"max_completion_tokens": 1e6}},
    ):
        with pytest.raises(openai.BadRequestError) as err:
            azure.chat.completions.create(model="chat", messages=MESSAGES, **ask)  # type: ignore[arg-type]
        status, code, message = _error(err)
        assert (status, code) == (
            400,
            "OutputCapExceeded",
        ) and "at most 500 output tokens per call" in message
    with pytest.raises(openai.BadRequestError) as err:
        v1.responses.create(model="chat", input="hi", max_output_tokens=4000)
    assert _error(err)[1] == "OutputCapExceeded"
    # Left out, the gateway sets the cap; the model writes no more.
    azure.chat.completions.create(model="chat", messages=MESSAGES)  # type: ignore[arg-type]
    v1.responses.create(model="chat", input="hi")
    chat, response = gateway.backend_calls
    assert chat.body["max_completion_tokens"] == 500 and "max_tokens" not in chat.body
    assert response.body["max_output_tokens"] == 500 and response.body["store"] is False
    # A participant with caps of their own.
    _azure(fake_azure, "student02").chat.completions.create(model="chat", messages=MESSAGES, max_tokens=1500)  # type: ignore[arg-type]
    with pytest.raises(openai.BadRequestError) as err:
        _azure(fake_azure, "student02").chat.completions.create(
            model="chat", messages=MESSAGES, max_tokens=2001
        )  # type: ignore[arg-type]
    assert "at most 2000 output tokens" in _error(err)[2]


def test_n_is_capped(fake_azure, gateway):
    with pytest.raises(openai.BadRequestError) as err:
        _azure(fake_azure).chat.completions.create(model="chat", messages=MESSAGES, n=5)  # type: ignore[arg-type]
    status, code, message = _error(err)
    assert (status, code) == (400, "TooManyChoices") and "at most 1 completion" in message
    _azure(fake_azure, "student02").chat.completions.create(model="chat", messages=MESSAGES, n=2)  # type: ignore[arg-type]
    assert gateway.backend_calls[-1].body["n"] == 2


@pytest.mark.parametrize("model", ["other", "gpt-4o", "CHAT"])
def test_only_the_class_deployments_answer(fake_azure, gateway, model):
    # "other" exists on the account, but is not the class's.
    for client in (_azure(fake_azure), _v1(fake_azure)):
        with pytest.raises(openai.PermissionDeniedError) as err:
            client.chat.completions.create(model=model, messages=MESSAGES)  # type: ignore[arg-type]
        status, code, message = _error(err)
        assert (status, code) == (403, "DeploymentNotAllowed")
        assert "this class's deployments: chat, embeddings." in message
    assert gateway.backend_calls == []


def test_a_list_of_deployments_is_no_deployment(fake_azure, gateway):
    with pytest.raises(openai.PermissionDeniedError) as err:  # v1: in the body
        _v1(fake_azure).chat.completions.create(model="chat,embeddings", messages=MESSAGES)  # type: ignore[arg-type]
    assert _error(err)[:2] == (403, "DeploymentNotAllowed")
    with pytest.raises(openai.BadRequestError) as err:  # dated: in the path
        _azure(fake_azure).chat.completions.create(model="chat,embeddings", messages=MESSAGES)  # type: ignore[arg-type]
    assert _error(err)[:2] == (400, "InvalidDeploymentName")
    assert gateway.backend_calls == []


@pytest.mark.parametrize("model", ["chat%2F..%2Fother", "chat%2fx", "chat%5C..", "ch%2561t"])
def test_encoded_separators_in_the_path_are_refused(fake_azure, gateway, model):
    with pytest.raises(openai.BadRequestError) as err:
        _azure(fake_azure).chat.completions.create(model=model, messages=MESSAGES)  # type: ignore[arg-type]
    assert _error(err)[:2] == (400, "InvalidPath")
    assert gateway.backend_calls == []


def test_dot_segments_never_reach_another_operation(fake_azure, gateway):
    # The SDK sends `..` as written; the gateway refuses the path before Azure OpenAI could resolve it.
    with pytest.raises(openai.BadRequestError) as err:
        _azure(fake_azure).chat.completions.create(model="../../x", messages=MESSAGES)  # type: ignore[arg-type]
    assert _error(err)[1] == "InvalidPath"
    # What matches no operation never reaches the policy: API Management answers 404 itself.
    with pytest.raises(openai.NotFoundError):
        _v1(fake_azure).post("/files", cast_to=object, body={})
    with pytest.raises(openai.BadRequestError) as err:
        _v1(fake_azure).responses.retrieve("resp_1%2F..%2F..%2Fmodels")
    assert _error(err)[1] == "InvalidPath"
    assert gateway.backend_calls == []


def test_responses_cannot_store_run_in_the_background_or_use_billed_tools(fake_azure, gateway):
    v1 = _v1(fake_azure)
    refused = {
        "StoreNotAllowed": {"store": True},
        "BackgroundNotAllowed": {"background": True},
        "ToolNotAllowed": {"tools": [{"type": "web_search_preview"}]},
    }
    for code, ask in refused.items():
        with pytest.raises(openai.BadRequestError) as err:
            v1.responses.create(model="chat", input="hi", **ask)  # type: ignore[arg-type]
        assert _error(err)[:2] == (400, code)
    with pytest.raises(openai.BadRequestError) as err:
        v1.responses.create(model="chat", input="hi", previous_response_id="resp_abc")
    assert _error(err)[1] == "StoreNotAllowed"
    for read in (v1.responses.retrieve, v1.responses.delete):
        with pytest.raises(openai.PermissionDeniedError) as err:
            read("resp_0123456789abcdef0000")
        assert _error(err)[:2] == (403, "StoredResponsesOff")
    # Function tools run on the student's side and are billed in tokens.
    tool = {"type": "function", "name": "add", "parameters": {"type": "object", "properties": {}}}
    v1.responses.create(model="chat", input="hi", tools=[tool])  # type: ignore[list-item]
    assert gateway.stored == {}  # nothing kept in the shared account


def test_with_store_allowed_any_key_reads_any_stored_response(fake_azure):
    """The documented price of `responses.store: true` (docs/security.md): the account is shared."""
    policy = _policy(
        GatewayGuards(deployments=("chat",), responses=ResponsesRules(store=True, background=True))
    )
    gateway = _enforcing(fake_azure, policy)
    created = _v1(fake_azure).responses.create(model="chat", input="my secret essay")
    assert _v1(fake_azure, "student02").responses.retrieve(created.id).id == created.id
    assert created.id in gateway.stored


def test_the_fake_follows_the_policy_it_is_given(fake_azure, policy):
    """Remove the deployments check from the XML and the fake no longer refuses: what the tests above prove is the
    policy's doing, not the fake's."""
    root = ET.fromstring(policy)
    for choose in root.iter("choose"):
        for when in list(choose):
            if "DeploymentNotAllowed" in ET.tostring(when, encoding="unicode"):
                choose.remove(when)
    gateway = _enforcing(fake_azure, ET.tostring(root, encoding="unicode"))
    answer = _azure(fake_azure).chat.completions.create(model="other", messages=MESSAGES)  # type: ignore[arg-type]
    assert answer.choices[0].message.content == "ok"
    assert gateway.backend_calls[0].deployment == "other"


@pytest.mark.parametrize(
    "body",
    [
        b'{"model": "chat", "messages": [], "max_tokens": 10, "max_tokens": 100000}',  # read two ways
        b'[{"model": "chat"}]',
        b"model=chat&max_tokens=100000",
    ],
)
def test_a_body_the_gateway_cannot_read_as_one_object_is_refused(fake_azure, gateway, body):
    # Below the SDK (it always sends one JSON object): a hand-made request.
    with _http(fake_azure) as http:
        answer = http.post(
            f"{fake_azure.base_url}/openai/v1/chat/completions",
            content=body,
            headers={"api-key": KEYS["student01"], "content-type": "application/json"},
        )
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "InvalidBody"
    assert gateway.backend_calls == []
