"""The typed sections of a stack's config (keys under `aoai-lab:`, camelCase in the stack file).

Each model checks its own fields (types, ranges, one value at a time); rules that span keys: stacks/config/rules.py.
A field's `Hint` says what to print when pydantic rejects it. Mixed in: foundry.py, classroom.py."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import Field, PrivateAttr, field_validator, model_validator

from facts.apim_logs import MAX_BODY_BYTES
from facts.apim_tiers import DEFAULT_TIER, OFFERED_TIERS
from stacks.catalog import ACCOUNT_KINDS, DEPLOYMENT_SKUS, ROLE_SETS, VERSION_UPGRADE_OPTIONS
from stacks.config.budget import BudgetSettings
from stacks.config.class_times import ClassTimes, class_times, time_zone
from stacks.config.classroom import ClassroomTrack
from stacks.config.deployment_kinds import is_embedding_model
from stacks.config.formats import (
    API_VERSION_RE,
    DEPLOYMENT_NAME_RE,
    GUID_RE,
    PARTICIPANT_NAME_RE,
    email_value,
)
from stacks.config.foundry import FoundryTrack
from stacks.config.gateway_guards import GatewayGuardSettings, TokenLimitSettings
from stacks.config.section_base import Hint, Section, one_of
from stacks.config.slugs import person_key, suggest_participant_name
from stacks.facts.models import model_facts

_CAPACITY_HINT = Hint(
    fix={
        "greater_than": "Fix: capacity is in quota units (thousands of tokens per minute): use a positive whole "
        "number",
        "int_type": "Fix: capacity is in quota units (thousands of tokens per minute), e.g. 10",
    },
    msg={"int_type": "must be a positive whole number (got {input!r})"},
)
Capacity = Annotated[int, Field(strict=True, gt=0), _CAPACITY_HINT]
_DATE_HINT = Hint(
    fix={"*": "Fix: use a date as YYYY-MM-DD, e.g. 2026-12-31"}, msg={"*": "{input!r} is not a date"}
)


class DeploymentSettings(Section):
    name: str
    model: str = Field(min_length=1)
    version: str = Field(min_length=1)
    sku: str
    capacity: Capacity
    format: str = "OpenAI"
    version_upgrade_option: str = "OnceCurrentVersionExpired"
    rai_policy: str | None = None
    fallback_skus: tuple[str, ...] = ()
    min_capacity: Capacity | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not DEPLOYMENT_NAME_RE.fullmatch(v):
            raise ValueError(
                f"'{v}' is not a valid deployment name. Fix: 2-64 letters, digits, '.', '_' or '-', "
                "starting with a letter or digit"
            )
        return v

    @field_validator("sku")
    @classmethod
    def _sku(cls, v: str) -> str:
        return one_of(v, DEPLOYMENT_SKUS, "deployment type (sku)")

    @field_validator("fallback_skus")
    @classmethod
    def _fallbacks(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(one_of(s, DEPLOYMENT_SKUS, "deployment type (sku)") for s in v)

    @field_validator("version_upgrade_option")
    @classmethod
    def _upgrade(cls, v: str) -> str:
        return one_of(v, VERSION_UPGRADE_OPTIONS, "version upgrade option")

    @property
    def skus(self) -> tuple[str, ...]:
        """The SKU order preflight tries: `sku` first, then the fallbacks."""
        return (self.sku, *[s for s in self.fallback_skus if s != self.sku])

    @property
    def floor_capacity(self) -> int:
        return self.min_capacity if self.min_capacity is not None else self.capacity

    @property
    def is_embedding(self) -> bool:
        return is_embedding_model(self.model)


class PersonSettings(Section):
    principal_id: str
    principal_type: Literal["User", "Group", "ServicePrincipal"]
    role_set: str
    name: str | None = None

    @field_validator("principal_id")
    @classmethod
    def _guid(cls, v: str) -> str:
        if not GUID_RE.fullmatch(v):
            raise ValueError(
                f"'{v}' is not an Entra object id. Fix: use the object id GUID "
                "(`az ad user show --id <upn> --query id -o tsv`)"
            )
        return v.lower()

    @property
    def key(self) -> str:
        return person_key(self.name, self.principal_id)

    @field_validator("role_set")
    @classmethod
    def _role_set(cls, v: str) -> str:
        return one_of(v, tuple(ROLE_SETS), "role set")


class ParticipantSettings(Section):
    name: str
    email: str
    # How handouts greet them (`labctl roster import` keeps the spreadsheet's name here); never in Azure.
    display_name: str | None = None
    # suspended: their gateway subscription is suspended (the key is refused) until set back to active.
    state: Literal["active", "suspended"] = "active"
    # Bump to give this participant a new key on the next `pulumi up` (`labctl participant rotate`).
    rotation: Annotated[int, Field(strict=True, ge=0)] = 0
    # This participant's own token budget, over aoai-lab:participantLimits.
    limits: TokenLimitSettings | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not PARTICIPANT_NAME_RE.fullmatch(v):
            hint = suggest_participant_name(v)
            fix = f"use '{hint}'" if hint else "use 1-40 lowercase letters, digits or '-'"
            raise ValueError(
                f"'{v}' is not a valid participant name (it becomes the gateway subscription id). Fix: {fix}"
            )
        return v

    @field_validator("email")
    @classmethod
    def _email(cls, v: str) -> str:
        return email_value(v)


class RegionPlacement(Section):
    """One region of a lab spread over several (`aoai-lab:location` as a list, written by `labctl preflight
    --write`): the capacity of each deployment placed there. An empty `capacity` places every deployment with its
    configured capacity."""

    region: str
    capacity: dict[str, Capacity] = Field(default_factory=dict)


class PriceSettings(Section):
    input: Annotated[float, Field(ge=0)]
    output: Annotated[float, Field(ge=0)] = 0.0
    source: str | None = None


class LabSettings(FoundryTrack, GatewayGuardSettings, ClassroomTrack):
    """Everything a stack can set under the `aoai-lab:` namespace, with its default. A Section through the tracks
    (each a Section of its own keys), which is also why it does not list Section first."""

    # Filled by the loader, not by config.
    project: str = Field(default="aoai-lab", exclude=True)
    stack: str = Field(default="dev", exclude=True)
    resource_group_location: str = Field(default="", exclude=True)
    environment: str = Field(default="public", exclude=True)

    owner: str
    # The last day the lab (and every participant key) works; keys are refused from the next day, 00:00 UTC.
    expires_on: Annotated[dt.date, _DATE_HINT]
    # The first day participant keys work (the gateway refuses them before, 00:00 UTC). None: from deployment.
    starts_on: Annotated[dt.date, _DATE_HINT] | None = None
    # The class's IANA time zone: startsOn opens and expiresOn closes at local midnight (stacks/config/class_times.py).
    time_zone: str | None = None
    # The whole class paused: the gateway answers 503 (the `class-paused` named value; `labctl class pause`).
    class_paused: bool = False
    lab_name: str | None = None
    location: str | None = None
    regions: Annotated[
        tuple[str, ...],
        Field(min_length=1),
        Hint(
            fix={
                "too_short": "Fix: list at least one candidate region, e.g. [eastus2, eastus, swedencentral]"
            }
        ),
    ]
    account_kind: str = "OpenAI"
    public_network_access: Literal["Enabled", "Disabled"] = "Enabled"
    disable_local_auth: bool = True
    deployments: Annotated[
        tuple[DeploymentSettings, ...],
        Field(min_length=1),
        Hint(
            fix={"too_short": "Fix: list at least one model deployment (name, model, version, sku, capacity)"}
        ),
    ]
    people: tuple[PersonSettings, ...] = ()
    participants: tuple[ParticipantSettings, ...] = ()
    gateway_tier: str = DEFAULT_TIER
    publisher_email: str | None = None
    publisher_name: str = "aoai-lab"
    # Handed out to students (OPENAI_API_VERSION); every chat model of the lab must answer on it
    # (stacks/facts/models.yaml). GPT-5 and o-series need 2025-04-01-preview or later.
    inference_api_version: str = model_facts().default_api_version
    gateway_logs: bool = True
    # Everyone's token budget on the gateway (None: unlimited); a participant's `limits` override it.
    participant_limits: TokenLimitSettings | None = None
    # Request and response bodies in the gateway log, and prompts/completions in the LLM log: students' data,
    # so off unless asked for. When on, bodies are cut at logBodyBytes (API Management's maximum is 8192).
    log_bodies: bool = False
    log_body_bytes: Annotated[int, Field(ge=1, le=MAX_BODY_BYTES)] = MAX_BODY_BYTES
    log_retention_days: Annotated[
        int,
        Field(ge=30, le=730),
        Hint(
            fix={
                "greater_than_equal": "Fix: Log Analytics keeps data 30 to 730 days; use 30 for a lab",
                "less_than_equal": "Fix: Log Analytics keeps data 30 to 730 days; use 30 for a lab",
            }
        ),
    ] = 30
    log_daily_cap_gb: Annotated[float, Field(gt=0, le=100)] = 1.0
    budget: BudgetSettings | None = None
    # Token prices for `labctl usage`'s estimate, over stacks/facts/prices.yaml: {model: {input, output}} in US
    # dollars per 1,000,000 tokens (the prices your agreement or region has).
    prices: dict[str, PriceSettings] = Field(default_factory=dict)
    # Set by the loader: the checks not run because a value is encrypted (stacks/config/encrypted.py).
    _skipped_checks: tuple[str, ...] = PrivateAttr(default=())

    @property
    def skipped_checks(self) -> tuple[str, ...]:
        return self._skipped_checks

    @field_validator("owner", "publisher_email")
    @classmethod
    def _email(cls, v: str | None) -> str | None:
        return None if v is None else email_value(v)

    @field_validator("time_zone")
    @classmethod
    def _time_zone(cls, v: str | None) -> str | None:
        if v is not None:
            time_zone(v)  # raises TimeZoneError (a ValueError) with the fix
        return v

    @field_validator("account_kind")
    @classmethod
    def _kind(cls, v: str) -> str:
        return one_of(v, ACCOUNT_KINDS, "account kind")

    @field_validator("gateway_tier")
    @classmethod
    def _tier(cls, v: str) -> str:
        return one_of(v, OFFERED_TIERS, "API Management tier")

    @field_validator("inference_api_version")
    @classmethod
    def _api_version(cls, v: str) -> str:
        if not API_VERSION_RE.fullmatch(v):
            raise ValueError(f"'{v}' is not an API version. Fix: a date such as 2025-04-01-preview")
        return v

    # Every region of a spread lab, primary first: from `aoai-lab:location` when it is a list (see _spread_location).
    spread: tuple[RegionPlacement, ...] = Field(default=(), exclude=True)

    @model_validator(mode="before")
    @classmethod
    def _spread_location(cls, data: object) -> object:
        """`aoai-lab:location` as a list of regions (or {region, capacity} entries): the first is the primary, kept
        in `location`; all of them go to `spread`. Other shapes are left for the field's and the rule's errors."""
        if not isinstance(data, dict):
            return data
        value = data.get("location")
        if not isinstance(value, list | tuple) or not value:
            return data
        entries = [{"region": e} if isinstance(e, str) else e for e in value]
        if not all(isinstance(e, dict) and isinstance(e.get("region"), str) for e in entries):
            return data
        return {**data, "location": entries[0]["region"], "spread": entries}

    # ---- derived values the stack layer uses ----
    @property
    def placements(self) -> tuple[RegionPlacement, ...]:
        """The lab's regions, primary first: one unless `aoai-lab:location` spreads it over several."""
        return self.spread or (RegionPlacement(region=self.account_location),)

    @property
    def spills_over(self) -> bool:
        return len(self.placements) > 1

    @property
    def account_location(self) -> str:
        """The pinned region, else the first candidate (see `labctl preflight --write`)."""
        return self.location or self.regions[0]

    @property
    def region_is_pinned(self) -> bool:
        return self.location is not None

    @property
    def name(self) -> str:
        return self.lab_name or f"{self.project}-{self.stack}"

    @property
    def gateway_publisher_email(self) -> str:
        return self.publisher_email or self.owner

    @property
    def class_times(self) -> ClassTimes:
        """The class window's local and UTC instants (the policy, `labctl usage` and the handouts use them)."""
        return class_times(self.starts_on, self.expires_on, self.time_zone)

    def limits_of(self, participant: ParticipantSettings) -> TokenLimitSettings | None:
        """A participant's effective token budget."""
        if participant.limits is None:
            return self.participant_limits
        return participant.limits.over(self.participant_limits)


# Keys a stack may set, as they appear in Pulumi.<stack>.yaml (without the namespace).
CONFIG_KEYS: tuple[str, ...] = tuple(
    f.alias or name for name, f in LabSettings.model_fields.items() if not f.exclude
)
