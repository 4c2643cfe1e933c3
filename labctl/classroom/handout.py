"""`labctl handout`: who gets a handout and what every handout shares (the model).

A handout holds the gateway endpoint for both clients (`OpenAI` on the v1 API at `<gateway>/openai/v1/` first;
`AzureOpenAI` with its api version second), the participant's key, the deployment names, their token limits, the
class window, a ready-to-run Python snippet and what the lab's refusals mean. Rendering: handout_render.py (in the
class's language, i18n.py); files: handout_files.py; e-mail: handout_mail.py and mail_*.py. The keys are written
to files (or sent) only: never printed, never logged.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from facts.openai_api import v1_base_url
from labctl.errors import LabctlError
from stacks.config.deployment_kinds import is_audio_model, is_embedding_model
from stacks.outputs import LabOutputs

if TYPE_CHECKING:
    from stacks.config.gateway_guards import TokenLimitSettings
    from stacks.config.sections import ParticipantSettings


class HandoutError(LabctlError):
    """The handouts cannot be written; the message says why and what to do (exit 1)."""


@dataclass(frozen=True)
class Limits:
    tokens_per_minute: int | None = None
    token_quota: int | None = None
    token_quota_period: str | None = None

    @classmethod
    def of(cls, limits: TokenLimitSettings | None) -> Limits:
        """The token budget of the typed settings (None: unlimited) as the handouts state it."""
        if limits is None:
            return cls()
        return cls(limits.tokens_per_minute, limits.token_quota, limits.token_quota_period)

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


def students_from(
    participants: Sequence[ParticipantSettings],
    keys: Mapping[str, str],
    limits_of: Callable[[ParticipantSettings], TokenLimitSettings | None],
) -> tuple[list[Student], list[str]]:
    """(students with a key, names of participants the outputs have no key for yet). `limits_of` is
    `LabSettings.limits_of`, the program's own reading of a participant's budget (their `limits` over the class's
    `participantLimits`, key by key): what the gateway enforces is what the handout states."""
    students: list[Student] = []
    missing: list[str] = []
    titles = Counter((p.display_name or p.name).casefold() for p in participants)
    for p in participants:
        key = keys.get(p.name)
        if key is None:
            missing.append(p.name)
            continue
        display = p.display_name or ""
        students.append(
            Student(
                p.name,
                p.email,
                display,
                key,
                Limits.of(limits_of(p)),
                same_name_as_another=titles[(display or p.name).casefold()] > 1,
            )
        )
    return students, missing
