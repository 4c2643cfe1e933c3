"""`labctl preflight`: pick the first candidate region where the whole lab fits the subscription's quota, show why
the others do not, and with --write pin the choice in `Pulumi.<stack>.yaml`.

Exit codes (labctl/errors.py): 0 a region fits; 5 none does and every region was checked (the closest one and what
to lower are printed); 4 when no checked region fits but some could not be checked (the answer is not known), or on
sign-in and access errors; 3 config errors; 1 a write refused because it would move the lab (--move).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from labctl.context import CommandContext
from labctl.options import (
    DEFAULT_PROJECT_DIR,
    DEFAULT_TIMEOUT_S,
    ArmEndpointOption,
    OutputOption,
    ProjectDirOption,
    ReportFormat,
    ReportFormatOption,
    StackOption,
    TimeoutOption,
)

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential

    from labctl.preflight.azure_step import AzureStep
    from labctl.preflight.model import PreflightResult
    from stacks.config.sections import LabSettings


# The command's own options (the shared ones are in labctl/options.py).
SubscriptionOption = Annotated[
    str | None,
    typer.Option(
        "--subscription",
        help="Subscription id. Default: AZURE_SUBSCRIPTION_ID, else the Azure CLI's (`az account show`).",
    ),
]

WriteOption = Annotated[
    bool, typer.Option("--write", help="Pin the region, SKUs and capacities in Pulumi.<stack>.yaml.")
]

AllowUnknownOption = Annotated[
    bool,
    typer.Option(
        "--allow-unknown",
        help="With --write: pin even though a preferred (or the pinned) region could not be checked.",
    ),
]

MoveOption = Annotated[
    bool,
    typer.Option(
        "--move",
        help="With --write: pin a region other than the pinned one (replaces the account: new endpoint, keys).",
    ),
]

AvailabilityOption = Annotated[
    Path | None, typer.Option("--availability", help="Read a saved snapshot instead of Azure.")
]

SaveAvailabilityOption = Annotated[
    Path | None, typer.Option("--save-availability", help="Save what was read, for review or a re-run.")
]

ValidateOption = Annotated[
    bool,
    typer.Option(
        "--validate/--no-validate",
        help="Ask Resource Manager to validate the lab in each region (nothing is created). Default: on.",
    ),
]

RegisterOption = Annotated[
    bool,
    typer.Option("--register", help="Register the resource providers the lab needs that are not registered."),
]

ClassShareOption = Annotated[
    float,
    typer.Option(
        "--class-share",
        help="Share of participants at their tokens-per-minute limit in the same minute; sizes the chat "
        "deployments (participants x limit x share). 1 reserves everyone's full limit.",
    ),
]

ClassTpmOption = Annotated[
    int | None,
    typer.Option(
        "--class-tpm", help="Tokens per minute per participant, for those without a limit in config."
    ),
]

PooledQuotaOption = Annotated[
    list[str] | None,
    typer.Option(
        "--pooled-quota",
        help="A usage name whose quota is one pool per subscription (Foundry portal, Quota page, Scope Global "
        "or Data Zone); counted once when the lab spreads over regions. Repeatable.",
    ),
]


def preflight(
    stack: StackOption = None,
    subscription: SubscriptionOption = None,
    write: WriteOption = False,
    allow_unknown: AllowUnknownOption = False,
    move: MoveOption = False,
    availability: AvailabilityOption = None,
    save_availability: SaveAvailabilityOption = None,
    arm_endpoint: ArmEndpointOption = None,
    validate: ValidateOption = True,
    register: RegisterOption = False,
    class_share: ClassShareOption = 0.5,
    class_tpm: ClassTpmOption = None,
    pooled_quota: PooledQuotaOption = None,
    timeout: TimeoutOption = DEFAULT_TIMEOUT_S,
    fmt: ReportFormatOption = ReportFormat.text,
    output: OutputOption = None,
    project_dir: ProjectDirOption = DEFAULT_PROJECT_DIR,
) -> None:
    """Find the first candidate region where the whole lab fits the quota; exit 0 fits, 5 none fits, 4 not known
    (a region could not be checked) or Azure errors, 3 config errors."""
    ctx = CommandContext.create(stack, project_dir)
    raise typer.Exit(
        run_preflight(
            ctx,
            timeout=timeout,
            report_format=fmt.value,
            report_output=output,
            subscription=subscription,
            write=write,
            allow_unknown=allow_unknown,
            move=move,
            availability_file=availability,
            save_availability=save_availability,
            arm_endpoint=arm_endpoint,
            validate=validate,
            register=register,
            class_share=class_share,
            class_tpm=class_tpm,
            pooled_quota=tuple(pooled_quota or ()),
        )
    )


@dataclass(frozen=True)
class PreflightOptions:
    """What `labctl preflight` was asked. `credential`, `today` and `client_options` are for tests and the benchmark
    (a fake credential, a fixed date, quicker retries)."""

    subscription: str | None = None
    write: bool = False
    allow_unknown: bool = False
    move: bool = False
    availability_file: Path | None = None
    save_availability: Path | None = None
    arm_endpoint: str | None = None
    credential: TokenCredential | None = None
    today: dt.date | None = None
    client_options: Mapping[str, Any] | None = None
    validate: bool = True
    register: bool = False
    class_share: float = 0.5
    class_tpm: int | None = None
    validation_deadline_s: float = 120.0
    pooled_quota: tuple[str, ...] = ()
    timeout: float = DEFAULT_TIMEOUT_S
    report_format: str = "text"
    report_output: Path | None = None


def run_preflight(ctx: CommandContext, **options: Any) -> int:
    """The whole command (options: see `PreflightOptions`); returns the exit code or raises a LabctlError. Azure's
    clients stay open until the end: a spread is validated after the regions are decided."""
    steps: list[Any] = []
    try:
        return _run_preflight(ctx, PreflightOptions(**options), steps)
    finally:
        for step in steps:
            step.close()


def _run_preflight(ctx: CommandContext, o: PreflightOptions, steps: list[Any]) -> int:
    from labctl.azure.resilience import ArmGuard, Deadline, guarded
    from labctl.preflight.azure_step import size_class
    from labctl.preflight.live import read_live_lab
    from labctl.preflight.offers.arm_data import load_snapshot, parse_all
    from labctl.preflight.quota.decisions import decide
    from labctl.preflight.render import render
    from labctl.preflight.spread.render import pool_notes

    out, err = ctx.console, ctx.err_console
    if o.report_format == "json":
        out = err  # the tables and notes for people go to stderr; stdout (or --output) gets the JSON
    # One deadline for every Azure call of the command (labctl/azure/resilience.py); the caller's options on top.
    client_options = guarded(ArmGuard(Deadline(o.timeout)).client_options(), o.client_options)
    today = o.today or dt.datetime.now(dt.UTC).date()
    # Class sizing first: the capacity each chat deployment aims for follows from the class.
    settings, size, sizing_notes = size_class(ctx.settings, o.class_share, o.class_tpm)
    for line in sizing_notes:
        out.print(line, markup=False)
    step: AzureStep | None = None
    header: Mapping[str, Any] | None = None
    if o.availability_file is not None:
        data, header = load_snapshot(o.availability_file)
        out.print(
            f"Availability from {o.availability_file} (captured {header.get('capturedAt', '?')}), not from Azure.",
            markup=False,
        )
        endpoint = str(header.get("armEndpoint") or "")
    else:
        data, endpoint, step = read_live_lab(
            ctx,
            settings,
            out,
            err,
            subscription=o.subscription,
            arm_endpoint=o.arm_endpoint,
            credential=o.credential,
            client_options=client_options,
            register=o.register,
            steps=steps,
        )
    availability = parse_all(data)

    result = decide(settings, availability, today)
    result, tiers_checked, azure_json, combined = _azure_verdicts(
        step,
        header,
        result,
        settings,
        availability,
        validate=o.validate,
        deadline_s=o.validation_deadline_s,
        out=out,
    )
    if o.save_availability is not None:
        _save(o.save_availability, data, endpoint, azure_json, out)

    render(result, settings, out)
    _refuse_budget(step, header, settings)
    # A spread says what it takes from each pool itself (labctl/preflight/spread/render.py).
    pool_notes(data, o.pooled_quota, out, notes=result.chosen is not None)
    code = _conclude(
        ctx,
        o,
        result,
        settings,
        spread_from=(availability, data, today, combined),
        step=step if o.validate else None,
        tier_checked=tiers_checked,
        size=size,
        out=out,
        err=err,
    )
    if o.report_format == "json":
        from labctl.output import emit_json
        from labctl.preflight.render import result_json

        emit_json({"stack": ctx.stack, "exitCode": code, **result_json(result)}, o.report_output)
    return code


def _conclude(
    ctx: CommandContext,
    o: PreflightOptions,
    result: PreflightResult,
    settings: LabSettings,
    *,
    spread_from: tuple[Mapping[str, Any], Mapping[str, Any], dt.date, Mapping[str, Any]],
    step: AzureStep | None,
    tier_checked: bool,
    size: Any,
    out: Console,
    err: Console,
) -> int:
    """The exit code: a spread over several regions when no single one holds the lab and one holds it, else the
    single region's conclusion (pinned with --write). `spread_from`: the availability, the raw lists, today and
    each region's combined verdict, which a spread is planned from; `step` validates it (None: not validated)."""
    from labctl.preflight.render import conclude

    if result.chosen is None and not result.all_unknown:
        from labctl.preflight.spread.render import conclude_spread

        availability, data, today, combined = spread_from
        code = conclude_spread(
            ctx,
            result,
            settings,
            availability,
            data,
            today,
            combined,
            write=o.write,
            allow_unknown=o.allow_unknown,
            move=o.move,
            pooled=o.pooled_quota,
            step=step,
            deadline_s=o.validation_deadline_s,
        )
        if code is not None:
            return code
    return conclude(
        result,
        settings,
        ctx.stack,
        ctx.identity.project,
        ctx.project_dir,
        out,
        err,
        write=o.write,
        allow_unknown=o.allow_unknown,
        move=o.move,
        tier_checked=tier_checked,
        size=size,
    )


def _save(
    path: Path, data: Mapping[str, Any], endpoint: str, azure_json: Mapping[str, Any] | None, out: Console
) -> None:
    """--save-availability: what was read (and Azure's verdicts), so a re-run reproduces this one."""
    from labctl.errors import UsageError
    from labctl.preflight.offers.arm_data import save_snapshot

    try:
        save_snapshot(
            path,
            data,
            arm_endpoint=endpoint,
            captured_at=dt.datetime.now(dt.UTC),
            subscription=(azure_json or {}).get("subscription"),
            azure=(azure_json or {}).get("azure"),
        )
    except OSError as exc:
        raise UsageError(f"could not save the availability to {path}: {exc}") from None
    out.print(f"Availability saved to {path}", markup=False)


def _azure_verdicts(
    step: AzureStep | None,
    header: Mapping[str, Any] | None,
    result: PreflightResult,
    settings: LabSettings,
    availability: Mapping[str, Any],
    *,
    validate: bool,
    deadline_s: float,
    out: Console,
) -> tuple[PreflightResult, bool, dict[str, Any] | None, Mapping[str, Any]]:
    """Azure's verdicts folded into the quota decision: asked now (`step`), replayed from a saved snapshot
    (`header`), or none. Also whether the gateway tier was checked, the verdicts to save, and each region's."""
    if step is not None:
        result = step.finish(
            result, settings, availability, validate=validate, deadline_s=deadline_s, out=out
        )
        return result, step.tiers_checked, step.snapshot_json(), step.combined
    if header is not None:
        from labctl.preflight.azure_step import replay_azure

        result, tiers_checked, combined = replay_azure(header, result, settings, out)
        return result, tiers_checked, None, combined
    return result, False, None, {}


def _refuse_budget(step: AzureStep | None, header: Mapping[str, Any] | None, settings: LabSettings) -> None:
    """A budget the subscription's offer cannot have is a config error, whether the offer was read now or saved."""
    if step is not None:
        step.refuse_budget(settings)
    elif header is not None:
        from labctl.preflight.azure_step import refuse_budget_from_snapshot

        refuse_budget_from_snapshot(header, settings)
