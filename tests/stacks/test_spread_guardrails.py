"""A spread lab passes the lab's guardrails like a one-region lab (every account logs, disables keys, ...)."""

from __future__ import annotations

import datetime as dt

from labctl.guardrails.rules import evaluate, from_snapshot


def test_a_spread_lab_passes_the_guardrails(plan_with):
    plan = plan_with(
        location=[
            {"region": "eastus2", "capacity": {"chat": 60, "embeddings": 50}},
            {"region": "swedencentral", "capacity": {"chat": 90}},
        ],
        regions=["eastus2", "swedencentral"],
    )
    violations = evaluate(from_snapshot(plan.snapshot()), today=dt.date(2026, 12, 1))
    assert [(v.rule.id, v.resource_name) for v in violations if v.rule.severity == "mandatory"] == []
