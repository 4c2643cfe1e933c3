"""API Management in front of Azure OpenAI: identity, API import, policy, product, keys and logging."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from components.gateway_api import operations
from components.gateway_logging import GatewayLogging
from components.gateway_policy import POLICY_TEMPLATE, TokenLimits, policy_backend_id
from labctl.plan.runtime import PlanError
from tests.support.gateway_plans import GENERIC_RESOURCE, WORKSPACE_ID, plan_gateway
from tests.support.plans import (
    ACCOUNT,
    API,
    API_DIAGNOSTIC,
    API_POLICY,
    APIM,
    BACKEND,
    DIAGNOSTIC_SETTING,
    LOGGER,
    PASSWORD,
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
    plan = plan_with(gatewayTier="Consumption", gatewayLogs=False, participantLimits=None)
    svc = inputs(plan, APIM)
    assert svc["sku"] == {"name": "Consumption", "capacity": 0}
    assert svc["enableClientCertificate"] is False
    settings = [name_of(r) for r in plan.by_type(DIAGNOSTIC_SETTING)]
    assert settings == ["openai-diagnostics"]
    # Consumption has no resource logs: an API diagnostic would have nowhere to go.
    assert plan.by_type(GENERIC_RESOURCE) == [] and plan.by_type(API_DIAGNOSTIC) == []


def test_gateway_logs_off_declares_no_gateway_logging(plan_with):
    plan = plan_with(gatewayLogs=False)
    assert plan.by_type(GENERIC_RESOURCE) == [] and plan.by_type(API_DIAGNOSTIC) == []
    assert [name_of(r) for r in plan.by_type(DIAGNOSTIC_SETTING)] == ["openai-diagnostics"]


def test_api_operations_are_declared_inline(dev_plan):
    api = inputs(dev_plan, API)
    # An OpenAPI 3.0 document from the repo, not a link to a spec on `main` (docs/gateway.md says why).
    assert api["format"] == "openapi+json"
    spec = json.loads(api["value"])
    assert spec["openapi"] == "3.0.1"
    declared = {(op.method, op.template): op.operation_id for op in operations(spec)}
    assert declared == {
        # The operations the workshop shows in the portal, with the inference spec's operation ids.
        ("POST", "/deployments/{deployment-id}/chat/completions"): "ChatCompletions_Create",
        ("POST", "/deployments/{deployment-id}/completions"): "Completions_Create",
        ("POST", "/deployments/{deployment-id}/embeddings"): "embeddings_create",
        # Responses with an api-version, and the v1 API without one.
        ("POST", "/responses"): "Responses_Create",
        ("GET", "/responses/{response-id}"): "Responses_Get",
        ("DELETE", "/responses/{response-id}"): "Responses_Delete",
        ("POST", "/v1/chat/completions"): "V1_ChatCompletions_Create",
        ("POST", "/v1/embeddings"): "V1_Embeddings_Create",
        ("POST", "/v1/responses"): "V1_Responses_Create",
        ("GET", "/v1/responses/{response-id}"): "V1_Responses_Get",
        ("DELETE", "/v1/responses/{response-id}"): "V1_Responses_Delete",
        ("GET", "/v1/models"): "V1_Models_List",
    }
    assert api["path"] == "openai"
    assert api["protocols"] == ["https"]
    assert api["subscriptionRequired"] is True
    # The header the openai SDK sends its key in: the SDK works against the gateway unchanged.
    assert api["subscriptionKeyParameterNames"]["header"] == "api-key"


def test_dated_operations_require_an_api_version_and_v1_ones_do_not(dev_plan):
    for op in operations(inputs(dev_plan, API)["value"]):
        assert op.query == (() if op.template.startswith("/v1/") else ("api-version",)), op.operation_id


def test_backend_points_at_the_account_openai_endpoint(dev_plan):
    backend = inputs(dev_plan, BACKEND)
    assert backend["url"] == dev_plan.outputs["accountEndpoint"] + "openai"
    assert backend["protocol"] == "http"


def _policy(plan) -> ET.Element:
    policy = inputs(plan, API_POLICY)
    # Rendered from the parsed template: entity-escaped expressions, API Management's `xml` format.
    assert policy["format"] == "xml"
    return ET.fromstring(policy["value"])


def test_policy_authenticates_with_managed_identity(dev_plan):
    inbound = _policy(dev_plan).find("inbound")
    assert inbound is not None
    steps = [child.tag for child in inbound]
    # Order matters: count the call (rate per key) before anything answers it; refuse keys while the class is paused
    # or outside its window, then calls that ask for too much (tests/components/test_gateway_attacks.py), then
    # over-budget callers; drop the caller's key, get a token, send it, then route.
    assert steps[:6] == [
        "base",
        "rate-limit-by-key",
        "set-variable",  # class-paused (named value)
        "choose",
        "set-variable",  # the class window's end (the dev stack has no startsOn)
        "choose",
    ]
    assert steps[-5:] == [
        "azure-openai-token-limit",
        "set-header",
        "authentication-managed-identity",
        "set-header",
        "set-backend-service",
    ]
    drop_key, auth, bearer, route = inbound[-4], inbound[-3], inbound[-2], inbound[-1]
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


def test_policy_template_is_the_single_source_of_the_backend_id():
    text = POLICY_TEMPLATE.read_text()
    assert policy_backend_id(text) == "azure-openai"
    broken = text.replace('<set-backend-service backend-id="azure-openai" />', "")
    with pytest.raises(ValueError, match="set-backend-service"):
        policy_backend_id(broken)


LIMITS = TokenLimits(tokens_per_minute=2000, token_quota=50000, token_quota_period="Daily")


def test_token_limit_per_participant_subscription():
    inbound = _policy(plan_gateway(token_limits=LIMITS)).find("inbound")
    assert inbound is not None
    assert [c.tag for c in inbound] == [
        "base",
        "set-variable",  # the class-paused check (components/policies/class-window.xml)
        "choose",
        "azure-openai-token-limit",  # before a token is fetched for a request that would be refused
        "set-header",
        "authentication-managed-identity",
        "set-header",
        "set-backend-service",
    ]
    assert inbound[3].attrib == {
        "id": "participant-token-limit",
        "counter-key": "@(context.Subscription.Id)",
        "tokens-per-minute": "2000",
        "token-quota": "50000",
        "token-quota-period": "Daily",
        "estimate-prompt-tokens": "true",
        "retry-after-variable-name": "participantRetryAfter",
        "remaining-tokens-header-name": "x-participant-remaining-tokens",
        "remaining-quota-tokens-header-name": "x-participant-remaining-quota-tokens",
        "tokens-consumed-header-name": "x-participant-tokens-consumed",
    }


def test_minute_limit_alone_sends_no_quota_attributes():
    inbound = _policy(plan_gateway(token_limits=TokenLimits(tokens_per_minute=500))).find("inbound")
    assert inbound is not None
    limit = inbound.find("azure-openai-token-limit")
    assert limit is not None
    assert limit.get("tokens-per-minute") == "500"
    assert "token-quota" not in limit.attrib and "token-quota-period" not in limit.attrib


def test_a_participant_override_gets_a_branch_of_its_own():
    bigger = TokenLimits(tokens_per_minute=8000, token_quota=200000, token_quota_period="Weekly")
    root = _policy(
        plan_gateway(token_limits=LIMITS, participant_limits={"student03": bigger, "student01": LIMITS})
    )
    inbound = root.find("inbound")
    assert inbound is not None
    # The <choose> after the class-paused check.
    choose = inbound[3]
    assert choose.tag == "choose"
    (when,) = choose.findall("when")
    # student01's entry equals everyone's limits: no branch for it.
    assert when.get("condition") == '@(context.Subscription.Id == "student03")'
    (special,) = list(when)
    assert (
        special.get("tokens-per-minute"),
        special.get("token-quota"),
        special.get("token-quota-period"),
    ) == (
        "8000",
        "200000",
        "Weekly",
    )
    otherwise = choose.find("otherwise/azure-openai-token-limit")
    assert otherwise is not None and otherwise.get("tokens-per-minute") == "2000"
    assert special.get("counter-key") == otherwise.get("counter-key") == "@(context.Subscription.Id)"


def test_refusals_say_which_limit_was_hit():
    on_error = _policy(plan_gateway(token_limits=LIMITS)).find("on-error")
    assert on_error is not None
    whens = on_error.findall("choose/when")
    by_status = {}
    for when in whens:
        condition = when.get("condition", "")
        # The error's policy is the limit's own id (documented), or its element name.
        assert 'context.LastError.PolicyId == "participant-token-limit"' in condition
        assert 'context.LastError.Source == "azure-openai-token-limit"' in condition
        status = 429 if "StatusCode == 429" in condition else 403
        body = when.find("set-body")
        assert body is not None and body.text
        by_status[status] = json.loads(body.text)["error"]
    assert by_status[429]["code"] == "ParticipantTokensPerMinuteExceeded"
    assert "tokens-per-minute" in by_status[429]["message"] and "Retry-After" in by_status[429]["message"]
    assert by_status[403]["code"] == "ParticipantTokenQuotaExceeded"
    assert "token quota" in by_status[403]["message"]
    retry = next(w for w in whens if "429" in w.get("condition", "")).find("set-header[@name='Retry-After']")
    assert retry is not None


def test_limits_for_someone_who_is_not_a_participant_are_refused():
    with pytest.raises(PlanError, match="unknown participants: student99"):
        plan_gateway(token_limits=LIMITS, participant_limits={"student99": LIMITS})


def test_sovereign_cloud_audience_reaches_the_policy():
    auth = _policy(plan_gateway(managed_identity_audience="https://cognitiveservices.azure.us")).find(
        "inbound/authentication-managed-identity"
    )
    assert auth is not None and auth.get("resource") == "https://cognitiveservices.azure.us"


def test_product_takes_no_self_service_subscriptions(dev_plan):
    product = inputs(dev_plan, PRODUCT)
    assert product["subscriptionRequired"] is True
    # Should a portal be enabled later, a sign-up waits for approval and a user holds at most one subscription.
    assert product["approvalRequired"] is True
    assert product["subscriptionsLimit"] == 1
    assert product["state"] == "published"
    # Given to no group: no Developers or Guests could even see it.
    assert dev_plan.by_type("azure-native:apimanagement:ProductGroup") == []
    assert dev_plan.by_type("azure-native:apimanagement:GroupUser") == []
    link = inputs(dev_plan, PRODUCT_API)
    assert link["apiId"] == inputs(dev_plan, API)["apiId"]
    assert link["productId"] == product["productId"]


def test_one_subscription_per_participant_scoped_to_the_product(dev_plan):
    subs = {s["inputs"]["sid"]: s["inputs"] for s in dev_plan.by_type(SUBSCRIPTION)}
    assert set(subs) == {"student01", "student02"}
    product_id = inputs(dev_plan, PRODUCT)["productId"]
    for sid, sub in subs.items():
        assert sub["scope"].endswith(f"/products/{product_id}")
        assert sub["state"] == "active"
        # The name only: e-mail addresses stay out of Azure.
        assert sub["displayName"] == sid
        assert "@" not in json.dumps(sub)


def test_participant_keys_are_generated_in_the_program_and_kept_secret(dev_plan):
    passwords = {name_of(r).rsplit("-key-", 1)[1]: r for r in dev_plan.by_type(PASSWORD)}
    assert set(passwords) == {"student01", "student02"}
    for password in passwords.values():
        assert password["inputs"]["length"] == 40 and password["inputs"]["special"] is False
        assert password["inputs"]["keepers"] == {"rotation": "0"}
        assert "result" in password["additionalSecretOutputs"]
    keys = dev_plan.revealed_outputs["participantKeys"]
    assert set(keys) == {"student01", "student02"}
    assert all(len(k) == 40 and k.isalnum() for k in keys.values())
    assert len(set(keys.values())) == 2
    # Each subscription's primary key is its participant's password; the plan shows neither.
    for sub in dev_plan.by_type(SUBSCRIPTION):
        assert sub["inputs"]["primaryKey"] == "[secret]"
    assert dev_plan.outputs["participantKeys"] == "[secret]"
    text = dev_plan.to_json()
    for key in keys.values():
        assert key not in text


def test_suspend_and_rotate_reach_the_subscription_and_the_key(plan_with, dev_config):
    participants = [dict(p) for p in dev_config["aoai-lab:participants"]]
    participants[0]["state"] = "suspended"
    participants[1]["rotation"] = 3
    plan = plan_with(participants=participants)
    subs = {s["inputs"]["sid"]: s["inputs"] for s in plan.by_type(SUBSCRIPTION)}
    assert (subs["student01"]["state"], subs["student02"]["state"]) == ("suspended", "active")
    keepers = {name_of(r).rsplit("-key-", 1)[1]: r["inputs"]["keepers"] for r in plan.by_type(PASSWORD)}
    assert keepers == {"student01": {"rotation": "0"}, "student02": {"rotation": "3"}}


def test_subscription_keys_stay_encrypted_in_state(dev_plan):
    for sub in dev_plan.by_type(SUBSCRIPTION):
        assert sub["additionalSecretOutputs"] == ["primaryKey", "secondaryKey"]


def _api_diagnostic(plan) -> dict:
    (diag,) = plan.by_type(GENERIC_RESOURCE)
    return diag


def test_the_azuremonitor_logger_is_put_by_an_incremental_arm_deployment():
    """Create-or-update whether or not the new service already has the logger (components/gateway_logging.py):
    never `apimanagement.Logger`, which fails with "already exists" where Azure made it."""
    plan = plan_gateway()
    assert plan.by_type(LOGGER) == []
    (deployment,) = plan.by_type("azure-native:resources:Deployment")
    inputs_ = deployment["inputs"]
    assert inputs_["deploymentName"] == "apim-azuremonitor-logger"
    assert inputs_["resourceGroupName"] == "rg-lab"
    properties = inputs_["properties"]
    # Complete mode would delete every other resource of the group.
    assert properties["mode"] == "Incremental"
    assert properties["parameters"] == {"serviceName": {"value": "apim-lab"}}
    template = properties["template"]
    assert template["parameters"] == {
        "serviceName": {
            "type": "string",
            "metadata": {
                "description": "The API Management service whose built-in Azure Monitor logger this declares"
            },
        }
    }
    assert template["resources"] == [
        {
            "type": "Microsoft.ApiManagement/service/loggers",
            "apiVersion": "2024-06-01-preview",
            "name": "[format('{0}/azuremonitor', parameters('serviceName'))]",
            "properties": {"loggerType": "azureMonitor", "isBuffered": False},
        }
    ]
    service_id = (
        "/subscriptions/6b1f3c2e-8a4d-4c3b-9e2f-0d5a7b9c1e24/resourceGroups/rg-lab/providers/"
        "Microsoft.ApiManagement/service/apim-lab"
    )
    diag = _api_diagnostic(plan)
    assert diag["inputs"]["properties"]["loggerId"] == f"{service_id}/loggers/azuremonitor"
    # The API diagnostic names the logger only once it is there, and after the diagnostic setting.
    assert deployment["urn"] in diag["dependencies"]
    assert plan.one(DIAGNOSTIC_SETTING)["urn"] in diag["dependencies"]


def test_api_diagnostic_body_azure_receives():
    diag = _api_diagnostic(plan_gateway())["inputs"]
    # The generic resource: Microsoft.ApiManagement/service/apim-lab/apis/azure-openai/diagnostics/azuremonitor
    # at an API version that has `largeLanguageModel` (pulumi-azure-native's own ApiDiagnostic is 2024-05-01).
    assert {k: diag[k] for k in ("resourceProviderNamespace", "parentResourcePath", "resourceType")} == {
        "resourceProviderNamespace": "Microsoft.ApiManagement",
        "parentResourcePath": "service/apim-lab/apis/azure-openai",
        "resourceType": "diagnostics",
    }
    assert diag["resourceName"] == "azuremonitor"
    assert diag["apiVersion"] == "2024-06-01-preview"
    assert "location" not in diag and "tags" not in diag  # a proxy resource takes neither
    props = diag["properties"]
    assert props["largeLanguageModel"] == {"logs": "enabled"}  # tokens and model, no prompts
    # Headers are logged even without bodies: refusals' Retry-After, the participant's budget, content-filter blocks.
    assert props["frontend"]["response"]["headers"] == [
        "retry-after",
        "x-participant-remaining-tokens",
        "x-participant-remaining-quota-tokens",
        "x-aoai-lab-content-filter",
    ]
    assert props["sampling"] == {"samplingType": "fixed", "percentage": 100}
    # Client IPs are personal data: not logged unless the stack asks (aoai-lab:logClientIp).
    assert props["alwaysLog"] == "allErrors" and props["logClientIp"] is False
    # A key sent as ?api-key= never lands in the log, on either side of the gateway.
    hidden = {"queryParams": [{"value": "api-key", "mode": "Hide"}]}
    assert props["frontend"]["request"]["dataMasking"] == hidden
    assert props["backend"]["request"]["dataMasking"] == hidden
    # Bodies are off by default: prompts hold students' data.
    for side in ("frontend", "backend"):
        for direction in ("request", "response"):
            assert props[side][direction]["body"] == {"bytes": 0}, (side, direction)


def test_opt_in_body_logging_stays_under_the_entry_limit():
    props = _api_diagnostic(plan_gateway(logging=GatewayLogging(body_bytes=8192, message_bytes=32768)))[
        "inputs"
    ]["properties"]
    bodies = {
        (side, direction): props[side][direction]["body"]["bytes"]
        for side in ("frontend", "backend")
        for direction in ("request", "response")
    }
    # The caller's prompt and Azure OpenAI's answer; the two copies in between are not logged twice.
    assert bodies == {
        ("frontend", "request"): 8192,
        ("frontend", "response"): 0,
        ("backend", "request"): 0,
        ("backend", "response"): 8192,
    }
    headers = [
        h
        for side in ("frontend", "backend")
        for d in ("request", "response")
        for h in props[side][d]["headers"]
    ]
    # Two 8 KB bodies, a few short headers and the entry's other fields stay well under 32 KB.
    assert sum(bodies.values()) + sum(len(h) + 256 for h in headers) + 8 * 1024 <= 32 * 1024
    message = {"messages": "all", "maxSizeInBytes": 32768}
    assert props["largeLanguageModel"] == {"logs": "enabled", "requests": message, "responses": message}


@pytest.mark.parametrize("change", [{"body_bytes": 8193}, {"message_bytes": 40000}, {"body_bytes": -1}])
def test_unbounded_logging_is_refused(change):
    with pytest.raises(ValueError):
        GatewayLogging(**change)


def test_api_diagnostic_waits_for_the_diagnostic_setting():
    plan = plan_gateway()
    (setting,) = plan.by_type(DIAGNOSTIC_SETTING)
    diag = _api_diagnostic(plan)
    # Created after the setting (logs have a destination); destroyed before it (nothing blocks the setting).
    assert setting["urn"] in diag["dependencies"]
    assert setting["inputs"]["workspaceId"] == WORKSPACE_ID


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
    # The version every chat model of the stack answers on (gpt-5-mini needs 2025-04-01-preview).
    assert env["OPENAI_API_VERSION"] == "2025-04-01-preview"
    # The plain OpenAI client on the v1 API.
    assert (
        env["OPENAI_BASE_URL"]
        == dev_plan.outputs["gatewayV1Url"]
        == f"https://{name}.azure-api.net/openai/v1/"
    )
    # Plain, pasteable values: text the shell and a .env take as is.
    assert env and all(isinstance(v, str) and v and "\n" not in v for v in env.values()), env


def test_participant_limits_reach_the_policy_and_the_outputs(plan_with, dev_config):
    participants = [dict(p) for p in dev_config["aoai-lab:participants"]]
    participants[1]["limits"] = {"tokensPerMinute": 9000}
    plan = plan_with(
        participantLimits={"tokensPerMinute": 3000, "tokenQuota": 100000, "tokenQuotaPeriod": "Weekly"},
        participants=participants,
    )
    inbound = _policy(plan).find("inbound")
    assert inbound is not None
    # The <choose> of the token limits (others hold the class window and the call guards).
    choose = next(c for c in inbound.findall("choose") if c.find(".//azure-openai-token-limit") is not None)
    assert choose.find("when").get("condition") == '@(context.Subscription.Id == "student02")'  # type: ignore[union-attr]
    assert choose.find("when/azure-openai-token-limit").get("tokens-per-minute") == "9000"  # type: ignore[union-attr]
    assert choose.find("otherwise/azure-openai-token-limit").get("token-quota-period") == "Weekly"  # type: ignore[union-attr]
    assert plan.outputs["participantLimits"] == {
        "student01": {"tokensPerMinute": 3000, "tokenQuota": 100000, "tokenQuotaPeriod": "Weekly"},
        "student02": {"tokensPerMinute": 9000, "tokenQuota": 100000, "tokenQuotaPeriod": "Weekly"},
    }


@pytest.mark.parametrize(
    ("environment", "location", "audience"),
    [
        ("usgovernment", "usgovvirginia", "https://cognitiveservices.azure.us"),
        ("china", "chinanorth3", "https://cognitiveservices.azure.cn"),
    ],
)
def test_the_gateway_asks_for_a_token_of_its_clouds_audience(plan_with, environment, location, audience):
    plan = plan_with(
        **{"azure-native:environment": environment, "azure-native:location": location},
        regions=[location],
        location=None,
    )
    auth = ET.fromstring(inputs(plan, API_POLICY)["value"]).find("./inbound/authentication-managed-identity")
    assert auth is not None and auth.get("resource") == audience
