"""Validation of `aoai-lab:budget` (amount, thresholds, contactEmails, forecast)."""

from __future__ import annotations

from typing import Any

import pytest

from stacks.config.load import ConfigError, load_settings


@pytest.fixture
def raw(dev_config: dict[str, Any]) -> dict[str, Any]:
    lab = {k.split(":", 1)[1]: v for k, v in dev_config.items() if k.startswith("aoai-lab:")}
    lab["expiresOn"] = str(lab["expiresOn"])
    return lab


def problems(raw: dict[str, Any], budget: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_settings({**raw, "budget": budget}, resource_group_location="eastus2")
    return info.value.problems


def test_defaults_alert_at_50_80_100_and_on_forecast(raw):
    settings = load_settings(
        {**raw, "budget": {"amount": 50, "contactEmails": ["a@contoso.edu"]}},
        resource_group_location="eastus2",
    )
    assert settings.budget is not None
    assert settings.budget.thresholds == (50, 80, 100)
    assert settings.budget.forecast is True


def test_budget_is_optional(raw):
    assert load_settings(raw, resource_group_location="eastus2").budget is None


def test_amount_must_be_positive_and_emails_given(raw):
    found = problems(raw, {"amount": 0, "contactEmails": []})
    assert any(p.startswith("aoai-lab:budget.amount:") for p in found)
    assert any(p.startswith("aoai-lab:budget.contactEmails:") for p in found)


def test_contact_emails_are_checked(raw):
    found = problems(raw, {"amount": 10, "contactEmails": ["ana at contoso"]})
    assert found == [
        "aoai-lab:budget.contactEmails: 'ana at contoso' is not an e-mail address. Fix: use name@domain, e.g. ana@contoso.edu"
    ]


def test_thresholds_are_percentages_listed_once(raw):
    assert any(
        "listed twice" in p
        for p in problems(raw, {"amount": 10, "contactEmails": ["a@b.co"], "thresholds": [80, 80]})
    )
    assert any(
        p.startswith("aoai-lab:budget.thresholds")
        for p in problems(raw, {"amount": 10, "contactEmails": ["a@b.co"], "thresholds": [0]})
    )


def test_at_most_five_notifications(raw):
    five = [10, 20, 30, 40, 50]
    found = problems(raw, {"amount": 10, "contactEmails": ["a@b.co"], "thresholds": five})
    assert found == [
        "aoai-lab:budget: 5 thresholds plus the forecast alert make 6 notifications; an Azure budget takes at most 5. "
        "Fix: drop a threshold or set forecast: false"
    ]
    ok = load_settings(
        {**raw, "budget": {"amount": 10, "contactEmails": ["a@b.co"], "thresholds": five, "forecast": False}},
        resource_group_location="eastus2",
    )
    assert ok.budget is not None and len(ok.budget.thresholds) == 5


def test_misspelt_key_gets_a_hint(raw):
    found = problems(raw, {"amount": 10, "contactEmails": ["a@b.co"], "forcast": False})
    assert found == ["aoai-lab:budget.forcast: unknown key. Fix: did you mean 'forecast'?"]
