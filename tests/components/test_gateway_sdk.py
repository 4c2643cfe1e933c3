"""The real openai SDK through the gateway, on loopback: every call a student makes lands on a declared operation.

The requests are captured at a loopback HTTPS fake of the gateway and matched against the API operations the plan
declares (URL template relative to the API's path, method, required query parameters) and its subscription key
header. The fake also answers like the policy and the models would: 400 for GPT-5 on an old api-version, 429 past
the participant's tokens per minute, 403 past the quota.
"""

from __future__ import annotations

import json
import ssl

import openai
import pytest

from components.gateway_api import match, operations
from components.gateway_policy import TokenLimits
from stacks.facts.models import model_facts
from tests.support.fake_gateway import FakeGateway
from tests.support.gateway_plans import plan_gateway
from tests.support.plans import API, API_POLICY, inputs

KEYS = {
    "student01": "k1-0123456789abcdef0123456789abcdef",
    "student02": "k2-fedcba9876543210fedcba9876543210",
}
DEPLOYMENTS = {"chat": "gpt-5-mini", "embeddings": "text-embedding-3-small"}
# What the stack hands out: the version every chat model of the lab answers on.
HANDED_OUT = model_facts().default_api_version
MESSAGES = [{"role": "user", "content": "Say ok."}]


@pytest.fixture(scope="module")
def plan():
    return plan_gateway(
        token_limits=TokenLimits(tokens_per_minute=40, token_quota=100, token_quota_period="Daily")
    )


@pytest.fixture
def gateway(fake_azure) -> FakeGateway:
    return FakeGateway(
        server=fake_azure.server,
        keys={key: name for name, key in KEYS.items()},
        deployments=dict(DEPLOYMENTS),
        clock=lambda: 1_800_000_000.0,  # one fixed minute
    ).install()


def _clients(fake_azure, key: str, api_version: str = HANDED_OUT) -> tuple[openai.AzureOpenAI, openai.OpenAI]:
    http = openai.DefaultHttpxClient(verify=ssl.create_default_context(cafile=str(fake_azure.ca_file)))
    azure = openai.AzureOpenAI(
        azure_endpoint=fake_azure.base_url,
        api_key=key,
        api_version=api_version,
        http_client=http,
        max_retries=0,
    )
    # The v1 API takes the plain OpenAI client; the gateway wants the subscription key in `api-key` (docs/gateway.md).
    v1 = openai.OpenAI(
        base_url=f"{fake_azure.base_url}/openai/v1/",
        api_key=key,
        default_headers={"api-key": key},
        http_client=http,
        max_retries=0,
    )
    return azure, v1


def _every_call(client: openai.AzureOpenAI | openai.OpenAI) -> dict[str, int]:
    """The calls of the workshop; total tokens each reports (a stream reports usage in its last event)."""
    tokens: dict[str, int] = {}
    chat = client.chat.completions.create(model="chat", messages=MESSAGES)  # type: ignore[arg-type]
    assert chat.choices[0].message.content == "ok" and chat.usage is not None
    tokens["chat"] = chat.usage.total_tokens
    stream = client.chat.completions.create(
        model="chat",
        messages=MESSAGES,  # type: ignore[arg-type]
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "ok"
    assert chunks[-1].usage is not None and chunks[-1].choices == []
    tokens["stream"] = chunks[-1].usage.total_tokens
    embedding = client.embeddings.create(model="embeddings", input="The food was delicious.")
    assert len(embedding.data[0].embedding) == 4
    tokens["embeddings"] = embedding.usage.total_tokens
    response = client.responses.create(model="chat", input="Say ok.")
    assert response.output_text == "ok" and response.usage is not None
    tokens["responses"] = response.usage.total_tokens
    return tokens


def test_every_sdk_call_lands_on_a_declared_operation(fake_azure, gateway, dev_plan):
    # The dev stack's API and the api version its outputs hand out.
    api = inputs(dev_plan, API)
    ops = operations(api["value"])
    header = api["subscriptionKeyParameterNames"]["header"]
    prefix = "/" + api["path"]
    assert dev_plan.outputs["openaiEnv"]["OPENAI_API_VERSION"] == HANDED_OUT
    azure, v1 = _clients(fake_azure, KEYS["student01"])

    assert _every_call(azure) == {"chat": 15, "stream": 15, "embeddings": 4, "responses": 15}
    assert _every_call(v1) == {"chat": 15, "stream": 15, "embeddings": 4, "responses": 15}

    landed = []
    for call in gateway.calls:
        assert call.path.startswith(prefix + "/"), call.path
        op = match(ops, call.method, call.path[len(prefix) :])
        assert op is not None, f"{call.method} {call.path} matches no declared operation"
        assert call.api_key == KEYS["student01"]  # in the subscription key header
        if "api-version" in op.query:
            assert call.api_version == HANDED_OUT
        else:
            assert call.api_version is None
        landed.append((op.operation_id, call.stream))
    assert header == "api-key"
    assert landed == [
        ("ChatCompletions_Create", False),
        ("ChatCompletions_Create", True),
        ("embeddings_create", False),
        ("Responses_Create", False),
        ("V1_ChatCompletions_Create", False),
        ("V1_ChatCompletions_Create", True),
        ("V1_Embeddings_Create", False),
        ("V1_Responses_Create", False),
    ]
    # The deployment travels in the path on dated operations and as `model` on the v1 API.
    assert {c.deployment for c in gateway.calls} == {"chat", "embeddings"}


def test_gpt5_on_an_older_api_version_is_refused_by_the_model(fake_azure, gateway):
    azure, _ = _clients(fake_azure, KEYS["student01"], api_version="2024-10-21")
    with pytest.raises(openai.BadRequestError) as err:
        azure.chat.completions.create(model="chat", messages=MESSAGES)  # type: ignore[arg-type]
    assert "enabled only for api versions 2025-04-01-preview and later" in str(err.value)
    # Embeddings models answer on it.
    assert azure.embeddings.create(model="embeddings", input="x").usage.total_tokens == 4


def test_over_the_minute_budget_a_participant_gets_429_saying_which(fake_azure, gateway, plan):
    gateway.enforce_policy(inputs(plan, API_POLICY)["value"])
    azure, v1 = _clients(fake_azure, KEYS["student01"])
    for _ in range(3):  # 15 tokens each: 45 of 40 used after the third
        azure.chat.completions.create(model="chat", messages=MESSAGES)  # type: ignore[arg-type]
    with pytest.raises(openai.RateLimitError) as err:
        v1.chat.completions.create(model="chat", messages=MESSAGES)  # type: ignore[arg-type]
    assert err.value.response.headers["retry-after"].isdigit()
    assert err.value.code == "ParticipantTokensPerMinuteExceeded"
    assert "tokens-per-minute" in err.value.message
    # One counter per participant: the neighbour is not affected.
    other, _ = _clients(fake_azure, KEYS["student02"])
    assert other.chat.completions.create(model="chat", messages=MESSAGES).usage is not None  # type: ignore[arg-type]


def test_over_the_quota_a_participant_gets_403_saying_which(fake_azure, gateway, plan):
    gateway.enforce_policy(inputs(plan, API_POLICY)["value"])
    ticks = iter(range(0, 6000, 60))  # a new minute per call: only the quota (100 a day) can run out
    gateway.clock = lambda: 1_800_000_000.0 + next(ticks)
    azure, _ = _clients(fake_azure, KEYS["student01"])
    for _ in range(7):  # 7 x 15 = 105 of 100
        azure.chat.completions.create(model="chat", messages=MESSAGES)  # type: ignore[arg-type]
    with pytest.raises(openai.PermissionDeniedError) as err:
        azure.chat.completions.create(model="chat", messages=MESSAGES)  # type: ignore[arg-type]
    assert err.value.code == "ParticipantTokenQuotaExceeded"
    assert json.dumps(err.value.body).count("token quota") == 1
