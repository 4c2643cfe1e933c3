"""The live part of `labctl preflight`'s reading: sign in, start the subscription-wide reads (AzureStep), and read
every candidate region's models and quota with a progress bar, crediting the deployed lab's own usage."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from rich.console import Console

from labctl.context import CommandContext

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential

    from labctl.azure.signin import ArmTarget
    from labctl.preflight.azure_step import AzureStep
    from labctl.preflight.offers.arm_data import RegionData
    from labctl.preflight.offers.availability import DeployedLab
    from stacks.config.sections import LabSettings


def read_live_lab(
    ctx: CommandContext,
    settings: LabSettings,
    out: Console,
    err: Console,
    *,
    subscription: str | None,
    arm_endpoint: str | None,
    credential: TokenCredential | None,
    client_options: Mapping[str, Any] | None,
    register: bool,
    steps: list[Any],
) -> tuple[dict[str, RegionData], str, AzureStep]:
    """The regions' lists as read from Azure, the endpoint read from, and the Azure step (already started, added to
    `steps` so the caller closes it)."""
    from labctl.azure import signin
    from labctl.preflight.azure_step import AzureStep
    from labctl.preflight.offers.availability import DeployedLab
    from labctl.preflight.verdicts.template import plan_lab

    environment = ctx.environment
    target = signin.arm_target(environment, arm_endpoint)
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
        plan_lab=lambda primary, location: plan_lab(ctx.stack, ctx.project_dir, primary, location),
    )
    steps.append(step)
    return _query(settings, sub, cred, target, err, client_options, deployed), target.endpoint, step


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
