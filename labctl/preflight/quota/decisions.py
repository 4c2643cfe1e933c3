"""Does the whole lab fit a region? Pure decisions over what ARM says about that region.

`labctl.preflight.offers.availability` turns the `locations/{l}/models` and `locations/{l}/usages` lists (live or from a snapshot)
into the dataclasses below; `decide()` walks the candidate regions in order and returns, per region, the SKU and
capacity each deployment would get or why it cannot. No I/O and no clock here: `today` is an argument, so every
rule is unit-tested on plain data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from labctl.preflight.model import (
    QUOTA_INCREASE_URL,
    Cell,
    Choice,
    ExistingDeployment,
    PreflightResult,
    Quota,
    RegionAvailability,
    RegionFailure,
    RegionResult,
    Verdict,
    account_count_usage,
)
from labctl.preflight.quota.fit import (
    DeploymentEval,
    assign,
    evaluate_deployment,
    fmt,
    label,
    shared_overflow,
)
from stacks.config.sections import LabSettings


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
            f"({fmt(account.current)} of {fmt(account.limit)} accounts used)"
        )

    evals = [evaluate_deployment(d, avail, settings, today) for d in settings.deployments]
    for e in evals:
        result.warnings.extend(e.warnings)
    assignment = assign(evals) if all(e.options or e.unchecked for e in evals) else None
    overflow = shared_overflow(evals) if assignment is None else {}
    for e in evals:
        _fill_cell(result, e, assignment, overflow, avail.region)
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


def _fill_cell(
    result: RegionResult,
    e: DeploymentEval,
    assignment: Mapping[str, Any] | None,
    overflow: Mapping[str, Any],
    region: str,
) -> None:
    """One deployment's cell in the region's row: its choice when the whole lab fits, else what it could get or
    why not (with advice and the capacity still missing)."""
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
        result.advice.append(_advice(e, region))
        # Capacity still missing: the smallest quota gap, or the whole minimum where the model is not offered.
        result.shortfall += min(
            (m.needed - (m.could_get or 0) for m in e.misses if m.quota), default=d.floor_capacity
        )


def _advice(e: DeploymentEval, region: str) -> str:
    d = e.deployment
    if e.refusal:
        if e.refusal.startswith("retired"):
            return f"{d.name}: {label(d)} is {e.refusal} (change its model version)"
        return f"{d.name}: {label(d)} is not offered in {region} ({e.refusal}); drop this region or change the model"
    short = [m for m in e.misses if m.quota is not None]
    if not short:
        skus = " or ".join(d.skus)
        return f"{d.name}: {label(d)} is not offered as {skus} in {region}; add a fallbackSku that is"
    best = max(short, key=lambda m: m.could_get or 0)
    assert best.quota is not None
    if best.could_get:
        return (
            f"{d.name}: lower minCapacity to {best.could_get} ({best.sku} has {fmt(best.quota.remaining)} of "
            f"{fmt(best.quota.limit)} left in {region}), or request more {best.quota.name} quota "
            f"({QUOTA_INCREASE_URL})"
        )
    return (
        f"{d.name}: no {best.sku} quota left in {region} ({fmt(best.quota.remaining)} of "
        f"{fmt(best.quota.limit)}); free some or request more {best.quota.name} quota ({QUOTA_INCREASE_URL})"
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
    return PreflightResult.from_regions(results)
