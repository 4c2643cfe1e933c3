"""`labctl smoke` calls every route a student uses with a real participant key (chat plain and streamed,
Responses, embeddings, on the dated and the v1 API, and GET /openai/v1/models), through a loopback gateway with
the real openai SDK, and fails a POST the gateway's token limit did not count."""

from __future__ import annotations

import pytest

from components.gateway_policy import GatewayPolicyArgs, TokenLimits, render_policy
from labctl.lifecycle.smoke_routes import run_routes
from stacks.outputs import LabOutputs
from tests.support.fake_gateway import FakeGateway
from tests.support.smoke_lab import DEPLOYMENTS, KEYS, stack_outputs

LIMITED = {name: {"tokensPerMinute": 10_000} for name in KEYS}


@pytest.fixture
def gateway(fake_azure) -> FakeGateway:
    return FakeGateway(
        server=fake_azure.server,
        keys={key: name for name, key in KEYS.items()},
        deployments=dict(DEPLOYMENTS),
    ).install()


def _outputs(fake_azure, limits=LIMITED) -> LabOutputs:
    return LabOutputs.parse({**stack_outputs(fake_azure.base_url), "participantLimits": limits})


def test_every_route_with_one_participant_key_on_both_apis(gateway, fake_azure):
    gateway.enforce_policy(
        render_policy(GatewayPolicyArgs(token_limits=TokenLimits(tokens_per_minute=10_000)))
    )
    results = run_routes(_outputs(fake_azure))
    assert [(r.probe.caller, r.probe.deployment, r.probe.kind) for r in results] == [
        ("student01", "chat", "chat (v1)"),
        ("student01", "chat", "chat-stream (v1)"),
        ("student01", "chat", "responses (v1)"),
        ("student01", "chat", "chat (dated)"),
        ("student01", "chat", "chat-stream (dated)"),
        ("student01", "chat", "responses (dated)"),
        ("student01", "embeddings", "embeddings (v1)"),
        ("student01", "embeddings", "embeddings (dated)"),
        ("student01", "(all)", "models (v1)"),
    ]
    assert all(r.ok for r in results), [(r.probe.kind, r.cause, r.message) for r in results]
    # What went out: one key, the v1 paths without api-version and the dated ones with it, streams streamed.
    calls = sorted((c.path, c.api_version, c.stream) for c in gateway.calls)
    assert calls == sorted(
        [
            ("/openai/v1/chat/completions", None, False),
            ("/openai/v1/chat/completions", None, True),
            ("/openai/v1/responses", None, False),
            ("/openai/deployments/chat/chat/completions", "2025-04-01-preview", False),
            ("/openai/deployments/chat/chat/completions", "2025-04-01-preview", True),
            ("/openai/responses", "2025-04-01-preview", False),
            ("/openai/v1/embeddings", None, False),
            ("/openai/deployments/embeddings/embeddings", "2025-04-01-preview", False),
            ("/openai/v1/models", None, False),
        ]
    )
    assert {c.caller for c in gateway.calls} == {"student01"}
    assert [r.tokens for r in results if r.probe.kind.startswith("embeddings")] == [4, 4]


def test_a_post_the_gateway_did_not_count_fails(gateway, fake_azure):
    # The outputs promise a token limit, but the gateway answers without counting (no tokens-consumed header):
    # a policy that lost its azure-openai-token-limit, or one that skips some routes.
    results = run_routes(_outputs(fake_azure))
    posts = [r for r in results if not r.probe.kind.startswith("models")]
    assert posts and all(not r.ok and r.cause == "tokens not counted" for r in posts)
    assert "x-participant-tokens-consumed is absent" in (posts[0].message or "")
    assert [r.ok for r in results if r.probe.kind.startswith("models")] == [True]


def test_without_limits_in_the_outputs_nothing_is_expected_to_be_counted(gateway, fake_azure):
    results = run_routes(_outputs(fake_azure, limits={}))
    assert all(r.ok for r in results)
