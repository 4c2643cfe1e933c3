"""Gateway settings turned into the gateway component's typed arguments, and the model-facts warnings.

The config sections validate values (stacks/config/sections.py) and the rules refuse what cannot work
(stacks/config/rules.py); this module only translates, so the component never sees the config layout.
"""

from __future__ import annotations

import datetime as dt

from components.class_window import ClassWindow
from components.cost_cap import CostCaps
from components.gateway_guards import CallCaps, GatewayGuards, ResponsesRules
from components.gateway_logging import GatewayLogging
from components.gateway_policy import TokenLimits
from facts.apim_logs import MAX_MESSAGE_BYTES
from facts.apim_tiers import APIM_TIERS
from stacks.config.gateway_guards import DEFAULT_MAX_CHOICES, DEFAULT_MAX_OUTPUT_TOKENS, TokenLimitSettings
from stacks.config.sections import LabSettings
from stacks.facts.models import DeploymentFacts, Finding, check_deployments


def token_limits(limits: TokenLimitSettings | None) -> TokenLimits | None:
    if limits is None or not limits.counts_tokens:
        return None
    return TokenLimits(
        tokens_per_minute=limits.tokens_per_minute,
        token_quota=limits.token_quota,
        token_quota_period=limits.token_quota_period,
    )


def participant_limits(settings: LabSettings) -> dict[str, TokenLimits]:
    """Participants whose effective limits differ from everyone's (aoai-lab:participants[i].limits)."""
    out: dict[str, TokenLimits] = {}
    for p in settings.participants:
        if p.limits is not None:
            mine = token_limits(settings.limits_of(p))
            if mine is not None:
                out[p.name] = mine
    return out


def class_window(settings: LabSettings) -> ClassWindow:
    """startsOn .. expiresOn in the class's time zone (aoai-lab:timeZone), as the UTC instants the policy compares and
    the local labels its refusals show."""
    times = settings.class_times
    return ClassWindow(
        opens_at=times.opens_utc,
        closes_at=times.closes_utc,
        opens_label="" if times.opens is None else times.label(times.opens),
        closes_label="" if times.closes is None else times.label(times.closes),
    )


def cost_caps(settings: LabSettings) -> CostCaps | None:
    """Each participant's costCap as the tokens the gateway counts (stacks/cost_cap.py has the arithmetic)."""
    from stacks.cost_cap import cost_caps as caps

    return caps(settings)[0]


def gateway_logging(settings: LabSettings) -> GatewayLogging:
    """Bodies and prompts only when the stack opts in (aoai-lab:logBodies), bounded (components/gateway_logging.py);
    client IPs only when it asks (aoai-lab:logClientIp)."""
    if not settings.log_bodies:
        return GatewayLogging(log_client_ip=settings.log_client_ip)
    return GatewayLogging(
        body_bytes=settings.log_body_bytes,
        message_bytes=MAX_MESSAGE_BYTES,
        log_client_ip=settings.log_client_ip,
    )


def call_caps(limits: TokenLimitSettings | None) -> CallCaps:
    """What one call may ask for: the limits' caps, else the lab's defaults (never uncapped)."""
    return CallCaps(
        max_output_tokens=(limits.max_output_tokens if limits else None) or DEFAULT_MAX_OUTPUT_TOKENS,
        max_choices=(limits.max_choices if limits else None) or DEFAULT_MAX_CHOICES,
    )


def gateway_guards(settings: LabSettings) -> GatewayGuards:
    """The gateway's limits per key that are not token counts (components/gateway_guards.py)."""
    return GatewayGuards(
        deployments=tuple(dict.fromkeys(d.name for d in settings.deployments)),
        calls_per_minute=settings.calls_per_minute
        if APIM_TIERS[settings.gateway_tier].rate_limit_by_key
        else None,
        max_concurrent_calls=settings.concurrent_calls,
        caps=call_caps(settings.participant_limits),
        participant_caps={p.name: call_caps(settings.limits_of(p)) for p in settings.participants},
        responses=ResponsesRules(
            store=settings.responses.store,
            background=settings.responses.background,
            tools=settings.responses.tool_types,
        ),
    )


def model_warnings(settings: LabSettings, today: dt.date | None = None) -> list[Finding]:
    """The model-facts findings that do not stop a deployment (errors are config rules): unknown model, SKU or
    version, retirement before expiresOn, DeveloperTier's 24 hours."""
    findings = check_deployments(
        [
            DeploymentFacts(
                key=f"aoai-lab:deployments[{i}]", name=d.name, model=d.model, version=d.version, sku=d.sku
            )
            for i, d in enumerate(settings.deployments)
        ],
        api_version=settings.inference_api_version,
        api_version_key_path="aoai-lab:inferenceApiVersion",
        expires_on=settings.expires_on,
        today=today,
    )
    return [f for f in findings if f.severity == "warning"]


def participant_limits_output(settings: LabSettings) -> dict[str, dict[str, object] | None]:
    """Each participant's effective token budget, as the handouts show it (None: unlimited)."""
    result: dict[str, dict[str, object] | None] = {}
    for p in settings.participants:
        limits = settings.limits_of(p)
        result[p.name] = None if limits is None else limits.model_dump(by_alias=True, exclude_none=True)
    return result
