"""Can the class get what its limits promise? participants x tokens per minute against the chat deployment.

The gateway's `llm-token-limit` gives each participant their own tokens-per-minute budget, but all of them draw
from the same deployment, whose capacity is in thousands of tokens per minute (1 unit = 1,000 TPM for the
Standard, DataZoneStandard and GlobalStandard SKUs: Azure OpenAI's quota documentation, "Quota and model
availability" in /work/shared/REFERENCE.md).
When everyone works at once (the start of an exercise), the sum of the promises is what the deployment must carry;
past its capacity Azure OpenAI answers 429 to whoever comes next, whatever their own budget says.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from stacks.config.values import NAMESPACE

if TYPE_CHECKING:
    from stacks.config.sections import LabSettings

# SKUs whose capacity is counted in units of 1,000 tokens per minute (provisioned SKUs count PTUs instead).
TPM_SKUS = ("Standard", "GlobalStandard", "DataZoneStandard")
TPM_PER_UNIT = 1000


@dataclass(frozen=True)
class ChatDeployment:
    name: str
    model: str
    sku: str
    capacity: int


@dataclass(frozen=True)
class SizingLine:
    deployment: str
    promised_tpm: int
    capacity_tpm: int
    participants: int

    @property
    def ratio(self) -> float:
        return self.promised_tpm / self.capacity_tpm

    @property
    def over(self) -> bool:
        return self.promised_tpm > self.capacity_tpm


def sizing_lines(participant_tpm: Sequence[int | None], chat: Sequence[ChatDeployment]) -> list[SizingLine]:
    """One line per chat deployment counted in TPM, for the active participants' per-minute budgets."""
    limited = [t for t in participant_tpm if t]
    if not limited:
        return []
    promised = sum(limited)
    return [
        SizingLine(d.name, promised, d.capacity * TPM_PER_UNIT, len(participant_tpm))
        for d in chat
        if d.sku in TPM_SKUS and d.capacity > 0
    ]


def sizing_warnings(
    participant_tpm: Sequence[int | None],
    chat: Sequence[ChatDeployment],
    *,
    deployments_key: str,
    limit_key: str,
) -> list[str]:
    """Warnings for `labctl plan` and `labctl check`, each with the ratio and the capacity or limit to set."""
    warnings: list[str] = []
    active = len(participant_tpm)
    if active and chat and not any(participant_tpm):
        biggest = max(chat, key=lambda d: d.capacity)
        warnings.append(
            f"{active} participant(s) and no tokens-per-minute limit: one participant can use all of deployment "
            f"'{biggest.name}' ({biggest.capacity * TPM_PER_UNIT:,} tokens per minute) and leave the others with 429s. "
            f"Fix: set {limit_key} (e.g. {max(1, biggest.capacity * TPM_PER_UNIT // active):,}, its capacity / participants)"
        )
    for line in sizing_lines(participant_tpm, chat):
        if not line.over:
            continue
        needed_units = math.ceil(line.promised_tpm / TPM_PER_UNIT)
        fair_share = line.capacity_tpm // line.participants
        warnings.append(
            f"{line.participants} participants' tokens-per-minute limits add up to {line.promised_tpm:,}, but chat "
            f"deployment '{line.deployment}' carries {line.capacity_tpm:,} (ratio {line.ratio:.2f}): when the whole class "
            f"calls at once some get 429 from the deployment. Fix: set {deployments_key}[{line.deployment}].capacity to "
            f"{needed_units} (check the quota with `labctl preflight`), or lower {limit_key} to {fair_share:,} or less"
        )
    return warnings


def class_sizing_warnings(settings: LabSettings) -> list[str]:
    """The stack's sizing warnings: active (not suspended) participants' effective tokens per minute against
    each chat deployment counted in TPM."""
    active = [p for p in settings.participants if p.state != "suspended"]
    tpm: list[int | None] = []
    for participant in active:
        limits = settings.limits_of(participant)
        tpm.append(limits.tokens_per_minute if limits is not None else None)
    chat = [
        ChatDeployment(d.name, d.model, d.sku, d.capacity) for d in settings.deployments if not d.is_embedding
    ]
    return sizing_warnings(
        tpm,
        chat,
        deployments_key=f"{NAMESPACE}:deployments",
        limit_key=f"{NAMESPACE}:participantLimits.tokensPerMinute",
    )
