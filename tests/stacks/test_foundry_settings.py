"""aoai-lab:contentFilter and aoai-lab:foundryProjects: defaults, validation messages, cross-key checks."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from stacks.foundry_settings import (
    ContentFilterSettings,
    ProjectSettings,
    check_foundry,
    effective_projects,
)


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


def test_deployment_must_name_an_existing_filter():
    cf = ContentFilterSettings.model_validate({"name": "class-filter"})
    deployments = [("chat", "class-filter"), ("emb", None), ("old", "Microsoft.DefaultV2"), ("x", "strict")]
    problems = check_foundry(
        account_kind="OpenAI", content_filter=cf, projects=None, deployments=deployments, people=[]
    )
    assert problems == [
        "aoai-lab:deployments[3].raiPolicy: no content filter named 'strict'. Fix: use 'class-filter' "
        "(aoai-lab:contentFilter.name) or one of Microsoft.DefaultV2, Microsoft.Default"
    ]
    without = check_foundry(
        account_kind="OpenAI", content_filter=None, projects=None, deployments=[("chat", "strict")], people=[]
    )
    assert without == [
        "aoai-lab:deployments[0].raiPolicy: no content filter named 'strict'. Fix: add aoai-lab:contentFilter with "
        "name: strict, or use one of Microsoft.DefaultV2, Microsoft.Default"
    ]


def test_projects_need_an_aiservices_account_and_known_people():
    projects = (
        ProjectSettings.model_validate({"name": "team-a", "people": ["group-a"]}),
        ProjectSettings.model_validate({"name": "team-a", "people": ["grop-b"]}),
    )
    problems = check_foundry(
        account_kind="OpenAI",
        content_filter=None,
        projects=projects,
        deployments=[],
        people=["group-a", "group-b", None],
    )
    assert problems[0].startswith(
        "aoai-lab:foundryProjects: Foundry projects need a Foundry (AIServices) account"
    )
    assert "Fix: set aoai-lab:accountKind: AIServices" in problems[0]
    assert "aoai-lab:foundryProjects[1].name: 'team-a' is used twice" in problems[1]
    assert problems[2] == (
        "aoai-lab:foundryProjects[1].people[0]: no entry named 'grop-b' in aoai-lab:people. "
        "Fix: did you mean 'group-b'? use the `name` of a person or group listed there"
    )
    assert len(problems) == 3


def test_an_aiservices_lab_gets_one_project_by_default():
    assert [p.name for p in effective_projects("AIServices", None)] == ["agents"]
    assert effective_projects("OpenAI", None) == ()
    mine = (ProjectSettings.model_validate({"name": "team-a"}),)
    assert effective_projects("AIServices", mine) == mine
    # An explicit empty list means: no project.
    assert effective_projects("AIServices", ()) == ()
