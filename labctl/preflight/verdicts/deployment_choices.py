"""What preflight chose for each deployment in one region: its SKU and capacity there (the quota decision's, or a
spread's share), and which deployments a region holds at all. The validation template (template.py) places these
on the program's declarations."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class DeploymentChoice:
    name: str
    sku: str
    capacity: int


def choices(
    deployments: Sequence[Any],
    capacities: Mapping[str, int] | None = None,
    skus: Mapping[str, str] | None = None,
) -> tuple[DeploymentChoice, ...]:
    """Each deployment (config order) with the SKU and capacity asked of it here; one absent from a given
    `capacities` is not placed in this region (spillover)."""
    return tuple(
        DeploymentChoice(d.name, (skus or {}).get(d.name, d.sku), (capacities or {}).get(d.name, d.capacity))
        for d in deployments
        if capacities is None or d.name in capacities
    )
