"""Typed, validated stack settings.

`load_settings(raw)` takes the stack's config as plain data (what `pulumi config` holds, keys without the
`aoai-lab:` prefix) and returns `LabSettings`, or raises `ConfigError` listing every problem at once, each with its
key path and the fix. Nothing here touches Pulumi, so the same checks run under `pulumi up`, `labctl plan` and tests.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections import Counter
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic.alias_generators import to_camel

from stacks.catalog import (
    ACCOUNT_KINDS,
    DEPLOYMENT_SKUS,
    GATEWAY_TIERS,
    PRINCIPAL_TYPES,
    REGIONS_BY_ENVIRONMENT,
    ROLE_SETS,
    VERSION_UPGRADE_OPTIONS,
)

NAMESPACE = "aoai-lab"
GUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
EMAIL_RE = re.compile(r"^[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
# Deployment names become URL path segments (/openai/deployments/{name}).
DEPLOYMENT_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,63}$")
MAX_BUDGET_NOTIFICATIONS = 5
# Participant names become APIM subscription ids and resource names.
PARTICIPANT_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
# The stack name goes into every resource name; APIM names allow 50 characters and must start with a letter.
STACK_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,19}$")


class ConfigError(Exception):
    """Every problem in a stack's config, each as `key path: problem. Fix: ...`."""

    def __init__(self, stack: str, problems: list[str]):
        self.stack = stack
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(
            f"Pulumi.{stack}.yaml has {len(problems)} config problem(s); nothing was deployed:\n{lines}"
        )


class _Model(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        str_strip_whitespace=True,
    )


PositiveInt = Annotated[int, Field(strict=True, gt=0)]


class DeploymentSettings(_Model):
    name: str
    model: str = Field(min_length=1)
    version: str = Field(min_length=1)
    sku: str
    capacity: PositiveInt
    format: str = "OpenAI"
    version_upgrade_option: str = "OnceCurrentVersionExpired"
    rai_policy: str | None = None
    fallback_skus: tuple[str, ...] = ()
    min_capacity: PositiveInt | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not DEPLOYMENT_NAME_RE.match(v):
            raise ValueError(
                f"'{v}' is not a valid deployment name. Fix: 2-64 letters, digits, '.', '_' or '-', "
                "starting with a letter or digit"
            )
        return v

    @field_validator("sku")
    @classmethod
    def _sku(cls, v: str) -> str:
        return _one_of(v, DEPLOYMENT_SKUS, "deployment type (sku)")

    @field_validator("fallback_skus")
    @classmethod
    def _fallbacks(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(_one_of(s, DEPLOYMENT_SKUS, "deployment type (sku)") for s in v)

    @field_validator("version_upgrade_option")
    @classmethod
    def _upgrade(cls, v: str) -> str:
        return _one_of(v, VERSION_UPGRADE_OPTIONS, "version upgrade option")

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


class PersonSettings(_Model):
    principal_id: str
    principal_type: Literal["User", "Group", "ServicePrincipal"]
    role_set: str
    name: str | None = None

    @field_validator("principal_id")
    @classmethod
    def _guid(cls, v: str) -> str:
        if not GUID_RE.match(v):
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
        return _one_of(v, tuple(ROLE_SETS), "role set")


class ParticipantSettings(_Model):
    name: str
    email: str

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not PARTICIPANT_NAME_RE.match(v):
            raise ValueError(
                f"'{v}' is not a valid participant name. Fix: 1-40 lowercase letters, digits or '-' "
                "(it becomes the gateway subscription id)"
            )
        return v

    @field_validator("email")
    @classmethod
    def _email(cls, v: str) -> str:
        return _email_value(v)


class BudgetSettings(_Model):
    amount: Annotated[float, Field(gt=0)]
    thresholds: tuple[Annotated[int, Field(gt=0, le=1000)], ...] = Field(default=(50, 80, 100), min_length=1)
    contact_emails: tuple[str, ...] = Field(min_length=1)
    # One more alert when the month's forecast passes the amount: it warns days before the money is spent.
    forecast: bool = True

    @field_validator("contact_emails")
    @classmethod
    def _emails(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(_email_value(e) for e in v)

    @field_validator("thresholds")
    @classmethod
    def _thresholds(cls, v: tuple[int, ...]) -> tuple[int, ...]:
        dupes = sorted(t for t, n in Counter(v).items() if n > 1)
        if dupes:
            raise ValueError(f"threshold {dupes[0]}% is listed twice. Fix: list each percentage once")
        return tuple(sorted(v))

    @model_validator(mode="after")
    def _notification_count(self) -> BudgetSettings:
        # Azure rejects a budget with more than five notifications.
        count = len(self.thresholds) + (1 if self.forecast else 0)
        if count > MAX_BUDGET_NOTIFICATIONS:
            extra = " plus the forecast alert" if self.forecast else ""
            raise ValueError(
                f"{len(self.thresholds)} thresholds{extra} make {count} notifications; an Azure budget takes at "
                f"most {MAX_BUDGET_NOTIFICATIONS}. Fix: drop a threshold"
                + (" or set forecast: false" if self.forecast else "")
            )
        return self


class LabSettings(_Model):
    """Everything a stack can set under the `aoai-lab:` namespace, with its default."""

    # Filled by the loader, not by config.
    project: str = Field(default="aoai-lab", exclude=True)
    stack: str = Field(default="dev", exclude=True)
    resource_group_location: str = Field(default="", exclude=True)
    environment: str = Field(default="public", exclude=True)

    owner: str
    expires_on: dt.date
    lab_name: str | None = None
    location: str | None = None
    regions: tuple[str, ...] = Field(min_length=1)
    account_kind: str = "OpenAI"
    public_network_access: Literal["Enabled", "Disabled"] = "Enabled"
    disable_local_auth: bool = True
    deployments: tuple[DeploymentSettings, ...] = Field(min_length=1)
    people: tuple[PersonSettings, ...] = ()
    participants: tuple[ParticipantSettings, ...] = ()
    gateway_tier: str = "BasicV2"
    publisher_email: str | None = None
    publisher_name: str = "aoai-lab"
    inference_api_version: str = "2024-10-21"
    gateway_logs: bool = True
    log_body_bytes: Annotated[int, Field(ge=0, le=8192)] = 8192
    log_retention_days: Annotated[int, Field(ge=30, le=730)] = 30
    log_daily_cap_gb: Annotated[float, Field(gt=0, le=100)] = 1.0
    budget: BudgetSettings | None = None

    @field_validator("owner", "publisher_email")
    @classmethod
    def _email(cls, v: str | None) -> str | None:
        return None if v is None else _email_value(v)

    @field_validator("account_kind")
    @classmethod
    def _kind(cls, v: str) -> str:
        return _one_of(v, ACCOUNT_KINDS, "account kind")

    @field_validator("gateway_tier")
    @classmethod
    def _tier(cls, v: str) -> str:
        return _one_of(v, tuple(GATEWAY_TIERS), "API Management tier")

    @field_validator("inference_api_version")
    @classmethod
    def _api_version(cls, v: str) -> str:
        if not re.match(r"^\d{4}-\d{2}-\d{2}(-preview)?$", v):
            raise ValueError(f"'{v}' is not an API version. Fix: a date such as 2024-10-21")
        return v

    # ---- derived values the stack layer uses ----
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
    def inference_api_channel(self) -> str:
        """Preview versions of the spec live under inference/preview/, stable ones under inference/stable/."""
        return "preview" if self.inference_api_version.endswith("-preview") else "stable"

    @property
    def inference_spec_url(self) -> str:
        return (
            "https://raw.githubusercontent.com/Azure/azure-rest-api-specs/main/specification/cognitiveservices/"
            f"data-plane/AzureOpenAI/inference/{self.inference_api_channel}/{self.inference_api_version}/inference.json"
        )

    @property
    def tags(self) -> dict[str, str]:
        return {
            "lab": self.name,
            "owner": self.owner,
            "expires-on": self.expires_on.isoformat(),
            "managed-by": "pulumi",
            "pulumi-project": self.project,
            "pulumi-stack": self.stack,
        }


# Keys a stack may set, as they appear in Pulumi.<stack>.yaml (without the namespace).
CONFIG_KEYS: tuple[str, ...] = tuple(
    f.alias or name for name, f in LabSettings.model_fields.items() if not f.exclude
)


def is_embedding_model(model: str) -> bool:
    """Embedding models take /embeddings, not /chat/completions (used by the plan and by `labctl smoke`)."""
    return "embedding" in model.lower()


def person_key(name: str | None, principal_id: str) -> str:
    """How a person appears in resource names: their name as a slug, else the start of their object id."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") if name else ""
    return slug or principal_id.lower()[:8]


def _one_of(value: str, allowed: tuple[str, ...], what: str) -> str:
    if value in allowed:
        return value
    by_lower = {a.lower(): a for a in allowed}
    if value.lower() in by_lower:
        return by_lower[value.lower()]
    hint = difflib.get_close_matches(value, allowed, n=1)
    suggestion = f"did you mean '{hint[0]}'? " if hint else ""
    raise ValueError(f"unknown {what} '{value}'. Fix: {suggestion}use one of {', '.join(allowed)}")


def _email_value(v: str) -> str:
    if not EMAIL_RE.match(v):
        raise ValueError(f"'{v}' is not an e-mail address. Fix: use name@domain, e.g. ana@contoso.edu")
    return v


def _key_path(loc: tuple[int | str, ...]) -> str:
    path = NAMESPACE + ":"
    for i, part in enumerate(loc):
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += ("." if i else "") + part
    return path


_GENERIC_FIXES = {
    "missing": "Fix: set it in Pulumi.{stack}.yaml (see the README's config table)",
    "int_type": "Fix: use a whole number without quotes",
    "int_parsing": "Fix: use a whole number",
    "int_from_float": "Fix: use a whole number",
    "float_parsing": "Fix: use a number",
    "bool_parsing": "Fix: use true or false",
    "greater_than": "Fix: use a positive number",
    "date_from_datetime_parsing": "Fix: use a date as YYYY-MM-DD, e.g. 2026-12-31",
    "date_parsing": "Fix: use a date as YYYY-MM-DD, e.g. 2026-12-31",
    "date_type": "Fix: use a date as YYYY-MM-DD, e.g. 2026-12-31",
    "too_short": "Fix: list at least one entry",
    "extra_forbidden": "Fix: remove it or correct its spelling",
    "literal_error": "Fix: use one of those values",
    "less_than_equal": "Fix: use a value within the allowed range",
    "greater_than_equal": "Fix: use a value within the allowed range",
    "tuple_type": "Fix: use a YAML list",
    "model_type": "Fix: use a YAML mapping",
    "model_attributes_type": "Fix: use a YAML mapping",
    "string_type": "Fix: use a string (quote it)",
}


def _describe(err: dict[str, Any], stack: str) -> str:
    loc = tuple(p for p in err["loc"])
    path = _key_path(loc)
    if err["type"] == "value_error":
        return f"{path}: {str(err['msg']).removeprefix('Value error, ')}"
    msg = err["msg"]
    fix = _GENERIC_FIXES.get(err["type"], "").format(stack=stack)
    if err["type"] == "extra_forbidden" and loc:
        msg = "unknown key"
        parent_fields = _fields_at(loc[:-1])
        hint = difflib.get_close_matches(str(loc[-1]), parent_fields, n=1)
        if hint:
            fix = f"Fix: did you mean '{hint[0]}'?"
    if err["type"] == "greater_than" and loc and loc[-1] in ("capacity", "minCapacity"):
        fix = "Fix: capacity is in quota units (thousands of tokens per minute): use a positive whole number"
    if err["type"] == "int_type" and loc and loc[-1] in ("capacity", "minCapacity"):
        msg = f"must be a positive whole number (got {err.get('input')!r})"
        fix = "Fix: capacity is in quota units (thousands of tokens per minute), e.g. 10"
    if err["type"] == "too_short" and loc:
        msg = "the list is empty"
        fix = {
            "regions": "Fix: list at least one candidate region, e.g. [eastus2, eastus, swedencentral]",
            "deployments": "Fix: list at least one model deployment (name, model, version, sku, capacity)",
        }.get(str(loc[-1]), "Fix: list at least one entry")
    if loc and loc[-1] == "logRetentionDays" and err["type"] in ("greater_than_equal", "less_than_equal"):
        fix = "Fix: Log Analytics keeps data 30 to 730 days; use 30 for a lab"
    if loc and loc[-1] == "expiresOn":
        msg = f"{err.get('input')!r} is not a date"
        fix = "Fix: use a date as YYYY-MM-DD, e.g. 2026-12-31"
    return f"{path}: {msg}. {fix}".rstrip(". ").rstrip() if fix else f"{path}: {msg}"


def _fields_at(loc: tuple[int | str, ...]) -> list[str]:
    model: type[BaseModel] = LabSettings
    for part in loc:
        if isinstance(part, int):
            continue
        field = next((f for n, f in model.model_fields.items() if (f.alias or n) == part), None)
        if field is None:
            return []
        for candidate in (DeploymentSettings, PersonSettings, ParticipantSettings, BudgetSettings):
            if candidate.__name__ in str(field.annotation):
                model = candidate
                break
    return [f.alias or n for n, f in model.model_fields.items() if not f.exclude]


def _cross_checks(raw: dict[str, Any], environment: str, rg_location: str) -> list[str]:
    """Rules that span keys; tolerant of values that failed their own type checks."""
    problems: list[str] = []
    known = REGIONS_BY_ENVIRONMENT.get(environment, REGIONS_BY_ENVIRONMENT["public"])

    def region_problem(key: str, value: Any) -> None:
        if isinstance(value, str) and value not in known:
            hint = difflib.get_close_matches(value.lower().replace(" ", ""), sorted(known), n=1)
            fix = f"did you mean '{hint[0]}'? " if hint else ""
            problems.append(
                f"{key}: unknown region '{value}'. Fix: {fix}use an ARM region name such as eastus2 "
                "(`az account list-locations -o table`)"
            )

    if not rg_location:
        problems.append(
            "azure-native:location: not set. Fix: `pulumi config set azure-native:location eastus2` "
            "(the resource group's region)"
        )
    else:
        region_problem("azure-native:location", rg_location)
    regions = raw.get("regions")
    if isinstance(regions, list):
        for i, r in enumerate(regions):
            region_problem(f"{NAMESPACE}:regions[{i}]", r)
        dupes = sorted(r for r, n in Counter(r for r in regions if isinstance(r, str)).items() if n > 1)
        if dupes:
            problems.append(f"{NAMESPACE}:regions: '{dupes[0]}' is listed twice. Fix: list each region once")
    location = raw.get("location")
    if location is not None and not isinstance(location, str):
        problems.append(
            f"{NAMESPACE}:location: must be one region name, not {type(location).__name__}. Fix: e.g. eastus2"
        )
    elif location is not None:
        region_problem(f"{NAMESPACE}:location", location)
        if isinstance(regions, list) and location not in regions and location in known:
            problems.append(
                f"{NAMESPACE}:location: '{location}' is pinned but not among {NAMESPACE}:regions. "
                "Fix: add it to the regions or run `labctl preflight --write` again"
            )

    deployments = raw.get("deployments")
    if isinstance(deployments, list):
        names = [d.get("name") for d in deployments if isinstance(d, dict)]
        for name, count in Counter(n for n in names if isinstance(n, str)).items():
            if count > 1:
                problems.append(
                    f"{NAMESPACE}:deployments: the name '{name}' is used {count} times. "
                    "Fix: give every deployment its own name"
                )
        for i, d in enumerate(deployments):
            if not isinstance(d, dict):
                continue
            cap, floor = d.get("capacity"), d.get("minCapacity")
            if _is_int(cap) and _is_int(floor) and 0 < cap < floor:
                problems.append(
                    f"{NAMESPACE}:deployments[{i}].minCapacity: {floor} is above capacity {cap}. "
                    "Fix: minCapacity is the smallest capacity the lab accepts; keep it <= capacity"
                )
            sku, fallbacks = d.get("sku"), d.get("fallbackSkus")
            if isinstance(sku, str) and isinstance(fallbacks, list):
                for j, fallback in enumerate(fallbacks):
                    if not isinstance(fallback, str) or _sku_family(fallback) is None:
                        continue
                    if fallbacks.index(fallback) < j:
                        problems.append(
                            f"{NAMESPACE}:deployments[{i}].fallbackSkus[{j}]: '{fallback}' is listed twice. "
                            "Fix: list each fallback once"
                        )
                    elif _sku_family(sku) not in (None, _sku_family(fallback)):
                        # The same capacity number means thousands of tokens per minute for standard types and
                        # provisioned units (PTUs) for provisioned ones: a fallback across them changes the bill.
                        problems.append(
                            f"{NAMESPACE}:deployments[{i}].fallbackSkus[{j}]: {fallback} measures capacity "
                            f"differently from {sku}. Fix: fall back only among "
                            f"{', '.join(s for s in DEPLOYMENT_SKUS if _sku_family(s) == _sku_family(sku))}"
                        )

    participants = raw.get("participants")
    if isinstance(participants, list):
        names = [e.get("name") for e in participants if isinstance(e, dict)]
        for name, count in Counter(n for n in names if isinstance(n, str)).items():
            if count > 1:
                problems.append(
                    f"{NAMESPACE}:participants: '{name}' is listed {count} times. Fix: give every participant "
                    "a unique name"
                )

    people = (
        [p for p in raw.get("people") or [] if isinstance(p, dict)]
        if isinstance(raw.get("people"), list)
        else []
    )
    ids = [
        p["principalId"].lower() for p in people if isinstance(p.get("principalId"), str) and p["principalId"]
    ]
    for pid, count in Counter(ids).items():
        if count > 1:
            problems.append(
                f"{NAMESPACE}:people: principal '{pid}' is listed {count} times. "
                "Fix: list each person once, with the role set that covers what they need"
            )
    # Each person's role assignments are named after them in the program: two names that read the same there
    # would collide after other resources were already declared.
    keys = [
        person_key(p.get("name"), p["principalId"])
        for p in people
        if isinstance(p.get("principalId"), str) and isinstance(p.get("name"), str | None)
    ]
    for key, count in Counter(keys).items():
        if count > 1:
            problems.append(
                f"{NAMESPACE}:people: {count} people are named '{key}' once reduced to letters, digits and "
                "hyphens. Fix: give each person a distinct name"
            )

    tier = raw.get("gatewayTier", "BasicV2")
    gateway_logs = raw.get("gatewayLogs", True)
    logs_asked = gateway_logs in (True, "true")
    if (
        isinstance(tier, str)
        and tier in GATEWAY_TIERS
        and logs_asked
        and not GATEWAY_TIERS[tier].resource_logs
    ):
        problems.append(
            f"{NAMESPACE}:gatewayTier: {tier} cannot send gateway logs to Log Analytics, which "
            f"{NAMESPACE}:gatewayLogs asks for. Fix: use BasicV2 (or StandardV2, Developer, Standard), "
            "or set gatewayLogs to false"
        )
    return problems


_LOADER_FIELDS = ("project", "stack", "resourceGroupLocation", "environment", "resource_group_location")


def _sku_family(sku: str) -> str | None:
    """Deployment types whose capacity means the same thing: standard, provisioned, batch, developer."""
    name = sku.lower()
    if name not in {s.lower() for s in DEPLOYMENT_SKUS}:
        return None
    for family in ("provisioned", "batch", "developer"):
        if family in name:
            return family
    return "standard"


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def load_settings(
    raw: dict[str, Any],
    *,
    project: str = "aoai-lab",
    stack: str = "dev",
    resource_group_location: str = "",
    environment: str = "public",
) -> LabSettings:
    """Validate a stack's config; raise ConfigError with every problem found."""
    problems: list[str] = []
    if not STACK_NAME_RE.match(stack):
        problems.append(
            f"stack name '{stack}': it goes into every resource name. Fix: 1-20 lowercase letters, digits or '-'"
        )
    if environment not in REGIONS_BY_ENVIRONMENT:
        problems.append(
            f"azure-native:environment: unknown cloud '{environment}'. Fix: use public, usgovernment or china"
        )
    # The Pulumi CLI passes a declared default of "" for optional keys the stack leaves unset.
    raw = {k: v for k, v in raw.items() if v != ""}
    for internal in _LOADER_FIELDS:
        if internal in raw:
            problems.append(
                f"{_key_path((internal,))}: unknown key. Fix: remove it; it is set by the program"
            )
            raw.pop(internal)
    settings: LabSettings | None = None
    try:
        settings = LabSettings.model_validate(
            {
                **raw,
                "project": project,
                "stack": stack,
                "resource_group_location": resource_group_location,
                "environment": environment,
            }
        )
    except ValidationError as exc:
        errors = exc.errors()
        item_errors = {
            tuple(e["loc"][:i]) for e in errors for i, p in enumerate(e["loc"]) if isinstance(p, int)
        }
        # A list whose entries all failed also reads as "too short": the entries' own errors say it better.
        problems.extend(
            _describe(e, stack)
            for e in errors
            if not (e["type"] == "too_short" and tuple(e["loc"]) in item_errors)
        )
    problems.extend(_cross_checks(raw, environment, resource_group_location))
    if problems or settings is None:
        raise ConfigError(stack, _dedupe(problems))
    return settings


def _dedupe(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


__all__ = [
    "CONFIG_KEYS",
    "NAMESPACE",
    "PRINCIPAL_TYPES",
    "BudgetSettings",
    "ConfigError",
    "DeploymentSettings",
    "LabSettings",
    "ParticipantSettings",
    "PersonSettings",
    "load_settings",
]
