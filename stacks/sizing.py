"""Class sizing, one module for `labctl plan`, `labctl check` and `labctl preflight`: can the chat deployments carry
what the gateway promises the class?

The gateway's token limit gives each participant a tokens-per-minute budget; all of them draw from the same
deployments, whose capacity is counted in quota units of tokens per minute on the TPM SKUs (facts/capacity.py, with
its source; provisioned SKUs count PTUs instead and are not sized here).

Decisions, made once here:
- Who counts: active participants only. A suspended participant's APIM subscription is refused at the gateway
  (a suspended key gets 401), so it draws nothing.
- Each participant's budget is their effective `participantLimits` (with their own override). `--class-tpm` only
  fills in for participants without a tokens-per-minute limit in config: what the gateway enforces wins.
- The concurrency share (DEFAULT_SHARE, 0.5) is the fraction of those budgets expected in the same minute: a hands-on
  class runs the same exercise within minutes of each other, not all at their full limit in one minute. `labctl
  preflight --class-share` changes it; 1 reserves every participant's full limit.
- What is sized: chat (and Responses) deployments of Azure OpenAI models. Embeddings, speech (they answer on
  /audio/..., outside the token limit's counting) and catalog models of other publishers (their capacity is not
  in thousands of tokens per minute of the same model) are not sized as chat.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from facts.capacity import TPM_PER_UNIT, TPM_SKUS
from stacks.config.deployment_kinds import is_audio_model, is_embedding_model
from stacks.config.section_base import NAMESPACE

if TYPE_CHECKING:
    from stacks.config.sections import DeploymentSettings, LabSettings

DEFAULT_SHARE = 0.5
OPENAI_FORMAT = "OpenAI"


class SizingError(ValueError):
    """Bad sizing input; the message names the option and the fix."""


@dataclass(frozen=True)
class ClassSize:
    """The class a stack's limits describe: active participants, the sum of their per-minute budgets, the share."""

    participants: int
    total_tpm: int
    share: float

    @property
    def tokens_per_minute(self) -> int:
        """A participant's budget (the average when their limits differ)."""
        return max(1, round(self.total_tpm / self.participants)) if self.participants else 0

    @property
    def tokens_needed(self) -> int:
        return math.ceil(self.total_tpm * self.share)

    @property
    def capacity(self) -> int:
        """Quota units (thousands of tokens per minute) a sized deployment needs; at least 1 for a class."""
        if self.participants == 0:
            return 0
        return max(1, math.ceil(self.tokens_needed / TPM_PER_UNIT))

    @property
    def explanation(self) -> str:
        return (
            f"{self.participants} participants x {self.tokens_per_minute:,} tokens/min x share {self.share:g} = "
            f"{self.tokens_needed:,} tokens/min -> capacity {self.capacity}"
        )


def check_share(share: float) -> float:
    if not 0 < share <= 1:
        raise SizingError(f"--class-share must be more than 0 and at most 1, not {share:g}. Fix: e.g. 0.5")
    return share


def class_size(
    settings: LabSettings, *, share: float = DEFAULT_SHARE, class_tpm: int | None = None
) -> ClassSize | None:
    """The stack's class (decisions in the module docstring); None when there is no active participant or one of
    them has no tokens-per-minute budget at all (nothing to size: `unlimited_warning` says so)."""
    check_share(share)
    if class_tpm is not None and class_tpm <= 0:
        raise SizingError(f"--class-tpm must be a positive number of tokens per minute, not {class_tpm}")
    active = [p for p in settings.participants if p.state != "suspended"]
    if not active:
        return None
    total = 0
    for participant in active:
        limits = settings.limits_of(participant)
        tpm = (limits.tokens_per_minute if limits is not None else None) or class_tpm
        if not tpm:
            return None
        total += int(tpm)
    return ClassSize(len(active), total, share)


def is_sized(d: DeploymentSettings) -> bool:
    """A deployment whose use follows the class's chat budgets (module docstring)."""
    return (
        d.format == OPENAI_FORMAT
        and not is_embedding_model(d.model)
        and not is_audio_model(d.model)
        and d.sku in TPM_SKUS
    )


def sized_capacity(configured: int, size: ClassSize, sku: str) -> tuple[int, str | None]:
    """The capacity preflight aims for: the class's need when larger than the configured capacity (a lab must hold
    its class), else the configured one. The note says why when sizing raised it."""
    if sku not in TPM_SKUS or size.capacity <= configured:
        return configured, None
    return size.capacity, f"raised from {configured} for the class: {size.explanation}"


def settle_note(deployment: str, aimed: int, got: int, size: ClassSize | None) -> str | None:
    """What it means when preflight settles for less than it aimed for."""
    if got >= aimed:
        return None
    text = f"{deployment}: settles for capacity {got} of the {aimed} aimed for"
    if size is not None and size.participants:
        per = got * TPM_PER_UNIT / max(1e-9, size.participants * size.share)
        text += (
            f"; with share {size.share:g} that is about {per:,.0f} tokens/min per active participant "
            f"(their limit is {size.tokens_per_minute:,}), so some calls will get 429 at peaks"
        )
    return text


def _unlimited_warning(settings: LabSettings, sized: Sequence[DeploymentSettings]) -> list[str]:
    active = [p for p in settings.participants if p.state != "suspended"]
    if not active or not sized:
        return []
    if any((settings.limits_of(p) or None) and settings.limits_of(p).tokens_per_minute for p in active):
        return []
    biggest = max(sized, key=lambda d: d.capacity)
    tpm = biggest.capacity * TPM_PER_UNIT
    return [
        f"{len(active)} participant(s) and no tokens-per-minute limit: one participant can use all of deployment "
        f"'{biggest.name}' ({tpm:,} tokens per minute) and leave the others with 429s. Fix: set "
        f"{NAMESPACE}:participantLimits.tokensPerMinute (e.g. {max(1, tpm // len(active)):,}, its capacity / "
        "participants)"
    ]


def class_sizing_warnings(settings: LabSettings, *, share: float = DEFAULT_SHARE) -> list[str]:
    """`labctl plan` and `labctl check`: each sized deployment whose capacity is below what the class needs, with
    the same figure `labctl preflight` aims for."""
    sized = [d for d in settings.deployments if is_sized(d)]
    warnings = _unlimited_warning(settings, sized)
    size = class_size(settings, share=share)
    if size is None:
        return warnings
    for d in sized:
        if d.capacity >= size.capacity:
            continue
        fair_share = math.floor(d.capacity * TPM_PER_UNIT / (size.participants * share))
        warnings.append(
            f"chat deployment '{d.name}' has capacity {d.capacity} ({d.capacity * TPM_PER_UNIT:,} tokens/min) but the "
            f"class needs {size.capacity}: {size.explanation}. When the class works at once some calls get 429 "
            f"from the deployment. Fix: set {NAMESPACE}:deployments[{d.name}].capacity to {size.capacity} (check "
            f"the quota with `labctl preflight`), or lower {NAMESPACE}:participantLimits.tokensPerMinute to "
            f"{fair_share:,} or less"
        )
    return warnings
