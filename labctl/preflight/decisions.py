"""Does the whole lab fit a region? Pure decisions over what ARM says about that region.

`labctl.preflight.availability` turns the `locations/{l}/models` and `locations/{l}/usages` lists (live or from a snapshot)
into the dataclasses below; `decide()` walks the candidate regions in order and returns, per region, the SKU and
capacity each deployment would get or why it cannot. No I/O and no clock here: `today` is an argument, so every
rule is unit-tested on plain data.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

from labctl.errors import EXIT_AZURE, EXIT_NO_FIT, EXIT_OK
from stacks.config.sections import DeploymentSettings, LabSettings

# The models list repeats fine-tunable models with the fine-tuning quota's usage name; that quota is not the one a
# base-model deployment consumes.
FINETUNE_SUFFIX = "-finetune"
# A fine-tuned model id (`<base>.ft-<hex>`) lives in the account that trained it, not in a region's catalog.
FINE_TUNED_MARK = ".ft-"
QUOTA_INCREASE_URL = "https://aka.ms/oai/quotaincrease"


def account_count_usage(account_kind: str) -> str:
    """Usage name of the per-region account limit (`OpenAI.S0.AccountCount` for kind OpenAI)."""
    return f"{account_kind}.S0.AccountCount"


# ---- what a region offers ----


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


# ---- what preflight concludes ----


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


# ---- capacity arithmetic ----


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


# ---- one deployment in one region ----


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
class _DeploymentEval:
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


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _label(d: DeploymentSettings) -> str:
    return f"{d.model} {d.version}"


def _matching_models(d: DeploymentSettings, avail: RegionAvailability, account_kind: str) -> list[ModelOffer]:
    return [
        m
        for m in avail.models
        if m.name == d.model
        and m.format.lower() == d.format.lower()
        and (m.kind is None or m.kind.lower() == account_kind.lower())
    ]


def _evaluate_deployment(
    d: DeploymentSettings, avail: RegionAvailability, settings: LabSettings, today: dt.date
) -> _DeploymentEval:
    ev = _DeploymentEval(d)
    if FINE_TUNED_MARK in d.model:
        ev.unchecked = True
        ev.warnings.append(
            f"{d.name}: {d.model} is a fine-tuned model; it lives in the account that trained it, so its region "
            "and quota are not checked here"
        )
        return ev
    same_name = _matching_models(d, avail, settings.account_kind)
    if not same_name:
        ev.refusal = "model not offered"
        return ev
    versions = [m for m in same_name if m.version == d.version]
    if not versions:
        offered = ", ".join(sorted({m.version for m in same_name}))
        ev.refusal = f"version not offered (offered: {offered})"
        return ev

    replacement = _replacement(versions, same_name)
    retires = min((m.inference_retires_on for m in versions if m.inference_retires_on), default=None)
    lifecycle = next((m.lifecycle for m in versions if m.lifecycle), None)
    use = f"; use {replacement}" if replacement else ""
    if (retires is not None and retires <= today) or (lifecycle or "").lower() == "deprecated":
        when = f" {retires.isoformat()}" if retires else ""
        ev.refusal = f"retired{when}{use}"
        return ev
    # A version retiring ON the lab's last day breaks that day's class: `<=`, not `<`.
    if retires is not None and retires <= settings.expires_on:
        ev.warnings.append(
            f"{d.name}: {_label(d)} is retired for inference on {retires.isoformat()}, "
            f"{_before_expiry(retires, settings.expires_on)}{use}"
        )
    if (lifecycle or "").lower() == "deprecating":
        ev.warnings.append(
            f"{d.name}: {_label(d)} is being deprecated: Azure accepts new deployments of it only from "
            f"subscriptions that already have one{use}"
        )

    offers = [s for m in versions for s in m.skus if not s.is_finetune_quota]
    floor, capacity = d.floor_capacity, d.capacity
    for sku_name in d.skus:
        sku = next((s for s in offers if s.name.lower() == sku_name.lower()), None)
        if sku is None:
            ev.misses.append(_Miss(sku_name, f"{sku_name} not offered"))
            continue
        if sku.retires_on is not None and sku.retires_on <= today:
            ev.misses.append(_Miss(sku_name, f"{sku_name} retired {sku.retires_on.isoformat()}"))
            continue
        low, high = align_up(floor, sku), align_down(capacity, sku)
        if low is None or high is None or low > high:
            ev.misses.append(_Miss(sku_name, _range_reason(sku, floor, capacity)))
            continue
        quota = avail.usages.get(sku.usage_name or "")
        if quota is None:
            ev.misses.append(_Miss(sku_name, f"no quota ({sku.usage_name or 'no usage name'} not reported)"))
            continue
        left = quota.remaining
        if low > left:
            could = align_down(left, sku)
            ev.misses.append(
                _Miss(
                    sku_name,
                    f"{_fmt(left)} of {_fmt(quota.limit)} left (needs {low})",
                    quota=quota,
                    needed=low,
                    could_get=could,
                )
            )
            continue
        top = align_down(min(high, left), sku)
        assert top is not None and top >= low  # low is aligned and <= left, so some aligned value fits
        warning = None
        if sku.retires_on is not None and sku.retires_on <= settings.expires_on:
            warning = (
                f"{d.name}: {sku_name} for {_label(d)} is retired on {sku.retires_on.isoformat()} in "
                f"{avail.region}, {_before_expiry(sku.retires_on, settings.expires_on)}"
            )
        ev.options.append(_Option(sku, quota, low, top, warning))
    return ev


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


# ---- one region ----


# Above this many SKU combinations (the product of each deployment's workable SKUs, e.g. 3 SKUs for 8 deployments
# is 6561) the search stops being exhaustive and turns greedy, so a big lab never stalls preflight.
MAX_COMBINATIONS = 4096


def _assign(evals: Sequence[_DeploymentEval]) -> dict[str, tuple[_Option, int]] | None:
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
    checked: Sequence[_DeploymentEval], combo: Sequence[_Option]
) -> dict[str, tuple[_Option, int]] | None:
    """Capacities for one SKU choice per deployment, or None if the minimums do not fit together."""
    groups: dict[str, list[tuple[_DeploymentEval, _Option]]] = {}
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


def _shared_overflow(evals: Sequence[_DeploymentEval]) -> dict[str, _Overflow]:
    """Why deployments that each fit alone do not fit together: the usage names they over-subscribe, judged on
    every deployment's first workable SKU."""
    groups: dict[str, list[tuple[_DeploymentEval, _Option]]] = {}
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


def credit_own_usage(avail: RegionAvailability, account_kind: str) -> tuple[RegionAvailability, list[str]]:
    """The region's usages with the lab's own deployments and account counted as available again.

    Re-running preflight for a lab that is deployed here must not count its deployments against it: `pulumi up`
    updates them in place (or removes them), and keeps the account. A deployment's usage name comes from the
    models list (model, version and SKU), as for the lab's own deployments; one whose model is no longer listed
    is not credited (said in the returned notes)."""
    if not avail.lab_accounts and not avail.lab_deployments:
        return avail, []
    credits: dict[str, int] = {}
    notes: list[str] = []
    uncredited: list[str] = []
    for d in avail.lab_deployments:
        usage = _usage_name_of(d, avail, account_kind)
        if usage is None or usage not in avail.usages:
            uncredited.append(f"{d.name} ({d.model} {d.version} {d.sku} {d.capacity})")
            continue
        credits[usage] = credits.get(usage, 0) + d.capacity
        notes.append(f"{d.name} {d.sku} {d.capacity} on {usage}")
    usages = dict(avail.usages)
    for name, amount in credits.items():
        q = usages[name]
        usages[name] = Quota(name, max(0.0, q.current - amount), q.limit)
    account_usage = account_count_usage(account_kind)
    if avail.lab_accounts and account_usage in usages:
        # The lab keeps its one account; any other match would still count.
        q = usages[account_usage]
        usages[account_usage] = Quota(account_usage, max(0.0, q.current - 1), q.limit)
        notes.append(f"its account {avail.lab_accounts[0]}")
    if uncredited:
        notes.append(
            f"not counted: {', '.join(uncredited)}, whose model is not in the models list (its quota is unknown)"
        )
    return replace(avail, usages=usages), notes


def _usage_name_of(d: ExistingDeployment, avail: RegionAvailability, account_kind: str) -> str | None:
    for m in avail.models:
        if (
            m.name == d.model
            and m.version == d.version
            and m.format.lower() == d.format.lower()
            and (m.kind is None or m.kind.lower() == account_kind.lower())
        ):
            for sku in m.skus:
                if sku.name.lower() == d.sku.lower() and not sku.is_finetune_quota and sku.usage_name:
                    return sku.usage_name
    return None


def evaluate_region(settings: LabSettings, avail: RegionAvailability, today: dt.date) -> RegionResult:
    names = [d.name for d in settings.deployments]
    if avail.failure is not None:
        verdict = Verdict.NO_FIT if avail.failure.definitive else Verdict.UNKNOWN
        mark = "-" if avail.failure.definitive else "?"
        return RegionResult(
            avail.region,
            verdict,
            avail.failure.message,
            {n: Cell(mark, ok=False) for n in names},
            account_ok=not avail.failure.definitive,
        )

    avail, credited = credit_own_usage(avail, settings.account_kind)
    result = RegionResult(avail.region, Verdict.NO_FIT, "", {}, checked=True, credited=credited)
    # Free, trial and Azure Pass subscriptions list the usages with a limit of 0.
    prefixes = ("OpenAI.", f"{settings.account_kind}.")
    result.has_quota = any(
        q.limit > 0
        for q in avail.usages.values()
        if q.name.startswith(prefixes) and "AccountCount" not in q.name
    )

    account = avail.usages.get(account_count_usage(settings.account_kind))
    if account is not None and account.remaining < 1:
        result.account_ok = False
        result.advice.append(
            f"delete an unused {settings.account_kind} account in {avail.region} and purge soft-deleted ones "
            f"({_fmt(account.current)} of {_fmt(account.limit)} accounts used)"
        )

    evals = [_evaluate_deployment(d, avail, settings, today) for d in settings.deployments]
    for e in evals:
        result.warnings.extend(e.warnings)
    assignment = _assign(evals) if all(e.options or e.unchecked for e in evals) else None
    overflow = _shared_overflow(evals) if assignment is None else {}

    for e in evals:
        d = e.deployment
        if e.unchecked:
            choice = Choice(d.name, d.sku, d.capacity, d.capacity, None)
            result.cells[d.name] = Cell(f"{d.sku} {d.capacity} (not checked)", ok=True, choice=choice)
            result.deployments_ok += 1
        elif assignment is not None:
            opt, capacity = assignment[d.name]
            choice = Choice(d.name, opt.sku.name, capacity, d.capacity, opt.quota.name)
            if opt.warning:
                result.warnings.append(opt.warning)
            asked = f" (asked {d.capacity})" if choice.lowered else ""
            result.cells[d.name] = Cell(f"{opt.sku.name} {capacity}{asked}", ok=True, choice=choice)
            result.deployments_ok += 1
        elif e.options and d.name not in overflow:
            opt = e.options[0]
            result.cells[d.name] = Cell(f"{opt.sku.name} {opt.high}", ok=True)
            result.deployments_ok += 1
        elif d.name in overflow:
            result.cells[d.name] = Cell(overflow[d.name].text, ok=False)
        else:
            result.cells[d.name] = Cell(e.failure_text, ok=False)
            result.advice.append(_advice(e, avail.region))
            # Capacity still missing: the smallest quota gap, or the whole minimum where the model is not offered.
            result.shortfall += min(
                (m.needed - (m.could_get or 0) for m in e.misses if m.quota), default=d.floor_capacity
            )
    for over in dict.fromkeys(overflow.values()):
        result.advice.append(
            f"{' and '.join(over.names)} share {over.usage} in {avail.region}: together they need at least "
            f"{over.need} and {over.left} is left; lower their minCapacity or request more quota "
            f"({QUOTA_INCREASE_URL})"
        )
        result.shortfall += over.need - over.left

    if assignment is not None and result.account_ok:
        result.verdict = Verdict.FITS
        result.summary = "fits"
    elif not result.account_ok:
        result.summary = "account limit reached"
    else:
        failing = [n for n, c in result.cells.items() if not c.ok]
        result.summary = f"{', '.join(failing)} do{'es' if len(failing) == 1 else ''} not fit"
    return result


def _advice(e: _DeploymentEval, region: str) -> str:
    d = e.deployment
    if e.refusal:
        if e.refusal.startswith("retired"):
            return f"{d.name}: {_label(d)} is {e.refusal} (change its model version)"
        return f"{d.name}: {_label(d)} is not offered in {region} ({e.refusal}); drop this region or change the model"
    short = [m for m in e.misses if m.quota is not None]
    if not short:
        skus = " or ".join(d.skus)
        return f"{d.name}: {_label(d)} is not offered as {skus} in {region}; add a fallbackSku that is"
    best = max(short, key=lambda m: m.could_get or 0)
    assert best.quota is not None
    if best.could_get:
        return (
            f"{d.name}: lower minCapacity to {best.could_get} ({best.sku} has {_fmt(best.quota.remaining)} of "
            f"{_fmt(best.quota.limit)} left in {region}), or request more {best.quota.name} quota "
            f"({QUOTA_INCREASE_URL})"
        )
    return (
        f"{d.name}: no {best.sku} quota left in {region} ({_fmt(best.quota.remaining)} of "
        f"{_fmt(best.quota.limit)}); free some or request more {best.quota.name} quota ({QUOTA_INCREASE_URL})"
    )


# ---- all regions ----


def decide(
    settings: LabSettings, availability: Mapping[str, RegionAvailability], today: dt.date
) -> PreflightResult:
    """Evaluate every candidate region in config order; the first that fits wins."""
    results: list[RegionResult] = []
    for region in settings.regions:
        avail = availability.get(region) or RegionAvailability(
            region, failure=RegionFailure("not in the availability data")
        )
        results.append(evaluate_region(settings, avail, today))
    chosen = next((r for r in results if r.verdict is Verdict.FITS), None)
    skipped: list[str] = []
    if chosen is not None:
        for r in results:
            if r is chosen:
                break
            if r.verdict is Verdict.UNKNOWN:
                skipped.append(r.region)
    checked = [r for r in results if r.checked]
    zero_quota = chosen is None and bool(checked) and not any(r.has_quota for r in checked)
    closest = None
    if chosen is None and checked:
        closest = max(checked, key=lambda r: (r.account_ok, r.deployments_ok, -r.shortfall))
    return PreflightResult(results, chosen, closest, zero_quota, skipped)
