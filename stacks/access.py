"""Who may reach what: the role assignments of a lab, from its people's role sets and its own identities.

Students reach the models only through the gateway: the `student` role set holds no role on any account (only
Azure AI User on their own Foundry project, for the agents activity). Direct Entra ID access to an account is the
opt-in role sets of stacks/catalog.py (DIRECT_ACCESS_ROLE_SETS), which `labctl check` reports. The gateway's
identity gets the least role that calls the lab's models; a project's identity, what its agents need.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pulumi

from components.ai_gateway import AiGateway
from components.openai_account import OpenAIAccount
from components.role_assignments import RoleGrant
from facts.roles import AZURE_AI_USER, OPENAI_USER
from stacks.catalog import ROLE_SETS, grant_description
from stacks.config.sections import LabSettings
from stacks.config.slugs import name_part
from stacks.regions import RegionalAccount


def gateway_grants(
    settings: LabSettings, gateway: AiGateway, accounts: Sequence[tuple[str, pulumi.Input[str]]]
) -> list[RoleGrant]:
    """(region or "" for the primary, account id) -> the gateway identity's roles on each account."""
    grants = [
        RoleGrant(
            key=f"gateway-openai-user{'-' + region if region else ''}",
            scope=account_id,
            principal_id=gateway.principal_id,
            principal_type="ServicePrincipal",
            role_guid=OPENAI_USER.id,
            description="API Management gateway calls Azure OpenAI"
            + (f" in {region}" if region else "")
            + " with its managed identity",
        )
        for region, account_id in accounts
    ]
    if any(d.format.lower() != "openai" for d in settings.deployments):
        # Models of other publishers answer Entra ID calls for the MaaS data actions, which OpenAI User lacks.
        # Azure AI User has them and, unlike Cognitive Services User, cannot list the account's keys
        # (facts/roles.py AZURE_AI_USER, with the sources).
        grants += [
            RoleGrant(
                key=f"gateway-azure-ai-user{'-' + region if region else ''}",
                scope=account_id,
                principal_id=gateway.principal_id,
                principal_type="ServicePrincipal",
                role_guid=AZURE_AI_USER.id,
                description="API Management gateway calls the catalog models (other publishers) with its identity",
            )
            for region, account_id in accounts
        ]
    return grants


def project_identity_grants(openai: OpenAIAccount) -> list[RoleGrant]:
    # Agents run as the project's identity: it reads the account's deployments and calls them (Microsoft's
    # minimum for a project identity: Azure AI User on the Foundry resource, stacks/facts/foundry.yaml).
    return [
        RoleGrant(
            key=f"project-{name}-{name_part(AZURE_AI_USER.name)}",
            scope=openai.account.id,
            principal_id=project.principal_id,
            principal_type="ServicePrincipal",
            role_guid=AZURE_AI_USER.id,
            description=f"Foundry project {name}: its agents call the account's models",
        )
        for name, project in openai.projects.items()
    ]


def people_grants(
    settings: LabSettings, scopes: Mapping[str, pulumi.Input[str]], openai: OpenAIAccount
) -> list[RoleGrant]:
    """Each person's role set, at its scopes; "project" roles only on the projects the person belongs to."""
    grants: list[RoleGrant] = []
    for person in settings.people:
        who = person.name or person.principal_id
        for scope_kind, role in ROLE_SETS[person.role_set]:
            if scope_kind != "project":
                grants.append(
                    RoleGrant(
                        key=f"{person.key}-{name_part(role.name)}",
                        scope=scopes[scope_kind],
                        principal_id=person.principal_id,
                        principal_type=person.principal_type,
                        role_guid=role.id,
                        description=grant_description(person.role_set, who),
                    )
                )
                continue
            # On each project the person belongs to (all of them unless a project lists its people).
            grants += [
                RoleGrant(
                    key=f"{person.key}-{name_part(role.name)}-{p.name}",
                    scope=openai.projects[p.name].id,
                    principal_id=person.principal_id,
                    principal_type=person.principal_type,
                    role_guid=role.id,
                    description=grant_description(person.role_set, f"{who} in project {p.name}"),
                )
                for p in settings.projects
                if p.people is None or person.name in p.people
            ]
    return grants


def lab_grants(
    settings: LabSettings,
    *,
    openai: OpenAIAccount,
    regional: Sequence[RegionalAccount],
    gateway: AiGateway,
    scopes: Mapping[str, pulumi.Input[str]],
) -> list[RoleGrant]:
    accounts = [("", openai.account.id), *[(r.region, r.account.account.id) for r in regional]]
    return [
        *gateway_grants(settings, gateway, accounts),
        *project_identity_grants(openai),
        *people_grants(settings, scopes, openai),
    ]
