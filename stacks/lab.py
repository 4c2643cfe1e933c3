"""The lab: composes the components from validated settings and exports what students and tools need."""

from __future__ import annotations

import datetime as dt

import pulumi
import pulumi_random as random
from pulumi_azure_native import authorization, resources

from components.ai_gateway import AiGateway, AiGatewayArgs, GatewayParticipant
from components.budget import LabBudget, LabBudgetArgs
from components.foundry_project import ProjectSpec
from components.monitoring import LabMonitoring, LabMonitoringArgs
from components.openai_account import OpenAIAccount, OpenAIAccountArgs
from components.role_assignments import RoleAssignments, RoleAssignmentsArgs
from stacks import gateway_config
from stacks import outputs as out
from stacks.access import lab_grants
from stacks.config.sections import LabSettings
from stacks.config.values import is_audio_model
from stacks.cost_cap import cost_caps as cost_cap_lines_and_caps
from stacks.facts.apim_tiers import APIM_TIERS
from stacks.facts.clouds import CLOUDS
from stacks.foundry import filter_policy
from stacks.naming import LabIdentity, lab_tags
from stacks.regions import deployment_specs, gateway_backends, regional_accounts
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
    location = settings.account_location
    if not settings.region_is_pinned:
        pulumi.log.warn(
            f"aoai-lab:location is not pinned: deploying the first candidate region '{location}' without a quota "
            "check. Run `labctl preflight --write` to pick a region that has quota and pin it."
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
    for line in cost_cap_lines_and_caps(settings)[
        1
    ]:  # the arithmetic of each costCap, for plan, check and `pulumi up`
        pulumi.log.warn(line)

    suffix = random.RandomString(
        "name-suffix", length=5, special=False, upper=False, numeric=True, min_numeric=1
    )
    names = resource_names(identity, suffix.result)

    rg = resources.ResourceGroup(
        "lab-rg",
        resource_group_name=identity.resource_group,
        location=settings.resource_group_location,
        tags=tags,
    )
    if settings.budget is not None:
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

    monitoring = LabMonitoring(
        "monitoring",
        LabMonitoringArgs(
            resource_group_name=rg.name,
            location=location,
            workspace_name=names["workspace"],
            retention_in_days=settings.log_retention_days,
            daily_quota_gb=settings.log_daily_cap_gb,
            tags=tags,
        ),
    )

    openai = OpenAIAccount(
        "openai",
        OpenAIAccountArgs(
            resource_group_name=rg.name,
            location=location,
            account_name=names["account"],
            kind=settings.account_kind,
            public_network_access=settings.public_network_access,
            disable_local_auth=settings.disable_local_auth,
            # A spread lab places in its primary region only what `aoai-lab:location[0].capacity` says.
            deployments=deployment_specs(
                settings.deployments, settings.placements[0] if settings.spills_over else None
            ),
            diagnostics_workspace_id=monitoring.workspace.id,
            tags=tags,
            content_filter=filter_policy(settings.content_filter),
            projects=[
                ProjectSpec(p.name, p.display_name or p.name, p.description) for p in settings.projects
            ],
        ),
    )
    # The other regions of a spread lab (none unless aoai-lab:location is a list): stacks/regions.py.
    if settings.spills_over:
        pulumi.log.warn(
            "aoai-lab:location spreads the lab over "
            + ", ".join(p.region for p in settings.placements)
            + ": each region gets an account; the gateway's backend pools route to them."
        )
    regional = regional_accounts(
        settings,
        resource_group_name=rg.name,
        primary_name=names["account"],
        workspace_id=monitoring.workspace.id,
        tags=tags,
    )

    tier = APIM_TIERS[settings.gateway_tier]
    gateway = AiGateway(
        "gateway",
        AiGatewayArgs(
            resource_group_name=rg.name,
            location=location,
            service_name=names["gateway"],
            publisher_email=settings.gateway_publisher_email,
            publisher_name=settings.publisher_name,
            openai_endpoint=openai.endpoint,
            tier=settings.gateway_tier,
            capacity=tier.capacity,
            enable_client_certificate=tier.enable_client_certificate,
            managed_identity_audience=CLOUDS[settings.environment].cognitive_services_audience,
            participants=[
                GatewayParticipant(p.name, p.email, state=p.state, rotation=p.rotation)
                for p in settings.participants
            ],
            # The gateway's token for Azure OpenAI is for the stack's cloud (cognitiveservices.azure.us/.cn).
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

    client = authorization.get_client_config_output()
    scopes = {
        "account": openai.account.id,
        "subscription": client.subscription_id.apply(lambda s: f"/subscriptions/{s}"),
        "workspace": monitoring.workspace.id,
    }
    grants = lab_grants(settings, openai=openai, regional=regional, gateway=gateway, scopes=scopes)
    RoleAssignments("access", RoleAssignmentsArgs(subscription_id=client.subscription_id, grants=grants))

    # The chat deployment handed out: neither an embeddings nor a speech model.
    chat = [d.name for d in settings.deployments if not d.is_embedding and not is_audio_model(d.model)]
    embeddings = [d.name for d in settings.deployments if d.is_embedding]
    env = gateway.gateway_url.apply(
        lambda root: out.openai_env(
            endpoint=root,
            api_version=settings.inference_api_version,
            chat=chat[0] if chat else "",
            embeddings=embeddings[0] if embeddings else "",
        )
    )
    # The keys and their meaning: stacks/outputs.py (the contract the tools parse).
    outputs: dict[str, pulumi.Output] = {
        out.RESOURCE_GROUP: rg.name,
        out.ACCOUNT_NAME: openai.account.name,
        out.ACCOUNT_REGION: pulumi.Output.from_input(location),
        out.REGION_PINNED: pulumi.Output.from_input(settings.region_is_pinned),
        out.ACCOUNT_ENDPOINT: openai.endpoint,
        out.DEPLOYMENTS: pulumi.Output.from_input(
            {
                d.name: {"model": d.model, "version": d.version, "sku": d.sku, "capacity": d.capacity}
                for d in settings.deployments
            }
        ),
        out.GATEWAY_NAME: gateway.service.name,
        out.GATEWAY_ROOT: gateway.gateway_url,
        out.GATEWAY_URL: gateway.api_url,
        out.PARTICIPANT_KEYS: gateway.subscription_keys,
        out.WORKSPACE_ID: monitoring.workspace.id,
        out.WORKSPACE_CUSTOMER_ID: monitoring.workspace.customer_id,
        out.OPENAI_ENV: env,
        out.OPENAI_ENV_SHELL: env.apply(out.shell_lines),
        out.EXPIRES_ON: pulumi.Output.from_input(settings.expires_on.isoformat()),
        out.STACK: pulumi.Output.from_input(settings.stack),
        out.LAB_NAME: pulumi.Output.from_input(settings.name),
        # Every region of the lab, primary first, with its account and what is deployed there (purge, smoke).
        out.ACCOUNT_REGIONS: pulumi.Output.all(
            openai.account.name, *[r.account.account.name for r in regional]
        ).apply(
            lambda names_: {
                p.region: {
                    "account": name,
                    "deployments": {
                        s.name: s.capacity
                        for s in deployment_specs(settings.deployments, p if settings.spills_over else None)
                    },
                }
                for p, name in zip(settings.placements, names_, strict=True)
            }
        ),
        out.GATEWAY_V1_URL: gateway.gateway_url.apply(out.v1_base_url),
        out.PARTICIPANT_LIMITS: pulumi.Output.from_input(gateway_config.participant_limits_output(settings)),
        out.FOUNDRY_PROJECTS: pulumi.Output.from_input(
            {name: {"endpoint": p.endpoint, "id": p.id} for name, p in openai.projects.items()}
        ),
        out.CONTENT_FILTER: pulumi.Output.from_input(
            {}
            if settings.content_filter is None
            else {
                "name": settings.content_filter.name,
                "deployments": [
                    d.name for d in settings.deployments if d.rai_policy == settings.content_filter.name
                ],
            }
        ),
    }
    for key, value in outputs.items():
        pulumi.export(key, value)
    return outputs
