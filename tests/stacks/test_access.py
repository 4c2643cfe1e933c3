"""Who may reach what, as plain data: stacks/access.py called with plain strings for the ids (no Pulumi runtime).

The ids are readable stand-ins ("account:eastus2", "project:agents"), so each assertion says which resource a role
lands on. The settings are the dev stack's with a few keys changed, validated as `pulumi up` validates them.
"""

from __future__ import annotations

from typing import Any

import pytest

from components.role_assignments import RoleGrant
from facts.roles import (
    AZURE_AI_USER,
    COGNITIVE_SERVICES_CONTRIBUTOR,
    COGNITIVE_SERVICES_USAGES_READER,
    COGNITIVE_SERVICES_USER,
    LOG_ANALYTICS_READER,
    OPENAI_CONTRIBUTOR,
    OPENAI_USER,
)
from labctl.project import read_stack_config
from stacks.access import ProjectIds, gateway_grants, lab_grants
from stacks.catalog import ROLE_SETS, grant_description
from stacks.config.load import load_settings
from stacks.config.sections import LabSettings
from stacks.config.source import split_config
from tests.support.catalog_model import FOUNDRY_MODEL

SUBSCRIPTION = "/subscriptions/sub"
WORKSPACE = "workspace:log"
GATEWAY = "principal:gateway"
# Three regions, each placing every deployment: the primary and two the gateway spills over to.
SPREAD_REGIONS = ["eastus2", "swedencentral", "westus3"]
SPREAD = [{"region": region} for region in SPREAD_REGIONS]


def _person(name: str, role_set: str, n: int, principal_type: str = "User") -> dict[str, str]:
    return {
        "name": name,
        "principalId": f"{n:08x}-2222-4333-8444-555555555555",
        "principalType": principal_type,
        "roleSet": role_set,
    }


ANA = _person("ana-garcia", "instructor", 1)
TEAM_A = _person("team-a", "student", 2, "Group")
TEAM_B = _person("team-b", "student", 3, "Group")


def _dev() -> dict[str, Any]:
    """Pulumi.dev.yaml's `aoai-lab:` keys, without the namespace (a fresh copy)."""
    flat, _ = read_stack_config("dev")
    return split_config(flat)[0]


def _settings(**changes: Any) -> LabSettings:
    if "location" in changes:
        # A spread's regions are among the lab's candidate regions.
        changes = {"regions": SPREAD_REGIONS, **changes}
    return load_settings({**_dev(), **changes}, resource_group_location="eastus2")


def _account(region: str) -> str:
    return f"account:{region}"


def _grants(settings: LabSettings) -> list[RoleGrant]:
    """The lab's grants with a stand-in id for every resource, as stacks/lab.py passes the real ones."""
    primary = _account(settings.placements[0].region)
    return lab_grants(
        settings,
        gateway_principal_id=GATEWAY,
        accounts={p.region: _account(p.region) for p in settings.placements},
        projects={p.name: ProjectIds(f"project:{p.name}", f"principal:{p.name}") for p in settings.projects},
        scopes={"account": primary, "subscription": SUBSCRIPTION, "workspace": WORKSPACE},
    )


def _held(grants: list[RoleGrant], principal_id: str) -> set[tuple[str, object]]:
    return {(g.role_guid, g.scope) for g in grants if g.principal_id == principal_id}


def _id(person: dict[str, str]) -> str:
    return person["principalId"]


# What each role set gets, on a Foundry lab with one project (`agents`, everyone's): written out role by role, so a
# role added to, dropped from or moved in stacks/catalog.py's ROLE_SETS fails here.
ON_ONE_PROJECT = {
    "student": {(AZURE_AI_USER.id, "project:agents")},
    "playground": {(OPENAI_USER.id, "account:eastus2"), (AZURE_AI_USER.id, "project:agents")},
    "fine-tuner": {
        (OPENAI_USER.id, "account:eastus2"),
        (OPENAI_CONTRIBUTOR.id, "account:eastus2"),
        (COGNITIVE_SERVICES_USAGES_READER.id, SUBSCRIPTION),
    },
    "instructor": {
        (OPENAI_USER.id, "account:eastus2"),
        (OPENAI_CONTRIBUTOR.id, "account:eastus2"),
        (COGNITIVE_SERVICES_CONTRIBUTOR.id, "account:eastus2"),
        (COGNITIVE_SERVICES_USAGES_READER.id, SUBSCRIPTION),
        (LOG_ANALYTICS_READER.id, WORKSPACE),
        (AZURE_AI_USER.id, "project:agents"),
    },
}


def test_every_role_set_is_pinned_here():
    assert set(ON_ONE_PROJECT) == set(ROLE_SETS)


@pytest.mark.parametrize("role_set", sorted(ON_ONE_PROJECT))
def test_each_role_set_grants_its_exact_roles_at_their_scopes(role_set: str):
    pat = _person("pat", role_set, 9)
    grants = _grants(_settings(accountKind="AIServices", people=[pat]))
    assert _held(grants, _id(pat)) == ON_ONE_PROJECT[role_set]
    mine = [g for g in grants if g.principal_id == _id(pat)]
    assert {g.principal_type for g in mine} == {"User"}
    # labctl check reads the role set back from the description (guardrail direct-model-access-opt-in).
    assert all(g.description and g.description.startswith(grant_description(role_set, "pat")) for g in mine)


def test_on_an_openai_lab_a_student_gets_no_role_at_all():
    # No Foundry project on an OpenAI account: the gateway key is the student's only way to the models.
    grants = _grants(_settings(people=[ANA, TEAM_A]))
    assert _held(grants, _id(TEAM_A)) == set()
    assert _held(grants, _id(ANA)) == ON_ONE_PROJECT["instructor"] - {(AZURE_AI_USER.id, "project:agents")}


def test_a_student_gets_only_azure_ai_user_on_their_own_project():
    settings = _settings(
        location=SPREAD, accountKind="AIServices", foundryProjectPer="person", people=[ANA, TEAM_A, TEAM_B]
    )
    grants = _grants(settings)
    assert _held(grants, _id(TEAM_A)) == {(AZURE_AI_USER.id, "project:agents-team-a")}
    assert _held(grants, _id(TEAM_B)) == {(AZURE_AI_USER.id, "project:agents-team-b")}
    # Staff belong to every group's project.
    assert {scope for role, scope in _held(grants, _id(ANA)) if role == AZURE_AI_USER.id} == {
        "project:agents-team-a",
        "project:agents-team-b",
    }
    # Nothing for either student on any region's account, the subscription or the workspace.
    elsewhere = {*map(_account, SPREAD_REGIONS), SUBSCRIPTION, WORKSPACE}
    assert not {g.scope for g in grants if g.principal_id in (_id(TEAM_A), _id(TEAM_B))} & elsewhere


def test_project_roles_only_on_the_projects_the_person_belongs_to():
    pl = _person("pl", "playground", 4)
    projects = [
        {"name": "agents", "people": ["ana-garcia", "team-a"]},
        {"name": "team2", "people": ["pl"]},
    ]
    grants = _grants(_settings(accountKind="AIServices", foundryProjects=projects, people=[ANA, TEAM_A, pl]))

    def projects_of(person: dict[str, str]) -> set[object]:
        return {scope for role, scope in _held(grants, _id(person)) if str(scope).startswith("project:")}

    assert projects_of(ANA) == {"project:agents"}
    assert projects_of(TEAM_A) == {"project:agents"}
    assert projects_of(pl) == {"project:team2"}


def test_the_gateway_calls_every_region_with_openai_user_only():
    grants = _grants(_settings(location=SPREAD))
    assert _held(grants, GATEWAY) == {(OPENAI_USER.id, _account(region)) for region in SPREAD_REGIONS}
    assert {g.principal_type for g in grants if g.principal_id == GATEWAY} == {"ServicePrincipal"}


def test_a_model_of_another_publisher_adds_azure_ai_user_never_cognitive_services_user():
    settings = _settings(
        location=SPREAD, accountKind="AIServices", deployments=[*_dev()["deployments"], FOUNDRY_MODEL]
    )
    grants = _grants(settings)
    assert _held(grants, GATEWAY) == {
        (role.id, _account(region)) for role in (OPENAI_USER, AZURE_AI_USER) for region in SPREAD_REGIONS
    }
    # Cognitive Services User can list the account's keys: nobody in the lab gets it.
    assert COGNITIVE_SERVICES_USER.id not in {g.role_guid for g in grants}


def test_a_region_without_its_account_id_is_refused():
    # Its grant missing, the gateway would get 401 from that region only once traffic spills over to it.
    without_westus3 = {region: _account(region) for region in SPREAD_REGIONS[:2]}
    with pytest.raises(ValueError, match="westus3"):
        gateway_grants(_settings(location=SPREAD), GATEWAY, without_westus3)


def test_each_project_identity_gets_azure_ai_user_on_the_primary_account():
    projects = [
        {"name": "agents", "people": ["ana-garcia"]},
        {"name": "team2", "people": ["workshop-students"]},
    ]
    grants = _grants(_settings(location=SPREAD, accountKind="AIServices", foundryProjects=projects))
    for name in ("agents", "team2"):
        identity = [g for g in grants if g.principal_id == f"principal:{name}"]
        assert [(g.role_guid, g.scope, g.principal_type) for g in identity] == [
            (AZURE_AI_USER.id, "account:eastus2", "ServicePrincipal")
        ]


# The keys name the Pulumi resources (`access-<key>`): a changed key replaces the assignment (a delete and a create
# that can race each other in Azure). These are the names in the dev plan, and those of a spread Foundry lab as the
# program named them before stacks/access.py took plain ids.
DEV_KEYS = {
    "gateway-openai-user",
    "ana-garcia-cognitive-services-openai-user",
    "ana-garcia-cognitive-services-openai-contributor",
    "ana-garcia-cognitive-services-contributor",
    "ana-garcia-cognitive-services-usages-reader",
    "ana-garcia-log-analytics-reader",
}
SPREAD_FOUNDRY_KEYS = {
    "gateway-openai-user",
    "gateway-openai-user-swedencentral",
    "gateway-openai-user-westus3",
    "gateway-azure-ai-user",
    "gateway-azure-ai-user-swedencentral",
    "gateway-azure-ai-user-westus3",
    "project-agents-azure-ai-user",
    "project-team2-azure-ai-user",
    "ana-garcia-cognitive-services-openai-user",
    "ana-garcia-cognitive-services-openai-contributor",
    "ana-garcia-cognitive-services-contributor",
    "ana-garcia-cognitive-services-usages-reader",
    "ana-garcia-log-analytics-reader",
    "ana-garcia-azure-ai-user-agents",
    "workshop-students-azure-ai-user-agents",
    "pl-cognitive-services-openai-user",
    "pl-azure-ai-user-team2",
    "ft-cognitive-services-openai-user",
    "ft-cognitive-services-openai-contributor",
    "ft-cognitive-services-usages-reader",
}


def test_keys_are_the_dev_plans_resource_names(dev_plan):
    keys = [g.key for g in _grants(_settings())]
    assert set(keys) == DEV_KEYS and len(keys) == len(DEV_KEYS)
    planned = {
        r["urn"].rsplit("::", 1)[-1] for r in dev_plan.by_type("azure-native:authorization:RoleAssignment")
    }
    assert planned == {f"access-{k}" for k in DEV_KEYS}


def test_keys_are_unique_and_stable_on_a_spread_foundry_lab():
    settings = _settings(
        location=SPREAD,
        accountKind="AIServices",
        deployments=[*_dev()["deployments"], FOUNDRY_MODEL],
        foundryProjects=[
            {"name": "agents", "people": ["ana-garcia", "workshop-students"]},
            {"name": "team2", "people": ["pl"]},
        ],
        people=[*_dev()["people"], _person("pl", "playground", 4), _person("ft", "fine-tuner", 5)],
    )
    keys = [g.key for g in _grants(settings)]
    assert len(keys) == len(set(keys))
    assert set(keys) == SPREAD_FOUNDRY_KEYS
