"""Backends of a lab spread over regions, and which one each call goes to.

Per region, up to two `Single` backends on that region's account:
- a *direct* one, without a circuit breaker, for calls that only that region can answer (the primary's is the
  policy's default backend: embeddings and catalog models held only there, stored Responses). A breaker here would
  answer 503 to every such call for the whole trip duration after one throttled call, with nowhere else to go.
- a *pool member*, with the circuit breaker, for each deployment several regions hold: a `Pool` backend over the
  members. A tripped member leaves the pool for a while and the others take its calls.

Facts (each with its source):
- Pool members take `priority` and `weight` from 0 to 100 (components/backend_pools.py has the source): a spread
  lab's regional capacities (say 150 and 300) are scaled to weights from 1 to 100 (50 and 100), keeping their ratio.
- A pool backend must not send `url` or `protocol` (Azure/azure-rest-api-specs#35713: the 2024-05-01 spec marked them
  required, the service refuses them for pools; Azure/bicep-types-az#2170: "Url is not supported for backend pool").
- Circuit breakers: one rule per backend; a tripped breaker makes the gateway answer 503 for calls to that backend;
  for Azure OpenAI backends Microsoft recommends tripping on 429 and accepting the Retry-After duration
  (learn.microsoft.com/azure/api-management/backends, "Circuit breaker"). The rule below is Azure-Samples/AI-Gateway's
  (modules/apim/v3/inference-api.bicep: count 1 in PT1M on 429, tripDuration PT1M, acceptRetryAfter true), plus
  server errors (500-599) as in Learn's example rule, since a pool has other members to send those calls to.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
from pulumi_azure_native import apimanagement

from components.backend_pools import pool_weights
from facts.openai_api import api_url

CIRCUIT_BREAKER = apimanagement.BackendCircuitBreakerArgs(
    rules=[
        apimanagement.CircuitBreakerRuleArgs(
            name="trip-on-429-or-5xx",
            # Azure OpenAI's Retry-After says when the region takes calls again; without one, a minute.
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
    """Backend ids and what the policy routes where."""

    direct: dict[str, str] = field(default_factory=dict)  # region -> backend id without breaker
    members: dict[str, str] = field(default_factory=dict)  # region -> pool member id (with breaker)
    pools: dict[str, list[tuple[str, int]]] = field(default_factory=dict)  # pool id -> [(region, weight)]
    routes: dict[str, str] = field(default_factory=dict)  # deployment -> backend id (pool or direct)
    # Stored Responses live in the account that created them: every Responses call goes here (the primary).
    responses: str = ""
    largest_pool: int = 1


def backend_id(*parts: str) -> str:
    """A backend id from names (letters, digits and '-', at most 80 characters)."""
    return _ID_CHARS.sub("-", "-".join(parts).lower()).strip("-")[:80]


def plan_routing(primary_backend_id: str, backends: Sequence[RegionalBackend]) -> Routing:
    """Which backend each deployment's calls go to. Deployments only in the primary region keep the policy's
    default backend; a deployment in one other region goes to that region's direct backend; a deployment in
    several regions goes to a pool over their members, every member at priority 1, weighted by its capacity."""
    primaries = [b for b in backends if b.primary]
    if len(primaries) != 1:
        raise ValueError("a spread lab has exactly one primary region")
    routing = Routing(responses=primary_backend_id)
    routing.direct[primaries[0].region] = primary_backend_id
    names = list(dict.fromkeys(n for b in backends for n in b.deployments))
    for name in names:
        holders = [b for b in backends if b.deployments.get(name)]
        if not holders or (len(holders) == 1 and holders[0].primary):
            continue
        if len(holders) == 1:
            region = holders[0].region
            routing.direct.setdefault(region, backend_id(primary_backend_id, region))
            routing.routes[name] = routing.direct[region]
            continue
        for b in holders:
            routing.members.setdefault(b.region, backend_id(primary_backend_id, b.region, "member"))
        pool = backend_id(primary_backend_id, "pool", name)
        weights = pool_weights([b.deployments[name] for b in holders])
        routing.pools[pool] = [(b.region, w) for b, w in zip(holders, weights, strict=True)]
        routing.routes[name] = pool
        routing.largest_pool = max(routing.largest_pool, len(holders))
    return routing


def _single(
    logical: str,
    backend: RegionalBackend,
    *,
    backend_id_: str,
    breaker: bool,
    service_name: pulumi.Input[str],
    resource_group_name: pulumi.Input[str],
    parent: pulumi.Resource,
) -> apimanagement.Backend:
    role = "pool member, circuit breaker" if breaker else "direct calls, no circuit breaker"
    return apimanagement.Backend(
        logical,
        backend_id=backend_id_,
        service_name=service_name,
        resource_group_name=resource_group_name,
        protocol="http",
        url=pulumi.Output.from_input(backend.endpoint).apply(api_url),
        description=f"Azure OpenAI account of the lab in {backend.region} ({role}; managed identity auth in the "
        "API policy)",
        circuit_breaker=CIRCUIT_BREAKER if breaker else None,
        opts=pulumi.ResourceOptions(parent=parent),
    )


def create_backends(
    name: str,
    *,
    routing: Routing,
    backends: Sequence[RegionalBackend],
    service_name: pulumi.Input[str],
    resource_group_name: pulumi.Input[str],
    parent: pulumi.Resource,
) -> list[apimanagement.Backend]:
    """The direct backends of the non-primary regions, the pool members and the pools (the primary's direct backend
    is the gateway's own); returns every backend the policy may name."""
    where = {"service_name": service_name, "resource_group_name": resource_group_name, "parent": parent}
    created: list[apimanagement.Backend] = []
    members: dict[str, apimanagement.Backend] = {}
    for b in backends:
        if not b.primary and b.region in routing.direct:
            created.append(
                _single(
                    f"{name}-backend-{b.region}",
                    b,
                    backend_id_=routing.direct[b.region],
                    breaker=False,
                    **where,
                )
            )
        if b.region in routing.members:
            members[b.region] = _single(
                f"{name}-backend-{b.region}-member",
                b,
                backend_id_=routing.members[b.region],
                breaker=True,
                **where,
            )
            created.append(members[b.region])
    for pool_id, pooled in routing.pools.items():
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
                        apimanagement.BackendPoolItemArgs(id=members[region].id, priority=1, weight=weight)
                        for region, weight in pooled
                    ]
                ),
                description="The lab's regions holding this deployment, weighted by their capacity (1-100)",
                opts=pulumi.ResourceOptions(parent=parent, depends_on=[members[r] for r, _ in pooled]),
            )
        )
    return created
