"""The lab: composes the components from validated settings and exports what students and tools need."""

from __future__ import annotations

import datetime as dt
import re

import pulumi
import pulumi_random as random
from pulumi_azure_native import authorization, resources

from components.ai_gateway import AiGateway, AiGatewayArgs, GatewayParticipant
from components.budget import LabBudget, LabBudgetArgs
from components.content_filter import ContentFilterPolicy
from components.foundry_project import ProjectSpec
from components.monitoring import LabMonitoring, LabMonitoringArgs
from components.openai_account import ModelDeploymentSpec, OpenAIAccount, OpenAIAccountArgs
from components.role_assignments import RoleAssignments, RoleAssignmentsArgs, RoleGrant
from stacks import outputs as out
from stacks.catalog import AZURE_AI_USER, OPENAI_USER, ROLE_SETS
from stacks.config.foundry import ContentFilterSettings
from stacks.config.sections import LabSettings
from stacks.facts.apim_tiers import APIM_TIERS
from stacks.naming import LabIdentity, lab_tags


def resource_names(identity: LabIdentity, suffix: pulumi.Input[str]) -> dict[str, pulumi.Output[str]]:
    """Names from project and stack plus a random suffix kept in state: stable for the life of the stack, new
    after `pulumi destroy`, so a fresh `pulumi up` never meets the soft-deleted account or gateway it left."""
    out = pulumi.Output.from_input(suffix)
    return {
        "account": out.apply(identity.account),
        "gateway": out.apply(identity.gateway),
        "workspace": out.apply(identity.workspace),
    }


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


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
            content_filter=_filter_policy(settings.content_filter),
            projects=[
                ProjectSpec(p.name, p.display_name or p.name, p.description) for p in settings.projects
            ],
        ),
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
            inference_spec_url=settings.inference_spec_url,
            tier=settings.gateway_tier,
            capacity=tier.capacity,
            enable_client_certificate=tier.enable_client_certificate,
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
    for name, project in openai.projects.items():
        # Agents run as the project's identity: it reads the account's deployments and calls them.
        grants.append(
            RoleGrant(
                key=f"project-{name}-{_slug(AZURE_AI_USER.name)}",
                scope=openai.account.id,
                principal_id=project.principal_id,
                principal_type="ServicePrincipal",
                role_guid=AZURE_AI_USER.id,
                description=f"Foundry project {name}: its agents call the account's models",
            )
        )
    for person in settings.people:
        who = person.key
        for scope_kind, role in ROLE_SETS[person.role_set]:
            if scope_kind == "project":
                # On each project the person belongs to (all of them unless a project lists its people).
                for p in settings.projects:
                    if p.people is None or person.name in p.people:
                        grants.append(
                            RoleGrant(
                                key=f"{who}-{_slug(role.name)}-{p.name}",
                                scope=openai.projects[p.name].id,
                                principal_id=person.principal_id,
                                principal_type=person.principal_type,
                                role_guid=role.id,
                                description=f"aoai-lab {person.role_set} in project {p.name}: "
                                f"{person.name or person.principal_id}",
                            )
                        )
                continue
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


def _filter_policy(cf: ContentFilterSettings | None) -> ContentFilterPolicy | None:
    if cf is None:
        return None
    return ContentFilterPolicy(
        policy_name=cf.name,
        prompt_thresholds=cf.prompt.azure(),
        completion_thresholds=cf.completion.azure(),
        jailbreak_shield=cf.prompt_shields,
        indirect_attack_shield=cf.prompt_shields,
        protected_material_text=cf.protected_material,
        block_protected_code=cf.block_protected_code,
        profanity=cf.profanity,
        blocklist_terms=cf.blocked_terms,
        mode=cf.streaming,
    )
