"""The lab: composes the components from validated settings and exports what students and tools need."""

from __future__ import annotations

import datetime as dt
import re

import pulumi
import pulumi_random as random
from pulumi_azure_native import authorization, resources

from components.ai_gateway import AiGateway, AiGatewayArgs, GatewayParticipant
from components.budget import LabBudget, LabBudgetArgs
from components.monitoring import LabMonitoring, LabMonitoringArgs
from components.openai_account import ModelDeploymentSpec, OpenAIAccount, OpenAIAccountArgs
from components.role_assignments import RoleAssignments, RoleAssignmentsArgs, RoleGrant
from stacks.catalog import GATEWAY_TIERS, OPENAI_USER, ROLE_SETS
from stacks.settings import LabSettings


def resource_names(settings: LabSettings, suffix: pulumi.Input[str]) -> dict[str, pulumi.Output[str]]:
    """Names from project and stack plus a random suffix kept in state: stable for the life of the stack, new
    after `pulumi destroy`, so a fresh `pulumi up` never meets the soft-deleted account or gateway it left."""
    base = f"{settings.project}-{settings.stack}"
    out = pulumi.Output.from_input(suffix)
    return {
        "account": out.apply(lambda s: f"{base}-{s}"),
        "gateway": out.apply(lambda s: f"apim-{base}-{s}"),
        "workspace": out.apply(lambda s: f"log-{base}-{s}"),
    }


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def build_lab(settings: LabSettings) -> dict[str, pulumi.Output]:
    tags = settings.tags
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

    suffix = random.RandomString(
        "name-suffix", length=5, special=False, upper=False, numeric=True, min_numeric=1
    )
    names = resource_names(settings, suffix.result)

    rg = resources.ResourceGroup(
        "lab-rg",
        resource_group_name=f"rg-{settings.project}-{settings.stack}",
        location=settings.resource_group_location,
        tags=tags,
    )
    if settings.budget is not None:
        LabBudget(
            "budget",
            LabBudgetArgs(
                scope=rg.id,
                budget_name=f"budget-{settings.project}-{settings.stack}",
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
            deployments=[
                ModelDeploymentSpec(
                    name=d.name,
                    model=d.model,
                    version=d.version,
                    sku=d.sku,
                    capacity=d.capacity,
                    format=d.format,
                    version_upgrade_option=d.version_upgrade_option,
                    rai_policy=d.rai_policy,
                )
                for d in settings.deployments
            ],
            diagnostics_workspace_id=monitoring.workspace.id,
            tags=tags,
        ),
    )

    tier = GATEWAY_TIERS[settings.gateway_tier]
    gateway = AiGateway(
        "gateway",
        AiGatewayArgs(
            resource_group_name=rg.name,
            location=location,
            service_name=names["gateway"],
            publisher_email=settings.gateway_publisher_email,
            publisher_name=settings.publisher_name,
            openai_endpoint=openai.endpoint,
            inference_spec_url=settings.inference_spec_url,
            tier=settings.gateway_tier,
            capacity=tier.capacity,
            participants=[GatewayParticipant(p.name, p.email) for p in settings.participants],
            log_body_bytes=settings.log_body_bytes,
            diagnostics_workspace_id=monitoring.workspace.id if settings.gateway_logs else None,
            tags=tags,
        ),
    )

    client = authorization.get_client_config_output()
    scopes = {
        "account": openai.account.id,
        "subscription": client.subscription_id.apply(lambda s: f"/subscriptions/{s}"),
        "workspace": monitoring.workspace.id,
    }
    grants = [
        RoleGrant(
            key="gateway-openai-user",
            scope=openai.account.id,
            principal_id=gateway.principal_id,
            principal_type="ServicePrincipal",
            role_guid=OPENAI_USER.id,
            description="API Management gateway calls Azure OpenAI with its managed identity",
        )
    ]
    for person in settings.people:
        who = person.key
        for scope_kind, role in ROLE_SETS[person.role_set]:
            grants.append(
                RoleGrant(
                    key=f"{who}-{_slug(role.name)}",
                    scope=scopes[scope_kind],
                    principal_id=person.principal_id,
                    principal_type=person.principal_type,
                    role_guid=role.id,
                    description=f"aoai-lab {person.role_set}: {person.name or person.principal_id}",
                )
            )
    RoleAssignments("access", RoleAssignmentsArgs(subscription_id=client.subscription_id, grants=grants))

    chat = [d.name for d in settings.deployments if not d.is_embedding]
    embeddings = [d.name for d in settings.deployments if d.is_embedding]
    outputs: dict[str, pulumi.Output] = {
        "resourceGroup": rg.name,
        "accountName": openai.account.name,
        "accountRegion": pulumi.Output.from_input(location),
        "regionPinned": pulumi.Output.from_input(settings.region_is_pinned),
        "accountEndpoint": openai.endpoint,
        "deployments": pulumi.Output.from_input(
            {
                d.name: {"model": d.model, "version": d.version, "sku": d.sku, "capacity": d.capacity}
                for d in settings.deployments
            }
        ),
        "gatewayName": gateway.service.name,
        "gatewayUrl": gateway.api_url,
        "participantKeys": gateway.subscription_keys,
        "workspaceId": monitoring.workspace.id,
        "workspaceCustomerId": monitoring.workspace.customer_id,
        # Paste into a shell or .env: the openai SDK's AzureOpenAI client reads these, with a participant key
        # as AZURE_OPENAI_API_KEY. The SDK appends /openai itself, so the endpoint is the gateway's root.
        "openaiEnv": gateway.gateway_url.apply(
            lambda url: {
                "AZURE_OPENAI_ENDPOINT": url,
                "OPENAI_API_VERSION": settings.inference_api_version,
                "AZURE_OPENAI_CHAT_DEPLOYMENT": chat[0] if chat else "",
                "AZURE_OPENAI_EMBEDDINGS_DEPLOYMENT": embeddings[0] if embeddings else "",
            }
        ),
        # The same, as lines to paste into a POSIX shell.
        "openaiEnvShell": gateway.gateway_url.apply(
            lambda url: "".join(
                f"export {k}={v}\n"
                for k, v in {
                    "AZURE_OPENAI_ENDPOINT": url,
                    "OPENAI_API_VERSION": settings.inference_api_version,
                    "AZURE_OPENAI_CHAT_DEPLOYMENT": chat[0] if chat else "",
                    "AZURE_OPENAI_EMBEDDINGS_DEPLOYMENT": embeddings[0] if embeddings else "",
                }.items()
            )
        ),
        "expiresOn": pulumi.Output.from_input(settings.expires_on.isoformat()),
    }
    for key, value in outputs.items():
        pulumi.export(key, value)
    return outputs
