"""A guardrail that needs the subscription, not only the plan: a budget on an offer without Cost Management budgets.

`labctl check --availability FILE` reads the offer (`subscription.quotaId`) that `labctl preflight
--save-availability FILE` recorded; the offers and the source are in labctl/preflight/offers/subscription.py. The policy
pack cannot run this rule (it never sees the subscription's offer), so it is not in RULES."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from labctl.guardrails.model import Finding, Rule, StackView
from labctl.preflight.offers.subscription import BUDGET_UNSUPPORTED, COST_DOCS_URL, budget_problem
from labctl.type_tokens import BUDGET


def offer_quota_id(snapshot: Mapping[str, Any]) -> str | None:
    saved = snapshot.get("subscription")
    if isinstance(saved, Mapping) and saved.get("quotaId"):
        return str(saved["quotaId"])
    return None


def budget_offer_rule(quota_id: str) -> Rule:
    def check(view: StackView) -> Iterator[Finding]:
        for budget in view.of_type(BUDGET):
            problem = budget_problem(quota_id, has_budget=True)
            if problem:
                yield Finding(budget.urn, problem)

    return Rule(
        id="budget-supported-by-offer",
        severity="mandatory",
        scope="stack",
        title="A budget only on an offer that supports Cost Management budgets",
        rationale=f"Azure refuses budgets on {', '.join(BUDGET_UNSUPPORTED.values())} ({COST_DOCS_URL}); "
        "`pulumi up` would fail on it.",
        fix="Remove aoai-lab:budget; the offer's own credit and spending limit cap the cost.",
        check_stack=check,
    )
