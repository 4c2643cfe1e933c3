"""What a region offers (models, SKUs, quota) and what preflight concludes about it: plain data, no I/O.

`labctl.preflight.offers.availability` fills the offers from ARM (live or from a snapshot); `labctl.preflight.quota.decisions`
fills the results."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from labctl.errors import EXIT_AZURE, EXIT_NO_FIT, EXIT_OK

# The models list repeats fine-tunable models with the fine-tuning quota's usage name; that quota is not the one a
# base-model deployment consumes.
FINETUNE_SUFFIX = "-finetune"


# A fine-tuned model id (`<base>.ft-<hex>`) lives in the account that trained it, not in a region's catalog.
FINE_TUNED_MARK = ".ft-"


QUOTA_INCREASE_URL = "https://aka.ms/oai/quotaincrease"


def account_count_usage(account_kind: str) -> str:
    """Usage name of the per-region account limit (`OpenAI.S0.AccountCount` for kind OpenAI)."""
    return f"{account_kind}.S0.AccountCount"


@dataclass(frozen=True)
class SkuOffer:
    """One deployment type of one model version in a region (`model.skus[]`)."""

    name: str
    usage_name: str | None
    minimum: int | None = None
    maximum: int | None = None
    step: int | None = None
    allowed: tuple[int, ...] = ()
    retires_on: dt.date | None = None

    @property
    def is_finetune_quota(self) -> bool:
        return bool(self.usage_name) and str(self.usage_name).lower().endswith(FINETUNE_SUFFIX)


@dataclass(frozen=True)
class ModelOffer:
    """One model version in a region's catalog (`value[].model`)."""

    name: str
    version: str
    format: str = "OpenAI"
    kind: str | None = None
    lifecycle: str | None = None
    inference_retires_on: dt.date | None = None
    # What the API suggests instead (`replacementConfig`), as "name version".
    replacement: str | None = None
    is_default: bool = False
    skus: tuple[SkuOffer, ...] = ()


@dataclass(frozen=True)
class Quota:
    name: str
    current: float
    limit: float

    @property
    def remaining(self) -> int:
        return max(0, math.floor(self.limit - self.current))


@dataclass(frozen=True)
class RegionFailure:
    """Why a region's lists could not be read. `definitive` failures (Azure OpenAI is not offered there) mean the
    lab cannot go there; the others (throttling, 5xx, timeouts) leave the region unknown."""

    message: str
    code: str | None = None
    status: int | None = None
    definitive: bool = False


@dataclass(frozen=True)
class ExistingDeployment:
    """A deployment of the lab's own account, already in the region (`accounts/{a}/deployments`)."""

    account: str
    name: str
    model: str
    version: str
    sku: str
    capacity: int
    format: str = "OpenAI"


@dataclass(frozen=True)
class RegionAvailability:
    region: str
    models: tuple[ModelOffer, ...] = ()
    usages: Mapping[str, Quota] = field(default_factory=dict)
    failure: RegionFailure | None = None
    # The lab itself, when it is already deployed here: its usage is its own to reuse, not a competitor's.
    lab_accounts: tuple[str, ...] = ()
    lab_deployments: tuple[ExistingDeployment, ...] = ()


class Verdict(StrEnum):
    FITS = "fits"
    NO_FIT = "no fit"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Choice:
    deployment: str
    sku: str
    capacity: int
    asked: int
    usage_name: str | None

    @property
    def lowered(self) -> bool:
        return self.capacity < self.asked


@dataclass(frozen=True)
class Cell:
    """One table cell: the SKU and capacity chosen, or the reason the deployment does not fit."""

    text: str
    ok: bool
    choice: Choice | None = None


@dataclass
class RegionResult:
    region: str
    verdict: Verdict
    summary: str
    cells: dict[str, Cell]
    warnings: list[str] = field(default_factory=list)
    # For a region that does not fit: what would make it fit.
    advice: list[str] = field(default_factory=list)
    account_ok: bool = True
    # False when the region's lists could not be read (the cells say nothing).
    checked: bool = False
    deployments_ok: int = 0
    shortfall: int = 0
    has_quota: bool = False
    # What of the lab's own usage here was counted as available (the lab is already deployed in this region).
    credited: list[str] = field(default_factory=list)

    @property
    def choices(self) -> list[Choice]:
        return [c.choice for c in self.cells.values() if c.choice is not None]


@dataclass
class PreflightResult:
    regions: list[RegionResult]
    chosen: RegionResult | None
    closest: RegionResult | None
    zero_quota: bool
    # Candidate regions ahead of the chosen one that could not be checked.
    skipped_unknown: list[str] = field(default_factory=list)

    @classmethod
    def from_regions(cls, regions: list[RegionResult], zero_quota: bool | None = None) -> PreflightResult:
        """The first region that fits wins; the regions ahead of it that could not be checked are reported as
        skipped; with no winner, the closest checked region is the one to show. `zero_quota` (no quota in any
        checked region) is computed from the regions unless given; it only counts when nothing fits."""
        chosen = next((r for r in regions if r.verdict is Verdict.FITS), None)
        skipped: list[str] = []
        if chosen is not None:
            for r in regions:
                if r is chosen:
                    break
                if r.verdict is Verdict.UNKNOWN:
                    skipped.append(r.region)
        checked = [r for r in regions if r.checked]
        if zero_quota is None:
            zero_quota = bool(checked) and not any(r.has_quota for r in checked)
        closest = None
        if chosen is None and checked:
            closest = max(checked, key=lambda r: (r.account_ok, r.deployments_ok, -r.shortfall))
        return cls(regions, chosen, closest, zero_quota and chosen is None, skipped)

    @property
    def unknown(self) -> list[str]:
        """Candidate regions that could not be checked (throttling, 5xx, timeouts)."""
        return [r.region for r in self.regions if r.verdict is Verdict.UNKNOWN]

    @property
    def all_unknown(self) -> bool:
        return bool(self.regions) and len(self.unknown) == len(self.regions)

    @property
    def exit_code(self) -> int:
        """0: a region fits; 5: none does, and every region was checked; 4: none of the checked regions fits but
        some could not be checked (the answer is not known), or nothing could be checked."""
        if self.chosen is not None:
            return EXIT_OK
        return EXIT_AZURE if self.unknown else EXIT_NO_FIT
