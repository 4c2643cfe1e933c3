"""The dev stack's `aoai-lab:` config as the settings loader reads it: the base each config test changes."""

from __future__ import annotations

from typing import Any

import pytest

from labctl.project import read_stack_config
from stacks.config.source import split_config


@pytest.fixture
def raw_dev() -> dict[str, Any]:
    flat, _ = read_stack_config("dev")
    lab, _ = split_config(flat)
    return lab
