"""What the stack exports: the stack outputs, from the declared components and the settings.

The keys and their meaning are stacks/outputs.py, the contract the tools parse; this module only fills them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi_azure_native import resources

from components.ai_gateway import AiGateway
from components.monitoring import LabMonitoring
from components.openai_account import OpenAIAccount
from stacks import gateway_config
from stacks import outputs as out
from stacks.config.deployment_kinds import is_audio_model
from stacks.config.sections import LabSettings
from stacks.regions import RegionalAccount, deployment_specs


@dataclass(frozen=True)
class LabParts:
    """The declared components the outputs read."""

    resource_group: resources.ResourceGroup
    monitoring: LabMonitoring
    openai: OpenAIAccount
    regional: Sequence[RegionalAccount]
    gateway: AiGateway


def lab_outputs(settings: LabSettings, parts: LabParts) -> dict[str, pulumi.Output]:
    """Every stack output, by its stacks/outputs.py key."""
    openai, gateway, workspace = parts.openai, parts.gateway, parts.monitoring.workspace
    env = _openai_env(settings, gateway)
    return {
        out.RESOURCE_GROUP: parts.resource_group.name,
        out.ACCOUNT_NAME: openai.account.name,
        out.ACCOUNT_REGION: pulumi.Output.from_input(settings.account_location),
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
        out.WORKSPACE_ID: workspace.id,
        out.WORKSPACE_CUSTOMER_ID: workspace.customer_id,
        out.OPENAI_ENV: env,
        out.OPENAI_ENV_SHELL: env.apply(out.shell_lines),
        out.EXPIRES_ON: pulumi.Output.from_input(settings.expires_on.isoformat()),
        out.STACK: pulumi.Output.from_input(settings.stack),
        out.LAB_NAME: pulumi.Output.from_input(settings.name),
        out.ACCOUNT_REGIONS: _account_regions(settings, openai, parts.regional),
        out.GATEWAY_V1_URL: gateway.gateway_url.apply(out.v1_base_url),
        out.PARTICIPANT_LIMITS: pulumi.Output.from_input(gateway_config.participant_limits_output(settings)),
        out.FOUNDRY_PROJECTS: pulumi.Output.from_input(
            {name: {"endpoint": p.endpoint, "id": p.id} for name, p in openai.projects.items()}
        ),
        out.CONTENT_FILTER: pulumi.Output.from_input(_content_filter(settings)),
    }


def _openai_env(settings: LabSettings, gateway: AiGateway) -> pulumi.Output[dict[str, str]]:
    # The chat deployment handed out: neither an embeddings nor a speech model.
    chat = [d.name for d in settings.deployments if not d.is_embedding and not is_audio_model(d.model)]
    embeddings = [d.name for d in settings.deployments if d.is_embedding]
    return gateway.gateway_url.apply(
        lambda root: out.openai_env(
            endpoint=root,
            api_version=settings.inference_api_version,
            chat=chat[0] if chat else "",
            embeddings=embeddings[0] if embeddings else "",
        )
    )


def _account_regions(
    settings: LabSettings, openai: OpenAIAccount, regional: Sequence[RegionalAccount]
) -> pulumi.Output[dict[str, Any]]:
    """Every region of the lab, primary first, with its account and what is deployed there (purge, smoke)."""
    return pulumi.Output.all(openai.account.name, *[r.account.account.name for r in regional]).apply(
        lambda names: {
            p.region: {
                "account": name,
                "deployments": {
                    s.name: s.capacity
                    for s in deployment_specs(settings.deployments, p if settings.spills_over else None)
                },
            }
            for p, name in zip(settings.placements, names, strict=True)
        }
    )


def _content_filter(settings: LabSettings) -> dict[str, Any]:
    cf = settings.content_filter
    if cf is None:
        return {}
    return {"name": cf.name, "deployments": [d.name for d in settings.deployments if d.rai_policy == cf.name]}
