"""Cross-key rules of the Foundry track (registered on import by stacks/config/load.py).

Facts and sources: stacks/facts/foundry.yaml. Like every rule, these read the raw config (camelCase keys) and
tolerate values that failed their own checks.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from typing import Any

from facts.content_filter import BUILT_IN_POLICIES
from stacks.config.foundry import DEFAULT_POLICY_NAME
from stacks.config.rules import RuleContext, deployment_entries, rule
from stacks.config.section_base import NAMESPACE


def _kind(raw: dict[str, Any]) -> str:
    kind = raw.get("accountKind", "OpenAI")
    return kind if isinstance(kind, str) else "OpenAI"


def _own_filter(raw: dict[str, Any]) -> str | None:
    cf = raw.get("contentFilter")
    if not isinstance(cf, dict):
        return None
    name = cf.get("name", DEFAULT_POLICY_NAME)
    return name if isinstance(name, str) else None


@rule("deployments")
def rai_policy_exists(raw: dict[str, Any], ctx: RuleContext) -> Iterator[str]:
    own = _own_filter(raw)
    for i, d in deployment_entries(raw):
        policy = d.get("raiPolicy")
        if not isinstance(policy, str) or policy in BUILT_IN_POLICIES or policy == own:
            continue
        fix = (
            f"use '{own}' ({NAMESPACE}:contentFilter.name) or one of {', '.join(BUILT_IN_POLICIES)}"
            if own
            else f"add {NAMESPACE}:contentFilter with name: {policy}, or use one of {', '.join(BUILT_IN_POLICIES)}"
        )
        yield f"{NAMESPACE}:deployments[{i}].raiPolicy: no content filter named '{policy}'. Fix: {fix}"


@rule("deployments")
def catalog_models_need_a_foundry_account(raw: dict[str, Any], ctx: RuleContext) -> Iterator[str]:
    # Models of other publishers (DeepSeek, Meta, Mistral AI, Microsoft...) deploy on a Foundry (AIServices)
    # resource; an Azure OpenAI resource deploys Azure OpenAI models only (learn.microsoft.com/azure/ai-studio/
    # how-to/deploy-models, deployment options table; foundry-models/how-to/create-model-deployments.md).
    if _kind(raw).lower() == "aiservices":
        return
    for i, d in deployment_entries(raw):
        fmt = d.get("format", "OpenAI")
        if isinstance(fmt, str) and fmt.lower() != "openai":
            yield (
                f"{NAMESPACE}:deployments[{i}].format: '{fmt}' models deploy only on a Foundry resource, but "
                f"{NAMESPACE}:accountKind is {_kind(raw)}. Fix: set {NAMESPACE}:accountKind: AIServices, or deploy "
                "an OpenAI model"
            )


@rule("contentFilter")
def content_filter_is_used(raw: dict[str, Any], ctx: RuleContext) -> Iterator[str]:
    own = _own_filter(raw)
    if own is None:
        return
    if not any(d.get("raiPolicy") == own for _i, d in deployment_entries(raw)):
        yield (
            f"{NAMESPACE}:contentFilter: no deployment uses '{own}', so it filters nothing. Fix: set "
            f"raiPolicy: {own} on the deployments it is for (e.g. {NAMESPACE}:deployments[0].raiPolicy)"
        )


@rule("foundryProjects")
def projects_need_a_foundry_account(raw: dict[str, Any], ctx: RuleContext) -> Iterator[str]:
    projects = raw.get("foundryProjects")
    if isinstance(projects, list) and projects and _kind(raw).lower() != "aiservices":
        yield (
            f"{NAMESPACE}:foundryProjects: Foundry projects need a Foundry (AIServices) account, but "
            f"{NAMESPACE}:accountKind is {_kind(raw)}. Fix: set {NAMESPACE}:accountKind: AIServices, or remove "
            f"{NAMESPACE}:foundryProjects"
        )


@rule("foundryProjects")
def project_names_and_people(raw: dict[str, Any], ctx: RuleContext) -> Iterator[str]:
    projects = raw.get("foundryProjects")
    if not isinstance(projects, list):
        return
    people = raw.get("people")
    names = [p.get("name") for p in people if isinstance(p, dict)] if isinstance(people, list) else []
    known = [n for n in names if isinstance(n, str)]
    seen: set[str] = set()
    for i, p in enumerate(projects):
        if not isinstance(p, dict):
            continue
        name = p.get("name", "agents")
        if isinstance(name, str):
            if name in seen:
                yield (
                    f"{NAMESPACE}:foundryProjects[{i}].name: '{name}' is used twice. "
                    "Fix: give each project its own name"
                )
            seen.add(name)
        members = p.get("people")
        for j, person in enumerate(members if isinstance(members, list) else []):
            if isinstance(person, str) and person not in known:
                hint = difflib.get_close_matches(person, known, n=1)
                suggestion = f"did you mean '{hint[0]}'? " if hint else ""
                yield (
                    f"{NAMESPACE}:foundryProjects[{i}].people[{j}]: no entry named '{person}' in "
                    f"{NAMESPACE}:people. Fix: {suggestion}use the `name` of a person or group listed there"
                )


@rule("foundryProjects")
def groups_keep_their_own_projects(raw: dict[str, Any], ctx: RuleContext) -> Iterator[str]:
    # Every member of a project reads its threads and files: with several projects (one per group), a project
    # that lists nobody would take everyone, every group's work visible to all.
    projects = raw.get("foundryProjects")
    if not isinstance(projects, list) or len(projects) < 2:
        return
    for i, p in enumerate(projects):
        if isinstance(p, dict) and "people" not in p:
            yield (
                f"{NAMESPACE}:foundryProjects[{i}].people: not set, so every person with a project role joins it and "
                "reads its threads and files. Fix: list the group (or student) and the instructors it is for, "
                f"e.g. people: [ana-garcia, group-a], or use {NAMESPACE}:foundryProjectPer: person"
            )


@rule("foundryProjectPer")
def one_way_to_list_projects(raw: dict[str, Any], ctx: RuleContext) -> Iterator[str]:
    per = raw.get("foundryProjectPer")
    if per == "person" and raw.get("foundryProjects") is not None:
        yield (
            f"{NAMESPACE}:foundryProjectPer: person makes one project per entry of {NAMESPACE}:people, and "
            f"{NAMESPACE}:foundryProjects lists projects too. Fix: keep one of them"
        )
    people = raw.get("people")
    if per == "person" and isinstance(people, list):
        for i, person in enumerate(people):
            if isinstance(person, dict) and not person.get("name"):
                yield (
                    f"{NAMESPACE}:people[{i}].name: not set, and {NAMESPACE}:foundryProjectPer: person names each "
                    "project after its person. Fix: give every entry a name"
                )
