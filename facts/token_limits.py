"""API Management's token-limit policy facts: the periods a token quota counts over.

Source: learn.microsoft.com/azure/api-management/azure-openai-token-limit-policy (and llm-token-limit-policy, the
same attributes): `token-quota-period` is one of Hourly, Daily, Weekly, Monthly, Yearly.
"""

from __future__ import annotations

from typing import Literal, get_args

# The values `token-quota-period` takes, shortest first (the type for typed fields, the tuple for messages).
QuotaPeriod = Literal["Hourly", "Daily", "Weekly", "Monthly", "Yearly"]
QUOTA_PERIODS: tuple[str, ...] = get_args(QuotaPeriod)
