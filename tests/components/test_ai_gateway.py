"""API Management in front of Azure OpenAI: identity, API import, policy, product, keys and logging."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from components.ai_gateway import DEFAULT_POLICY, policy_backend_id
from tests.support.plans import (
    ACCOUNT,
    API,
    API_DIAGNOSTIC,
    API_POLICY,
    APIM,
    BACKEND,
    DIAGNOSTIC_SETTING,
    LOGGER,
    PRODUCT,
    PRODUCT_API,
    SUBSCRIPTION,
    inputs,
    name_of,
)


def test_service_tier_identity_and_publisher(dev_plan):
    svc = inputs(dev_plan, APIM)
    assert svc["sku"] == {"name": "BasicV2", "capacity": 1}
    assert svc["identity"] == {"type": "SystemAssigned"}
    assert svc["publisherEmail"] == "ana.garcia@contoso.edu"
    assert svc["location"] == inputs(dev_plan, ACCOUNT)["location"]
    # Neither portal is used by the lab; the SDK would otherwise enable both.
    assert svc["developerPortalStatus"] == "Disabled"
    assert svc["legacyPortalStatus"] == "Disabled"


@pytest.mark.parametrize(
    ("tier", "client_certificate"),
    [("Developer", True), ("Standard", True), ("Premium", True), ("StandardV2", False), ("BasicV2", False)],
)
def test_selectable_tiers(plan_with, tier, client_certificate):
    svc = inputs(plan_with(gatewayTier=tier), APIM)
    assert svc["sku"] == {"name": tier, "capacity": 1}
    # Classic tiers reject the SDK's default enableClientCertificate=false (pulumi-azure-native#1741).
    assert svc["enableClientCertificate"] is client_certificate


def test_consumption_tier_without_gateway_logs(plan_with):
    plan = plan_with(gatewayTier="Consumption", gatewayLogs=False)
    svc = inputs(plan, APIM)
    assert svc["sku"] == {"name": "Consumption", "capacity": 0}
    assert svc["enableClientCertificate"] is False
    settings = [name_of(r) for r in plan.by_type(DIAGNOSTIC_SETTING)]
    assert settings == ["openai-diagnostics"]
    # Consumption has no resource logs: an Azure Monitor logger and API diagnostic would have nowhere to go.
    assert plan.by_type(LOGGER) == [] and plan.by_type(API_DIAGNOSTIC) == []


def test_gateway_logs_off_declares_no_gateway_logging(plan_with):
    plan = plan_with(gatewayLogs=False)
    assert plan.by_type(LOGGER) == [] and plan.by_type(API_DIAGNOSTIC) == []
    assert [name_of(r) for r in plan.by_type(DIAGNOSTIC_SETTING)] == ["openai-diagnostics"]


def test_inference_api_imported_by_link(dev_plan):
    api = inputs(dev_plan, API)
    assert api["format"] == "openapi+json-link"
    assert api["value"] == (
        "https://raw.githubusercontent.com/Azure/azure-rest-api-specs/main/specification/cognitiveservices/"
        "data-plane/AzureOpenAI/inference/stable/2024-10-21/inference.json"
    )
    assert api["path"] == "openai"
    assert api["protocols"] == ["https"]
    assert api["subscriptionRequired"] is True
    # The header the openai SDK sends its key in: the SDK works against the gateway unchanged.
    assert api["subscriptionKeyParameterNames"]["header"] == "api-key"


def test_spec_version_follows_config(plan_with):
    api = inputs(plan_with(inferenceApiVersion="2023-05-15"), API)
    assert api["value"].endswith("/inference/stable/2023-05-15/inference.json")
    preview = plan_with(inferenceApiVersion="2025-04-01-preview")
    assert inputs(preview, API)["value"].endswith("/inference/preview/2025-04-01-preview/inference.json")
    assert preview.outputs["openaiEnv"]["OPENAI_API_VERSION"] == "2025-04-01-preview"


def test_backend_points_at_the_account_openai_endpoint(dev_plan):
    backend = inputs(dev_plan, BACKEND)
    assert backend["url"] == dev_plan.outputs["accountEndpoint"] + "openai"
    assert backend["protocol"] == "http"


def _policy(dev_plan) -> ET.Element:
    policy = inputs(dev_plan, API_POLICY)
    assert policy["format"] == "rawxml"
    return ET.fromstring(policy["value"])


def test_policy_authenticates_with_managed_identity(dev_plan):
    inbound = _policy(dev_plan).find("inbound")
    assert inbound is not None
    steps = [child.tag for child in inbound]
    # Order matters: drop the caller's key, get a token, send it, then route.
    assert steps == [
        "base",
        "set-header",
        "authentication-managed-identity",
        "set-header",
        "set-backend-service",
    ]
    drop_key, auth, bearer, route = inbound[1], inbound[2], inbound[3], inbound[4]
    assert drop_key.attrib == {"name": "api-key", "exists-action": "delete"}
    assert auth.get("resource") == "https://cognitiveservices.azure.com"
    token_var = auth.get("output-token-variable-name")
    assert auth.get("ignore-error") == "false"
    assert bearer.get("name") == "Authorization" and bearer.get("exists-action") == "override"
    value = bearer.find("value")
    assert value is not None and value.text == f'@("Bearer " + (string)context.Variables["{token_var}"])'
    assert route.get("backend-id") == inputs(dev_plan, BACKEND)["backendId"]


def test_policy_waits_for_its_backend(dev_plan):
    policy = dev_plan.one(API_POLICY)
    backend = dev_plan.one(BACKEND)
    assert backend["urn"] in policy["dependencies"]


def test_policy_file_is_the_single_source_of_the_backend_id(tmp_path):
    text = DEFAULT_POLICY.read_text()
    assert policy_backend_id(text) == "azure-openai"
    broken = text.replace('<set-backend-service backend-id="azure-openai" />', "")
    with pytest.raises(ValueError, match="set-backend-service"):
        policy_backend_id(broken)


def test_product_requires_subscription_without_approval(dev_plan):
    product = inputs(dev_plan, PRODUCT)
    assert product["subscriptionRequired"] is True
    assert product["approvalRequired"] is False
    assert product["state"] == "published"
    link = inputs(dev_plan, PRODUCT_API)
    assert link["apiId"] == inputs(dev_plan, API)["apiId"]
    assert link["productId"] == product["productId"]


def test_one_subscription_per_participant_scoped_to_the_product(dev_plan):
    subs = {s["inputs"]["sid"]: s["inputs"] for s in dev_plan.by_type(SUBSCRIPTION)}
    assert set(subs) == {"student01", "student02"}
    product_id = inputs(dev_plan, PRODUCT)["productId"]
    for sub in subs.values():
        assert sub["scope"].endswith(f"/products/{product_id}")
        assert sub["state"] == "active"


def test_participant_keys_are_read_with_list_secrets_and_kept_secret(dev_plan):
    from labctl.plan.mockcloud import stable_hex

    # Azure does not return keys when it creates a subscription (the mock does not either): the keys must come
    # from listSecrets, one per participant, and never be empty.
    keys = dev_plan.revealed_outputs["participantKeys"]
    assert keys == {p: stable_hex(32, p, "primary") for p in ("student01", "student02")}
    assert dev_plan.outputs["participantKeys"] == "[secret]"
    text = dev_plan.to_json()
    for participant in ("student01", "student02"):
        assert stable_hex(32, participant, "primary") not in text
        assert stable_hex(32, participant, "secondary") not in text


def test_subscription_keys_stay_encrypted_in_state(dev_plan):
    for sub in dev_plan.by_type(SUBSCRIPTION):
        assert sub["additionalSecretOutputs"] == ["primaryKey", "secondaryKey"]


def test_api_diagnostic_logs_bodies_to_azure_monitor(dev_plan):
    logger = inputs(dev_plan, LOGGER)
    assert logger["loggerType"] == "azureMonitor"
    diag = inputs(dev_plan, API_DIAGNOSTIC)
    assert diag["loggerId"].endswith(f"/loggers/{logger['loggerId']}")
    assert diag["sampling"] == {"samplingType": "fixed", "percentage": 100}
    for side in ("frontend", "backend"):
        for direction in ("request", "response"):
            assert diag[side][direction]["body"]["bytes"] == 8192, (side, direction)


def test_body_bytes_follow_config(plan_with):
    diag = inputs(plan_with(logBodyBytes=1024), API_DIAGNOSTIC)
    assert diag["backend"]["response"]["body"]["bytes"] == 1024


def test_gateway_logs_go_to_dedicated_tables(dev_plan):
    svc = dev_plan.one(APIM)
    setting = next(r for r in dev_plan.by_type(DIAGNOSTIC_SETTING) if name_of(r) == "gateway-diagnostics")
    i = setting["inputs"]
    assert i["logAnalyticsDestinationType"] == "Dedicated"
    assert i["logs"] == [{"categoryGroup": "allLogs", "enabled": True}]
    assert i["metrics"] == [{"category": "AllMetrics", "enabled": True}]
    assert i["resourceUri"].endswith(f"/service/{svc['inputs']['serviceName']}")


def test_gateway_url_output(dev_plan):
    name = inputs(dev_plan, APIM)["serviceName"]
    assert dev_plan.outputs["gatewayUrl"] == f"https://{name}.azure-api.net/openai"
    env = dev_plan.outputs["openaiEnv"]
    # The SDK appends /openai itself.
    assert env["AZURE_OPENAI_ENDPOINT"] == f"https://{name}.azure-api.net"
    assert env["OPENAI_API_VERSION"] == "2024-10-21"
    assert json.dumps(env)  # plain, pasteable values
