"""The gateway's limits per participant key (LabSettings fields): token budget and caps per call
(`aoai-lab:participantLimits`, overridden per participant), calls per minute, calls in flight, what the Responses API
may do, and whether the gateway logs client IPs. One value at a time here; the rule across keys (participant names
API Management keeps for itself) is at the end. The policy they become: components/policies/guards/.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from pydantic import Field, field_validator, model_validator

from facts.apim_tiers import APIM_TIERS
from facts.token_limits import QuotaPeriod
from stacks.config.rules import RuleContext, rule
from stacks.config.section_base import NAMESPACE, Hint, Section, one_of

_TOKENS = Annotated[int, Field(strict=True, gt=0)]
# Defaults when nothing is set: bounded, and roomy enough for a reasoning model's thinking plus its answer.
DEFAULT_MAX_OUTPUT_TOKENS = 8192
DEFAULT_MAX_CHOICES = 1
DEFAULT_CALLS_PER_MINUTE = 60
DEFAULT_CONCURRENT_CALLS = 4
# Largest output any current Azure OpenAI model writes in one call is 128,000 tokens (gpt-5 family; Foundry models
# page, learn.microsoft.com/azure/ai-foundry/openai/concepts/models): a larger cap would be no cap.
MAX_OUTPUT_TOKENS = 128_000
MAX_CHOICES = 10
# API Management's rate-limit-by-key counts in windows of at most 300 s; the lab counts per 60 s. Ours, not Azure's:
# a class of 100 at 600 calls per minute each is already more than any deployment answers.
MAX_CALLS_PER_MINUTE = 600
MAX_CONCURRENT_CALLS = 50
# Tool types of the Responses API (learn.microsoft.com/azure/ai-foundry/openai/how-to/responses, "Tools"). `function`
# (and `custom`) tools run on the caller's side and are billed in tokens; the others run in Azure and are billed per
# call, per container session or per image, outside the token budget the gateway counts.
TOKEN_BILLED_TOOLS = ("function", "custom")
SERVER_SIDE_TOOLS = (
    "web_search_preview",
    "file_search",
    "code_interpreter",
    "image_generation",
    "mcp",
    "computer_use_preview",
)
# Ids API Management gives its own entities: `master` is the built-in all-access subscription
# (learn.microsoft.com/azure/api-management/api-management-subscriptions, "all-access subscription"; its ARM id
# ends in /subscriptions/master). A participant's name becomes their subscription id, so a participant called
# `master` would overwrite it.
RESERVED_SUBSCRIPTION_IDS = ("master",)


_CAP_HINT = Hint(fix={"*": f"Fix: a whole number of tokens per call, 1 to {MAX_OUTPUT_TOKENS:,}, e.g. 4096"})
_CHOICES_HINT = Hint(
    fix={"*": f"Fix: the largest `n` a call may ask for, 1 to {MAX_CHOICES} (1 unless a lesson needs more)"}
)


class TokenLimitSettings(Section):
    """A participant's budget on the gateway: tokens (APIM azure-openai-token-limit, one counter per participant key)
    and what one call may ask for (output tokens, `n`)."""

    tokens_per_minute: _TOKENS | None = None
    token_quota: _TOKENS | None = None
    token_quota_period: QuotaPeriod | None = None
    max_output_tokens: Annotated[int | None, Field(strict=True, gt=0, le=MAX_OUTPUT_TOKENS), _CAP_HINT] = None
    max_choices: Annotated[int | None, Field(strict=True, gt=0, le=MAX_CHOICES), _CHOICES_HINT] = None
    # The most this participant may spend over the class, in the price table's currency (stacks/cost_cap.py).
    cost_cap: Annotated[float, Field(gt=0)] | None = None

    @model_validator(mode="after")
    def _complete(self) -> TokenLimitSettings:
        if (self.token_quota is None) != (self.token_quota_period is None):
            raise ValueError(
                "tokenQuota and tokenQuotaPeriod go together. Fix: set both (e.g. tokenQuota: 200000, "
                "tokenQuotaPeriod: Daily) or neither"
            )
        if all(getattr(self, name) is None for name in type(self).model_fields):
            raise ValueError(
                "no limit is set. Fix: set tokensPerMinute, tokenQuota with tokenQuotaPeriod, maxOutputTokens, "
                "maxChoices or costCap, or remove the entry"
            )
        return self

    @property
    def counts_tokens(self) -> bool:
        return self.tokens_per_minute is not None or self.token_quota is not None

    def over(self, base: TokenLimitSettings | None) -> TokenLimitSettings:
        """These limits on top of `base`: what this entry sets wins, the rest comes from `base`."""
        if base is None:
            return self
        merged = base.model_dump()
        merged.update(self.model_dump(exclude_unset=True))
        return TokenLimitSettings.model_validate(merged)


class ResponsesSettings(Section):
    """What the Responses API may do through the gateway (docs/security.md says why each is off)."""

    # Keep responses in the account (readable and deletable by id with any key of the class).
    store: bool = False
    # Run responses in the background (needs store).
    background: bool = False
    # Tool types a call may list in `tools`, besides function tools.
    tools: tuple[str, ...] = ()

    @field_validator("tools")
    @classmethod
    def _tools(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(one_of(t, (*TOKEN_BILLED_TOOLS, *SERVER_SIDE_TOOLS), "Responses tool type") for t in v)

    @model_validator(mode="after")
    def _background_needs_store(self) -> ResponsesSettings:
        if self.background and not self.store:
            raise ValueError(
                "background responses are kept in the account until read, so they need store. Fix: set store: true "
                "as well (and read docs/security.md on stored responses), or leave background off"
            )
        return self

    @property
    def tool_types(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(("function", *self.tools)))


class GatewayGuardSettings(Section):
    """LabSettings' gateway limits that are not token counts (a section mixed into LabSettings)."""

    # Simple keys: the Pulumi CLI passes them as text ("30"), so not strict ints (the structured keys' are).
    calls_per_minute: Annotated[
        int,
        Field(gt=0, le=MAX_CALLS_PER_MINUTE),
        Hint(fix={"*": f"Fix: calls one key may make per minute, 1 to {MAX_CALLS_PER_MINUTE}, e.g. 60"}),
    ] = DEFAULT_CALLS_PER_MINUTE
    concurrent_calls: Annotated[
        int,
        Field(gt=0, le=MAX_CONCURRENT_CALLS),
        Hint(
            fix={"*": f"Fix: calls one key may have in flight at once, 1 to {MAX_CONCURRENT_CALLS}, e.g. 4"}
        ),
    ] = DEFAULT_CONCURRENT_CALLS
    responses: ResponsesSettings = Field(default_factory=ResponsesSettings)
    # The caller's IP address in the gateway's logs: personal data, off unless the stack asks (docs/privacy.md).
    log_client_ip: bool = False


@rule("participants")
def reserved_participant_names(raw: dict[str, Any], ctx: RuleContext) -> Iterator[str]:
    participants = raw.get("participants")
    if not isinstance(participants, list):
        return
    for i, entry in enumerate(participants):
        name = entry.get("name") if isinstance(entry, dict) else None
        if isinstance(name, str) and name.strip() in RESERVED_SUBSCRIPTION_IDS:
            yield (
                f"{NAMESPACE}:participants[{i}].name: '{name.strip()}' is the id of API Management's built-in "
                "all-access subscription; a participant with that name would overwrite it. Fix: use another name, "
                f"e.g. '{name.strip()}-1'"
            )


@rule("callsPerMinute")
def no_call_rate_on_consumption(raw: dict[str, Any], ctx: RuleContext) -> Iterator[str]:
    tier = raw.get("gatewayTier")
    if (
        isinstance(tier, str)
        and tier in APIM_TIERS
        and not APIM_TIERS[tier].rate_limit_by_key
        and raw.get("callsPerMinute") is not None
    ):
        yield (
            f"{NAMESPACE}:callsPerMinute: API Management {tier} has no rate-limit-by-key policy, so calls per "
            "key cannot be bounded (learn.microsoft.com/azure/api-management/rate-limit-by-key-policy). Fix: set "
            f"{NAMESPACE}:gatewayTier to BasicV2 (or StandardV2, Developer, Standard), or remove callsPerMinute"
        )
