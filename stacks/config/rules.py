"""Rules that span keys, one small function per concern, each tagged with the section it checks.

A rule reads the raw config (keys as in the stack file, without `aoai-lab:`) and must tolerate values that failed
their own type checks (the section models report those). It yields problem lines `key path: problem. Fix: ...`.
To add one: write a function `(raw, ctx) -> Iterator[str]` below and decorate it with `@rule("<section>")`.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from facts.apim_tiers import APIM_TIERS, DEFAULT_TIER
from stacks.catalog import DEPLOYMENT_SKUS
from stacks.config.deployment_kinds import sku_family
from stacks.config.formats import API_VERSION_RE, is_int
from stacks.config.section_base import NAMESPACE
from stacks.config.slugs import person_key
from stacks.facts.clouds import CLOUDS, DEFAULT_CLOUD
from stacks.facts.models import DeploymentFacts, check_deployments, model_facts


@dataclass(frozen=True)
class RuleContext:
    """What a rule may know besides the lab's own keys."""

    stack: str
    environment: str  # azure-native:environment ("public" when unset)
    resource_group_location: str  # azure-native:location

    @property
    def regions(self) -> frozenset[str]:
        return CLOUDS.get(self.environment, CLOUDS[DEFAULT_CLOUD]).regions


Rule = Callable[[dict[str, Any], RuleContext], Iterator[str]]
RULES: list[tuple[str, Rule]] = []


def rule(section: str) -> Callable[[Rule], Rule]:
    """Register a rule for `section` (a top-level key, or "azure-native" for provider keys)."""

    def register(fn: Rule) -> Rule:
        RULES.append((section, fn))
        return fn

    return register


def run_rules(raw: dict[str, Any], ctx: RuleContext) -> list[str]:
    return [problem for _section, fn in RULES for problem in fn(raw, ctx)]


def _region_problem(key: str, value: Any, ctx: RuleContext) -> Iterator[str]:
    if isinstance(value, str) and value not in ctx.regions:
        hint = difflib.get_close_matches(value.lower().replace(" ", ""), sorted(ctx.regions), n=1)
        fix = f"did you mean '{hint[0]}'? " if hint else ""
        yield (
            f"{key}: unknown region '{value}'. Fix: {fix}use an ARM region name such as eastus2 "
            "(`az account list-locations -o table`)"
        )


def _listed_twice(values: list[Any]) -> list[tuple[Any, int]]:
    return [(v, n) for v, n in Counter(v for v in values if isinstance(v, str)).items() if n > 1]


# ---- azure-native ----


@rule("azure-native")
def resource_group_location(raw: dict[str, Any], ctx: RuleContext) -> Iterator[str]:
    if not ctx.resource_group_location:
        yield (
            "azure-native:location: not set. Fix: `pulumi config set azure-native:location eastus2` "
            "(the resource group's region)"
        )
    else:
        yield from _region_problem("azure-native:location", ctx.resource_group_location, ctx)


# ---- regions and location ----


@rule("regions")
def candidate_regions(raw: dict[str, Any], ctx: RuleContext) -> Iterator[str]:
    regions = raw.get("regions")
    if not isinstance(regions, list):
        return
    for i, r in enumerate(regions):
        yield from _region_problem(f"{NAMESPACE}:regions[{i}]", r, ctx)
    dupes = sorted(r for r, _n in _listed_twice(regions))
    if dupes:
        yield f"{NAMESPACE}:regions: '{dupes[0]}' is listed twice. Fix: list each region once"


@rule("location")
def pinned_location(raw: dict[str, Any], ctx: RuleContext) -> Iterator[str]:
    location, regions = raw.get("location"), raw.get("regions")
    if location is None:
        return
    if isinstance(location, list):
        yield from _spread_location(raw, location, ctx)
        return
    if not isinstance(location, str):
        yield (
            f"{NAMESPACE}:location: must be a region name or a list of regions, not {type(location).__name__}. "
            "Fix: e.g. eastus2"
        )
        return
    yield from _region_problem(f"{NAMESPACE}:location", location, ctx)
    if isinstance(regions, list) and location not in regions and location in ctx.regions:
        yield (
            f"{NAMESPACE}:location: '{location}' is pinned but not among {NAMESPACE}:regions. "
            "Fix: add it to the regions or run `labctl preflight --write` again"
        )


def _spread_location(raw: dict[str, Any], location: list[Any], ctx: RuleContext) -> Iterator[str]:
    """A lab spread over regions: `- region: eastus2` entries (or plain names), each with an optional
    `capacity: {deployment: units}`; the first is the primary region."""
    key = f"{NAMESPACE}:location"
    if not location:
        yield f"{key}: an empty list. Fix: one region name, or a list of {{region, capacity}} entries"
        return
    names = {d.get("name") for _i, d in deployment_entries(raw)}
    seen: list[str] = []
    for i, entry in enumerate(location):
        region = entry if isinstance(entry, str) else entry.get("region") if isinstance(entry, dict) else None
        if not isinstance(region, str):
            yield f"{key}[{i}]: needs a region name. Fix: `- region: eastus2` (and optionally `capacity: {{chat: 50}}`)"
            continue
        yield from _region_problem(f"{key}[{i}].region", region, ctx)
        if region in seen:
            yield f"{key}[{i}]: '{region}' is listed twice. Fix: list each region once"
        seen.append(region)
        capacity = entry.get("capacity") if isinstance(entry, dict) else None
        if isinstance(capacity, dict):
            for name in capacity:
                if name not in names:
                    yield (
                        f"{key}[{i}].capacity: '{name}' is not a deployment of {NAMESPACE}:deployments. Fix: use one "
                        f"of {', '.join(sorted(str(n) for n in names if n))}"
                    )
    regions = raw.get("regions")
    if isinstance(regions, list):
        for region in seen:
            if region not in regions and region in ctx.regions:
                yield (
                    f"{key}: '{region}' is pinned but not among {NAMESPACE}:regions. "
                    "Fix: add it to the regions or run `labctl preflight --write` again"
                )


# ---- deployments ----


def deployment_entries(raw: dict[str, Any]) -> list[tuple[int, dict[str, Any]]]:
    """`(index, entry)` for each aoai-lab:deployments entry that is a mapping (the raw config may be malformed)."""
    items = raw.get("deployments")
    return [(i, d) for i, d in enumerate(items) if isinstance(d, dict)] if isinstance(items, list) else []


@rule("deployments")
def unique_deployment_names(raw: dict[str, Any], ctx: RuleContext) -> Iterator[str]:
    for name, count in _listed_twice([d.get("name") for _i, d in deployment_entries(raw)]):
        yield (
            f"{NAMESPACE}:deployments: the name '{name}' is used {count} times. "
            "Fix: give every deployment its own name"
        )


@rule("deployments")
def capacity_floor(raw: dict[str, Any], ctx: RuleContext) -> Iterator[str]:
    for i, d in deployment_entries(raw):
        cap, floor = d.get("capacity"), d.get("minCapacity")
        if is_int(cap) and is_int(floor) and 0 < cap < floor:
            yield (
                f"{NAMESPACE}:deployments[{i}].minCapacity: {floor} is above capacity {cap}. "
                "Fix: minCapacity is the smallest capacity the lab accepts; keep it <= capacity"
            )


@rule("deployments")
def fallback_skus(raw: dict[str, Any], ctx: RuleContext) -> Iterator[str]:
    for i, d in deployment_entries(raw):
        sku, fallbacks = d.get("sku"), d.get("fallbackSkus")
        if not isinstance(sku, str) or not isinstance(fallbacks, list):
            continue
        for j, fallback in enumerate(fallbacks):
            if not isinstance(fallback, str) or sku_family(fallback) is None:
                continue
            if fallbacks.index(fallback) < j:
                yield (
                    f"{NAMESPACE}:deployments[{i}].fallbackSkus[{j}]: '{fallback}' is listed twice. "
                    "Fix: list each fallback once"
                )
            elif sku_family(sku) not in (None, sku_family(fallback)):
                # The same capacity number means thousands of tokens per minute for standard types and
                # provisioned units (PTUs) for provisioned ones: a fallback across them changes the bill.
                yield (
                    f"{NAMESPACE}:deployments[{i}].fallbackSkus[{j}]: {fallback} measures capacity "
                    f"differently from {sku}. Fix: fall back only among "
                    f"{', '.join(s for s in DEPLOYMENT_SKUS if sku_family(s) == sku_family(sku))}"
                )


# ---- participants and people ----


@rule("participants")
def unique_participants(raw: dict[str, Any], ctx: RuleContext) -> Iterator[str]:
    participants = raw.get("participants")
    if not isinstance(participants, list):
        return
    for name, count in _listed_twice([e.get("name") for e in participants if isinstance(e, dict)]):
        yield (
            f"{NAMESPACE}:participants: '{name}' is listed {count} times. Fix: give every participant "
            "a unique name"
        )


@rule("participants")
def unique_participant_emails(raw: dict[str, Any], ctx: RuleContext) -> Iterator[str]:
    # One key per person: the same address twice is a copy-paste slip (roster import de-duplicates for you).
    participants = raw.get("participants")
    if not isinstance(participants, list):
        return
    emails = [
        e["email"].lower() for e in participants if isinstance(e, dict) and isinstance(e.get("email"), str)
    ]
    for email, count in _listed_twice(emails):
        yield (
            f"{NAMESPACE}:participants: e-mail {email} is listed {count} times. Fix: one entry per person "
            "(`labctl roster import` de-duplicates a class list)"
        )


@rule("startsOn")
def class_window(raw: dict[str, Any], ctx: RuleContext) -> Iterator[str]:
    """The same function the gateway policy's window comes from (stacks/config/class_times.py), so a window config
    accepts is one `pulumi up` renders: a one-day class (startsOn == expiresOn) is valid."""
    from stacks.config.class_times import TimeZoneError, class_times

    starts, ends = raw.get("startsOn"), raw.get("expiresOn")
    zone = raw.get("timeZone")
    first = last = None
    try:
        first = dt.date.fromisoformat(str(starts)) if starts is not None else None
        last = dt.date.fromisoformat(str(ends)) if ends is not None else None
        class_times(first, last, zone if isinstance(zone, str) else None)
    except TimeZoneError:
        return  # the timeZone field reports it
    except ValueError:
        if first is None or last is None:
            return  # the date fields report their own format problems
        yield (
            f"{NAMESPACE}:startsOn: {first} is after expiresOn ({last}): no day is left for the class. Fix: set "
            "startsOn to the class's first day and expiresOn to its last (the same day for a one-day class)"
        )


def _people(raw: dict[str, Any]) -> list[dict[str, Any]]:
    people = raw.get("people")
    return [p for p in people if isinstance(p, dict)] if isinstance(people, list) else []


@rule("people")
def unique_principals(raw: dict[str, Any], ctx: RuleContext) -> Iterator[str]:
    ids = [p["principalId"].lower() for p in _people(raw) if isinstance(p.get("principalId"), str)]
    for pid, count in _listed_twice([i for i in ids if i]):
        yield (
            f"{NAMESPACE}:people: principal '{pid}' is listed {count} times. "
            "Fix: list each person once, with the role set that covers what they need"
        )


@rule("people")
def distinct_person_keys(raw: dict[str, Any], ctx: RuleContext) -> Iterator[str]:
    # Each person's role assignments are named after them in the program: two names that read the same there
    # would collide after other resources were already declared.
    keys = [
        person_key(p.get("name"), p["principalId"])
        for p in _people(raw)
        if isinstance(p.get("principalId"), str) and isinstance(p.get("name"), str | None)
    ]
    for key, count in _listed_twice(keys):
        yield (
            f"{NAMESPACE}:people: {count} people are named '{key}' once reduced to letters, digits and "
            "hyphens. Fix: give each person a distinct name"
        )


# ---- gateway ----


@rule("gatewayTier")
def gateway_logs_need_a_tier_with_logs(raw: dict[str, Any], ctx: RuleContext) -> Iterator[str]:
    tier = raw.get("gatewayTier", DEFAULT_TIER)
    logs_asked = raw.get("gatewayLogs", True) in (True, "true")
    if isinstance(tier, str) and tier in APIM_TIERS and logs_asked and not APIM_TIERS[tier].resource_logs:
        yield (
            f"{NAMESPACE}:gatewayTier: {tier} cannot send gateway logs to Log Analytics, which "
            f"{NAMESPACE}:gatewayLogs asks for. Fix: use BasicV2 (or StandardV2, Developer, Standard), "
            "or set gatewayLogs to false"
        )


@rule("participantLimits")
def token_limits_need_a_tier_that_has_them(raw: dict[str, Any], ctx: RuleContext) -> Iterator[str]:
    tier = raw.get("gatewayTier", DEFAULT_TIER)
    if not isinstance(tier, str) or tier not in APIM_TIERS or APIM_TIERS[tier].llm_token_limit:
        return
    keys = []
    if raw.get("participantLimits") is not None:
        keys.append(f"{NAMESPACE}:participantLimits")
    participants = raw.get("participants")
    if isinstance(participants, list):
        keys += [
            f"{NAMESPACE}:participants[{i}].limits"
            for i, p in enumerate(participants)
            if isinstance(p, dict) and p.get("limits") is not None
        ]
    for key in keys:
        yield (
            f"{key}: API Management {tier} does not support the token limit policies (azure-openai-token-limit), so per-participant token limits "
            f"cannot be enforced. Fix: set {NAMESPACE}:gatewayTier to BasicV2 (or StandardV2, Developer, "
            "Standard), or remove the limits"
        )


# ---- models ----


@rule("deployments")
def models_answer_on_the_api_version(raw: dict[str, Any], ctx: RuleContext) -> Iterator[str]:
    """A deployment whose model needs a newer api version than the one the stack hands out cannot be called with
    it (stacks/facts/models.yaml); warnings (unknown model, retirement, DeveloperTier) are the stack layer's."""
    facts = model_facts()
    version = raw.get("inferenceApiVersion", facts.default_api_version)
    if not isinstance(version, str) or not API_VERSION_RE.fullmatch(version):
        return  # the section reports a malformed version
    items = [
        DeploymentFacts(
            key=f"{NAMESPACE}:deployments[{i}]",
            name=str(d.get("name", "")),
            model=d["model"],
            version=str(d.get("version", "")),
            sku=str(d.get("sku", "")),
        )
        for i, d in deployment_entries(raw)
        if isinstance(d.get("model"), str)
    ]
    for finding in check_deployments(
        items,
        api_version=version,
        api_version_key_path=f"{NAMESPACE}:inferenceApiVersion",
        expires_on=dt.date.max,
    ):
        if finding.severity == "error":
            yield str(finding)
