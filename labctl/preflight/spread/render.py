"""What preflight says and writes when no single region holds the lab but several together do."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from rich.console import Console
from rich.text import Text

from labctl.errors import EXIT_NO_FIT, EXIT_OK, EXIT_PROBLEMS, AzureError, ConfigError, LabctlError
from labctl.preflight.model import PreflightResult, RegionAvailability
from labctl.preflight.pin import pin_choice
from labctl.preflight.render import print_credited
from labctl.preflight.spread.pooled import build_ledger, looks_pooled
from labctl.preflight.spread.spill import plan_spread
from labctl.project import stack_file
from labctl.stackfile import StackEditError


def conclude_spread(
    ctx: Any,
    result: PreflightResult,
    settings: Any,
    availability: Mapping[str, RegionAvailability],
    data: Mapping[str, Any],
    today: dt.date,
    combined: Mapping[str, Any],
    *,
    write: bool,
    allow_unknown: bool,
    move: bool,
    pooled: tuple[str, ...] = (),
    step: Any = None,
    deadline_s: float = 120.0,
) -> int | None:
    """The exit code when a spread holds the lab (printed, and pinned with --write); None when no spread holds
    every deployment's minimum either (the usual "nothing fits" report follows)."""
    out, err = ctx.console, ctx.err_console
    raw_usages = {r: (d.get("usages") or []) for r, d in data.items() if isinstance(d, Mapping)}
    plan = plan_spread(result, settings, availability, raw_usages, today, combined=combined, pooled=pooled)
    if not _holds(plan, settings, err):
        return None
    print_credited(result, out)
    _describe(plan, settings, out)
    unvalidated: list[str] = []
    if step is not None:
        verdicts = step.validate_spread(settings, plan.spread, availability, deadline_s)
        if _azure_refuses(verdicts, out, err):
            return EXIT_NO_FIT
        unvalidated = [r for r, v in verdicts.items() if v.outcome.value == "unknown"]
    path = stack_file(ctx.stack, ctx.project_dir)
    if not write:
        out.print(f"Run `labctl preflight --stack {ctx.stack} --write` to pin this spread in {path.name}.")
        return EXIT_OK
    unknown = list(dict.fromkeys([*result.unknown, *unvalidated]))
    if unknown and not allow_unknown:
        raise AzureError(
            f"not writing {path.name}: {', '.join(unknown)} could not be checked (unknown). Fix: re-run, or pass "
            "--allow-unknown to pin the spread anyway."
        )
    s = plan.spread
    if settings.location is not None and settings.location != s.regions[0] and not move:
        raise LabctlError(
            f"not writing {path.name}: the lab is pinned to {settings.location} and the spread's primary region is "
            f"{s.regions[0]}: the primary account (endpoint and keys) would be replaced. Fix: pass --move.",
            EXIT_PROBLEMS,
        )
    try:
        changes = pin_choice(path, project=ctx.identity.project, location=s.location_config(), deployments={})
    except (StackEditError, OSError) as exc:
        raise ConfigError(f"could not pin the spread in {path.name}: {exc}") from None
    out.print(f"Pinned in {path.name}:" if changes else f"{path.name} already pins this; nothing to write.")
    for line in changes:
        out.print(Text(f"  {line}"))
    return EXIT_OK


def _holds(plan: Any, settings: Any, err: Any) -> bool:
    """Whether the spread spans two regions and gives every deployment its minimum; if not, why (when it tried)."""
    s = plan.spread
    short = {
        d.name: d.floor_capacity - s.total(d.name)
        for d in settings.deployments
        if s.total(d.name) < d.floor_capacity
    }
    if len(s.regions) >= 2 and not short:
        return True
    if len(s.regions) >= 2 or short:
        missing = ", ".join(f"{n} {k} short of its minimum" for n, k in short.items())
        err.print(
            Text(
                f"Spreading the lab over {', '.join(plan.usable) or 'no usable region'} does not hold it either ({missing})."
            )
        )
    for line in plan.pooled_notes:
        err.print(Text(f"  {line}"))
    return False


def _describe(plan: Any, settings: Any, out: Any) -> None:
    s = plan.spread
    out.print(
        Text(
            f"No single region holds the lab; spread over {len(s.regions)} regions ({s.regions[0]} primary):",
            style="bold green",
        )
    )
    for region, caps in s.allocations.items():
        out.print(Text(f"  {region}: " + ", ".join(f"{d} {c}" for d, c in caps.items())))
    for d in settings.deployments:
        if s.total(d.name) < d.capacity:
            out.print(
                Text(
                    f"  {d.name}: {s.total(d.name)} in total of the {d.capacity} asked (minimum {d.floor_capacity})."
                )
            )
    for region, why in plan.excluded.items():
        out.print(Text(f"  not used: {region} ({why})"))
    for line in plan.pooled_notes:
        out.print(Text(f"  {line}"))
    out.print(
        Text(
            "Each region gets its own account; the gateway sends each deployment's calls to its regions through a "
            "backend pool, so participants keep one endpoint and key."
        )
    )


def _azure_refuses(verdicts: Mapping[str, Any], out: Any, err: Any) -> bool:
    """Azure's verdict on the spread, said; True when it refuses a region of it."""
    refused = {r: v for r, v in verdicts.items() if v.outcome.value == "refused"}
    for region, v in refused.items():
        err.print(Text(f"Azure refuses the spread in {region}: {v.summary}", style="red"))
    if refused:
        return True
    unvalidated = [r for r, v in verdicts.items() if v.outcome.value == "unknown"]
    for region in unvalidated:
        err.print(Text(f"warning: Azure could not validate the spread in {region}: {verdicts[region].note}"))
    if not unvalidated:
        out.print(Text(f"Resource Manager accepts the spread in {', '.join(verdicts)}."))
    return False


def pool_notes(data: Mapping[str, Any], pooled: tuple[str, ...], out: Console, *, notes: bool) -> None:
    """Pooled quota (declared by Azure or named with --pooled-quota) said once; look-alikes hinted, never assumed."""
    usages = {r: d.get("usages") or [] for r, d in data.items() if isinstance(d, Mapping) and "usages" in d}
    ledger = build_ledger(usages, configured=pooled)
    for line in ledger.notes() if notes else []:
        out.print(Text(line))
    hints = [n for n in looks_pooled(usages) if not ledger.is_pooled(n)]
    if hints:
        out.print(
            Text(
                f"{', '.join(hints)} report(s) the same use and limit in every region read: the quota may be one pool "
                "per subscription (Foundry portal, Quota page, Scope column). If so, pass --pooled-quota NAME so a "
                "spread counts it once."
            )
        )
