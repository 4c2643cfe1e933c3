"""`labctl preflight`: pick the first candidate region where the whole lab fits the subscription's quota, show why
the others do not, and with --write pin the choice in `Pulumi.<stack>.yaml`.

Exit codes (labctl/errors.py): 0 a region fits; 5 none does and every region was checked (the closest one and what
to lower are printed); 4 when no checked region fits but some could not be checked (the answer is not known), or on
sign-in and access errors; 3 config errors; 1 a write refused because it would move the lab (--move).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
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

    from labctl.azure.signin import ArmTarget
    from labctl.preflight.offers.arm_data import RegionData
    from labctl.preflight.offers.availability import DeployedLab
    from stacks.config.sections import LabSettings


def preflight(
    stack: StackOption = None,
    subscription: Annotated[
        str | None,
        typer.Option(
            "--subscription",
            help="Subscription id. Default: AZURE_SUBSCRIPTION_ID, else the Azure CLI's (`az account show`).",
        ),
    ] = None,
    write: Annotated[
        bool, typer.Option("--write", help="Pin the region, SKUs and capacities in Pulumi.<stack>.yaml.")
    ] = False,
    allow_unknown: Annotated[
        bool,
        typer.Option(
            "--allow-unknown",
            help="With --write: pin even though a preferred (or the pinned) region could not be checked.",
        ),
    ] = False,
    move: Annotated[
        bool,
        typer.Option(
            "--move",
            help="With --write: pin a region other than the pinned one (replaces the account: new endpoint, keys).",
        ),
    ] = False,
    availability: Annotated[
        Path | None, typer.Option("--availability", help="Read a saved snapshot instead of Azure.")
    ] = None,
    save_availability: Annotated[
        Path | None, typer.Option("--save-availability", help="Save what was read, for review or a re-run.")
    ] = None,
    arm_endpoint: ArmEndpointOption = None,
    validate: Annotated[
        bool,
        typer.Option(
            "--validate/--no-validate",
            help="Ask Resource Manager to validate the lab in each region (nothing is created). Default: on.",
        ),
    ] = True,
    register: Annotated[
        bool,
        typer.Option(
            "--register", help="Register the resource providers the lab needs that are not registered."
        ),
    ] = False,
    class_share: Annotated[
        float,
        typer.Option(
            "--class-share",
            help="Share of participants at their tokens-per-minute limit in the same minute; sizes the chat "
            "deployments (participants x limit x share). 1 reserves everyone's full limit.",
        ),
    ] = 0.5,
    class_tpm: Annotated[
        int | None,
        typer.Option(
            "--class-tpm", help="Tokens per minute per participant, for those without a limit in config."
        ),
    ] = None,
    pooled_quota: Annotated[
        list[str] | None,
        typer.Option(
            "--pooled-quota",
            help="A usage name whose quota is one pool per subscription (Foundry portal, Quota page, Scope Global "
            "or Data Zone); counted once when the lab spreads over regions. Repeatable.",
        ),
    ] = None,
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


def run_preflight(ctx: CommandContext, **options: Any) -> int:
    """The whole command (options: see `_run_preflight`); returns the exit code or raises a LabctlError. Azure's
    clients stay open until the end: a spread is validated after the regions are decided."""
    steps: list[Any] = []
    try:
        return _run_preflight(ctx, _steps=steps, **options)
    finally:
        for step in steps:
            step.close()


def _run_preflight(
    ctx: CommandContext,
    *,
    _steps: list[Any],
    subscription: str | None = None,
    write: bool = False,
    allow_unknown: bool = False,
    move: bool = False,
    availability_file: Path | None = None,
    save_availability: Path | None = None,
    arm_endpoint: str | None = None,
    credential: TokenCredential | None = None,
    today: dt.date | None = None,
    client_options: Mapping[str, Any] | None = None,
    validate: bool = True,
    register: bool = False,
    class_share: float = 0.5,
    class_tpm: int | None = None,
    validation_deadline_s: float = 120.0,
    pooled_quota: tuple[str, ...] = (),
    timeout: float = DEFAULT_TIMEOUT_S,
    report_format: str = "text",
    report_output: Path | None = None,
) -> int:
    """The whole command; returns the exit code or raises a LabctlError. `credential`, `today` and
    `client_options` are for tests and the benchmark (a fake credential, a fixed date, quicker retries)."""
    from labctl.azure import signin
    from labctl.azure.resilience import ArmGuard, Deadline, guarded
    from labctl.errors import UsageError
    from labctl.preflight.azure_step import AzureStep, size_class
    from labctl.preflight.offers.arm_data import load_snapshot, parse_all, save_snapshot
    from labctl.preflight.offers.availability import DeployedLab
    from labctl.preflight.quota.decisions import decide
    from labctl.preflight.render import conclude, render
    from labctl.preflight.verdicts.template import plan_lab

    out, err = ctx.console, ctx.err_console
    if report_format == "json":
        out = err  # the tables and notes for people go to stderr; stdout (or --output) gets the JSON
    # One deadline for every Azure call of the command (labctl/azure/resilience.py); the caller's options on top.
    client_options = guarded(ArmGuard(Deadline(timeout)).client_options(), client_options)
    today = today or dt.datetime.now(dt.UTC).date()
    environment = ctx.environment
    # Class sizing first: the capacity each chat deployment aims for follows from the class.
    settings, size, sizing_notes = size_class(ctx.settings, class_share, class_tpm)
    for line in sizing_notes:
        out.print(line, markup=False)
    step: AzureStep | None = None

    if availability_file is not None:
        data, header = load_snapshot(availability_file)
        out.print(
            f"Availability from {availability_file} (captured {header.get('capturedAt', '?')}), not from Azure.",
            markup=False,
        )
        endpoint = str(header.get("armEndpoint") or "")
    else:
        target = signin.arm_target(environment, arm_endpoint)
        endpoint = target.endpoint
        sub, source = signin.resolve_subscription(subscription)
        cred = signin.SharedTokenCredential(credential or signin.default_credential(environment))
        signin.check_signed_in(cred, target)
        out.print(f"Subscription {sub} (from {source}), Resource Manager {target.endpoint}", markup=False)
        # A lab pinned to a region may already be deployed there: its own usage is read and credited.
        deployed = None
        if settings.location is not None:
            deployed = DeployedLab(
                ctx.identity, settings.location, also=tuple(p.region for p in settings.placements[1:])
            )
        # The subscription-wide reads (offer, providers, gateway tiers) run while the regions are read.
        step = AzureStep.start(
            sub,
            cred,
            target,
            client_options,
            with_budget=settings.budget is not None,
            register=register,
            err=err,
            plan_lab=lambda: plan_lab(ctx.stack, ctx.project_dir, settings.account_location),
        )
        _steps.append(step)
        data = _query(settings, sub, cred, target, err, client_options, deployed)
    availability = parse_all(data)

    result = decide(settings, availability, today)
    tiers_checked, azure_json, combined = False, None, {}
    if step is not None:
        result = step.finish(
            result, settings, availability, validate=validate, deadline_s=validation_deadline_s, out=out
        )
        tiers_checked, azure_json, combined = step.tiers_checked, step.snapshot_json(), step.combined
    elif availability_file is not None:
        from labctl.preflight.azure_step import replay_azure

        result, tiers_checked, combined = replay_azure(header, result, settings, out)

    if save_availability is not None:
        try:
            save_snapshot(
                save_availability,
                data,
                arm_endpoint=endpoint,
                captured_at=dt.datetime.now(dt.UTC),
                subscription=(azure_json or {}).get("subscription"),
                azure=(azure_json or {}).get("azure"),
            )
        except OSError as exc:
            raise UsageError(f"could not save the availability to {save_availability}: {exc}") from None
        out.print(f"Availability saved to {save_availability}", markup=False)

    render(result, settings, out)
    if step is not None:
        step.refuse_budget(settings)
    elif availability_file is not None:
        from labctl.preflight.azure_step import refuse_budget_from_snapshot

        refuse_budget_from_snapshot(header, settings)
    # A spread says what it takes from each pool itself (labctl/preflight/spread/render.py).
    _pool_notes(data, pooled_quota, out, notes=result.chosen is not None)
    if result.chosen is None and not result.all_unknown:
        from labctl.preflight.spread.render import conclude_spread

        code = conclude_spread(
            ctx,
            result,
            settings,
            availability,
            data,
            today,
            combined,
            write=write,
            allow_unknown=allow_unknown,
            move=move,
            pooled=pooled_quota,
            step=step if validate else None,
            deadline_s=validation_deadline_s,
        )
        if code is not None:
            return code
    code = conclude(
        result,
        settings,
        ctx.stack,
        ctx.identity.project,
        ctx.project_dir,
        out,
        err,
        write=write,
        allow_unknown=allow_unknown,
        move=move,
        tier_checked=tiers_checked,
        size=size,
    )
    if report_format == "json":
        from labctl.output import emit_json
        from labctl.preflight.render import result_json

        emit_json({"stack": ctx.stack, "exitCode": code, **result_json(result)}, report_output)
    return code


def _query(
    settings: LabSettings,
    subscription_id: str,
    credential: TokenCredential,
    target: ArmTarget,
    err: Console,
    client_options: Mapping[str, Any] | None,
    deployed: DeployedLab | None = None,
) -> dict[str, RegionData]:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    from labctl.preflight.offers.availability import read_live

    regions = list(settings.regions)
    with Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as progress:
        task = progress.add_task(f"Reading models and quota in {', '.join(regions)}", total=len(regions))

        def done(region: str, data: RegionData) -> None:
            state = "failed" if "error" in data else "read"
            progress.update(task, advance=1, description=f"{region} {state}")

        return read_live(
            regions,
            subscription_id=subscription_id,
            credential=credential,
            target=target,
            on_region_done=done,
            client_options=client_options,
            deployed=deployed,
        )


def _pool_notes(data: Mapping[str, Any], pooled: tuple[str, ...], out: Console, *, notes: bool) -> None:
    """Pooled quota (declared by Azure or named with --pooled-quota) said once; look-alikes hinted, never assumed."""
    from rich.text import Text

    from labctl.preflight.spread.pooled import build_ledger, looks_pooled

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
