"""RBAC: built-in role ids, scopes, principal types and deterministic assignment names."""

from __future__ import annotations

import uuid

from components.role_assignments import assignment_name, role_definition_id
from labctl.plan.mockcloud import FAKE_SUBSCRIPTION_ID
from stacks.catalog import ROLE_SETS
from tests.support.plans import ACCOUNT, APIM, ROLE_ASSIGNMENT, WORKSPACE

OPENAI_USER = "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd"
OPENAI_CONTRIBUTOR = "a001fd3d-188f-4b5d-821b-7da978bf7442"
CS_CONTRIBUTOR = "25fbc0a9-bd7c-42a3-aa1a-3b75d497ee68"
USAGES_READER = "bba48692-92b0-4667-a9ad-c31c7b334ac2"
LOG_READER = "73c42c96-874c-492b-b04d-ab87d138a893"


def _assignments(plan):
    out = []
    for r in plan.by_type(ROLE_ASSIGNMENT):
        i = r["inputs"]
        out.append(
            (i["principalId"], i["roleDefinitionId"].rsplit("/", 1)[-1], i["scope"], i["principalType"], i)
        )
    return out


def test_role_definition_ids_are_fully_qualified(dev_plan, dev_config):
    assignments = dev_plan.by_type(ROLE_ASSIGNMENT)
    # Every person of the dev stack with a role outside Foundry projects (the student group has none on an OpenAI
    # lab) and the gateway's identity hold roles, so the loop below checks theirs.
    people = {p["principalId"] for p in dev_config["aoai-lab:people"] if p["roleSet"] != "student"}
    assert people and people <= {r["inputs"]["principalId"] for r in assignments}
    assert any(r["inputs"]["principalType"] == "ServicePrincipal" for r in assignments)
    for r in assignments:
        rid = r["inputs"]["roleDefinitionId"]
        assert rid.startswith(
            f"/subscriptions/{FAKE_SUBSCRIPTION_ID}/providers/Microsoft.Authorization/roleDefinitions/"
        )
        uuid.UUID(rid.rsplit("/", 1)[-1])


def test_instructor_gets_the_fine_tuning_workshop_roles(dev_plan):
    account_id = dev_plan.one(ACCOUNT)["inputs"]
    account_scope = next(
        a[2] for a in _assignments(dev_plan) if a[2].endswith(f"/accounts/{account_id['accountName']}")
    )
    ana = "3f2b8c1e-5d4a-4e6f-9b7c-1a2d3e4f5a6b"
    granted = {(role, scope) for pid, role, scope, ptype, _ in _assignments(dev_plan) if pid == ana}
    assert granted == {
        (OPENAI_USER, account_scope),
        (OPENAI_CONTRIBUTOR, account_scope),
        (CS_CONTRIBUTOR, account_scope),
        (USAGES_READER, f"/subscriptions/{FAKE_SUBSCRIPTION_ID}"),
        (LOG_READER, next(a[2] for a in _assignments(dev_plan) if "/workspaces/" in a[2])),
    }
    assert {ptype for pid, _, _, ptype, _ in _assignments(dev_plan) if pid == ana} == {"User"}


STUDENTS = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
DATA_PLANE = {
    OPENAI_USER,
    OPENAI_CONTRIBUTOR,
    CS_CONTRIBUTOR,
    "a97b65f3-24c7-4388-baec-2e87135dc908",  # Cognitive Services User
    "53ca6127-db72-4b80-b1b0-d745d6d5456d",  # Azure AI User
}


def test_students_hold_no_role_on_the_account(dev_plan):
    """The attack: a student signs in with `az login` and calls https://<account>.openai.azure.com directly. The
    student role set gives them nothing there, so Azure refuses them (403); the gateway is their only way in."""
    assert [a for a in _assignments(dev_plan) if a[0] == STUDENTS] == []


def test_playground_is_the_opt_in_for_direct_calls(plan_with):
    people = [
        {
            "name": "ana-garcia",
            "principalId": "3f2b8c1e-5d4a-4e6f-9b7c-1a2d3e4f5a6b",
            "principalType": "User",
            "roleSet": "instructor",
        },
        {
            "name": "workshop-students",
            "principalId": STUDENTS,
            "principalType": "Group",
            "roleSet": "playground",
        },
    ]
    plan = plan_with(people=people)
    account = plan.one(ACCOUNT)["inputs"]["accountName"]
    account_scope = (
        f"/subscriptions/{FAKE_SUBSCRIPTION_ID}/resourceGroups/rg-aoai-lab-dev/providers/"
        f"Microsoft.CognitiveServices/accounts/{account}"
    )
    granted = [
        (role, scope, ptype, i["description"])
        for pid, role, scope, ptype, i in _assignments(plan)
        if pid == STUDENTS
    ]
    assert granted == [(OPENAI_USER, account_scope, "Group", "aoai-lab playground: workshop-students")]


def test_no_role_set_but_the_opt_ins_reaches_an_account():
    from stacks.catalog import DIRECT_ACCESS_ROLE_SETS

    reaching = {
        name
        for name, roles in ROLE_SETS.items()
        if any(s == "account" and r.id in DATA_PLANE for s, r in roles)
    }
    assert reaching == set(DIRECT_ACCESS_ROLE_SETS) == {"playground", "fine-tuner", "instructor"}
    # The student set: Azure AI User on its own Foundry project only.
    assert [(s, r.id) for s, r in ROLE_SETS["student"]] == [
        ("project", "53ca6127-db72-4b80-b1b0-d745d6d5456d")
    ]


def test_gateway_identity_calls_the_account_as_service_principal(dev_plan):
    from labctl.plan.mockcloud import stable_uuid

    svc = dev_plan.one(APIM)["inputs"]["serviceName"]
    gateway_principal = stable_uuid(APIM, svc, "principal")
    granted = [a for a in _assignments(dev_plan) if a[0] == gateway_principal]
    assert len(granted) == 1
    _, role, scope, ptype, _ = granted[0]
    assert role == OPENAI_USER
    assert ptype == "ServicePrincipal"
    assert scope.endswith(
        "/providers/Microsoft.CognitiveServices/accounts/" + dev_plan.one(ACCOUNT)["inputs"]["accountName"]
    )


def test_only_the_usages_reader_is_granted_at_subscription_scope(dev_plan):
    for _, role, scope, _, _ in _assignments(dev_plan):
        if scope == f"/subscriptions/{FAKE_SUBSCRIPTION_ID}":
            assert role == USAGES_READER


def test_assignment_names_are_deterministic_guids(dev_plan, plan_with):
    for pid, _, scope, _, i in _assignments(dev_plan):
        assert i["roleAssignmentName"] == assignment_name(scope, pid, i["roleDefinitionId"])
        uuid.UUID(i["roleAssignmentName"])
    names = [a[4]["roleAssignmentName"] for a in _assignments(dev_plan)]
    assert len(set(names)) == len(names)
    # A second run with the same inputs yields the same names (no duplicate assignments on re-run).
    again = [a[4]["roleAssignmentName"] for a in _assignments(plan_with())]
    assert sorted(again) == sorted(names)


def test_assignment_name_depends_on_scope_principal_and_role():
    role = role_definition_id("s", OPENAI_USER)
    base = assignment_name("/subscriptions/s/x", "p1", role)
    assert base == assignment_name("/SUBSCRIPTIONS/s/X", "P1", role.upper())  # ARM ids are case-insensitive
    assert base != assignment_name("/subscriptions/s/y", "p1", role)
    assert base != assignment_name("/subscriptions/s/x", "p2", role)
    assert base != assignment_name("/subscriptions/s/x", "p1", role_definition_id("s", OPENAI_CONTRIBUTOR))


def test_fine_tuner_role_set(plan_with):
    person = {
        "name": "bo",
        "principalId": "11111111-2222-4333-8444-555555555555",
        "principalType": "User",
        "roleSet": "fine-tuner",
    }
    plan = plan_with(people=[person])
    granted = {
        (role, scope.count("/"))
        for pid, role, scope, *_ in _assignments(plan)
        if pid == person["principalId"]
    }
    # OpenAI User and Contributor on the account (deep scope), Usages Reader on the subscription (2 slashes).
    assert granted == {(OPENAI_USER, 8), (OPENAI_CONTRIBUTOR, 8), (USAGES_READER, 2)}


def test_role_sets_never_grant_broad_roles():
    owner, contributor, uaa = (
        "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
        "b24988ac-6180-42a0-ab88-20f7382dd24c",
        "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
    )
    ids = {r.id for roles in ROLE_SETS.values() for _, r in roles}
    assert not ids & {owner, contributor, uaa}


def test_workspace_scope_is_the_lab_workspace(dev_plan):
    ws = dev_plan.one(WORKSPACE)["inputs"]["workspaceName"]
    scopes = {a[2] for a in _assignments(dev_plan) if a[1] == LOG_READER}
    assert scopes == {next(s for s in scopes if s.endswith(f"/workspaces/{ws}"))}
