"""Pooled quota: count a subscription-wide pool once across regions.

What Microsoft documents (learn.microsoft.com/azure/foundry/foundry-models/quotas-limits, "Subscription-level quota
management", after May 7, 2026): for models onboarded to the new system, "Global Standard: deployments of the same
model and version share one quota pool across all regions in a subscription" and "Data Zone Standard: ... one quota
pool per data zone (for example, US or EU)". Which models are onboarded shows in the Foundry portal's Quota page
(Scope column: Global or Data Zone = subscription-level; otherwise per region).

What we could NOT find: how `GET .../locations/{l}/usages` reports such a pool. The published examples
(azure-rest-api-specs cognitiveservices 2025-10-01-preview ListUsages.json) carry only name/currentValue/limit/unit.
ASSUMPTION, stated so it can be checked against a live answer: every region's usages list carries the pooled usage
under its usual name with the pool's subscription-wide currentValue and limit, so adding the regions' remaining
quota would count the pool once per region. A usage is treated as pooled when
  1. its entry says so (`scope` / `quotaScope` of Global, DataZone or Subscription: accepted if Azure adds such a
     field, as the portal's Scope column suggests), or
  2. the user names it (`labctl preflight --pooled-quota NAME`, after checking the portal's Quota page), or
  3. it is in KNOWN_POOLED below (empty until a model's pooling is confirmed).
Usages that merely look alike across regions are only reported (`looks_pooled`), never assumed pooled.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

# Usage names (lower case) confirmed pooled. Keep the source next to each entry.
KNOWN_POOLED: dict[str, str] = {}

# Data zones of Data Zone Standard pools. The quotas page names the US and EU zones; the member regions below are
# Azure's US-geography and EU-member-state regions, NOT checked against the deployment-types page (the look-up found
# no list). Regions not listed are their own zone, so an unlisted region is never pooled with another one.
DATA_ZONES: dict[str, str] = {
    **dict.fromkeys(
        (
            "eastus",
            "eastus2",
            "centralus",
            "northcentralus",
            "southcentralus",
            "westus",
            "westus2",
            "westus3",
            "westcentralus",
        ),
        "US",
    ),
    **dict.fromkeys(
        (
            "francecentral",
            "germanywestcentral",
            "italynorth",
            "northeurope",
            "polandcentral",
            "spaincentral",
            "swedencentral",
            "westeurope",
            "switzerlandnorth",
            "norwayeast",
        ),
        "EU",
    ),
}
POOL_SCOPES = {"global": "global", "datazone": "datazone", "data zone": "datazone", "subscription": "global"}


def pool_scope_of(entry: Mapping[str, Any]) -> str | None:
    """The pool scope an ARM usage entry declares (assumption 1 above), or None."""
    for key in ("scope", "quotaScope"):
        value = entry.get(key)
        if isinstance(value, str) and value.strip().lower() in POOL_SCOPES:
            return POOL_SCOPES[value.strip().lower()]
    return None


def default_scope(usage_name: str) -> str:
    """A pooled usage's scope when only its name is known: Data Zone SKUs pool per zone, the rest globally."""
    return "datazone" if ".datazone" in usage_name.lower() else "global"


def pool_key(usage_name: str, scope: str, region: str) -> str:
    if scope == "datazone":
        return f"{usage_name}@{DATA_ZONES.get(region, region)}"
    return f"{usage_name}@subscription"


@dataclass(frozen=True)
class Pool:
    usage_name: str
    scope: str
    key: str
    # The pool's remaining quota, as the most pessimistic region reports it.
    remaining: int
    regions: tuple[str, ...]


@dataclass
class PoolLedger:
    """Requests against pooled usages across regions: each pool's remaining quota is spent once, whichever region
    asks. Non-pooled usages are not tracked here (they stay per region)."""

    pools: dict[str, Pool] = field(default_factory=dict)
    spent: dict[str, int] = field(default_factory=dict)
    # usage name (lower) -> scope, for the usages known to be pooled.
    pooled: dict[str, str] = field(default_factory=dict)

    def is_pooled(self, usage_name: str | None) -> bool:
        return bool(usage_name) and usage_name.lower() in self.pooled  # type: ignore[union-attr]

    def key(self, usage_name: str, region: str) -> str:
        return pool_key(usage_name, self.pooled[usage_name.lower()], region)

    def left(self, usage_name: str, region: str) -> int:
        key = self.key(usage_name, region)
        pool = self.pools.get(key)
        return 0 if pool is None else max(0, pool.remaining - self.spent.get(key, 0))

    def take(self, usage_name: str, region: str, amount: int) -> int:
        """Spend up to `amount` from the pool; returns what was granted."""
        key = self.key(usage_name, region)
        granted = min(amount, self.left(usage_name, region))
        self.spent[key] = self.spent.get(key, 0) + granted
        return granted

    def notes(self) -> list[str]:
        out = []
        for key, pool in sorted(self.pools.items()):
            where = "across all regions" if pool.scope == "global" else f"in data zone {key.split('@')[1]}"
            out.append(
                f"{pool.usage_name} is pooled per subscription {where}: {pool.remaining} left in the pool, counted "
                f"once ({self.spent.get(key, 0)} asked by this plan); moving region adds no quota for it"
            )
        return out


def build_ledger(
    usages_by_region: Mapping[str, Iterable[Mapping[str, Any]]],
    *,
    configured: Iterable[str] = (),
) -> PoolLedger:
    """Raw ARM usage entries per region (`value[]` of locations/{l}/usages) -> the pools among them."""
    ledger = PoolLedger()
    names = {n.lower(): default_scope(n) for n in configured}
    names.update({n: default_scope(n) for n in KNOWN_POOLED})
    seen: dict[str, list[tuple[str, float, float]]] = {}
    for region, entries in usages_by_region.items():
        for entry in entries:
            name = str((entry.get("name") or {}).get("value") or "")
            if not name:
                continue
            declared = pool_scope_of(entry)
            if declared:
                names[name.lower()] = declared
            seen.setdefault(name, []).append(
                (region, float(entry.get("currentValue") or 0), float(entry.get("limit") or 0))
            )
    for name, rows in seen.items():
        scope = names.get(name.lower())
        if scope is None:
            continue
        ledger.pooled[name.lower()] = scope
        grouped: dict[str, list[tuple[str, float, float]]] = {}
        for row in rows:
            grouped.setdefault(pool_key(name, scope, row[0]), []).append(row)
        for key, members in grouped.items():
            # Regions report the same pool; if they disagree (a read mid-change), trust the smallest remainder.
            remaining = min(max(0, math.floor(limit - current)) for _, current, limit in members)
            ledger.pools[key] = Pool(name, scope, key, remaining, tuple(r for r, _, _ in members))
    return ledger


def looks_pooled(usages_by_region: Mapping[str, Iterable[Mapping[str, Any]]]) -> list[str]:
    """Usage names with the same nonzero currentValue and the same limit in every one of 2+ regions: a hint (never
    acted on) that the quota may be pooled, worth checking on the portal's Quota page."""
    values: dict[str, set[tuple[float, float]]] = {}
    counts: dict[str, int] = {}
    for entries in usages_by_region.values():
        for entry in entries:
            name = str((entry.get("name") or {}).get("value") or "")
            if not name or name.lower().endswith("accountcount"):
                continue
            values.setdefault(name, set()).add(
                (float(entry.get("currentValue") or 0), float(entry.get("limit") or 0))
            )
            counts[name] = counts.get(name, 0) + 1
    return sorted(n for n, v in values.items() if counts[n] >= 2 and len(v) == 1 and next(iter(v))[0] > 0)
