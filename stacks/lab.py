"""The lab: composes the components from validated settings and exports what students and tools need.

`build_lab` reads as the list of the lab's concerns; each is declared by a function below (who may reach what is
stacks/access.py, what the stack exports stacks/exports.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import pulumi
import pulumi_random as random
from pulumi_azure_native import authorization, resources

from components.ai_gateway import AiGateway, AiGatewayArgs, GatewayParticipant
from components.budget import LabBudget, LabBudgetArgs
from components.foundry_project import ProjectSpec
from components.monitoring import LabMonitoring, LabMonitoringArgs
from components.openai_account import OpenAIAccount
from components.role_assignments import RoleAssignments, RoleAssignmentsArgs
from facts.apim_tiers import APIM_TIERS
from stacks import gateway_config
from stacks.access import ProjectIds, lab_grants
from stacks.config.sections import LabSettings
from stacks.cost_cap import cost_caps as cost_cap_lines_and_caps
from stacks.exports import LabParts, lab_outputs
from stacks.facts.clouds import CLOUDS
from stacks.naming import SUFFIX_LENGTH, LabIdentity, lab_tags
from stacks.regions import (
    RegionalAccount,
    account_args,
    deployment_specs,
    gateway_backends,
    regional_accounts,
)
from stacks.sizing import class_sizing_warnings


def resource_names(identity: LabIdentity, suffix: pulumi.Input[str]) -> dict[str, pulumi.Output[str]]:
    """Names from project and stack plus a random suffix kept in state: stable for the life of the stack, new
    after `pulumi destroy`, so a fresh `pulumi up` never meets the soft-deleted account or gateway it left."""
    out = pulumi.Output.from_input(suffix)
    return {
        "account": out.apply(identity.account),
        "gateway": out.apply(identity.gateway),
        "workspace": out.apply(identity.workspace),
    }


def build_lab(settings: LabSettings) -> dict[str, pulumi.Output]:
    identity = LabIdentity(settings.project, settings.stack, settings.environment)
    tags = lab_tags(
        identity=identity, lab_name=settings.name, owner=settings.owner, expires_on=settings.expires_on
    )
    warn_before_declaring(settings)

    suffix = random.RandomString(
        "name-suffix", length=SUFFIX_LENGTH, special=False, upper=False, numeric=True, min_numeric=1
    )
    names = resource_names(identity, suffix.result)
    rg = resources.ResourceGroup(
        "lab-rg",
        resource_group_name=identity.resource_group,
        location=settings.resource_group_location,
        tags=tags,
    )
    declare_budget(settings, identity, rg)
    monitoring = declare_monitoring(settings, rg, names, tags)
    openai = declare_primary_account(settings, rg, names, monitoring, tags)
    regional = declare_regional_accounts(settings, rg, names, monitoring, tags)
    gateway = declare_gateway(settings, rg, names, openai, regional, monitoring, tags)
    declare_access(settings, openai, regional, gateway, monitoring)

    outputs = lab_outputs(settings, LabParts(rg, monitoring, openai, regional, gateway))
    for key, value in outputs.items():
        pulumi.export(key, value)
    return outputs


def warn_before_declaring(settings: LabSettings) -> None:
    """What may still deploy but deserves a look: the same lines in plan, check and `pulumi up`."""
    if not settings.region_is_pinned:
        pulumi.log.warn(
            f"aoai-lab:location is not pinned: deploying the first candidate region '{settings.account_location}' "
            "without a quota check. Run `labctl preflight --write` to pick a region that has quota and pin it."
        )

    if settings.expires_on < dt.datetime.now(dt.UTC).date():
        pulumi.log.warn(
            f"this lab expired on {settings.expires_on.isoformat()} (aoai-lab:expiresOn): tear it down with "
            "`labctl down`, or move the date if the class goes on."
        )

    if settings.public_network_access == "Disabled":
        pulumi.log.warn(
            "aoai-lab:publicNetworkAccess is Disabled, and this lab creates no private endpoint or virtual network: "
            "neither the gateway nor students will reach the models. Set it to Enabled unless you add private "
            "networking yourself."
        )

    # Model facts (stacks/facts/models.yaml): errors were config problems; these may still deploy.
    for finding in gateway_config.model_warnings(settings):
        pulumi.log.warn(str(finding))

    # Can the class get what its limits promise (participants x tokens per minute vs the chat deployment)?
    for warning in class_sizing_warnings(settings):
        pulumi.log.warn(warning)
    # The arithmetic of each costCap, for plan, check and `pulumi up`.
    for line in cost_cap_lines_and_caps(settings)[1]:
        pulumi.log.warn(line)


def declare_budget(settings: LabSettings, identity: LabIdentity, rg: resources.ResourceGroup) -> None:
    if settings.budget is None:
        return
    LabBudget(
        "budget",
        LabBudgetArgs(
            scope=rg.id,
            budget_name=identity.budget,
            amount=settings.budget.amount,
            contact_emails=settings.budget.contact_emails,
            thresholds=settings.budget.thresholds,
            forecast=settings.budget.forecast,
        ),
    )


def declare_monitoring(
    settings: LabSettings,
    rg: resources.ResourceGroup,
    names: Mapping[str, pulumi.Output[str]],
    tags: Mapping[str, str],
) -> LabMonitoring:
    return LabMonitoring(
        "monitoring",
        LabMonitoringArgs(
            resource_group_name=rg.name,
            location=settings.account_location,
            workspace_name=names["workspace"],
            retention_in_days=settings.log_retention_days,
            daily_quota_gb=settings.log_daily_cap_gb,
            tags=tags,
        ),
    )


def declare_primary_account(
    settings: LabSettings,
    rg: resources.ResourceGroup,
    names: Mapping[str, pulumi.Output[str]],
    monitoring: LabMonitoring,
    tags: Mapping[str, str],
) -> OpenAIAccount:
    return OpenAIAccount(
        "openai",
        account_args(
            settings,
            resource_group_name=rg.name,
            location=settings.account_location,
            account_name=names["account"],
            # A spread lab places in its primary region only what `aoai-lab:location[0].capacity` says.
            deployments=deployment_specs(
                settings.deployments, settings.placements[0] if settings.spills_over else None
            ),
            workspace_id=monitoring.workspace.id,
            tags=tags,
            projects=[
                ProjectSpec(p.name, p.display_name or p.name, p.description) for p in settings.projects
            ],
        ),
    )


def declare_regional_accounts(
    settings: LabSettings,
    rg: resources.ResourceGroup,
    names: Mapping[str, pulumi.Output[str]],
    monitoring: LabMonitoring,
    tags: Mapping[str, str],
) -> list[RegionalAccount]:
    """The other regions of a spread lab (none unless aoai-lab:location is a list): stacks/regions.py."""
    if settings.spills_over:
        pulumi.log.warn(
            "aoai-lab:location spreads the lab over "
            + ", ".join(p.region for p in settings.placements)
            + ": each region gets an account; the gateway's backend pools route to them."
        )
    return regional_accounts(
        settings,
        resource_group_name=rg.name,
        primary_name=names["account"],
        workspace_id=monitoring.workspace.id,
        tags=tags,
    )


def declare_gateway(
    settings: LabSettings,
    rg: resources.ResourceGroup,
    names: Mapping[str, pulumi.Output[str]],
    openai: OpenAIAccount,
    regional: Sequence[RegionalAccount],
    monitoring: LabMonitoring,
    tags: Mapping[str, str],
) -> AiGateway:
    tier = APIM_TIERS[settings.gateway_tier]
    return AiGateway(
        "gateway",
        AiGatewayArgs(
            resource_group_name=rg.name,
            location=settings.account_location,
            service_name=names["gateway"],
            publisher_email=settings.gateway_publisher_email,
            publisher_name=settings.publisher_name,
            openai_endpoint=openai.endpoint,
            tier=settings.gateway_tier,
            capacity=tier.capacity,
            enable_client_certificate=tier.enable_client_certificate,
            # The gateway's token for Azure OpenAI is for the stack's cloud (cognitiveservices.azure.us/.cn).
            managed_identity_audience=CLOUDS[settings.environment].cognitive_services_audience,
            participants=[
                GatewayParticipant(p.name, p.email, state=p.state, rotation=p.rotation)
                for p in settings.participants
            ],
            token_limits=gateway_config.token_limits(settings.participant_limits),
            participant_limits=gateway_config.participant_limits(settings),
            guards=gateway_config.gateway_guards(settings),
            logging=gateway_config.gateway_logging(settings),
            class_window=gateway_config.class_window(settings),
            class_paused=settings.class_paused,
            cost_caps=gateway_config.cost_caps(settings),
            diagnostics_workspace_id=monitoring.workspace.id if settings.gateway_logs else None,
            tags=tags,
            # A spread lab: each region's account behind the gateway (stacks/regions.py).
            regional_backends=gateway_backends(settings, openai, regional),
        ),
    )


def declare_access(
    settings: LabSettings,
    openai: OpenAIAccount,
    regional: Sequence[RegionalAccount],
    gateway: AiGateway,
    monitoring: LabMonitoring,
) -> None:
    """The role grants (plain data, stacks/access.py) at the ids of the lab's resources."""
    client = authorization.get_client_config_output()
    grants = lab_grants(
        settings,
        gateway_principal_id=gateway.principal_id,
        accounts={
            settings.placements[0].region: openai.account.id,
            **{r.region: r.account.account.id for r in regional},
        },
        projects={name: ProjectIds(p.id, p.principal_id) for name, p in openai.projects.items()},
        scopes={
            "account": openai.account.id,
            "subscription": client.subscription_id.apply(lambda s: f"/subscriptions/{s}"),
            "workspace": monitoring.workspace.id,
        },
    )
    RoleAssignments("access", RoleAssignmentsArgs(subscription_id=client.subscription_id, grants=grants))
