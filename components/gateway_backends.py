"""Backends of a lab spread over regions: one `Single` backend per region's account (with a circuit breaker), and per
deployment placed in several regions a `Pool` backend over them, so the API policy can send each deployment's calls
to the regions that hold it.

Facts: API Management backend pools (type `Pool`, services with `priority` and `weight`) and circuit breakers (rules
that trip on status codes, `acceptRetryAfter` to honour the backend's Retry-After) work on every tier
(learn.microsoft.com/azure/api-management/backends). A pool backend must not send `url` or `protocol`
(Azure/azure-rest-api-specs#35713: the 2024-05-01 spec marked them required, the service refuses them for pools;
Azure/bicep-types-az#2170: "Url is not supported for backend pool"). pulumi-azure-native 3.29's
`apimanagement.Backend` has both optional ("Required when backend type is 'Single'"), so a pool omits them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
from pulumi_azure_native import apimanagement

# Trip on throttling and server errors, for a minute or for as long as the backend's Retry-After says.
CIRCUIT_BREAKER = apimanagement.BackendCircuitBreakerArgs(
    rules=[
        apimanagement.CircuitBreakerRuleArgs(
            name="trip-on-429-or-5xx",
            accept_retry_after=True,
            trip_duration="PT1M",
            failure_condition=apimanagement.CircuitBreakerFailureConditionArgs(
                count=1,
                interval="PT1M",
                status_code_ranges=[
                    apimanagement.FailureStatusCodeRangeArgs(min=429, max=429),
                    apimanagement.FailureStatusCodeRangeArgs(min=500, max=599),
                ],
            ),
        )
    ]
)
_ID_CHARS = re.compile(r"[^a-z0-9-]+")


@dataclass(frozen=True)
class RegionalBackend:
    """One region of a spread lab as the gateway sees it: its account's endpoint and what is deployed there."""

    region: str
    endpoint: pulumi.Input[str]
    deployments: Mapping[str, int]  # deployment name -> capacity in this region
    primary: bool = False


@dataclass
class Routing:
    """Backend ids per region (Single) and per deployment (a Pool, or a region's Single); what the policy routes."""

    regional: dict[str, str] = field(default_factory=dict)
    pools: dict[str, list[tuple[str, int]]] = field(default_factory=dict)  # pool id -> [(region, weight)]
    routes: dict[str, str] = field(default_factory=dict)  # deployment -> backend id
    largest_pool: int = 1


def backend_id(*parts: str) -> str:
    """A backend id from names (letters, digits and '-', at most 80 characters)."""
    return _ID_CHARS.sub("-", "-".join(parts).lower()).strip("-")[:80]


def plan_routing(primary_backend_id: str, backends: Sequence[RegionalBackend]) -> Routing:
    """Which backend each deployment's calls go to. Deployments only in the primary region keep the policy's
    default backend (the primary account); a deployment in one other region goes to that region; a deployment in
    several regions goes to a pool over them, every region at priority 1 and weighted by its capacity there."""
    routing = Routing()
    for b in backends:
        routing.regional[b.region] = (
            primary_backend_id if b.primary else backend_id(primary_backend_id, b.region)
        )
    names = list(dict.fromkeys(n for b in backends for n in b.deployments))
    for name in names:
        holders = [b for b in backends if b.deployments.get(name)]
        if not holders or (len(holders) == 1 and holders[0].primary):
            continue
        if len(holders) == 1:
            routing.routes[name] = routing.regional[holders[0].region]
            continue
        pool = backend_id(primary_backend_id, "pool", name)
        routing.pools[pool] = [(b.region, b.deployments[name]) for b in holders]
        routing.routes[name] = pool
        routing.largest_pool = max(routing.largest_pool, len(holders))
    return routing


def create_backends(
    name: str,
    *,
    routing: Routing,
    backends: Sequence[RegionalBackend],
    primary: apimanagement.Backend,
    service_name: pulumi.Input[str],
    resource_group_name: pulumi.Input[str],
    parent: pulumi.Resource,
) -> list[apimanagement.Backend]:
    """The Single backends of the non-primary regions and the pools; returns every backend the policy may name."""
    child = pulumi.ResourceOptions(parent=parent)
    by_region: dict[str, apimanagement.Backend] = {}
    created: list[apimanagement.Backend] = []
    for b in backends:
        if b.primary:
            by_region[b.region] = primary
            continue
        by_region[b.region] = apimanagement.Backend(
            f"{name}-backend-{b.region}",
            backend_id=routing.regional[b.region],
            service_name=service_name,
            resource_group_name=resource_group_name,
            protocol="http",
            url=pulumi.Output.from_input(b.endpoint).apply(lambda e: e.rstrip("/") + "/openai"),
            description=f"Azure OpenAI account of the lab in {b.region} (managed identity auth in the API policy)",
            circuit_breaker=CIRCUIT_BREAKER,
            opts=child,
        )
        created.append(by_region[b.region])
    for pool_id, members in routing.pools.items():
        created.append(
            apimanagement.Backend(
                f"{name}-{pool_id}",
                backend_id=pool_id,
                service_name=service_name,
                resource_group_name=resource_group_name,
                type="Pool",
                # No url or protocol: a pool refuses them (module docstring).
                pool=apimanagement.BackendBaseParametersPoolArgs(
                    services=[
                        apimanagement.BackendPoolItemArgs(id=by_region[region].id, priority=1, weight=weight)
                        for region, weight in members
                    ]
                ),
                description="The lab's regions holding this deployment, weighted by their capacity",
                opts=pulumi.ResourceOptions(parent=parent, depends_on=list(by_region.values())),
            )
        )
    return created
