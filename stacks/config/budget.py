"""`aoai-lab:budget`: the subscription budget's amount, thresholds and contacts (components/budget.py)."""

from __future__ import annotations

from collections import Counter
from typing import Annotated

from pydantic import Field, field_validator, model_validator

from stacks.config.formats import email_value
from stacks.config.section_base import Section

MAX_BUDGET_NOTIFICATIONS = 5


class BudgetSettings(Section):
    amount: Annotated[float, Field(gt=0)]
    thresholds: tuple[Annotated[int, Field(gt=0, le=1000)], ...] = Field(default=(50, 80, 100), min_length=1)
    contact_emails: tuple[str, ...] = Field(min_length=1)
    # One more alert when the month's forecast passes the amount: it warns days before the money is spent.
    forecast: bool = True

    @field_validator("contact_emails")
    @classmethod
    def _emails(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(email_value(e) for e in v)

    @field_validator("thresholds")
    @classmethod
    def _thresholds(cls, v: tuple[int, ...]) -> tuple[int, ...]:
        dupes = sorted(t for t, n in Counter(v).items() if n > 1)
        if dupes:
            raise ValueError(f"threshold {dupes[0]}% is listed twice. Fix: list each percentage once")
        return tuple(sorted(v))

    @model_validator(mode="after")
    def _notification_count(self) -> BudgetSettings:
        # Azure rejects a budget with more than five notifications.
        count = len(self.thresholds) + (1 if self.forecast else 0)
        if count > MAX_BUDGET_NOTIFICATIONS:
            extra = " plus the forecast alert" if self.forecast else ""
            raise ValueError(
                f"{len(self.thresholds)} thresholds{extra} make {count} notifications; an Azure budget takes at "
                f"most {MAX_BUDGET_NOTIFICATIONS}. Fix: drop a threshold"
                + (" or set forecast: false" if self.forecast else "")
            )
        return self
