"""Foundry projects keep groups apart: every member of a project reads its threads and files, so the attack is a
student of one group opening another group's threads. One project per group (or per student), from config."""

from __future__ import annotations

import copy

import pytest

from labctl.plan.mockcloud import FAKE_SUBSCRIPTION_ID
from stacks.config.load import load_settings
from tests.support.config_load import config_problems

AZURE_AI_USER = "53ca6127-db72-4b80-b1b0-d745d6d5456d"
ANA = "3f2b8c1e-5d4a-4e6f-9b7c-1a2d3e4f5a6b"  # instructor in the dev stack
STUDENTS = "7c9e6679-7425-40de-944b-e07fc1f90ae7"  # the student group in the dev stack
BO = "11111111-2222-4333-8444-555555555555"


def _people(dev_config):
    people = copy.deepcopy(dev_config["aoai-lab:people"])
    people.append({"name": "bo", "principalId": BO, "principalType": "User", "roleSet": "student"})
    return people


def test_a_project_per_person(plan_with, dev_config):
    plan = plan_with(accountKind="AIServices", foundryProjectPer="person", people=_people(dev_config))
    projects = {
        p["inputs"]["projectName"]: p["inputs"]
        for p in plan.by_type("azure-native:cognitiveservices:Project")
    }
    assert set(projects) == {"agents-workshop-students", "agents-bo"}
    assert projects["agents-bo"]["properties"] == {"displayName": "Agents: bo"}
    account = plan.one("azure-native:cognitiveservices:Account")["inputs"]["accountName"]
    scope = (
        f"/subscriptions/{FAKE_SUBSCRIPTION_ID}/resourceGroups/rg-aoai-lab-dev/providers/"
        f"Microsoft.CognitiveServices/accounts/{account}/projects/"
    )
    people_grants = {
        (r["inputs"]["principalId"], r["inputs"]["scope"])
        for r in plan.by_type("azure-native:authorization:RoleAssignment")
        if r["inputs"]["roleDefinitionId"].endswith(AZURE_AI_USER)
        and r["inputs"]["principalId"] in (ANA, STUDENTS, BO)
    }
    # Each student (or group) in its own project only; the instructor in every one.
    assert people_grants == {
        (STUDENTS, scope + "agents-workshop-students"),
        (BO, scope + "agents-bo"),
        (ANA, scope + "agents-workshop-students"),
        (ANA, scope + "agents-bo"),
    }


@pytest.fixture
def raw(dev_config):
    lab = {k.split(":", 1)[1]: v for k, v in dev_config.items() if k.startswith("aoai-lab:")}
    lab["expiresOn"] = str(lab["expiresOn"])
    return lab | {"accountKind": "AIServices"}


def test_several_projects_must_each_say_who_they_are_for(raw):
    projects = [{"name": "team-a", "people": ["workshop-students"]}, {"name": "team-b"}]
    assert config_problems(raw | {"foundryProjects": projects}) == [
        "aoai-lab:foundryProjects[1].people: not set, so every person with a project role joins it and reads its "
        "threads and files. Fix: list the group (or student) and the instructors it is for, e.g. people: "
        "[ana-garcia, group-a], or use aoai-lab:foundryProjectPer: person"
    ]


def test_per_person_needs_names_and_no_project_list(raw):
    people = [*raw["people"], {"principalId": BO, "principalType": "User", "roleSet": "student"}]
    found = config_problems(
        raw | {"foundryProjectPer": "person", "foundryProjects": [{"name": "x"}], "people": people}
    )
    assert any(p.startswith("aoai-lab:foundryProjectPer: person makes one project per entry") for p in found)
    assert any(p.startswith("aoai-lab:people[2].name: not set") for p in found)


def test_a_single_shared_project_stays_allowed(raw):
    # One project for the whole class is still a choice (the default): everyone in it sees everyone's threads,
    # which docs/security.md says.
    assert [p.name for p in load_settings(raw, resource_group_location="eastus2").projects] == ["agents"]
