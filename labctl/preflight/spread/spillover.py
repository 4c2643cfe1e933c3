"""Spillover: when no single region holds the whole lab, spread each deployment's capacity over several regions,
the first (primary) region first, and write it as the list form of `aoai-lab:location`.

Pure arithmetic. The caller supplies `fit(region, deployment, want)`: the largest capacity <= want that the region
accepts for that deployment (quota left after what was already spread, SKU step/min/max, pooled quota), and
`commit(region, deployment, amount)` to spend it. Regions Azure refused are never passed in.

Config shape written by `preflight --write` (the first entry is the primary region: its account keeps the name the
participants' gateway already fronts; the others add accounts behind the gateway's backend pools):

    aoai-lab:location:
      - region: eastus2
        capacity: {chat: 100, embeddings: 50}
      - region: swedencentral
        capacity: {chat: 50}
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Spread:
    # region -> deployment -> capacity, regions in the order used (primary first).
    allocations: dict[str, dict[str, int]] = field(default_factory=dict)
    shortfall: dict[str, int] = field(default_factory=dict)

    @property
    def regions(self) -> list[str]:
        return list(self.allocations)

    def total(self, deployment: str) -> int:
        return sum(a.get(deployment, 0) for a in self.allocations.values())

    def location_config(self) -> list[dict[str, Any]] | str:
        """The value for `aoai-lab:location`: one region as a plain string (unchanged format), several as a list."""
        if len(self.allocations) == 1:
            return next(iter(self.allocations))
        return [{"region": r, "capacity": dict(caps)} for r, caps in self.allocations.items()]


def spread(
    targets: Mapping[str, int],
    regions: Sequence[str],
    fit: Callable[[str, str, int], int],
    commit: Callable[[str, str, int], None] | None = None,
    *,
    minimum: Mapping[str, int] | None = None,
) -> Spread:
    """Fill each deployment's target from the regions in order. A region takes a slice only if it can hold at least
    the deployment's `minimum` (default 1): a sliver of capacity is not worth an account. Regions used keep their
    order; the primary is always first even if it holds only some deployments."""
    out = Spread()
    for region in regions:
        out.allocations[region] = {}
    for deployment, target in targets.items():
        left = target
        floor = max(1, (minimum or {}).get(deployment, 1))
        for region in regions:
            if left <= 0:
                break
            got = fit(region, deployment, left)
            if got < min(floor, left) or got <= 0:
                continue
            got = min(got, left)
            out.allocations[region][deployment] = got
            if commit is not None:
                commit(region, deployment, got)
            left -= got
        if left > 0:
            out.shortfall[deployment] = left
    # Drop regions that got nothing, but keep the order of the rest.
    out.allocations = {r: a for r, a in out.allocations.items() if a}
    return out


def parse_location(value: Any) -> list[tuple[str, dict[str, int]]]:
    """`aoai-lab:location` as (region, capacities) pairs: a plain string is one region with the deployments'
    configured capacities (empty mapping). Raises ValueError with the key and the fix on a bad shape."""
    key = "aoai-lab:location"
    if isinstance(value, str):
        return [(value, {})]
    if not isinstance(value, list) or not value:
        raise ValueError(
            f"{key}: must be a region name or a list of {{region, capacity}} entries. Fix: e.g. eastus2"
        )
    out: list[tuple[str, dict[str, int]]] = []
    for i, entry in enumerate(value):
        if isinstance(entry, str):
            out.append((entry, {}))
            continue
        if not isinstance(entry, Mapping) or not isinstance(entry.get("region"), str):
            raise ValueError(f"{key}[{i}]: needs a 'region' name. Fix: - region: eastus2")
        caps = entry.get("capacity") or {}
        if not isinstance(caps, Mapping) or not all(
            isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool) and v > 0
            for k, v in caps.items()
        ):
            raise ValueError(
                f"{key}[{i}].capacity: must map deployment names to positive whole numbers. Fix: capacity: {{chat: 50}}"
            )
        out.append((entry["region"], dict(caps)))
    regions = [r for r, _ in out]
    dupes = sorted({r for r in regions if regions.count(r) > 1})
    if dupes:
        raise ValueError(f"{key}: region {dupes[0]} is listed twice. Fix: list each region once")
    return out
