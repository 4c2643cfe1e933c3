"""API Management tiers: one record per tier, for the config check, the gateway component and `labctl diff`.

Sources:
- Features per tier: learn.microsoft.com/azure/api-management/api-management-features (resource logs, managed
  identity), llm-token-limit-policy (every tier except Consumption), rate-limit-by-key-policy ("APPLIES TO: Developer
  | Basic | Basic v2 | Standard | Standard v2 | Premium | Premium v2": neither Consumption nor Isolated).
- Families: a service scales within its family but cannot move between classic, v2 and Consumption in place
  (learn.microsoft.com/azure/api-management/upgrade-and-scale: "you can't change from a classic tier to a v2 tier").
- enableClientCertificate: classic tiers reject `false` ("Setting EnableClientCertificate flag to false is not
  supported for Developer SKU", pulumi/pulumi-azure-native#1741).
- Provisioning time: classic tiers take 30-40+ minutes (learn.microsoft.com/azure/api-management/
  get-started-create-service-instance: "can take 30 to 40 minutes"), v2 tiers minutes
  (learn.microsoft.com/azure/api-management/v2-service-tiers-overview: "faster deployment").
- Idle cost: rough public list prices per unit and month, 2026 (azure.microsoft.com/pricing/details/api-management).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Family = Literal["classic", "v2", "consumption"]


@dataclass(frozen=True)
class ApimTier:
    name: str  # the service's `sku.name`
    family: Family
    # The lab offers it in `aoai-lab:gatewayTier` (Isolated and PremiumV2 are known, so `labctl diff` can judge a
    # move between families, but the lab does not deploy them).
    offered: bool
    # Units the lab declares: Consumption scales itself and must be declared with capacity 0.
    capacity: int
    resource_logs: bool  # GatewayLogs to Log Analytics
    llm_token_limit: bool  # the llm-token-limit / azure-openai-token-limit policies
    rate_limit_by_key: bool  # calls per key (aoai-lab:callsPerMinute)
    provisions_in_minutes: bool
    idle_usd_per_month: int  # one unit, rough

    @property
    def classic(self) -> bool:
        return self.family == "classic"

    @property
    def enable_client_certificate(self) -> bool:
        """The value to send for `enableClientCertificate`: classic tiers accept only true (and ignore it)."""
        return self.classic


APIM_TIERS: dict[str, ApimTier] = {
    t.name: t
    for t in (
        ApimTier("Consumption", "consumption", True, 0, False, False, False, True, 0),
        ApimTier("Developer", "classic", True, 1, True, True, True, False, 50),
        ApimTier("Basic", "classic", True, 1, True, True, True, False, 150),
        ApimTier("Standard", "classic", True, 1, True, True, True, False, 700),
        ApimTier("Premium", "classic", True, 1, True, True, True, False, 2800),
        ApimTier("Isolated", "classic", False, 1, True, True, False, False, 0),
        ApimTier("BasicV2", "v2", True, 1, True, True, True, True, 150),
        ApimTier("StandardV2", "v2", True, 1, True, True, True, True, 700),
        ApimTier("PremiumV2", "v2", False, 1, True, True, True, True, 0),
    )
}
# The tiers `aoai-lab:gatewayTier` accepts, in the order the config error lists them.
OFFERED_TIERS: tuple[str, ...] = tuple(t.name for t in APIM_TIERS.values() if t.offered)
DEFAULT_TIER = "BasicV2"


def family_of(tier: str) -> str:
    """A tier's family; a tier this table does not know counts as a family of its own (better a warning in
    `labctl diff` than a surprise)."""
    known = APIM_TIERS.get(tier)
    return known.family if known else tier
