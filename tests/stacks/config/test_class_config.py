"""aoai-lab:timeZone and the class window as config sees them: the same function the policy uses decides, so what
config accepts `pulumi up` renders (issue 19: a one-day class window was refused at `pulumi up` only)."""

from __future__ import annotations

import datetime as dt

import pytest

from stacks.config.load import ConfigError
from stacks.gateway_config import class_window
from tests.support.config_load import load_changed


def test_a_one_day_class_loads_and_renders_a_whole_day(raw_dev) -> None:
    settings = load_changed(raw_dev, startsOn="2026-12-09", expiresOn="2026-12-09", timeZone="Europe/Madrid")
    window = class_window(settings)
    assert window.opens_at == dt.datetime(2026, 12, 8, 23, tzinfo=dt.UTC)
    assert window.closes_at == dt.datetime(2026, 12, 9, 23, tzinfo=dt.UTC)


def test_without_a_zone_the_window_is_in_utc(raw_dev) -> None:
    settings = load_changed(raw_dev, startsOn="2026-12-09", expiresOn="2026-12-10")
    assert settings.class_times.zone == "UTC"
    assert class_window(settings).opens_label == "2026-12-09 00:00 UTC"


def test_a_reversed_window_names_the_key_and_the_fix(raw_dev) -> None:
    with pytest.raises(ConfigError) as err:
        load_changed(raw_dev, startsOn="2026-12-11", expiresOn="2026-12-10")
    (problem,) = [p for p in err.value.problems if "startsOn" in p]
    assert problem.startswith("aoai-lab:startsOn: 2026-12-11 is after expiresOn (2026-12-10)")
    assert "Fix: " in problem


@pytest.mark.parametrize(
    ("value", "hint"), [("Europe/Madird", "Europe/Madrid"), ("america/mexico_city", "America/Mexico_City")]
)
def test_a_wrong_time_zone_is_refused_with_a_did_you_mean(raw_dev, value: str, hint: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_changed(raw_dev, timeZone=value)
    (problem,) = err.value.problems
    assert problem.startswith("aoai-lab:timeZone:")
    assert f"did you mean '{hint}'" in problem
