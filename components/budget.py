"""A monthly cost budget on the lab's resource group, so students on credits hear about spend before it is gone."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
from pulumi_azure_native import consumption

# Notification keys name what they watch; Azure only needs them unique within the budget.
ACTUAL_KEY = "Actual_GreaterThanOrEqualTo_{threshold}_Percent"
FORECAST_KEY = "Forecasted_GreaterThan_{threshold}_Percent"
FORECAST_THRESHOLD = 100


def first_of_month(today: dt.date) -> str:
    """Budgets must start on the first of a month, within the current grain (Microsoft.Consumption rule)."""
    return today.replace(day=1).strftime("%Y-%m-%dT00:00:00Z")


@dataclass
class LabBudgetArgs:
    # The resource group's ARM id: costs of everything in the lab, nothing else in the subscription.
    scope: pulumi.Input[str]
    budget_name: str
    amount: float
    contact_emails: Sequence[str]
    thresholds: Sequence[int] = (50, 80, 100)
    forecast: bool = True
    # Usually first_of_month(today); fixed at creation (see ignore_changes below).
    start_date: str = ""


class LabBudget(pulumi.ComponentResource):
    budget: consumption.Budget

    def __init__(self, name: str, args: LabBudgetArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("aoai-lab:components:LabBudget", name, None, opts)
        if not args.contact_emails:
            raise ValueError("a budget needs at least one contact e-mail to notify")
        emails = list(args.contact_emails)
        notifications: dict[str, consumption.NotificationArgs] = {
            ACTUAL_KEY.format(threshold=t): consumption.NotificationArgs(
                enabled=True,
                operator=consumption.OperatorType.GREATER_THAN_OR_EQUAL_TO,
                threshold=float(t),
                threshold_type=consumption.ThresholdType.ACTUAL,
                contact_emails=emails,
            )
            for t in sorted(args.thresholds)
        }
        if args.forecast:
            notifications[FORECAST_KEY.format(threshold=FORECAST_THRESHOLD)] = consumption.NotificationArgs(
                enabled=True,
                operator=consumption.OperatorType.GREATER_THAN,
                threshold=float(FORECAST_THRESHOLD),
                threshold_type=consumption.ThresholdType.FORECASTED,
                contact_emails=emails,
            )

        self.budget = consumption.Budget(
            f"{name}-budget",
            budget_name=args.budget_name,
            scope=args.scope,
            amount=args.amount,
            category=consumption.CategoryType.COST,
            time_grain=consumption.TimeGrainType.MONTHLY,
            time_period=consumption.BudgetTimePeriodArgs(
                start_date=args.start_date or first_of_month(dt.datetime.now(dt.UTC).date())
            ),
            notifications=notifications,
            # The start date is computed when the budget is first created; a `pulumi up` next month must not
            # try to move it (Azure only accepts a start within the current month).
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["timePeriod"]),
        )
        self.register_outputs({"budgetId": self.budget.id})
