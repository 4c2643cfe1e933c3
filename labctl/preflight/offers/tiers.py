"""Is the chosen API Management tier offered in a region, for this subscription?

The ARM read: `GET /subscriptions/{s}/providers/Microsoft.ApiManagement/skus?api-version=2024-05-01`
(azure-mgmt-apimanagement 5.0.0 `ApiManagementClient.api_management_skus.list()`, "Gets the list of
Microsoft.ApiManagement SKUs available for your Subscription"). Each entry (`ApiManagementSku`) has `resourceType`,
`name` (the tier: Developer, Basic, Standard, Premium, Consumption, BasicV2, StandardV2...), `locations`,
`locationInfo[].location` and `restrictions[]` (`type` Location|Zone, `values`, `restrictionInfo.locations`,
`reasonCode` QuotaId|NotAvailableForSubscription). A tier is offered in a region when the region is among its
locations and no Location restriction names it. The shape follows the resource-SKU model every Azure `skus` list
shares (compare Microsoft.Compute/skus); only the model's field names were checked, not a recorded live answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class TierVerdict(StrEnum):
    OFFERED = "offered"
    NOT_OFFERED = "not offered"
    RESTRICTED = "not offered to this subscription"
    UNKNOWN = "unknown"


def norm_region(value: str) -> str:
    """'East US 2' and 'eastus2' are the same region to ARM."""
    return "".join(value.split()).lower()


@dataclass
class TierCatalog:
    """Per tier (exact SKU name): where it is offered, and where this subscription is restricted."""

    locations: dict[str, set[str]] = field(default_factory=dict)
    restricted: dict[str, dict[str, str]] = field(default_factory=dict)

    def verdict(self, tier: str, region: str) -> tuple[TierVerdict, str]:
        if tier not in self.locations:
            return TierVerdict.UNKNOWN, f"API Management lists no {tier} SKU for this subscription"
        where = norm_region(region)
        reason = self.restricted.get(tier, {}).get(where)
        if reason is not None:
            return TierVerdict.RESTRICTED, f"API Management {tier} is restricted in {region} ({reason})"
        if where in self.locations[tier]:
            return TierVerdict.OFFERED, f"API Management {tier} is offered in {region}"
        return TierVerdict.NOT_OFFERED, f"API Management {tier} is not offered in {region}"

    def regions_for(self, tier: str) -> list[str]:
        return sorted(self.locations.get(tier, set()) - set(self.restricted.get(tier, {})))


def _get(entry: Any, rest: str, snake: str) -> Any:
    if isinstance(entry, Mapping):
        return entry.get(rest, entry.get(snake))
    return getattr(entry, snake, None)


def catalog_from_entries(entries: Iterable[Any]) -> TierCatalog:
    """SKU entries (REST JSON or SDK models) -> TierCatalog. Only the `service` resource type counts."""
    out = TierCatalog()
    for entry in entries:
        resource_type = str(_get(entry, "resourceType", "resource_type") or "service")
        if resource_type.split("/")[-1].lower() != "service":
            continue
        name = str(_get(entry, "name", "name") or "")
        if not name:
            continue
        where = out.locations.setdefault(name, set())
        where.update(norm_region(str(loc)) for loc in _get(entry, "locations", "locations") or [])
        for info in _get(entry, "locationInfo", "location_info") or []:
            loc = _get(info, "location", "location")
            if loc:
                where.add(norm_region(str(loc)))
        for r in _get(entry, "restrictions", "restrictions") or []:
            if str(_get(r, "type", "type") or "").lower() != "location":
                continue
            reason = str(_get(r, "reasonCode", "reason_code") or "restricted")
            info = _get(r, "restrictionInfo", "restriction_info")
            regions = list(_get(r, "values", "values") or []) + list(
                (_get(info, "locations", "locations") if info is not None else None) or []
            )
            for loc in regions:
                out.restricted.setdefault(name, {})[norm_region(str(loc))] = reason
    return out


def read_tier_catalog(client: Any) -> TierCatalog:
    """`client`: azure.mgmt.apimanagement.ApiManagementClient (pages followed by the SDK)."""
    return catalog_from_entries(client.api_management_skus.list())
