"""One deployment in one region: which SKU and capacity it would get, or why none fits, and how several
deployments share one quota. Pure functions over `labctl.preflight.model`."""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from labctl.preflight.model import FINE_TUNED_MARK, ModelOffer, Quota, RegionAvailability, SkuOffer
from stacks.config.sections import DeploymentSettings, LabSettings


def align_down(value: int, sku: SkuOffer) -> int | None:
    """Largest capacity the SKU accepts that is <= value (multiples of `step`, within minimum..maximum)."""
    if sku.allowed:
        fits = [v for v in sku.allowed if v <= value and _within(v, sku)]
        return max(fits) if fits else None
    if sku.maximum is not None:
        value = min(value, sku.maximum)
    step = max(1, sku.step or 1)
    aligned = (value // step) * step
    return aligned if aligned >= max(1, sku.minimum or 1) else None


def align_up(value: int, sku: SkuOffer) -> int | None:
    """Smallest capacity the SKU accepts that is >= value."""
    if sku.allowed:
        fits = [v for v in sku.allowed if v >= value and _within(v, sku)]
        return min(fits) if fits else None
    value = max(value, sku.minimum or 1, 1)
    step = max(1, sku.step or 1)
    aligned = -(-value // step) * step
    return aligned if sku.maximum is None or aligned <= sku.maximum else None


def _within(value: int, sku: SkuOffer) -> bool:
    return (sku.minimum is None or value >= sku.minimum) and (sku.maximum is None or value <= sku.maximum)


@dataclass(frozen=True)
class _Option:
    """A SKU that offers the model and, on its own, has quota for a capacity in the lab's range."""

    sku: SkuOffer
    quota: Quota
    low: int  # smallest acceptable aligned capacity (>= minCapacity)
    high: int  # largest aligned capacity <= capacity and <= what is left
    warning: str | None = None  # said only if this SKU is the one chosen


@dataclass(frozen=True)
class _Miss:
    sku: str
    reason: str
    # Set when the SKU is offered and only quota is short: what is left (aligned) and what was needed.
    quota: Quota | None = None
    needed: int = 0
    could_get: int | None = None


@dataclass
class DeploymentEval:
    deployment: DeploymentSettings
    options: list[_Option] = field(default_factory=list)
    misses: list[_Miss] = field(default_factory=list)
    refusal: str | None = None  # the model version itself cannot be used here
    warnings: list[str] = field(default_factory=list)
    unchecked: bool = False  # fine-tuned models are not in the regional catalog

    @property
    def failure_text(self) -> str:
        if self.refusal:
            return self.refusal
        if not self.misses:
            return "not offered"
        if len(self.misses) == 1:
            return self.misses[0].reason
        return "; ".join(f"{m.sku}: {m.reason}" for m in self.misses)


def fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def label(d: DeploymentSettings) -> str:
    return f"{d.model} {d.version}"


def _matching_models(d: DeploymentSettings, avail: RegionAvailability, account_kind: str) -> list[ModelOffer]:
    return [
        m
        for m in avail.models
        if m.name == d.model
        and m.format.lower() == d.format.lower()
        and (m.kind is None or m.kind.lower() == account_kind.lower())
    ]


def evaluate_deployment(
    d: DeploymentSettings, avail: RegionAvailability, settings: LabSettings, today: dt.date
) -> DeploymentEval:
    ev = DeploymentEval(d)
    if FINE_TUNED_MARK in d.model:
        ev.unchecked = True
        ev.warnings.append(
            f"{d.name}: {d.model} is a fine-tuned model; it lives in the account that trained it, so its region "
            "and quota are not checked here"
        )
        return ev
    versions = _usable_versions(ev, avail, settings, today)
    if versions is None:
        return ev
    offers = [s for m in versions for s in m.skus if not s.is_finetune_quota]
    for sku_name in d.skus:
        found = _sku_fit(d, sku_name, offers, avail, settings, today)
        if isinstance(found, _Option):
            ev.options.append(found)
        else:
            ev.misses.append(found)
    return ev


def _usable_versions(
    ev: DeploymentEval, avail: RegionAvailability, settings: LabSettings, today: dt.date
) -> list[ModelOffer] | None:
    """The offers of the deployment's model and version, with its lifecycle warnings; None (and `ev.refusal`) when
    the region does not offer it or it is retired."""
    d = ev.deployment
    same_name = _matching_models(d, avail, settings.account_kind)
    if not same_name:
        ev.refusal = "model not offered"
        return None
    versions = [m for m in same_name if m.version == d.version]
    if not versions:
        offered = ", ".join(sorted({m.version for m in same_name}))
        ev.refusal = f"version not offered (offered: {offered})"
        return None

    replacement = _replacement(versions, same_name)
    retires = min((m.inference_retires_on for m in versions if m.inference_retires_on), default=None)
    lifecycle = next((m.lifecycle for m in versions if m.lifecycle), None)
    use = f"; use {replacement}" if replacement else ""
    if (retires is not None and retires <= today) or (lifecycle or "").lower() == "deprecated":
        when = f" {retires.isoformat()}" if retires else ""
        ev.refusal = f"retired{when}{use}"
        return None
    # A version retiring ON the lab's last day breaks that day's class: `<=`, not `<`.
    if retires is not None and retires <= settings.expires_on:
        ev.warnings.append(
            f"{d.name}: {label(d)} is retired for inference on {retires.isoformat()}, "
            f"{_before_expiry(retires, settings.expires_on)}{use}"
        )
    if (lifecycle or "").lower() == "deprecating":
        ev.warnings.append(
            f"{d.name}: {label(d)} is being deprecated: Azure accepts new deployments of it only from "
            f"subscriptions that already have one{use}"
        )
    return versions


def _sku_fit(
    d: DeploymentSettings,
    sku_name: str,
    offers: Sequence[SkuOffer],
    avail: RegionAvailability,
    settings: LabSettings,
    today: dt.date,
) -> _Option | _Miss:
    """What one SKU gives the deployment here: the capacity range the quota left allows, or why none."""
    floor, capacity = d.floor_capacity, d.capacity
    sku = next((s for s in offers if s.name.lower() == sku_name.lower()), None)
    if sku is None:
        return _Miss(sku_name, f"{sku_name} not offered")
    if sku.retires_on is not None and sku.retires_on <= today:
        return _Miss(sku_name, f"{sku_name} retired {sku.retires_on.isoformat()}")
    low, high = align_up(floor, sku), align_down(capacity, sku)
    if low is None or high is None or low > high:
        return _Miss(sku_name, _range_reason(sku, floor, capacity))
    quota = avail.usages.get(sku.usage_name or "")
    if quota is None:
        return _Miss(sku_name, f"no quota ({sku.usage_name or 'no usage name'} not reported)")
    left = quota.remaining
    if low > left:
        could = align_down(left, sku)
        return _Miss(
            sku_name,
            f"{fmt(left)} of {fmt(quota.limit)} left (needs {low})",
            quota=quota,
            needed=low,
            could_get=could,
        )
    top = align_down(min(high, left), sku)
    assert top is not None and top >= low  # low is aligned and <= left, so some aligned value fits
    warning = None
    if sku.retires_on is not None and sku.retires_on <= settings.expires_on:
        warning = (
            f"{d.name}: {sku_name} for {label(d)} is retired on {sku.retires_on.isoformat()} in "
            f"{avail.region}, {_before_expiry(sku.retires_on, settings.expires_on)}"
        )
    return _Option(sku, quota, low, top, warning)


def _before_expiry(retires: dt.date, expires: dt.date) -> str:
    if retires == expires:
        return f"the day the lab expires ({expires.isoformat()})"
    return f"before the lab expires ({expires.isoformat()})"


def _replacement(versions: Sequence[ModelOffer], same_name: Sequence[ModelOffer]) -> str | None:
    for m in versions:
        if m.replacement:
            return m.replacement
    default = next((m for m in same_name if m.is_default and m not in versions), None)
    return f"{default.name} {default.version}" if default else None


def _range_reason(sku: SkuOffer, floor: int, capacity: int) -> str:
    if sku.maximum is not None and floor > sku.maximum:
        return f"{sku.name} allows at most {sku.maximum}"
    if sku.minimum is not None and capacity < sku.minimum:
        return f"{sku.name} needs at least {sku.minimum}"
    step = f", step {sku.step}" if sku.step and sku.step > 1 else ""
    return f"no {sku.name} capacity between {floor} and {capacity}{step}"


# Above this many SKU combinations (the product of each deployment's workable SKUs, e.g. 3 SKUs for 8 deployments
# is 6561) the search stops being exhaustive and turns greedy, so a big lab never stalls preflight.
MAX_COMBINATIONS = 4096


def assign(evals: Sequence[DeploymentEval]) -> dict[str, tuple[_Option, int]] | None:
    """Pick a SKU per deployment (earlier deployments' preferences first) so that every usage name has room for
    the sum of the minimum capacities sharing it; then hand out what is left, in config order, up to each
    deployment's capacity. None if no combination fits.

    Every combination is tried (in preference order) while there are at most MAX_COMBINATIONS; beyond that the
    choice is greedy: each deployment, in config order, takes its first SKU with room for its minimum next to
    the minimums already placed. Greedy can miss a fit that needs an earlier deployment to give up its preferred
    SKU for a later one; preflight then says the region does not fit."""
    checked = [e for e in evals if not e.unchecked]
    if math.prod(len(e.options) for e in checked) <= MAX_COMBINATIONS:
        for combo in itertools.product(*(e.options for e in checked)):
            out = _fill(checked, combo)
            if out is not None:
                return out
        return None
    placed: dict[str, int] = {}
    greedy: list[_Option] = []
    for e in checked:
        opt = next((o for o in e.options if placed.get(o.quota.name, 0) + o.low <= o.quota.remaining), None)
        if opt is None:
            return None
        placed[opt.quota.name] = placed.get(opt.quota.name, 0) + opt.low
        greedy.append(opt)
    return _fill(checked, tuple(greedy))


def _fill(
    checked: Sequence[DeploymentEval], combo: Sequence[_Option]
) -> dict[str, tuple[_Option, int]] | None:
    """Capacities for one SKU choice per deployment, or None if the minimums do not fit together."""
    groups: dict[str, list[tuple[DeploymentEval, _Option]]] = {}
    for e, opt in zip(checked, combo, strict=True):
        groups.setdefault(opt.quota.name, []).append((e, opt))
    if any(sum(o.low for _, o in members) > members[0][1].quota.remaining for members in groups.values()):
        return None
    out: dict[str, tuple[_Option, int]] = {}
    for members in groups.values():
        spare = members[0][1].quota.remaining - sum(o.low for _, o in members)
        for e, opt in members:
            # Grow from the minimum by what is spare, down to the SKU's step (73 left, two of 10-50 in steps of
            # 5: 50 and 20, never 50 and 23).
            grown = align_down(min(opt.high, opt.low + spare), opt.sku) or opt.low
            grown = max(grown, opt.low)
            spare -= grown - opt.low
            out[e.deployment.name] = (opt, grown)
    return out


@dataclass(frozen=True)
class _Overflow:
    usage: str
    names: tuple[str, ...]
    need: int
    left: int

    @property
    def text(self) -> str:
        return f"{self.usage} shared by {' + '.join(self.names)}: need {self.need}, {self.left} left"


def shared_overflow(evals: Sequence[DeploymentEval]) -> dict[str, _Overflow]:
    """Why deployments that each fit alone do not fit together: the usage names they over-subscribe, judged on
    every deployment's first workable SKU."""
    groups: dict[str, list[tuple[DeploymentEval, _Option]]] = {}
    for e in evals:
        if e.options and not e.unchecked:
            groups.setdefault(e.options[0].quota.name, []).append((e, e.options[0]))
    found: dict[str, _Overflow] = {}
    for usage, members in groups.items():
        need = sum(o.low for _, o in members)
        left = members[0][1].quota.remaining
        if len(members) > 1 and need > left:
            over = _Overflow(usage, tuple(e.deployment.name for e, _ in members), need, left)
            for e, _ in members:
                found[e.deployment.name] = over
    return found
