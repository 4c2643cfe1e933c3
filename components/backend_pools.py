"""Backend pool facts and weights, standard library only (the policy pack's guardrails import them too).

Pool members take `priority` and `weight` from 0 to 100: Azure/azure-rest-api-specs,
specification/apimanagement/resource-manager/Microsoft.ApiManagement/stable/2024-05-01/definitions.json,
BackendPoolItem (azure-mgmt-apimanagement 5.0.0's model validates `minimum: 0, maximum: 100`). Lower priority
numbers are tried first; within a priority, calls are spread by weight
(learn.microsoft.com/azure/api-management/backends, "Load-balanced pool").
"""

from __future__ import annotations

from collections.abc import Sequence

POOL_VALUE_MIN = 0
POOL_VALUE_MAX = 100


def pool_weights(capacities: Sequence[int]) -> list[int]:
    """Weights in 1..100 keeping the capacities' ratio: the largest region gets 100, none gets 0 (a weight of 0
    would send it no calls). A spread lab's 150 and 300 become 50 and 100."""
    if not capacities or min(capacities) <= 0:
        raise ValueError(f"pool capacities must be positive: {list(capacities)}")
    top = max(capacities)
    return [max(1, round(POOL_VALUE_MAX * c / top)) for c in capacities]
