"""Who may reach what: the role assignments of a lab, from its people's role sets and its own identities.

Students reach the models only through the gateway: the `student` role set holds no role on any account (only
Azure AI User on their own Foundry project, for the agents activity). Direct Entra ID access to an account is the
opt-in role sets of stacks/catalog.py (DIRECT_ACCESS_ROLE_SETS), which `labctl check` reports. The gateway's
identity gets the least role that calls the lab's models; a project's identity, what its agents need.

Plain data in, plain data out: the functions take the settings and the ids the grants point at as values
(`pulumi.Input[str]`: the components' outputs in the program, any string in a test), never the components, so who
gets which role where is tested without a Pulumi runtime (tests/stacks/test_access.py). stacks/lab.py passes the
ids in and hands the grants to components/role_assignments.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi

from components.role_assignments import RoleGrant
from facts.roles import AZURE_AI_USER, OPENAI_USER
from stacks.catalog import ROLE_SETS, grant_description
from stacks.config.sections import LabSettings
from stacks.config.slugs import name_part


@dataclass(frozen=True)
class ProjectIds:
    """A Foundry project's resource id (a scope) and its system-assigned identity's principal id."""

    id: pulumi.Input[str]
    principal_id: pulumi.Input[str]


def gateway_grants(
    settings: LabSettings, principal_id: pulumi.Input[str], accounts: Mapping[str, pulumi.Input[str]]
) -> list[RoleGrant]:
    """The gateway identity's roles on each account. `accounts`: region -> account id, one for each of the lab's
    regions (settings.placements); the primary's grants keep the key they had before the lab was spread."""
    regions = [p.region for p in settings.placements]
    if sorted(accounts) != sorted(regions):
        # A region without its grant would answer the gateway 401 only once traffic spills over to it.
        raise ValueError(
            f"the gateway needs a role on every region's account: {regions}, got {list(accounts)}"
        )
    primary = regions[0]
    grants = [
        RoleGrant(
            key=f"gateway-openai-user{_region_suffix(region, primary)}",
            scope=account_id,
            principal_id=principal_id,
            principal_type="ServicePrincipal",
            role_guid=OPENAI_USER.id,
            description="API Management gateway calls Azure OpenAI"
            + (f" in {region}" if region != primary else "")
            + " with its managed identity",
        )
        for region, account_id in accounts.items()
    ]
    if any(d.format.lower() != "openai" for d in settings.deployments):
        # Models of other publishers answer Entra ID calls for the MaaS data actions, which OpenAI User lacks.
        # Azure AI User has them and, unlike Cognitive Services User, cannot list the account's keys
        # (facts/roles.py AZURE_AI_USER, with the sources).
        grants += [
            RoleGrant(
                key=f"gateway-azure-ai-user{_region_suffix(region, primary)}",
                scope=account_id,
                principal_id=principal_id,
                principal_type="ServicePrincipal",
                role_guid=AZURE_AI_USER.id,
                description="API Management gateway calls the catalog models (other publishers) with its identity",
            )
            for region, account_id in accounts.items()
        ]
    return grants


def _region_suffix(region: str, primary: str) -> str:
    return "" if region == primary else f"-{region}"


def project_identity_grants(
    account_id: pulumi.Input[str], projects: Mapping[str, ProjectIds]
) -> list[RoleGrant]:
    # Agents run as the project's identity: it reads the account's deployments and calls them (Microsoft's
    # minimum for a project identity: Azure AI User on the Foundry resource, stacks/facts/foundry.yaml).
    return [
        RoleGrant(
            key=f"project-{name}-{name_part(AZURE_AI_USER.name)}",
            scope=account_id,
            principal_id=project.principal_id,
            principal_type="ServicePrincipal",
            role_guid=AZURE_AI_USER.id,
            description=f"Foundry project {name}: its agents call the account's models",
        )
        for name, project in projects.items()
    ]


def people_grants(
    settings: LabSettings, scopes: Mapping[str, pulumi.Input[str]], projects: Mapping[str, ProjectIds]
) -> list[RoleGrant]:
    """Each person's role set, at its scopes (`scopes`: "account", "subscription", "workspace" -> resource id);
    "project" roles only on the projects the person belongs to."""
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
                    scope=projects[p.name].id,
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
    gateway_principal_id: pulumi.Input[str],
    accounts: Mapping[str, pulumi.Input[str]],
    projects: Mapping[str, ProjectIds],
    scopes: Mapping[str, pulumi.Input[str]],
) -> list[RoleGrant]:
    """Every role assignment of the lab. `accounts`: region -> account id, the primary first; `projects`: the
    primary account's Foundry projects by name; `scopes`: the people's scopes by kind (ROLE_SETS)."""
    return [
        *gateway_grants(settings, gateway_principal_id, accounts),
        *project_identity_grants(scopes["account"], projects),
        *people_grants(settings, scopes, projects),
    ]
