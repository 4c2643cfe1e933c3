"""Azure's verdict on top of the quota decision: validate each candidate region's plan with Resource Manager, check
the gateway tier there, and fold both into the PreflightResult (a region Azure refuses is never chosen; one it could
not validate is unknown, never fitting)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from azure.core.credentials import TokenCredential

from labctl.preflight.model import PreflightResult, RegionResult, Verdict
from labctl.preflight.offers.tiers import TierCatalog
from labctl.preflight.verdicts.plans import NO_FIT, PROBE_SUFFIX, UNKNOWN, Combined, combine, region_plan
from labctl.preflight.verdicts.template import PlannedLab
from labctl.preflight.verdicts.validation import RegionValidation, validate_regions


def capacities_for(result: RegionResult, settings: Any) -> tuple[dict[str, int], dict[str, str]]:
    """What to validate in a region: the capacities and SKUs preflight chose there, else each deployment's
    smallest acceptable capacity on its first SKU (so a quota refusal says what the floor needs)."""
    caps: dict[str, int] = {}
    skus: dict[str, str] = {}
    chosen = {c.deployment: c for c in result.choices}
    for d in settings.deployments:
        if d.name in chosen:
            caps[d.name] = chosen[d.name].capacity
            skus[d.name] = chosen[d.name].sku
        else:
            caps[d.name] = d.floor_capacity
            skus[d.name] = d.sku
    return caps, skus


def validate_result(
    result: PreflightResult,
    settings: Any,
    lab: PlannedLab,
    *,
    subscription_id: str,
    credential: TokenCredential,
    client_options: Mapping[str, Any],
    transport: Any,
    deadline_s: float,
    suffix: str = PROBE_SUFFIX,
    on_done: Callable[[RegionValidation], None] | None = None,
) -> dict[str, RegionValidation]:
    """Validate every candidate region whose catalog could be read or that fits, the lab named with `suffix`
    (plans.lab_suffix); regions with a definitive "not offered" are left out (Azure has nothing to add)."""
    plans = []
    for r in result.regions:
        if r.verdict is Verdict.NO_FIT and not r.checked:
            continue
        caps, skus = capacities_for(r, settings)
        plans.append(
            region_plan(
                settings,
                lab,
                r.region,
                capacities=caps,
                skus=skus,
                suffix=suffix,
            )
        )
    if not plans:
        return {}
    return validate_regions(
        plans,
        subscription_id=subscription_id,
        credential=credential,
        client_options=client_options,
        transport=transport,
        deadline_s=deadline_s,
        on_done=on_done,
    )


def _resource_group(settings: Any) -> str | None:
    """The lab's resource group name (stacks/naming.py), when the settings say which lab it is."""
    try:
        from stacks.naming import LabIdentity

        return LabIdentity(settings.project, settings.stack, settings.environment).resource_group
    except (AttributeError, TypeError, ValueError):
        return None


def apply(
    result: PreflightResult,
    settings: Any,
    validations: Mapping[str, RegionValidation] | None,
    tiers: TierCatalog | None,
) -> tuple[PreflightResult, dict[str, Combined]]:
    """The result with every region's verdict combined; the choice, skipped and closest regions recomputed."""
    combined: dict[str, Combined] = {}
    regions: list[RegionResult] = []
    for r in result.regions:
        validation = validations.get(r.region) if validations is not None else None
        tier = tiers.verdict(settings.gateway_tier, r.region) if tiers is not None else None
        c = combine(r.verdict.value, validation, tier)
        combined[r.region] = c
        updated = r
        if c.verdict == NO_FIT and r.verdict is not Verdict.NO_FIT:
            updated = replace(
                r,
                verdict=Verdict.NO_FIT,
                summary="; ".join(c.reasons) or r.summary,
                advice=[*r.advice, *dict.fromkeys(x.fix_for(_resource_group(settings)) for x in c.refusals)],
            )
        elif c.verdict == NO_FIT and c.reasons:
            updated = replace(r, advice=[*r.advice, *c.reasons])
        elif c.verdict == UNKNOWN and r.verdict is Verdict.FITS:
            updated = replace(r, verdict=Verdict.UNKNOWN, summary="; ".join(c.reasons))
        elif c.reasons:
            updated = replace(r, warnings=[*r.warnings, *c.reasons])
        regions.append(updated)
    return PreflightResult.from_regions(regions, result.zero_quota), combined
