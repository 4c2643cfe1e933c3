"""What validation sends for each region (the program's lab from the plan, under preflight's names and choices),
and how the verdicts combine.

Names follow stacks/naming.py (the program's naming contract).
The suffix is random and lives in Pulumi state; a lab already deployed is validated under its real names (read by
preflight from the resource group), a new one under PROBE_SUFFIX, so nothing is ever reserved or created.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from labctl.preflight.model import RegionAvailability
from labctl.preflight.offers.tiers import TierVerdict
from labctl.preflight.verdicts.deployment_choices import choices
from labctl.preflight.verdicts.refusals import Refusal
from labctl.preflight.verdicts.template import PlannedAccount, PlannedLab, RegionPlan, TemplateError
from labctl.preflight.verdicts.validation import Outcome, RegionValidation
from stacks.naming import LabIdentity

PROBE_SUFFIX = "pf000"

# The verdict words of labctl preflight (Verdict in the decisions module compares equal to these).
FITS, NO_FIT, UNKNOWN = "fits", "no fit", "unknown"


def region_plan(
    settings: Any,
    lab: PlannedLab,
    region: str,
    *,
    capacities: Mapping[str, int] | None = None,
    skus: Mapping[str, str] | None = None,
    suffix: str = PROBE_SUFFIX,
    account_name: str | None = None,
    gateway_name: str | None = None,
    with_gateway: bool = True,
    account: PlannedAccount | None = None,
) -> RegionPlan:
    """The program's lab (`lab`, from the plan) in one region: `account` (the primary's unless given) under
    `account_name`. `capacities`/`skus` override per deployment name (what preflight chose there); a deployment
    absent from a given `capacities` mapping is not planned in this region (spillover)."""
    identity = LabIdentity(settings.project, settings.stack, settings.environment)
    return RegionPlan(
        region=region,
        lab=lab,
        account=account or lab.primary,
        account_name=account_name or identity.account(suffix),
        deployments=choices(settings.deployments, capacities, skus),
        gateway_name=(gateway_name or identity.gateway(suffix)) if with_gateway else None,
    )


def lab_suffix(settings: Any, availability: Mapping[str, RegionAvailability]) -> str:
    """The suffix every region's validation names the lab with: the deployed lab's own (its account read in its
    pinned region), so validation meets what `pulumi up` would; else PROBE_SUFFIX."""
    region = settings.account_location if settings.location else None
    avail = availability.get(region) if region else None
    if avail is None or not avail.lab_accounts:
        return PROBE_SUFFIX
    identity = LabIdentity(settings.project, settings.stack, settings.environment)
    return avail.lab_accounts[0][len(identity.base) + 1 :]


def spread_region_plan(
    settings: Any,
    lab: PlannedLab,
    region: str,
    *,
    capacities: Mapping[str, int],
    suffix: str = PROBE_SUFFIX,
) -> RegionPlan:
    """One region of a spread, with the capacities preflight placed there, as `lab` (the plan of the stack with that
    spread pinned) declares it: the primary region gets the primary's account and the gateway, another region its
    own account (its name, properties, content filter, each deployment's body as declared for it). Which deployments,
    their SKU and capacity are preflight's: what `--write` would pin."""
    if region == lab.primary.region:
        return region_plan(settings, lab, region, capacities=capacities, suffix=suffix)
    own = lab.regional.get(region)
    if own is None:
        raise TemplateError(f"the plan of the spread has no account in {region}")
    primary_name = LabIdentity(settings.project, settings.stack, settings.environment).account(suffix)
    return region_plan(
        settings,
        lab,
        region,
        capacities=capacities,
        account=own,
        account_name=lab.name_under(own, primary_name),
        with_gateway=False,
    )


@dataclass
class Combined:
    verdict: str
    reasons: list[str] = field(default_factory=list)
    refusals: list[Refusal] = field(default_factory=list)
    # Azure accepted the region (validation ran and passed).
    validated: bool = False
    # Validation ran but gave no verdict for the region (throttled, 5xx, deadline).
    unvalidated: bool = False


def combine(
    quota_verdict: str,
    validation: RegionValidation | None,
    tier: tuple[TierVerdict, str] | None,
) -> Combined:
    """One region's final verdict from the quota decision, Azure's validation and the gateway tier check.

    - Azure refuses (validation REFUSED) or the tier is not offered -> "no fit": never chosen.
    - The quota says no fit -> "no fit".
    - Validation asked but not finished or failed for reasons not the region's -> "unknown" even if quota fits.
    - Validation not asked (None: offline, snapshot) -> the quota verdict stands.
    """
    reasons: list[str] = []
    refused = False
    if validation is not None and validation.outcome is Outcome.REFUSED:
        refused = True
        reasons.extend(f"Azure refuses: {r.plain}" for r in validation.refusals or [])
        if not validation.refusals:
            reasons.append(f"Azure refuses: {validation.note}")
    if tier is not None and tier[0] in (TierVerdict.NOT_OFFERED, TierVerdict.RESTRICTED):
        refused = True
        reasons.append(tier[1])
    refusals = list(validation.refusals) if validation is not None else []
    unvalidated = validation is not None and validation.outcome is Outcome.UNKNOWN
    if refused or str(quota_verdict) == NO_FIT:
        return Combined(NO_FIT, reasons, refusals, unvalidated=unvalidated)
    if str(quota_verdict) == UNKNOWN:
        return Combined(UNKNOWN, reasons, refusals)
    if unvalidated:
        assert validation is not None
        return Combined(
            UNKNOWN, [f"could not validate with Azure: {validation.note}"], refusals, unvalidated=True
        )
    if tier is not None and tier[0] is TierVerdict.UNKNOWN:
        reasons.append(f"gateway tier not checked: {tier[1]}")
    return Combined(FITS, reasons, refusals, validated=validation is not None)
