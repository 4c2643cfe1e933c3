"""A lab spread over regions (`aoai-lab:location` as a list): one account per region beyond the primary, each with
its deployments, its diagnostic setting to the lab's workspace and the gateway identity's role on it.

The primary region's account is built by stacks/lab.py as before (same names, endpoint and keys); the regions
added here sit behind the gateway's backend pools, so participants' endpoint and keys do not change."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi

from components.foundry_project import ProjectSpec
from components.gateway_backends import RegionalBackend
from components.openai_account import ModelDeploymentSpec, OpenAIAccount, OpenAIAccountArgs
from stacks.config.sections import DeploymentSettings, LabSettings, RegionPlacement
from stacks.foundry import filter_policy


@dataclass
class RegionalAccount:
    region: str
    account: OpenAIAccount
    # Deployment name -> capacity placed in this region.
    capacities: dict[str, int]
    primary: bool = False


def deployment_specs(
    deployments: Sequence[DeploymentSettings], placement: RegionPlacement | None
) -> list[ModelDeploymentSpec]:
    """The deployments placed in a region: those its `capacity` map names, with that capacity (an empty map places
    every deployment with its configured capacity)."""
    chosen = placement.capacity if placement is not None else {}
    return [
        ModelDeploymentSpec(
            name=d.name,
            model=d.model,
            version=d.version,
            sku=d.sku,
            capacity=chosen.get(d.name, d.capacity),
            format=d.format,
            version_upgrade_option=d.version_upgrade_option,
            rai_policy=d.rai_policy,
        )
        for d in deployments
        if not chosen or d.name in chosen
    ]


def account_args(
    settings: LabSettings,
    *,
    resource_group_name: pulumi.Input[str],
    location: str,
    account_name: pulumi.Input[str],
    deployments: Sequence[ModelDeploymentSpec],
    workspace_id: pulumi.Input[str],
    tags: Mapping[str, str],
    projects: Sequence[ProjectSpec] = (),
) -> OpenAIAccountArgs:
    """One region's account: the primary's, or another region's (no projects: agents live in the primary)."""
    return OpenAIAccountArgs(
        resource_group_name=resource_group_name,
        location=location,
        account_name=account_name,
        kind=settings.account_kind,
        public_network_access=settings.public_network_access,
        disable_local_auth=settings.disable_local_auth,
        deployments=deployments,
        diagnostics_workspace_id=workspace_id,
        tags=tags,
        # Every region's deployments name the same content filter: each account needs its own copy of it.
        content_filter=filter_policy(settings.content_filter),
        projects=projects,
    )


def regional_accounts(
    settings: LabSettings,
    *,
    resource_group_name: pulumi.Input[str],
    primary_name: pulumi.Output[str],
    workspace_id: pulumi.Input[str],
    tags: Mapping[str, str],
) -> list[RegionalAccount]:
    """The accounts of the regions after the primary. Their names derive from the primary's (same random suffix)."""
    out: list[RegionalAccount] = []
    for placement in settings.placements[1:]:
        region = placement.region
        specs = deployment_specs(settings.deployments, placement)
        account = OpenAIAccount(
            f"openai-{region}",
            account_args(
                settings,
                resource_group_name=resource_group_name,
                location=region,
                account_name=primary_name.apply(lambda n, r=region: f"{n}-{r}"),
                deployments=specs,
                workspace_id=workspace_id,
                tags=tags,
            ),
        )
        out.append(RegionalAccount(region, account, {s.name: s.capacity for s in specs}))
    return out


def gateway_backends(
    settings: LabSettings, primary: OpenAIAccount, regional: Sequence[RegionalAccount]
) -> list[RegionalBackend]:
    """What the gateway routes to: every region's account and its deployments (none for a one-region lab)."""
    if not settings.spills_over:
        return []
    first = settings.placements[0]
    return [
        RegionalBackend(
            first.region,
            primary.endpoint,
            {s.name: s.capacity for s in deployment_specs(settings.deployments, first)},
            primary=True,
        ),
        *(RegionalBackend(r.region, r.account.endpoint, r.capacities) for r in regional),
    ]
