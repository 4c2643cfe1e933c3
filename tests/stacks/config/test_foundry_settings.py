"""aoai-lab:contentFilter and aoai-lab:foundryProjects: defaults, validation messages, cross-key checks."""

from __future__ import annotations

import copy

import pytest
from pydantic import ValidationError

from facts.content_filter import HARM_CATEGORIES
from stacks.config.foundry import ContentFilterSettings, ProjectSettings, SeveritySettings, effective_projects
from stacks.config.load import load_settings
from tests.support.catalog_model import FOUNDRY_MODEL
from tests.support.config_load import config_problems


def _error(model, data) -> str:
    with pytest.raises(ValidationError) as info:
        model.model_validate(data)
    return str(info.value)


def test_content_filter_defaults_are_the_default_policy_with_shields_on():
    cf = ContentFilterSettings.model_validate({})
    assert cf.name == "lab-content-filter"
    assert cf.prompt.azure() == {
        "Hate": "Medium",
        "Sexual": "Medium",
        "Violence": "Medium",
        "Selfharm": "Medium",
    }
    assert cf.completion.azure() == cf.prompt.azure()
    assert cf.prompt_shields is True and cf.protected_material is True
    assert cf.block_protected_code is False and cf.profanity is False
    assert cf.streaming == "Default" and cf.blocked_terms == ()


def test_levels_are_case_insensitive_and_mapped_to_azure_names():
    cf = ContentFilterSettings.model_validate(
        {
            "prompt": {"hate": "low", "selfHarm": "HIGH"},
            "completion": {"violence": "High"},
            "streaming": "asynchronous",
            "blockedTerms": [" Project Zeus ", "acme"],
        }
    )
    assert cf.prompt.azure() == {"Hate": "Low", "Sexual": "Medium", "Violence": "Medium", "Selfharm": "High"}
    assert cf.completion.azure()["Violence"] == "High"
    assert cf.streaming == "Asynchronous_filter"
    assert cf.blocked_terms == ("Project Zeus", "acme")


def test_every_harm_category_has_a_key_spelled_as_azures_responses_spell_it():
    # A category added to facts/content_filter.py without a key here would leave its filter unconfigurable.
    assert set(SeveritySettings.model_fields) == {c.result_key for c in HARM_CATEGORIES}
    keyed = SeveritySettings.model_validate({"selfHarm": "low", "hate": "high"}).azure()
    assert keyed == {"Hate": "High", "Sexual": "Medium", "Violence": "Medium", "Selfharm": "Low"}


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"prompt": {"hate": "off"}}, "cannot be turned off"),
        ({"prompt": {"hate": "meduim"}}, "did you mean 'medium'?"),
        ({"completion": {"selfharm": "low"}}, "selfharm"),  # unknown key: pydantic names it
        ({"name": "Microsoft.DefaultV2"}, "built-in policy name"),
        ({"name": "bad name!"}, "not a valid content filter name"),
        ({"streaming": "deferred"}, "unknown streaming mode 'deferred'"),
        ({"blockedTerms": ["a", "A"]}, "listed twice"),
        ({"blockedTerms": ["x" * 101]}, "longer than 100"),
        ({"blockedTerms": ["  "]}, "empty blocked term"),
    ],
)
def test_content_filter_errors_name_the_problem_and_the_fix(data, expected):
    message = _error(ContentFilterSettings, data)
    assert expected in message
    if "cannot be turned off" in expected or "did you mean" in expected:
        assert "Fix:" in message


def test_project_names_and_people():
    assert ProjectSettings.model_validate({}).name == "agents"
    assert "not a valid project name" in _error(ProjectSettings, {"name": "Agents_1"})
    assert "people is empty" in _error(ProjectSettings, {"name": "team-a", "people": []})


def test_dev_stack_settings_have_no_filter_and_no_project(raw_dev):
    settings = load_settings(raw_dev, resource_group_location="eastus2")
    assert settings.content_filter is None
    assert settings.projects == ()


def test_filter_and_project_keys_load(raw_dev):
    raw = copy.deepcopy(raw_dev)
    raw["accountKind"] = "AIServices"
    raw["contentFilter"] = {"name": "class-filter", "prompt": {"violence": "high"}, "blockedTerms": ["zeus"]}
    raw["deployments"][0]["raiPolicy"] = "class-filter"
    raw["foundryProjects"] = [
        {"name": "team-a", "people": ["workshop-students"]},
        {"name": "team-b", "people": ["ana-garcia"]},
    ]
    settings = load_settings(raw, resource_group_location="eastus2")
    assert settings.content_filter.prompt.azure()["Violence"] == "High"
    assert [p.name for p in settings.projects] == ["team-a", "team-b"]
    assert settings.projects[0].people == ("workshop-students",)


def test_deployment_must_name_an_existing_filter(raw_dev):
    raw = copy.deepcopy(raw_dev)
    raw["deployments"][0]["raiPolicy"] = "strict"
    raw["deployments"][1]["raiPolicy"] = "Microsoft.DefaultV2"
    assert config_problems(raw) == [
        "aoai-lab:deployments[0].raiPolicy: no content filter named 'strict'. Fix: add aoai-lab:contentFilter with "
        "name: strict, or use one of Microsoft.DefaultV2, Microsoft.Default"
    ]
    raw["contentFilter"] = {"name": "class-filter"}
    assert config_problems(raw) == [
        "aoai-lab:deployments[0].raiPolicy: no content filter named 'strict'. Fix: use 'class-filter' "
        "(aoai-lab:contentFilter.name) or one of Microsoft.DefaultV2, Microsoft.Default",
        "aoai-lab:contentFilter: no deployment uses 'class-filter', so it filters nothing. Fix: set "
        "raiPolicy: class-filter on the deployments it is for (e.g. aoai-lab:deployments[0].raiPolicy)",
    ]


def test_filter_errors_carry_the_key_path(raw_dev):
    raw = copy.deepcopy(raw_dev)
    raw["contentFilter"] = {"prompt": {"hate": "off"}}
    raw["deployments"][0]["raiPolicy"] = "lab-content-filter"
    [problem] = config_problems(raw)
    assert problem.startswith("aoai-lab:contentFilter.prompt.hate: ")
    assert "cannot be turned off" in problem and "Fix: use high" in problem


def test_catalog_models_need_a_foundry_account(raw_dev):
    raw = copy.deepcopy(raw_dev)
    raw["deployments"].append(dict(FOUNDRY_MODEL))
    assert config_problems(raw) == [
        "aoai-lab:deployments[2].format: 'DeepSeek' models deploy only on a Foundry resource, but "
        "aoai-lab:accountKind is OpenAI. Fix: set aoai-lab:accountKind: AIServices, or deploy an OpenAI model"
    ]
    raw["accountKind"] = "AIServices"
    assert load_settings(raw, resource_group_location="eastus2").deployments[2].format == "DeepSeek"


def test_projects_need_an_aiservices_account_and_known_people(raw_dev):
    raw = copy.deepcopy(raw_dev)
    raw["foundryProjects"] = [
        {"name": "team-a", "people": ["workshop-students"]},
        {"name": "team-a", "people": ["workshop-studnets"]},
    ]
    problems = config_problems(raw)
    assert problems == [
        "aoai-lab:foundryProjects: Foundry projects need a Foundry (AIServices) account, but aoai-lab:accountKind "
        "is OpenAI. Fix: set aoai-lab:accountKind: AIServices, or remove aoai-lab:foundryProjects",
        "aoai-lab:foundryProjects[1].name: 'team-a' is used twice. Fix: give each project its own name",
        "aoai-lab:foundryProjects[1].people[0]: no entry named 'workshop-studnets' in aoai-lab:people. "
        "Fix: did you mean 'workshop-students'? use the `name` of a person or group listed there",
    ]


def test_an_aiservices_lab_gets_one_project_by_default():
    assert [p.name for p in effective_projects("AIServices", None)] == ["agents"]
    assert effective_projects("OpenAI", None) == ()
    mine = (ProjectSettings.model_validate({"name": "team-a"}),)
    assert effective_projects("AIServices", mine) == mine
    # An explicit empty list means: no project.
    assert effective_projects("AIServices", ()) == ()
