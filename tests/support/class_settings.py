"""A class's settings for the class commands' tests, made the one way the program makes them: the stack file's
values through stacks/config's loader (so a participant reads as `labctl handout`, `labctl usage` and `pulumi up`
all read them: validated and normalised once)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from stacks.config.load import load_settings
from stacks.config.sections import LabSettings


def class_settings(
    participants: Sequence[Mapping[str, Any]],
    *,
    participant_limits: Mapping[str, Any] | None = None,
    encrypted: Iterable[str] = (),
) -> LabSettings:
    """A valid one-deployment lab with these `aoai-lab:participants` entries (as the stack file spells them)."""
    raw: dict[str, Any] = {
        "owner": "instructor@uni.es",
        "expiresOn": (dt.date.today() + dt.timedelta(days=30)).isoformat(),
        "regions": ["eastus2"],
        "deployments": [
            {
                "name": "chat",
                "model": "gpt-5-mini",
                "version": "2025-08-07",
                "sku": "GlobalStandard",
                "capacity": 10,
            }
        ],
        "participants": [dict(p) for p in participants],
    }
    if participant_limits is not None:
        raw["participantLimits"] = dict(participant_limits)
    return load_settings(raw, resource_group_location="eastus2", encrypted=encrypted)
