"""The guardrails: the dev stack passes them all, and each rule catches a stack that breaks it.

A violating stack is the real program with a config change (`plan_with`) where config can break the rule, and
otherwise the real program with one component call changed the way a pull request could change it (`_override`).
"""

from __future__ import annotations

import copy
import datetime as dt
import importlib
import inspect
import json
import re
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

import components.ai_gateway as ai_gateway
import components.content_filter as content_filter
import components.gateway_backends as gateway_backends
import components.monitoring as monitoring
import components.openai_account as openai_account
from components.gateway_guards import GatewayGuards
from components.gateway_policy import GatewayPolicyArgs, TokenLimits, render_policy
from facts.roles import LOG_ANALYTICS_READER, OPENAI_USER, OWNER, Role
from labctl.cli import app
from labctl.errors import EXIT_CONFIG
from labctl.guardrails.rules import (
    RULES,
    RULES_BY_ID,
    TAGGABLE_TYPES,
    evaluate,
    from_snapshot,
    policy_problems,
)
from labctl.plan.mockcloud import FAKE_SUBSCRIPTION_ID
from labctl.plan.runtime import Plan
from labctl.project import PROJECT_DIR
from labctl.resource_types import RESOURCE_TYPES
from stacks import catalog

# Before the dev stack's expires-on, so the suite does not start failing on that date.
TODAY = dt.date(2026, 11, 1)
POLICY_ONLY_BASE = """<policies><inbound><base />
<rate-limit-by-key calls="60" renewal-period="60" counter-key="@(context.Subscription.Id)" />
<set-variable name="lab-max-output-tokens" value="500" />
<set-body>@(context.Variables["lab-max-output-tokens"])</set-body>
<azure-openai-token-limit counter-key="@(context.Subscription.Id)" tokens-per-minute="100" estimate-prompt-tokens="true" />
<set-backend-service backend-id="azure-openai" /></inbound>
<backend><limit-concurrency key="@(context.Subscription.Id)" max-count="4"><forward-request /></limit-concurrency>
</backend><outbound><base /></outbound><on-error><base /></on-error></policies>"""


def _violations(plan: Plan, today: dt.date = TODAY) -> dict[str, list[str]]:
    """rule id -> the logical names of the resources that break it."""
    found: dict[str, list[str]] = {}
    for v in evaluate(from_snapshot(plan.snapshot()), today=today):
        found.setdefault(v.rule.id, []).append(v.resource_name)
    return found


def _override(monkeypatch: pytest.MonkeyPatch, module: Any, name: str, **overrides: Any) -> None:
    """Make every call of `module.name` pass these keyword arguments: a component edited in a pull request."""
    real = getattr(module, name)

    def edited(*args: Any, **kwargs: Any) -> Any:
        return real(*args, **{**kwargs, **overrides})

    monkeypatch.setattr(module, name, edited)


def test_dev_stack_passes_every_rule(dev_plan):
    assert evaluate(from_snapshot(dev_plan.snapshot()), today=TODAY) == []


def test_rules_are_complete_and_unique():
    assert len(RULES_BY_ID) == len(RULES) == 29
    for rule in RULES:
        assert rule.severity in ("mandatory", "advisory")
        assert rule.scope in ("resource", "stack")
        assert rule.rationale and rule.fix and rule.title
        # A rule checks either one resource at a time or the whole stack, never both.
        assert (rule.check_resource is None) != (rule.check_stack is None)
        assert (rule.scope == "resource") == (rule.check_resource is not None)


# ---- one stack per rule that breaks it, and no other rule ----


@dataclass(frozen=True)
class Breaks:
    """A change a pull request could make (config, or a component call edited) and what it must break."""

    config: dict[str, Any]
    edit: Callable[[pytest.MonkeyPatch], None] | None
    # (resource, part of the message) of every violation, in evaluate's order.
    found: tuple[tuple[str, str], ...]


def _set_role(scope: str, *roles: Role) -> Callable[[pytest.MonkeyPatch], None]:
    return lambda mp: mp.setitem(catalog.ROLE_SETS, "student", tuple((scope, role) for role in roles))


def _people_with_role_set(name: str, role_set: str) -> list[dict[str, Any]]:
    people = yaml.safe_load((PROJECT_DIR / "Pulumi.dev.yaml").read_text(encoding="utf-8"))["config"][
        "aoai-lab:people"
    ]
    return [p | {"roleSet": role_set} if p["name"] == name else p for p in people]


def _edited(module: Any, name: str, **overrides: Any) -> Callable[[pytest.MonkeyPatch], None]:
    return lambda mp: _override(mp, module, name, **overrides)


def _diagnostic_properties(**changes: Any) -> Callable[[pytest.MonkeyPatch], None]:
    """The API diagnostic's body (the generic resource's `properties`) with some keys replaced."""
    from components import gateway_logging

    real = gateway_logging.api_diagnostic_properties

    def edited(service_id: str, logging: Any) -> dict[str, Any]:
        return {**real(service_id, logging), **changes}

    return lambda mp: mp.setattr(ai_gateway, "api_diagnostic_properties", edited)


_BIG_BODY = {"headers": [], "body": {"bytes": 8192}}


def _policy_edited(edit: Callable[[str], str]) -> Callable[[pytest.MonkeyPatch], None]:
    """The API policy as a pull request could change it: the rendered document, edited."""
    real = ai_gateway.apimanagement.ApiPolicy

    def edited(*args: Any, **kwargs: Any) -> Any:
        return real(*args, **{**kwargs, "value": edit(kwargs["value"])})

    return lambda mp: mp.setattr(ai_gateway.apimanagement, "ApiPolicy", edited)


def _caps_fragment_emptied(mp: pytest.MonkeyPatch) -> None:
    """guards/participant-caps.xml emptied: nothing holds the cap the rest of the policy reads."""
    import tempfile
    from pathlib import Path

    from components import gateway_guards

    empty = Path(tempfile.mkdtemp()) / "participant-caps.xml"
    empty.write_text("<fragment />", encoding="utf-8")
    mp.setattr(gateway_guards, "PARTICIPANT_CAPS", empty)


def _developer_tier(mp: pytest.MonkeyPatch) -> None:
    """Every deployment on DeveloperTier (the SKU argument is called `name`, so _edited can't pass it)."""
    real = openai_account.cognitiveservices.SkuArgs
    mp.setattr(
        openai_account.cognitiveservices, "SkuArgs", lambda **kw: real(**{**kw, "name": "DeveloperTier"})
    )


# The Foundry track's stack: an AIServices account (one project, `agents`) and a content filter on the chat model.
_FOUNDRY = {"accountKind": "AIServices", "contentFilter": {"name": "class-filter"}}


def _foundry(plan_with_deployments: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    from labctl.project import read_stack_config
    from stacks.config.source import split_config

    lab_config, _ = split_config(read_stack_config("dev")[0])
    deployments = copy.deepcopy(lab_config["deployments"])
    deployments[0]["raiPolicy"] = "class-filter"
    return {**_FOUNDRY, "deployments": deployments}


def _hate_prompt_filter_off(mp: pytest.MonkeyPatch) -> None:
    real = content_filter.content_filters

    def edited(policy: Any) -> list[Any]:
        return [
            f
            if (f.name, f.source) != ("Hate", "Prompt")
            else content_filter.cognitiveservices.RaiPolicyContentFilterArgs(
                name="Hate", source="Prompt", enabled=False, blocking=False, severity_threshold="Medium"
            )
            for f in real(policy)
        ]

    mp.setattr(content_filter, "content_filters", edited)


def _deployments_in_parallel(mp: pytest.MonkeyPatch) -> None:
    """The account component without its chain: every child only waits for the account."""
    real = openai_account.pulumi

    class Pulumi:  # the pulumi module as components/openai_account.py sees it, minus depends_on
        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

        @staticmethod
        def ResourceOptions(*args: Any, **kwargs: Any) -> Any:
            kwargs.pop("depends_on", None)
            return real.ResourceOptions(*args, **kwargs)

    mp.setattr(openai_account, "pulumi", Pulumi())


# A lab spread over two regions: chat in both (150 and 300 thousand tokens per minute), so a pool over them.
_SPREAD = {
    "location": [
        {"region": "eastus2", "capacity": {"chat": 150, "embeddings": 50}},
        {"region": "swedencentral", "capacity": {"chat": 300}},
    ],
    "regions": ["eastus2", "swedencentral"],
}


def _capacities_as_weights(mp: pytest.MonkeyPatch) -> None:
    """The bug this rule catches: regional capacities sent as pool weights."""
    mp.setattr(gateway_backends, "pool_weights", lambda capacities: list(capacities))


VIOLATING_STACKS: dict[str, Breaks] = {
    "gateway-output-cap": Breaks(
        {}, _caps_fragment_emptied, (("gateway-api-policy", "calls have no output cap"),)
    ),
    "gateway-concurrency-bound": Breaks(
        {},
        _policy_edited(lambda x: re.sub(r"</?limit-concurrency[^>]*>", "", x)),
        (("gateway-api-policy", "calls in flight per key are not bounded"),),
    ),
    "gateway-call-rate": Breaks(
        {},
        _policy_edited(lambda x: re.sub(r"<rate-limit-by-key[^>]*/>", "", x)),
        (("gateway-api-policy", "calls per minute per key are not bounded"),),
    ),
    "gateway-counters-per-key": Breaks(
        {},
        _policy_edited(
            lambda x: x.replace(
                'key="@(context.Subscription.Id)" max-count', 'key="@(context.Request.IpAddress)" max-count'
            )
        ),
        (("gateway-api-policy", "<limit-concurrency> counts by key='@(context.Request.IpAddress)'"),),
    ),
    "gateway-product-no-self-service": Breaks(
        {},
        _edited(ai_gateway.apimanagement, "Product", approval_required=False, subscriptions_limit=None),
        (
            ("gateway-product", "approvalRequired is not true"),
            ("gateway-product", "subscriptionsLimit is not set"),
        ),
    ),
    "backend-pool-values-in-range": Breaks(
        _SPREAD,
        _capacities_as_weights,
        (
            ("gateway-azure-openai-pool-chat", "pool.services[0].weight is 150"),
            ("gateway-azure-openai-pool-chat", "pool.services[1].weight is 300"),
        ),
    ),
    "circuit-breaker-on-pool-members-only": Breaks(
        {},
        _edited(ai_gateway.apimanagement, "Backend", circuit_breaker=gateway_backends.CIRCUIT_BREAKER),
        (("gateway-backend", 'backend "azure-openai" has a circuit breaker and the API policy sends calls'),),
    ),
    "foundry-project-identity": Breaks(
        _FOUNDRY | {"contentFilter": None},
        _edited(openai_account.cognitiveservices, "Project", identity=None),
        (("openai-agents-project", "system-assigned identity"),),
    ),
    "project-on-foundry-account": Breaks(
        _FOUNDRY | {"contentFilter": None},
        _edited(openai_account.cognitiveservices, "AccountPropertiesArgs", allow_project_management=False),
        (("openai-agents-project", "does not allow project management"),),
    ),
    "content-filter-keeps-harm-filters": Breaks(
        _foundry(), _hate_prompt_filter_off, (("openai-filter-policy", "the Hate filter on prompts is off"),)
    ),
    "deployment-filter-declared": Breaks(
        _foundry(),
        _edited(openai_account.cognitiveservices, "DeploymentPropertiesArgs", rai_policy_name="other-filter"),
        (
            ("openai-chat", "raiPolicyName 'other-filter' is not a content filter"),
            ("openai-embeddings", "raiPolicyName 'other-filter' is not a content filter"),
        ),
    ),
    "account-children-one-at-a-time": Breaks(
        {},
        _deployments_in_parallel,
        (("openai-embeddings", "openai-embeddings and openai-chat (both on openai-account)"),),
    ),
    "gateway-llm-token-logs": Breaks(
        {},
        _diagnostic_properties(largeLanguageModel={"logs": "disabled"}),
        (("gateway-service", "no API diagnostic with largeLanguageModel logs enabled"),),
    ),
    "gateway-body-logging-bounded": Breaks(
        {},
        _diagnostic_properties(
            frontend={"request": _BIG_BODY, "response": _BIG_BODY},
            backend={"request": _BIG_BODY, "response": _BIG_BODY},
        ),
        (("gateway-api-diagnostic", "32768 body bytes per call can pass the 32 KB log entry limit"),),
    ),
    "model-facts": Breaks(
        {},
        _developer_tier,
        (
            ("openai-chat", "DeveloperTier deployments are deleted by Azure 24 hours"),
            ("openai-chat", "gpt-5-mini is not listed for deployment type 'DeveloperTier'"),
            ("openai-embeddings", "DeveloperTier deployments are deleted by Azure 24 hours"),
            ("openai-embeddings", "text-embedding-3-small is not listed for deployment type 'DeveloperTier'"),
        ),
    ),
    "participant-token-limits": Breaks(
        {"participantLimits": None},
        None,
        (("gateway-api-policy", "participants have no token limit"),),
    ),
    "account-local-auth-disabled": Breaks(
        {"disableLocalAuth": False}, None, (("openai-account", "properties.disableLocalAuth is false"),)
    ),
    "gateway-system-identity": Breaks(
        {},
        _edited(ai_gateway.apimanagement, "ApiManagementService", identity=None),
        (("gateway-service", "no system-assigned identity"),),
    ),
    "api-subscription-required": Breaks(
        {},
        _edited(ai_gateway.apimanagement, "Api", subscription_required=False),
        (("gateway-api", "subscriptionRequired is false"),),
    ),
    "api-policy-managed-identity": Breaks(
        {},
        _edited(ai_gateway.apimanagement, "ApiPolicy", value=POLICY_ONLY_BASE),
        (
            ("gateway-api-policy", "<inbound> does not authenticate with <authentication-managed-identity>"),
            ("gateway-api-policy", "<inbound> forwards the caller's api-key header to Azure OpenAI"),
        ),
    ),
    "diagnostics-to-workspace": Breaks(
        {"gatewayLogs": False}, None, (("gateway-service", "no diagnostic setting"),)
    ),
    "no-privileged-roles": Breaks(
        {}, _set_role("workspace", OWNER), (("access-workshop-students-owner", "grants Owner on"),)
    ),
    "subscription-scope-usages-reader-only": Breaks(
        {},
        _set_role("subscription", LOG_ANALYTICS_READER),
        (
            (
                "access-workshop-students-log-analytics-reader",
                "grants role 73c42c96-874c-492b-b04d-ab87d138a893 at",
            ),
        ),
    ),
    # A pull request that gives students OpenAI User on the account again: `az login` reaches every model.
    "no-direct-model-access": Breaks(
        {},
        _set_role("account", OPENAI_USER),
        (
            (
                "access-workshop-students-cognitive-services-openai-user",
                f"grants Cognitive Services OpenAI User on /subscriptions/{FAKE_SUBSCRIPTION_ID}/resourceGroups/"
                "rg-aoai-lab-dev/providers/Microsoft.CognitiveServices/accounts/aoai-lab-dev-",
            ),
        ),
    ),
    "direct-model-access-opt-in": Breaks(
        {"people": _people_with_role_set("workshop-students", "playground")},
        None,
        (
            (
                "access-workshop-students-cognitive-services-openai-user",
                "playground: workshop-students holds Cognitive Services OpenAI User on the account",
            ),
        ),
    ),
    "required-tags": Breaks(
        {},
        _edited(monitoring.operationalinsights, "Workspace", tags={"lab": "genai"}),
        (("monitoring-workspace", "missing tag(s) owner, expires-on"),),
    ),
    "lab-not-expired": Breaks(
        {"expiresOn": "2026-10-01"}, None, (("lab-rg", "expires-on 2026-10-01 is in the past"),)
    ),
    "workspace-retention-and-cap": Breaks(
        {},
        _edited(monitoring.operationalinsights, "Workspace", retention_in_days=None, workspace_capping=None),
        (
            ("monitoring-workspace", "no retentionInDays"),
            ("monitoring-workspace", "no workspaceCapping.dailyQuotaGb"),
        ),
    ),
    "deployment-model-version-pinned": Breaks(
        {},
        _edited(openai_account.cognitiveservices, "DeploymentModelArgs", version=None),
        (("openai-chat", '"gpt-5-mini" has no version'), ("openai-embeddings", "has no version")),
    ),
}


def test_every_rule_has_a_violating_stack():
    assert set(VIOLATING_STACKS) == set(RULES_BY_ID)


@pytest.mark.parametrize("rule_id", list(VIOLATING_STACKS))
def test_a_stack_that_breaks_one_rule_breaks_exactly_that_rule(rule_id, plan_with, monkeypatch):
    case = VIOLATING_STACKS[rule_id]
    if case.edit is not None:
        case.edit(monkeypatch)
    violations = evaluate(from_snapshot(plan_with(**case.config).snapshot()), today=TODAY)
    assert {v.rule.id for v in violations} == {rule_id}
    assert [v.resource_name for v in violations] == [name for name, _ in case.found]
    for violation, (_, part) in zip(violations, case.found, strict=True):
        assert part in violation.message
    assert all(v.rule.severity == RULES_BY_ID[rule_id].severity for v in violations)


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (
            lambda x: x.replace('<set-header name="api-key" exists-action="delete" />', ""),
            "forwards the caller's api-key",
        ),
        (
            lambda x: x.replace(
                'resource="https://cognitiveservices.azure.com"', 'resource="https://management.azure.com"'
            ),
            "not https://cognitiveservices.azure.com",
        ),
        (
            lambda x: x.replace('context.Variables["msi-access-token"]', 'context.Variables["other"]'),
            "never sent as the Authorization header",
        ),
        # Only for some requests is not enough.
        (
            lambda x: x.replace(
                '<set-header name="api-key" exists-action="delete" />',
                '<choose><when condition="@(true)"><set-header name="api-key" exists-action="delete" /></when></choose>',
            ),
            "forwards the caller's api-key",
        ),
        (lambda x: x.replace("</policies>", ""), "not well-formed XML"),
    ],
)
def test_policy_problems_in_the_shipped_policy(edit, problem):
    shipped = render_policy(GatewayPolicyArgs())
    assert policy_problems(shipped) == []
    problems = policy_problems(edit(shipped))
    assert len(problems) == 1 and problem in problems[0]


# Policy expressions a pull request might add, as written in the `rawxml` the program sends: C# quotes inside
# attributes, generics and comparisons inside expressions. Not well-formed XML, and valid for API Management.
RAW_EXPRESSIONS = """<base />
    <set-variable name="caller" value="@(context.Request.Headers.GetValueOrDefault("x-caller", "(none)"))" />
    <choose>
      <when condition="@(context.Request.Body.As<JObject>(preserveContent: true)["stream"] != null && 1 < 2)">
        <set-header name="x-note" exists-action="override"><value>@{ var s = @"a""b)"; return s + '}'; }</value></set-header>
      </when>
    </choose>"""


def test_raw_policy_expressions_are_not_xml_errors():
    shipped = render_policy(GatewayPolicyArgs())
    raw = shipped.replace("<base />", RAW_EXPRESSIONS, 1)
    with pytest.raises(ET.ParseError):
        ET.fromstring(raw)
    assert policy_problems(raw, "rawxml") == []
    assert policy_problems(raw) == []  # no format: tried as rawxml before being called broken
    broken = raw.replace('<set-header name="api-key" exists-action="delete" />', "")
    assert policy_problems(broken, "rawxml") == [
        "<inbound> forwards the caller's api-key header to Azure OpenAI"
    ]
    # Still XML underneath: a real syntax error stays one.
    assert "not well-formed XML" in policy_problems(raw.replace("</policies>", ""), "rawxml")[0]


def test_raw_policy_expressions_in_a_planned_stack_pass(plan_with, monkeypatch):
    limited = GatewayPolicyArgs(
        token_limits=TokenLimits(tokens_per_minute=100),
        guards=GatewayGuards(deployments=("chat", "embeddings")),
    )
    raw = render_policy(limited).replace("<base />", RAW_EXPRESSIONS, 1)
    _override(monkeypatch, ai_gateway.apimanagement, "ApiPolicy", value=raw)
    assert _violations(plan_with()) == {}


def test_api_without_any_policy(plan_with, monkeypatch):
    _override(monkeypatch, ai_gateway.apimanagement, "ApiPolicy", api_id="elsewhere")
    plan = plan_with()
    snapshot = plan.snapshot()
    # Detach the policy from the API the way a refactoring could: no dependency, another api id.
    for r in snapshot["deployment"]["resources"]:
        if r["type"] == "azure-native:apimanagement:ApiPolicy":
            r["dependencies"] = [d for d in r["dependencies"] if "apimanagement:Api::" not in d]
    found = {(v.rule.id, v.resource_name) for v in evaluate(from_snapshot(snapshot), today=TODAY)}
    assert found == {("api-policy-managed-identity", "gateway-api")}


def test_consumption_gateway_has_no_logs_to_send(plan_with):
    # Consumption has no token limit policy: the limits are refused in config, and the advisory rule says why it matters.
    plan = plan_with(gatewayTier="Consumption", gatewayLogs=False, participantLimits=None)
    # Nor rate-limit-by-key: calls per key cannot be bounded there, and the mandatory rule says so.
    assert _violations(plan) == {
        "participant-token-limits": ["gateway-api-policy"],
        "gateway-call-rate": ["gateway-api-policy"],
    }


def test_account_diagnostics_that_send_no_logs(plan_with, monkeypatch):
    from components import diagnostics

    _override(monkeypatch, diagnostics.monitor, "DiagnosticsLogSettingsArgs", enabled=False)
    assert _violations(plan_with()) == {"diagnostics-to-workspace": ["gateway-service", "openai-account"]}


def test_owner_at_subscription_scope_breaks_both_role_rules(plan_with, monkeypatch):
    monkeypatch.setitem(catalog.ROLE_SETS, "student", (("subscription", OWNER),))
    assert _violations(plan_with()) == {
        "no-privileged-roles": ["access-workshop-students-owner"],
        "subscription-scope-usages-reader-only": ["access-workshop-students-owner"],
    }


def test_unlimited_daily_cap(dev_plan):
    snapshot = copy.deepcopy(dev_plan.snapshot())  # the session plan is shared: never edit it
    workspace = next(r for r in snapshot["deployment"]["resources"] if r["type"].endswith("Workspace"))
    workspace["inputs"] = {**workspace["inputs"], "workspaceCapping": {"dailyQuotaGb": -1}}
    (violation,) = evaluate(from_snapshot(snapshot), today=TODAY)
    assert "ingestion is unlimited" in violation.message


def _takes_tags(token: str) -> bool:
    _, module, cls = token.split(":")
    resource_class = getattr(importlib.import_module(f"pulumi_azure_native.{module}"), cls)
    return "tags" in inspect.signature(resource_class._internal_init).parameters


def test_taggable_types_match_the_sdk(dev_plan):
    """TAGGABLE_TYPES holds exactly the SDK classes that take tags, among the types the lab declares."""
    assert all(_takes_tags(token) for token in TAGGABLE_TYPES)
    declared = {r["type"] for r in dev_plan.resources if r["type"].startswith("azure-native:")}
    # The generic resource takes tags in the SDK, but the lab's one (the API diagnostic) is a proxy resource.
    untagged = {t.token for t in RESOURCE_TYPES.values() if not t.tagged}
    # ... and an API Management named value's `tags` are labels (a list of strings), not ARM tags.
    assert untagged == {"azure-native:resources:Resource", "azure-native:apimanagement:NamedValue"}
    assert {t for t in declared if _takes_tags(t)} <= TAGGABLE_TYPES | untagged
    assert not TAGGABLE_TYPES & untagged


# ---- labctl check ----


def _project_copy(tmp_path, change: Callable[[dict], None]):
    shutil.copy2(PROJECT_DIR / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    doc = yaml.safe_load((PROJECT_DIR / "Pulumi.dev.yaml").read_text(encoding="utf-8"))
    change(doc["config"])
    (tmp_path / "Pulumi.dev.yaml").write_text(yaml.safe_dump(doc), encoding="utf-8")
    return tmp_path


def test_check_passes_the_dev_stack():
    result = CliRunner().invoke(app, ["check", "--today", TODAY.isoformat()])
    assert result.exit_code == 0, result.output
    # The rules the policy pack shares, and policy-expressions (labctl check only).
    assert f"All {len(RULES) + 1} guardrails pass for stack dev." in result.output


def test_check_prints_a_table_and_fails_on_a_mandatory_violation(tmp_path):
    project = _project_copy(tmp_path, lambda c: c.update({"aoai-lab:disableLocalAuth": False}))
    result = CliRunner().invoke(
        app, ["check", "--project-dir", str(project), "--today", TODAY.isoformat()], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 1, result.output
    assert "account-local-auth-disabled" in result.output and "mandatory" in result.output
    assert "openai-account" in result.output
    assert "1 mandatory and 0 advisory violation(s) for stack dev." in result.output


def test_check_passes_with_only_advisory_violations(tmp_path):
    project = _project_copy(tmp_path, lambda c: c.update({"aoai-lab:expiresOn": "2026-10-01"}))
    result = CliRunner().invoke(app, ["check", "--project-dir", str(project), "--today", TODAY.isoformat()])
    assert result.exit_code == 0, result.output
    assert "0 mandatory and 1 advisory violation(s)" in result.output


def test_check_markdown_on_a_saved_snapshot(tmp_path, plan_with):
    snapshot = tmp_path / "plan.json"
    snapshot.write_text(json.dumps(plan_with(disableLocalAuth=False).snapshot()), encoding="utf-8")
    out = tmp_path / "check.md"
    result = CliRunner().invoke(
        app,
        [
            "check",
            "--snapshot",
            str(snapshot),
            "--format",
            "markdown",
            "--output",
            str(out),
            "--today",
            "2026-11-01",
        ],
    )
    assert result.exit_code == 1
    md = out.read_text(encoding="utf-8")
    assert md.startswith("### Guardrails for stack `dev`")
    assert "| ❌ mandatory | `account-local-auth-disabled` | `openai-account` |" in md


def test_check_reports_config_errors_as_errors(tmp_path):
    project = _project_copy(tmp_path, lambda c: c.update({"aoai-lab:gatewayTier": "Gold"}))
    result = CliRunner().invoke(app, ["check", "--project-dir", str(project)])
    assert result.exit_code == EXIT_CONFIG
    assert "gatewayTier" in result.output


def _availability(tmp_path, quota_id):
    from labctl.preflight.offers.arm_data import save_snapshot

    path = tmp_path / f"availability-{quota_id}.json"
    save_snapshot(
        path,
        {},
        arm_endpoint="https://management.azure.com",
        captured_at=dt.datetime(2026, 11, 30, tzinfo=dt.UTC),
        subscription={"quotaId": quota_id, "spendingLimit": "On"},
    )
    return path


def test_check_refuses_a_budget_on_an_offer_without_budgets(tmp_path, plan_with):
    snapshot = tmp_path / "plan.json"
    budget = {"amount": 50, "contactEmails": ["ana.garcia@contoso.edu"]}
    snapshot.write_text(json.dumps(plan_with(budget=budget).snapshot()), encoding="utf-8")
    args = ["check", "--snapshot", str(snapshot), "--today", TODAY.isoformat(), "--availability"]

    student = CliRunner().invoke(
        app, [*args, str(_availability(tmp_path, "AzureForStudents_2018-01-01"))], env={"COLUMNS": "250"}
    )
    assert student.exit_code == 1, student.output
    text = " ".join(student.output.split())
    assert "budget-supported-by-offer" in text
    assert "Azure for Students (MS-AZR-0170P)" in text

    paygo = CliRunner().invoke(app, [*args, str(_availability(tmp_path, "PayAsYouGo_2014-09-01"))])
    assert paygo.exit_code == 0, paygo.output


def test_check_without_a_budget_passes_on_a_student_offer(tmp_path):
    path = _availability(tmp_path, "AzureForStudents_2018-01-01")
    result = CliRunner().invoke(app, ["check", "--today", TODAY.isoformat(), "--availability", str(path)])
    assert result.exit_code == 0, result.output
    from labctl.guardrails.rules import RULES

    # The lab's rules, policy-expressions and the offer's budget rule.
    assert f"All {len(RULES) + 2} guardrails pass" in result.output


def test_an_account_without_disable_local_auth_keeps_its_keys_and_is_a_violation(dev_plan):
    """Left out, `disableLocalAuth` is not `true`: the account's API keys work and bypass the gateway. Azure's own
    built-in policy flags the same (`disableLocalAuth` notEquals true: Azure/azure-policy, built-in-policies/
    policyDefinitions/Azure Ai Services/DisableLocalAuth_Audit.json)."""
    snapshot = copy.deepcopy(dev_plan.snapshot())
    account = next(
        r
        for r in snapshot["deployment"]["resources"]
        if r["type"] == "azure-native:cognitiveservices:Account"
    )
    del account["inputs"]["properties"]["disableLocalAuth"]
    violations = evaluate(from_snapshot(snapshot), today=TODAY)
    assert [(v.rule.id, v.resource_name) for v in violations] == [
        ("account-local-auth-disabled", "openai-account")
    ]
    assert "properties.disableLocalAuth is null" in violations[0].message
