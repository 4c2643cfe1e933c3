"""The optional lab budget: what Azure would receive for it (plan inputs under the mock runtime)."""

from __future__ import annotations

import datetime as dt

import pulumi
import pytest

from components.budget import LabBudget, LabBudgetArgs, first_of_month
from labctl.plan.mockcloud import FAKE_SUBSCRIPTION_ID
from labctl.plan.runtime import Plan, run_program

BUDGET = "azure-native:consumption:Budget"


@pytest.fixture
def budget_plan(plan_with) -> Plan:
    return plan_with(
        budget={"amount": 150, "thresholds": [80, 50, 100], "contactEmails": ["ana.garcia@contoso.edu"]}
    )


def test_no_budget_unless_configured(dev_plan):
    assert dev_plan.by_type(BUDGET) == []


def test_budget_watches_the_labs_resource_group_monthly(budget_plan):
    budget = budget_plan.one(BUDGET)
    inputs = budget["inputs"]
    rg = budget_plan.one("azure-native:resources:ResourceGroup")

    assert inputs["scope"] == f"/subscriptions/{FAKE_SUBSCRIPTION_ID}/resourceGroups/rg-aoai-lab-dev"
    assert rg["urn"] in budget["dependencies"]
    assert inputs["budgetName"] == "budget-aoai-lab-dev"
    assert (inputs["amount"], inputs["category"], inputs["timeGrain"]) == (150, "Cost", "Monthly")
    assert inputs["timePeriod"] == {"startDate": first_of_month(dt.datetime.now(dt.UTC).date())}
    assert "endDate" not in inputs["timePeriod"]


def test_budget_notifies_the_contacts_at_each_threshold_and_on_forecast(budget_plan):
    notifications = budget_plan.one(BUDGET)["inputs"]["notifications"]

    actual = sorted(
        (n["threshold"], n["operator"]) for n in notifications.values() if n["thresholdType"] == "Actual"
    )
    assert actual == [
        (50, "GreaterThanOrEqualTo"),
        (80, "GreaterThanOrEqualTo"),
        (100, "GreaterThanOrEqualTo"),
    ]
    forecast = [n for n in notifications.values() if n["thresholdType"] == "Forecasted"]
    assert [(n["threshold"], n["operator"]) for n in forecast] == [(100, "GreaterThan")]
    assert all(
        n["enabled"] and n["contactEmails"] == ["ana.garcia@contoso.edu"] for n in notifications.values()
    )
    assert len(notifications) <= 5  # Azure's limit per budget


def test_component_without_forecast_has_only_the_thresholds():
    def program() -> None:
        LabBudget(
            "budget",
            LabBudgetArgs(
                scope="/subscriptions/s/resourceGroups/rg-x",
                budget_name="budget-x",
                amount=20,
                contact_emails=["a@contoso.edu", "b@contoso.edu"],
                thresholds=[90, 25],
                forecast=False,
                start_date="2026-03-01T00:00:00Z",
            ),
        )
        pulumi.export("ok", True)

    plan = run_program(program, project="aoai-lab", stack="unit", config={})
    inputs = plan.one(BUDGET)["inputs"]

    assert sorted(inputs["notifications"]) == [
        "Actual_GreaterThanOrEqualTo_25_Percent",
        "Actual_GreaterThanOrEqualTo_90_Percent",
    ]
    assert inputs["notifications"]["Actual_GreaterThanOrEqualTo_25_Percent"]["contactEmails"] == [
        "a@contoso.edu",
        "b@contoso.edu",
    ]
    assert inputs["timePeriod"] == {"startDate": "2026-03-01T00:00:00Z"}


def test_budget_start_is_the_first_of_the_month():
    assert first_of_month(dt.date(2026, 11, 20)) == "2026-11-01T00:00:00Z"
    assert first_of_month(dt.date(2027, 1, 1)) == "2027-01-01T00:00:00Z"
