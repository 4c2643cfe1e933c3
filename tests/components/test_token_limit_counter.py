"""The token budget is the participant's, wherever they call from: the policy counts tokens per APIM subscription.
Played with the real openai SDK against the fake gateway enforcing the rendered policy, from two loopback source
addresses (127.0.0.1 and 127.0.0.2 stand for a student's laptop on two networks)."""

from __future__ import annotations

import ssl

import httpx2  # the openai SDK's own HTTP client package (openai requires it)
import openai
import pytest

from components.gateway_policy import GatewayPolicyArgs, TokenLimits, render_policy
from tests.support.fake_gateway import FakeGateway

KEYS = {
    "student01": "k1-0123456789abcdef0123456789abcdef",
    "student02": "k2-fedcba9876543210fedcba9876543210",
}
# A fake chat answer uses 15 tokens: one call fits under 10 tokens per minute, the next is refused.
LIMITS = TokenLimits(tokens_per_minute=10)


@pytest.fixture
def gateway(fake_azure) -> FakeGateway:
    gateway = FakeGateway(
        server=fake_azure.server,
        keys={key: name for name, key in KEYS.items()},
        deployments={"chat": "gpt-5-mini"},
        clock=lambda: 1_800_000_000.0,  # one minute for the whole test
    ).install()
    return gateway.enforce_policy(render_policy(GatewayPolicyArgs(token_limits=LIMITS)))


def _client(fake_azure, participant: str, source: str) -> openai.AzureOpenAI:
    tls = ssl.create_default_context(cafile=str(fake_azure.ca_file))
    http = openai.DefaultHttpxClient(transport=httpx2.HTTPTransport(verify=tls, local_address=source))
    return openai.AzureOpenAI(
        azure_endpoint=fake_azure.base_url,
        api_key=KEYS[participant],
        api_version="2025-04-01-preview",
        http_client=http,
        max_retries=0,
    )


def _chat(client: openai.AzureOpenAI) -> None:
    client.chat.completions.create(model="chat", messages=[{"role": "user", "content": "hola"}])


def test_a_second_network_does_not_give_a_second_budget(gateway, fake_azure):
    laptop = _client(fake_azure, "student01", "127.0.0.1")
    _chat(laptop)
    with pytest.raises(openai.RateLimitError):
        _chat(laptop)
    # The same key from another address: still the same participant's spent budget.
    with pytest.raises(openai.RateLimitError):
        _chat(_client(fake_azure, "student01", "127.0.0.2"))
    # A classmate behind the same address (one NAT for the room) still has their own budget.
    _chat(_client(fake_azure, "student02", "127.0.0.1"))
    assert [c.caller for c in gateway.calls] == ["student01", "student01", "student01", "student02"]
