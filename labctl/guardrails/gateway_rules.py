"""The gateway's own guardrails: tokens are logged per call, bodies are bounded, participants are limited.

Part of `labctl check` and the policy pack (labctl/guardrails/rules.py adds them to RULES); standard library only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from facts.apim_logs import LLM_DIAGNOSTIC_API_VERSION, MAX_BODY_BYTES, MAX_MESSAGE_BYTES
from labctl.guardrails.call_guard_rules import CALL_GUARD_RULES
from labctl.guardrails.model import Finding, Resource, Rule, StackView, known
from labctl.guardrails.policy_xml import parsed_api_policies
from labctl.snapshot import UNKNOWN
from labctl.type_tokens import DEPLOYMENT, DIAGNOSTIC_SETTING, GATEWAY, GENERIC_RESOURCE, SUBSCRIPTION

# API Management's log limits and the LLM-logs API version: facts/apim_logs.py. Two bodies are logged per call.
MAX_LOGGED_BODY_BYTES = 2 * MAX_BODY_BYTES


def _api_diagnostics(view: StackView) -> list[Resource]:
    return [
        r
        for r in view.of_type(GENERIC_RESOURCE)
        if str(r.get("resourceProviderNamespace") or "").lower() == "microsoft.apimanagement"
        and str(r.get("resourceType") or "").lower() == "diagnostics"
    ]


def _llm_logs(view: StackView) -> Iterator[Finding]:
    """Tokens are counted from ApiManagementGatewayLlmLog: a gateway that sends logs needs an API diagnostic with
    largeLanguageModel logs on, at an API version that has them."""
    settings = view.of_type(DIAGNOSTIC_SETTING)
    diagnostics = _api_diagnostics(view)
    for gateway in view.of_type(GATEWAY):
        if not any(s.depends_on(gateway) for s in settings):
            continue  # no logs at all: diagnostics-to-workspace says so
        enabled = [
            d
            for d in diagnostics
            if d.get("properties.largeLanguageModel.logs") in ("enabled", UNKNOWN)
            and str(d.get("apiVersion") or "") >= LLM_DIAGNOSTIC_API_VERSION
        ]
        if not enabled:
            yield Finding(
                gateway.urn,
                "no API diagnostic with largeLanguageModel logs enabled: ApiManagementGatewayLlmLog stays empty and "
                "tokens per participant are not counted",
            )


def _number(value: object) -> int | None:
    """A whole number, however it arrives (the policy engine passes numbers as floats)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value)


def _bounded_bodies(r: Resource, _today: dt.date) -> Iterator[str]:
    if r.type != GENERIC_RESOURCE or str(r.get("resourceType") or "").lower() != "diagnostics":
        return
    total = 0
    for side in ("frontend", "backend"):
        for direction in ("request", "response"):
            size = _number(r.get(f"properties.{side}.{direction}.body.bytes"))
            if size is not None:
                total += size
                if size > MAX_BODY_BYTES:
                    yield f"{side} {direction} body bytes {size} is over API Management's {MAX_BODY_BYTES}"
    if total > MAX_LOGGED_BODY_BYTES:
        yield (
            f"{total} body bytes per call can pass the 32 KB log entry limit, and then APIM drops every body of "
            f"the entry; log at most {MAX_LOGGED_BODY_BYTES} (the caller's request and the model's response)"
        )
    for kind in ("requests", "responses"):
        size = _number(r.get(f"properties.largeLanguageModel.{kind}.maxSizeInBytes"))
        if size is not None and size > MAX_MESSAGE_BYTES:
            yield f"LLM {kind} messages up to {size} bytes span several log entries; keep {MAX_MESSAGE_BYTES} or less"


def _token_limits(view: StackView) -> Iterator[Finding]:
    """Participants without a token limit: one busy notebook can use the deployment's whole capacity."""
    if not view.of_type(SUBSCRIPTION):
        return
    for policy, root in parsed_api_policies(view):
        if all(root.find(f".//{tag}") is None for tag in ("azure-openai-token-limit", "llm-token-limit")):
            yield Finding(
                policy.urn,
                "participants have no token limit: one of them can use the deployment's whole capacity",
            )


def _model_facts(r: Resource, today: dt.date) -> Iterator[str]:
    """The model facts' warnings for one deployment (stacks/facts/models.yaml): unknown model, retirement before
    the lab's expires-on tag, a DeveloperTier deployment Azure deletes after 24 hours. API version errors are
    config errors, refused before any plan."""
    if r.type != DEPLOYMENT:
        return
    # Lazily, and only here: the facts file is YAML (pyyaml comes with the pulumi SDK the pack runs on).
    from stacks.facts.models import DeploymentFacts, check_deployments, model_facts

    model, version, sku = r.get("properties.model.name"), r.get("properties.model.version"), r.get("sku.name")
    if not all(isinstance(v, str) and known(v) for v in (model, version, sku)):
        return
    tags = r.get("tags")
    expires = tags.get("expires-on") if isinstance(tags, dict) else None
    try:
        expires_on = dt.date.fromisoformat(str(expires)) if expires else dt.date.max
    except ValueError:
        expires_on = dt.date.max  # required-tags reports a bad date
    facts = model_facts()
    deployment = DeploymentFacts(key="deployment", name=r.name, model=model, version=version, sku=sku)
    for finding in check_deployments(
        [deployment],
        api_version=facts.default_api_version,
        api_version_key_path="aoai-lab:inferenceApiVersion",
        expires_on=expires_on,
        today=today,
        facts=facts,
    ):
        if finding.severity == "warning":
            yield finding.message


GATEWAY_RULES: tuple[Rule, ...] = (
    *CALL_GUARD_RULES,
    Rule(
        id="gateway-llm-token-logs",
        severity="mandatory",
        scope="stack",
        title="The gateway logs tokens per call (LLM logs), without needing bodies",
        rationale="Token accounting per participant reads ApiManagementGatewayLlmLog; bodies are cut at 8 KB and "
        "dropped from large entries, so they cannot count tokens.",
        fix=f"Keep the API diagnostic's largeLanguageModel.logs enabled at API version {LLM_DIAGNOSTIC_API_VERSION} or "
        "later (components/gateway_logging.py).",
        check_stack=_llm_logs,
    ),
    Rule(
        id="gateway-body-logging-bounded",
        severity="mandatory",
        scope="resource",
        title="Logged bodies stay under API Management's log entry limit",
        rationale="An entry over 32 KB loses every body; prompts hold students' data, so log little and on purpose.",
        fix=f"Leave aoai-lab:logBodies off, or keep aoai-lab:logBodyBytes at {MAX_BODY_BYTES} or less (two bodies "
        "are logged).",
        check_resource=_bounded_bodies,
    ),
    Rule(
        id="participant-token-limits",
        severity="advisory",
        scope="stack",
        title="Participants have a token limit on the gateway",
        rationale="Without a token limit policy one participant can exhaust the deployment's tokens per minute for all.",
        fix="Set aoai-lab:participantLimits (tokensPerMinute, and tokenQuota with tokenQuotaPeriod).",
        check_stack=_token_limits,
    ),
    Rule(
        id="model-facts",
        severity="advisory",
        scope="resource",
        title="Deployed models are known, not retiring during the lab, and not deleted after 24 hours",
        rationale="A retired model fails every call; a DeveloperTier deployment disappears after a day; an unknown "
        "name is often a typo.",
        fix="Pin a current model and version (stacks/facts/models.yaml; `labctl preflight` has the region's live "
        "list), or end the lab before the retirement.",
        check_resource=_model_facts,
    ),
)
