"""`labctl handout`: who gets a handout and what every handout shares (the model).

A handout holds the gateway endpoint for both clients (`OpenAI` on the v1 API at `<gateway>/openai/v1/` first;
`AzureOpenAI` with its api version second), the participant's key, the deployment names, their token limits, the
class window, a ready-to-run Python snippet and what the lab's refusals mean. Rendering: handout_render.py (in the
class's language, i18n.py); files: handout_files.py; e-mail: handout_mail.py and mail_*.py. The keys are written
to files (or sent) only: never printed, never logged.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from facts.openai_api import v1_base_url
from labctl.errors import LabctlError
from stacks.config.deployment_kinds import is_audio_model, is_embedding_model
from stacks.outputs import LabOutputs


class HandoutError(LabctlError):
    """The handouts cannot be written; the message says why and what to do (exit 1)."""


@dataclass(frozen=True)
class Limits:
    tokens_per_minute: int | None = None
    token_quota: int | None = None
    token_quota_period: str | None = None

    def describe(self) -> str:
        """In English (the CSV's and the instructor's); handouts use handout_render.describe_limits."""
        from labctl.classroom.handout_render import describe_limits
        from labctl.classroom.i18n import texts

        return describe_limits(self, texts("en"))


@dataclass(frozen=True)
class Student:
    name: str
    email: str
    display_name: str
    key: str
    limits: Limits = field(default_factory=Limits)
    # Two participants with the same display name get the e-mail in their title too (students_from).
    same_name_as_another: bool = False

    @property
    def title(self) -> str:
        """What the handout is titled: the display name (else the slug), with the e-mail when another participant
        has the same display name, so the two handouts cannot be mixed up."""
        name = self.display_name or self.name
        return f"{name} ({self.email})" if self.same_name_as_another and self.email else name


@dataclass(frozen=True)
class ClassInfo:
    gateway: str  # the gateway's root URL: AzureOpenAI appends /openai itself
    api_version: str
    chat: tuple[str, ...]
    embeddings: tuple[str, ...]
    ends_on: str | None
    starts_on: str | None = None
    # The Foundry track: (project, endpoint) where students build agents (AIProjectClient, Entra ID sign-in),
    # and the speech deployments (they answer on /audio/, not chat).
    projects: tuple[tuple[str, str], ...] = ()
    speech: tuple[str, ...] = ()
    # The class's IANA time zone (aoai-lab:timeZone); None: the window is in UTC, and the handout says so.
    time_zone: str | None = None
    # The stack's lab name (the `lab` tag): the e-mail's subject names it.
    lab: str | None = None
    # A preview before anything is deployed: placeholder endpoint and keys, marked as such.
    preview: bool = False

    @property
    def v1_base_url(self) -> str:
        return v1_base_url(self.gateway)


def class_info(outputs: LabOutputs, *, starts_on: str | None = None) -> ClassInfo:
    """What every handout shares, from the stack outputs (stacks/outputs.py, parsed by labctl.pulumi_cli)."""
    if not outputs.gateway_root:
        raise HandoutError(
            "the stack outputs have no gateway endpoint (gatewayRoot / gatewayUrl): has `pulumi up` completed "
            "for this stack?"
        )
    models = outputs.deployment_models
    return ClassInfo(
        gateway=outputs.gateway_root.rstrip("/"),
        api_version=outputs.api_version,
        chat=tuple(
            sorted(n for n, m in models.items() if not is_embedding_model(m) and not is_audio_model(m))
        ),
        embeddings=tuple(sorted(n for n, m in models.items() if is_embedding_model(m))),
        ends_on=outputs.expires_on,
        starts_on=starts_on,
        projects=tuple(sorted(outputs.project_endpoints.items())),
        speech=tuple(sorted(n for n, m in models.items() if is_audio_model(m))),
    )


def canonical_limits(entry: Mapping[str, Any] | None) -> dict[str, Any]:
    """A `limits` / `participantLimits` mapping with its fixed choices spelled as the settings spell them (the
    config accepts `tokenQuotaPeriod: daily`; the settings keep `Daily`): the same function the settings use."""
    from stacks.config.section_base import choices_in_any_case
    from stacks.config.sections import TokenLimitSettings

    return choices_in_any_case(TokenLimitSettings, dict(entry or {}))


def limits_of(entry: Mapping[str, Any] | None) -> Limits:
    """A `limits` / `participantLimits` mapping of the stack file as Limits (missing: no limit)."""
    entry = canonical_limits(entry)
    return Limits(
        tokens_per_minute=entry.get("tokensPerMinute"),
        token_quota=entry.get("tokenQuota"),
        token_quota_period=entry.get("tokenQuotaPeriod"),
    )


def students_from(
    participants: Sequence[Mapping[str, Any]], keys: Mapping[str, str], defaults: Limits = Limits()
) -> tuple[list[Student], list[str]]:
    """(students with a key, names of participants the outputs have no key for yet). A participant's own
    `limits` win over the class's `participantLimits` (`defaults`), key by key, as in the gateway policy."""
    students: list[Student] = []
    missing: list[str] = []
    titles = Counter(str(p.get("displayName") or p.get("name")).casefold() for p in participants)
    for p in participants:
        name = str(p.get("name"))
        key = keys.get(name)
        if key is None:
            missing.append(name)
            continue
        own = limits_of(p.get("limits"))
        limits = Limits(
            tokens_per_minute=own.tokens_per_minute or defaults.tokens_per_minute,
            token_quota=own.token_quota or defaults.token_quota,
            token_quota_period=own.token_quota_period or defaults.token_quota_period,
        )
        display = str(p.get("displayName") or "")
        students.append(
            Student(
                name,
                str(p.get("email", "")),
                display,
                key,
                limits,
                same_name_as_another=titles[(display or name).casefold()] > 1,
            )
        )
    return students, missing
