"""The Pulumi program: the one entry point `pulumi up` (via __main__.py) and `labctl plan` both run."""

from __future__ import annotations

import pulumi

from stacks.config.load import ConfigError
from stacks.config.source import settings_from_pulumi
from stacks.lab import build_lab


def run() -> None:
    # Validate everything before declaring anything: a bad config creates nothing.
    try:
        settings = settings_from_pulumi()
    except ConfigError as exc:
        # RunError prints its message without a Python traceback.
        raise pulumi.RunError(str(exc)) from None
    build_lab(settings)
