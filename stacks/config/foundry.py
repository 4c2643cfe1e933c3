"""Sections of the Foundry track: `aoai-lab:contentFilter` and `aoai-lab:foundryProjects` (LabSettings fields).

One value at a time here; rules across keys are in stacks/config/foundry_rules.py. Facts and their sources:
stacks/facts/foundry.yaml.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from facts.content_filter import BUILT_IN_POLICIES, DEFAULT_SEVERITY, HARM_CATEGORIES, RESULT_KEYS, SEVERITIES
from facts.content_filter import STREAMING_MODES as AZURE_STREAMING_MODES
from stacks.catalog import ROLE_SETS, STAFF_ROLE_SETS
from stacks.config.section_base import Section
from stacks.config.slugs import person_key

SEVERITY_LEVELS: dict[str, str] = {s.lower(): s for s in SEVERITIES}
# The config's words for facts/content_filter.py's STREAMING_MODES.
STREAMING_MODES: dict[str, str] = dict(zip(("default", "asynchronous"), AZURE_STREAMING_MODES, strict=True))
# RAI policy and project names end up in ARM paths; kept to a conservative alphabet.
POLICY_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{1,62}$")
PROJECT_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$")
# Our own bounds (not Azure's documented limits): a blocked term is a word or phrase, and every term is one
# resource created after the other, so a long list slows `pulumi up`.
MAX_TERM_LENGTH = 100
MAX_TERMS = 200
DEFAULT_POLICY_NAME = "lab-content-filter"
DEFAULT_PROJECT_NAME = "agents"


def _choice(value: Any, allowed: dict[str, str], what: str) -> str:
    text = str(value).strip()
    for key, azure in allowed.items():
        if text.lower() in (key.lower(), azure.lower()):
            return azure
    hint = difflib.get_close_matches(text.lower(), list(allowed), n=1)
    suggestion = f"did you mean '{hint[0]}'? " if hint else ""
    raise ValueError(f"unknown {what} '{text}'. Fix: {suggestion}use one of {', '.join(allowed)}")


class SeveritySettings(Section):
    """The lowest severity that is blocked, per category: low blocks the most, high the least."""

    # One field per harm category, named as Azure's responses name it (facts/content_filter.py; a test compares).
    hate: str = DEFAULT_SEVERITY
    sexual: str = DEFAULT_SEVERITY
    violence: str = DEFAULT_SEVERITY
    self_harm: str = DEFAULT_SEVERITY

    @field_validator(*RESULT_KEYS, mode="before")
    @classmethod
    def _level(cls, v: Any) -> str:
        if v is None or str(v).strip().lower() in ("off", "none", "false", "disabled"):
            raise ValueError(
                "a harm category cannot be turned off here (Azure requires approved modified content filtering). "
                "Fix: use high to block only the most severe content"
            )
        return _choice(v, SEVERITY_LEVELS, "severity")

    def azure(self) -> dict[str, str]:
        """Azure's category name -> threshold."""
        return {c.policy_name: getattr(self, c.result_key) for c in HARM_CATEGORIES}


class ContentFilterSettings(Section):
    """`aoai-lab:contentFilter`: one custom content filter on the account, used by deployments that name it."""

    name: str = DEFAULT_POLICY_NAME
    prompt: SeveritySettings = SeveritySettings()
    completion: SeveritySettings = SeveritySettings()
    # Jailbreak and indirect-attack detection on prompts.
    prompt_shields: bool = True
    protected_material: bool = True
    block_protected_code: bool = False
    profanity: bool = False
    blocked_terms: tuple[str, ...] = Field(default=(), max_length=MAX_TERMS)
    streaming: str = "Default"

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if v in BUILT_IN_POLICIES or v.lower().startswith("microsoft."):
            raise ValueError(
                f"'{v}' is a built-in policy name. Fix: name the lab's own filter differently, e.g. "
                f"{DEFAULT_POLICY_NAME}"
            )
        if not POLICY_NAME_RE.fullmatch(v):
            raise ValueError(
                f"'{v}' is not a valid content filter name. Fix: 2-63 letters, digits, '_' or '-', starting with "
                "a letter or digit"
            )
        return v

    @field_validator("streaming", mode="before")
    @classmethod
    def _streaming(cls, v: Any) -> str:
        return _choice(v, STREAMING_MODES, "streaming mode")

    @field_validator("blocked_terms")
    @classmethod
    def _terms(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        terms = [t.strip() for t in v]
        if any(not t for t in terms):
            raise ValueError("an empty blocked term. Fix: remove the empty entry")
        long = [t[:20] + "..." for t in terms if len(t) > MAX_TERM_LENGTH]
        if long:
            raise ValueError(
                f"blocked term '{long[0]}' is longer than {MAX_TERM_LENGTH} characters. Fix: shorten it"
            )
        seen: set[str] = set()
        dupes = [t for t in terms if t.lower() in seen or seen.add(t.lower())]
        if dupes:
            raise ValueError(f"blocked term '{dupes[0]}' is listed twice. Fix: list each term once")
        return tuple(terms)


class ProjectSettings(Section):
    """One Foundry project (`aoai-lab:foundryProjects[]`); `people` limits it to some of `aoai-lab:people`."""

    name: str = DEFAULT_PROJECT_NAME
    display_name: Annotated[str, Field(max_length=100)] | None = None
    description: Annotated[str, Field(max_length=500)] | None = None
    # Names of entries in aoai-lab:people (e.g. one group per project); None: everyone with a project role.
    people: tuple[str, ...] | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not PROJECT_NAME_RE.fullmatch(v):
            raise ValueError(
                f"'{v}' is not a valid project name. Fix: 3-64 lowercase letters, digits or '-', starting and "
                "ending with a letter or digit"
            )
        return v

    @model_validator(mode="after")
    def _people(self) -> ProjectSettings:
        if self.people is not None and not self.people:
            raise ValueError(
                "people is empty. Fix: list person names, or remove `people` to include everyone"
            )
        return self


def effective_projects(
    account_kind: str, projects: tuple[ProjectSettings, ...] | None
) -> tuple[ProjectSettings, ...]:
    """An AIServices lab gets one project unless the stack lists its own; an OpenAI lab gets none."""
    if account_kind != "AIServices":
        return ()
    return projects if projects is not None else (ProjectSettings(),)


def project_per_person(people: Sequence[Any]) -> tuple[ProjectSettings, ...]:
    """One project per entry of aoai-lab:people holding a project role (a group or a student), named
    `agents-<name>`; staff role sets (`instructor`) belong to every one of them. Every member of a project can read
    its threads and files, so one project per group is what keeps groups apart."""
    staff = tuple(p.name for p in people if p.role_set in STAFF_ROLE_SETS and p.name)
    projects = []
    for person in people:
        if person.role_set in STAFF_ROLE_SETS or not any(
            s == "project" for s, _ in ROLE_SETS[person.role_set]
        ):
            continue
        slug = person_key(person.name, person.principal_id)[: 63 - len(DEFAULT_PROJECT_NAME)].strip("-")
        projects.append(
            ProjectSettings(
                name=f"{DEFAULT_PROJECT_NAME}-{slug}",
                display_name=f"Agents: {person.name or person.principal_id}"[:100],
                people=(*staff, person.name) if person.name else staff or None,
            )
        )
    return tuple(projects)


class FoundryTrack(Section):
    """The Foundry track's keys, mixed into LabSettings: a custom content filter deployments name in `raiPolicy`,
    and the projects of an AIServices account (unset: one project, `agents`; []: none; `foundryProjectPer: person`:
    one per entry of aoai-lab:people)."""

    content_filter: ContentFilterSettings | None = None
    foundry_projects: tuple[ProjectSettings, ...] | None = None
    foundry_project_per: Literal["lab", "person"] = "lab"

    @property
    def projects(self) -> tuple[ProjectSettings, ...]:
        kind = getattr(self, "account_kind", "OpenAI")
        if self.foundry_project_per == "person":
            return project_per_person(getattr(self, "people", ())) if kind == "AIServices" else ()
        return effective_projects(kind, self.foundry_projects)
