"""A stack's `aoai-lab:` config through the settings loader, as the config tests change and load it: the loader's
result, or every problem it reports (the lab's region defaults to eastus2, as in the dev stack)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from stacks.config.load import ConfigError, load_settings
from stacks.config.sections import LabSettings

REGION = "eastus2"


def load_changed(raw: dict[str, Any], **changes: Any) -> LabSettings:
    """`raw` with these top-level keys changed (raw itself untouched), loaded."""
    data = copy.deepcopy(raw)
    data.update(changes)
    return load_settings(data, resource_group_location=REGION)


def config_problems(raw: dict[str, Any], **load_kwargs: Any) -> list[str]:
    """The problems the loader reports for `raw` (it must refuse it); `load_kwargs` go to load_settings."""
    load_kwargs.setdefault("resource_group_location", REGION)
    with pytest.raises(ConfigError) as info:
        load_settings(raw, **load_kwargs)
    return info.value.problems


def changed_problems(raw: dict[str, Any], **changes: Any) -> list[str]:
    """The problems of `raw` with these top-level keys changed (raw itself untouched)."""
    data = copy.deepcopy(raw)
    data.update(changes)
    return config_problems(data)
