"""When no single region holds the lab: spread each deployment's capacity over the usable regions (the pinned or
first region first), within each region's quota, counting pooled quota once (labctl/preflight/spread/pooled.py).

A region is usable for a slice when its lists were read, an account can be created there, Azure did not refuse it
for a reason other than model quota, and the gateway tier is not refused there. A slice uses the deployment's own
`sku` (the list form of `aoai-lab:location` holds capacities only, one SKU per deployment across regions)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from labctl.preflight.model import PreflightResult, RegionAvailability
from labctl.preflight.quota.decisions import credit_own_usage
from labctl.preflight.quota.fit import align_down, evaluate_deployment
from labctl.preflight.spread.pooled import PoolLedger, build_ledger
from labctl.preflight.spread.spillover import Spread, spread
from labctl.preflight.verdicts.plans import Combined
from labctl.preflight.verdicts.refusals import REGION_KINDS, Kind


@dataclass
class SpreadPlan:
    spread: Spread
    usable: list[str]
    excluded: dict[str, str] = field(default_factory=dict)
    pooled_notes: list[str] = field(default_factory=list)


def usable_regions(
    result: PreflightResult, combined: Mapping[str, Combined] | None, pinned: str | None
) -> tuple[list[str], dict[str, str]]:
    usable: list[str] = []
    excluded: dict[str, str] = {}
    # Regions that cannot host the gateway (its tier is not offered there) may still hold a secondary account.
    no_gateway: dict[str, str] = {}
    for r in result.regions:
        c = (combined or {}).get(r.region)
        # Azure's refusals of the region itself (a model-quota refusal only limits the slice; a template
        # problem is nobody's verdict on the region).
        azure_no = [
            x for x in (c.refusals if c else []) if x.kind in REGION_KINDS and x.kind is not Kind.MODEL_QUOTA
        ]
        tier = [x for x in (c.reasons if c else []) if "API Management" in x and "not offered" in x]
        if not r.checked:
            excluded[r.region] = "its lists could not be read"
        elif not r.account_ok:
            excluded[r.region] = "account limit reached"
        elif azure_no:
            excluded[r.region] = f"Azure refuses it: {azure_no[0].plain}"
        elif c is not None and c.unvalidated:
            excluded[r.region] = "Azure could not validate it"
        else:
            usable.append(r.region)
            if tier:
                no_gateway[r.region] = tier[0]
    # The primary region (first) hosts the gateway: the pinned region if it can, else the first that can.
    hosts = [r for r in usable if r not in no_gateway]
    if not hosts:
        excluded.update(no_gateway)
        return [], excluded
    primary = pinned if pinned in hosts else hosts[0]
    usable.remove(primary)
    usable.insert(0, primary)
    return usable, excluded


def plan_spread(
    result: PreflightResult,
    settings: Any,
    availability: Mapping[str, RegionAvailability],
    raw_usages: Mapping[str, Sequence[Mapping[str, Any]]],
    today: dt.date,
    *,
    combined: Mapping[str, Combined] | None = None,
    pooled: Sequence[str] = (),
) -> SpreadPlan:
    usable, excluded = usable_regions(result, combined, settings.location)
    ledger: PoolLedger = build_ledger({r: raw_usages.get(r, []) for r in usable}, configured=pooled)
    spent: dict[tuple[str, str], int] = {}
    # deployment -> region -> (sku offer, usage name)
    offers: dict[str, dict[str, Any]] = {}
    for d in settings.deployments:
        only_own_sku = d.model_copy(update={"min_capacity": 1, "fallback_skus": ()})
        for region in usable:
            # The lab's own deployments there (a deployed lab re-checked) count as available, as in decide().
            here, _ = credit_own_usage(availability[region], settings.account_kind)
            ev = evaluate_deployment(only_own_sku, here, settings, today)
            if ev.options:
                offers.setdefault(d.name, {})[region] = ev.options[0]

    def fit(region: str, deployment: str, want: int) -> int:
        option = offers.get(deployment, {}).get(region)
        if option is None:
            return 0
        usage = option.quota.name
        if ledger.is_pooled(usage):
            left = ledger.left(usage, region)
        else:
            left = option.quota.remaining - spent.get((region, usage), 0)
        return align_down(min(want, left), option.sku) or 0

    def commit(region: str, deployment: str, amount: int) -> None:
        usage = offers[deployment][region].quota.name
        if ledger.is_pooled(usage):
            ledger.take(usage, region, amount)
        else:
            spent[(region, usage)] = spent.get((region, usage), 0) + amount

    targets = {d.name: d.capacity for d in settings.deployments}
    minimum = {d.name: 1 for d in settings.deployments}
    result_spread = spread(targets, usable, fit, commit, minimum=minimum)
    return SpreadPlan(result_spread, usable, excluded, ledger.notes())
