"""What `labctl preflight` prints: the table of regions, the choice, the warnings, and with --write the pin."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console
from rich.text import Text

from labctl.errors import EXIT_NO_FIT, EXIT_OK, EXIT_PROBLEMS, AzureError, ConfigError, LabctlError
from labctl.preflight.model import QUOTA_INCREASE_URL, PreflightResult, RegionResult, Verdict
from labctl.preflight.pin import Pin, pin_choice
from labctl.project import stack_file
from labctl.stackfile import StackEditError
from labctl.tables import Column, print_table
from stacks.config.sections import LabSettings

# Preflight reads quota, not the gateway's SKU catalog: the v2 tiers are not offered in every region.
APIM_REGIONS_URL = "https://learn.microsoft.com/azure/api-management/api-management-region-availability"


def render(result: PreflightResult, settings: LabSettings, out: Console) -> None:
    columns = [Column("region", style="bold")]
    for d in settings.deployments:
        floor = f"{d.floor_capacity}-" if d.floor_capacity != d.capacity else ""
        columns.append(Column(f"{d.name}\n{d.model} {d.version}\n{' > '.join(d.skus)} {floor}{d.capacity}"))
    columns.append(Column("result"))
    rows = [
        [
            Text(r.region),
            *(Text(c.text, style="green" if c.ok else "red") for c in r.cells.values()),
            _verdict_text(r, result),
        ]
        for r in result.regions
    ]
    title = f"Does the lab fit? (stack {settings.stack}, regions in preference order)"
    print_table(out, columns, rows, title=title, show_lines=True)


def _verdict_text(r: RegionResult, result: PreflightResult) -> Text:
    if r is result.chosen:
        return Text("fits: chosen", style="bold green")
    if r.verdict is Verdict.FITS:
        return Text("fits", style="green")
    if r.verdict is Verdict.UNKNOWN:
        return Text(f"unknown: {r.summary}", style="yellow")
    return Text(f"no fit: {r.summary}", style="red")


def print_credited(result: PreflightResult, out: Console) -> None:
    """Say where the lab's own deployments were counted as available (a re-run of preflight on a deployed lab)."""
    for r in result.regions:
        if r.credited:
            out.print(
                Text(
                    f"{r.region}: the lab is already deployed there; its own usage counts as available "
                    f"({'; '.join(r.credited)})."
                )
            )


def conclude(
    result: PreflightResult,
    settings: LabSettings,
    stack: str,
    project: str,
    project_dir: Path,
    out: Console,
    err: Console,
    *,
    write: bool,
    allow_unknown: bool = False,
    move: bool = False,
    tier_checked: bool = False,
    size: Any = None,
) -> int:
    chosen = result.chosen
    print_credited(result, out)
    _warn_unchecked(result, err)
    if chosen is None:
        return _no_fit(result, err)
    _announce(chosen, settings, out, err, tier_checked=tier_checked, size=size)
    moves = settings.location is not None and settings.location != chosen.region
    if moves:
        err.print(
            Text(
                f"warning: the stack is pinned to {settings.location}; pinning {chosen.region} moves the lab, and "
                "`pulumi up` would replace a deployed account (new endpoint and keys).",
                style="yellow",
            )
        )
    path = stack_file(stack, project_dir)
    if not write:
        out.print(f"Run `labctl preflight --stack {stack} --write` to pin this in {path.name}.")
        return EXIT_OK
    _refuse_unsafe_pin(result, settings, chosen, path, allow_unknown=allow_unknown, move=move, moves=moves)
    _pin(chosen, project, path, out)
    return EXIT_OK


def _warn_unchecked(result: PreflightResult, err: Console) -> None:
    chosen = result.chosen
    for r in result.regions:
        if r.verdict is Verdict.UNKNOWN:
            err.print(
                Text(f"warning: {r.region} could not be checked ({r.summary}); it counts as not fitting.")
            )
    if result.skipped_unknown:
        err.print(
            Text(
                f"warning: preferred region(s) {', '.join(result.skipped_unknown)} could not be checked; "
                f"{chosen.region if chosen else ''} was chosen after them. Re-run later to retry them.",
                style="yellow",
            )
        )


def _announce(
    chosen: RegionResult, settings: LabSettings, out: Console, err: Console, *, tier_checked: bool, size: Any
) -> None:
    """The chosen region, what it gives each deployment, and what to know about it."""
    from stacks.sizing import settle_note

    for line in chosen.warnings:
        err.print(Text(f"warning: {line}", style="yellow"))
    if not tier_checked:
        err.print(
            Text(
                f"warning: the API Management tier ({settings.gateway_tier}) could not be checked in "
                f"{chosen.region}: the v2 tiers are not in every region; see API Management v2 tiers region "
                f"availability ({APIM_REGIONS_URL}).",
                style="yellow",
            )
        )
    summary = ", ".join(f"{c.deployment} {c.sku} {c.capacity}" for c in chosen.choices)
    out.print(Text(f"{chosen.region} fits: {summary}.", style="bold green"))
    for c in (c for c in chosen.choices if c.lowered):
        out.print(f"  {c.deployment}: capacity lowered from {c.asked} to {c.capacity} to fit the quota left.")
        note = settle_note(c.deployment, c.asked, c.capacity, size) if size is not None else None
        if note:
            out.print(Text(f"  {note}"))


def _refuse_unsafe_pin(
    result: PreflightResult,
    settings: LabSettings,
    chosen: RegionResult,
    path: Path,
    *,
    allow_unknown: bool,
    move: bool,
    moves: bool,
) -> None:
    """A lab never moves because of a transient failure, nor without being asked to."""
    unknown = list(result.skipped_unknown)
    pinned = next((r for r in result.regions if r.region == settings.location), None)
    if pinned is not None and pinned is not chosen and pinned.verdict is Verdict.UNKNOWN:
        unknown = list(dict.fromkeys([*unknown, pinned.region]))
    if unknown and not allow_unknown:
        raise AzureError(
            f"not writing {path.name}: {', '.join(unknown)} could not be checked (unknown) and "
            f"{'is' if len(unknown) == 1 else 'are'} preferred to {chosen.region}, so the choice may only "
            "reflect a transient failure. Fix: re-run, or pass --allow-unknown to pin "
            f"{chosen.region} anyway."
        )
    if moves and not move:
        raise LabctlError(
            f"not writing {path.name}: the lab is pinned to {settings.location} and {chosen.region} "
            "would move it. Moving replaces the account: new endpoint and keys for everyone, and the old "
            f"account is deleted. Fix: pass --move to pin {chosen.region}, or keep {settings.location} (lower "
            "capacities or request quota there).",
            EXIT_PROBLEMS,
        )


def _pin(chosen: RegionResult, project: str, path: Path, out: Console) -> None:
    try:
        changes = pin_choice(
            path,
            project=project,
            location=chosen.region,
            deployments={c.deployment: Pin(c.sku, c.capacity) for c in chosen.choices},
        )
    except (StackEditError, OSError) as exc:
        raise ConfigError(f"could not pin the choice in {path.name}: {exc}") from None
    if not changes:
        out.print(f"{path.name} already pins this; nothing to write.")
    else:
        out.print(f"Pinned in {path.name}:")
        for line in changes:
            out.print(Text(f"  {line}"))
        out.print(f"Review with `git diff {path.name}` and commit it with the change that needs it.")


def _no_fit(result: PreflightResult, err: Console) -> int:
    total, unknown = len(result.regions), result.unknown
    if result.all_unknown:
        raise AzureError(
            f"none of the {total} candidate regions could be checked; nothing was decided. Retry in a few minutes."
        )
    checked = f"{total - len(unknown)} of {total} candidate regions checked"
    if unknown:
        err.print(
            Text(
                f"No checked region fits the whole lab ({checked}, {len(unknown)} unknown: {', '.join(unknown)}). "
                f"The answer is not known until {'it' if len(unknown) == 1 else 'they'} can be read: re-run "
                "preflight in a few minutes.",
                style="red",
            )
        )
    elif result.zero_quota:
        err.print(
            Text(
                f"No candidate region fits ({checked}): this subscription has no Azure OpenAI quota in any "
                "candidate region (every usage limit is 0). Free, trial and Azure Pass subscriptions get none. Fix: "
                "use a pay-as-you-go or enterprise subscription (--subscription), or request quota at "
                f"{QUOTA_INCREASE_URL}",
                style="red",
            )
        )
        return EXIT_NO_FIT
    else:
        err.print(Text(f"No candidate region fits the whole lab ({checked}).", style="red"))
    closest = result.closest
    if closest is not None:
        err.print(Text(f"Closest: {closest.region} ({closest.summary}). To make it fit:"))
        for line in closest.advice or ["add regions to aoai-lab:regions"]:
            err.print(Text(f"  - {line}"))
    return result.exit_code


def result_json(result: PreflightResult) -> dict[str, Any]:
    """`--format json`: each region's verdict and cells, the chosen region, and the regions not checked."""
    return {
        "chosen": result.chosen.region if result.chosen else None,
        "closest": result.closest.region if result.closest else None,
        "unknown": result.unknown,
        "regions": [
            {
                "region": r.region,
                "verdict": r.verdict.value,
                "checked": r.checked,
                "summary": r.summary,
                "deployments": {name: {"ok": c.ok, "text": c.text} for name, c in r.cells.items()},
                "warnings": list(r.warnings),
                "advice": list(r.advice),
            }
            for r in result.regions
        ],
    }
