"""Guardrails of a spread lab's backends: pool members in Azure's 0..100 range, circuit breakers only where another
region can take the calls. Part of `labctl check` and the policy pack (labctl/guardrails/rules.py adds them to
RULES); standard library only (components/backend_pools.py is too).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from components.backend_pools import POOL_VALUE_MAX, POOL_VALUE_MIN
from labctl.guardrails.model import Finding, Resource, Rule, StackView, known, show
from labctl.guardrails.policy_xml import parsed_api_policies
from labctl.type_tokens import BACKEND


def _pool_values(r: Resource, _today: dt.date) -> Iterator[str]:
    if r.type != BACKEND or str(r.get("type") or "").lower() != "pool":
        return
    services = r.get("pool.services")
    if not isinstance(services, list):
        return
    for i, service in enumerate(services):
        if not isinstance(service, dict):
            continue
        for key in ("priority", "weight"):
            value = service.get(key)
            if not known(value):
                continue
            whole = isinstance(value, int | float) and not isinstance(value, bool) and value == int(value)
            if not whole or not POOL_VALUE_MIN <= value <= POOL_VALUE_MAX:
                yield (
                    f"pool.services[{i}].{key} is {show(value)}: Azure takes a whole number from {POOL_VALUE_MIN} "
                    f"to {POOL_VALUE_MAX} (BackendPoolItem) and refuses the backend"
                )


def _routed_directly(view: StackView) -> set[str]:
    """The backend ids the API policies name in <set-backend-service>: calls that go to that one backend."""
    named: set[str] = set()
    for _policy, root in parsed_api_policies(view):
        named |= {e.get("backend-id", "") for e in root.iter("set-backend-service")}
    return named


def _breakers(view: StackView) -> Iterator[Finding]:
    """A breaker on a backend the policy routes to directly answers 503 to all its calls for the trip duration."""
    backends = view.of_type(BACKEND)
    direct = _routed_directly(view)
    pools = [b for b in backends if str(b.get("type") or "").lower() == "pool"]
    for backend in backends:
        if not backend.get("circuitBreaker") or str(backend.get("type") or "").lower() == "pool":
            continue
        backend_id = backend.get("backendId")
        if known(backend_id) and backend_id in direct:
            yield Finding(
                backend.urn,
                f"backend {show(backend_id)} has a circuit breaker and the API policy sends calls to it directly: "
                "one throttled call makes the gateway answer 503 to all of them for the trip duration",
            )
        elif not pools:
            yield Finding(
                backend.urn,
                "this backend has a circuit breaker but there is no backend pool: when it trips, no other "
                "region takes its calls",
            )


BACKEND_RULES: tuple[Rule, ...] = (
    Rule(
        id="backend-pool-values-in-range",
        severity="mandatory",
        scope="resource",
        title="Backend pool members have a priority and weight Azure accepts (0 to 100)",
        rationale="Azure refuses a pool backend whose member has a priority or weight over 100, so `pulumi up` "
        "fails; regional capacities (thousands of tokens per minute) are not weights.",
        fix="Scale capacities to weights of 1 to 100 (components/backend_pools.py: pool_weights).",
        check_resource=_pool_values,
    ),
    Rule(
        id="circuit-breaker-on-pool-members-only",
        severity="mandatory",
        scope="stack",
        title="Circuit breakers sit only on pool members, never on a backend that takes direct calls",
        rationale="A tripped breaker answers 503 for every call to its backend; only a pool has another region to "
        "send them to (learn.microsoft.com/azure/api-management/backends).",
        fix="Give each region a pool-member backend with the breaker and keep the backend the policy names "
        "directly without one (components/gateway_backends.py).",
        check_stack=_breakers,
    ),
)
