"""Class sizing: the capacity a chat deployment needs for a class.

needed TPM = participants x tokens-per-minute limit per participant x concurrency share, and capacity is quota
units of 1,000 tokens per minute for the Standard / Global Standard / Data Zone Standard SKUs ("Capacity is in quota
units, usually thousands of tokens per minute", /work/shared/REFERENCE.md; Azure OpenAI quota how-to), rounded up.

The concurrency share is the fraction of participants expected to hit their limit in the same minute. DEFAULT_SHARE
is 0.5: in a hands-on session everyone runs the same exercise within minutes of each other, but not in the same
minute and not all at their full limit (flag `--class-share`). 1.0 reserves every participant's full limit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

DEFAULT_SHARE = 0.5
TOKENS_PER_UNIT = 1000
# Deployment SKUs whose capacity is counted in thousands of tokens per minute.
TPM_SKUS = {"Standard", "GlobalStandard", "DataZoneStandard"}


class SizingError(ValueError):
    """Bad sizing input; the message names the option and the fix."""


@dataclass(frozen=True)
class ClassSize:
    participants: int
    # Per participant (the average when their limits differ).
    tokens_per_minute: int
    share: float
    # Sum of every participant's limit, when known exactly (limits that differ).
    total_tpm: int | None = None

    @property
    def tokens_needed(self) -> int:
        total = self.total_tpm if self.total_tpm is not None else self.participants * self.tokens_per_minute
        return math.ceil(total * self.share)

    @property
    def capacity(self) -> int:
        """Quota units (thousands of TPM), at least 1 when there is a class."""
        if self.participants == 0:
            return 0
        return max(1, math.ceil(self.tokens_needed / TOKENS_PER_UNIT))

    @property
    def explanation(self) -> str:
        return (
            f"{self.participants} participants x {self.tokens_per_minute:,} tokens/min x share {self.share:g} = "
            f"{self.tokens_needed:,} tokens/min -> capacity {self.capacity}"
        )


def class_size(participants: int, tokens_per_minute: int, share: float = DEFAULT_SHARE) -> ClassSize:
    if participants < 0:
        raise SizingError(f"participants must be 0 or more, not {participants}")
    if tokens_per_minute <= 0:
        raise SizingError(
            f"the per-participant tokens-per-minute limit must be positive, not {tokens_per_minute}. Fix: set the "
            "participants' tokens-per-minute limit in the stack"
        )
    if not 0 < share <= 1:
        raise SizingError(f"--class-share must be more than 0 and at most 1, not {share:g}. Fix: e.g. 0.5")
    return ClassSize(participants, tokens_per_minute, share)


def class_size_from_settings(
    settings: Any, share: float = DEFAULT_SHARE, default_tpm: int | None = None
) -> ClassSize | None:
    """The class of a stack: every participant with their effective tokens-per-minute limit
    (`settings.limits_of(p)`, aoai-lab:participantLimits with per-participant overrides), or `default_tpm` for
    those without one. None when there are no participants or no limit is known for them (nothing to size)."""
    participants = list(getattr(settings, "participants", ()) or ())
    if not participants:
        return None
    limits_of = getattr(settings, "limits_of", None)
    total = 0
    for p in participants:
        limits = limits_of(p) if callable(limits_of) else None
        tpm = getattr(limits, "tokens_per_minute", None) or default_tpm
        if not tpm:
            return None
        total += int(tpm)
    size = class_size(len(participants), max(1, round(total / len(participants))), share)
    return ClassSize(size.participants, size.tokens_per_minute, size.share, total)


def sized_capacity(configured: int, size: ClassSize, sku: str) -> tuple[int, str | None]:
    """The capacity to aim for: the class's need when it is larger than the configured capacity (a lab must hold
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
        per = got * TOKENS_PER_UNIT / max(1e-9, size.participants * size.share)
        text += (
            f"; with share {size.share:g} that is about {per:,.0f} tokens/min per active participant "
            f"(their limit is {size.tokens_per_minute:,}), so some calls will get 429 at peaks"
        )
    return text
