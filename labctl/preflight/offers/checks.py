"""The subscription-wide reads of preflight, at once: the offer, the resource providers (registering them with
--register) and API Management's SKU list. Each read that fails is reported as a line, never as a traceback, and
leaves its part unknown; a sign-in failure is the caller's (it affects every read the same way)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from azure.core.credentials import TokenCredential
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ServiceRequestError,
    ServiceResponseError,
)

from labctl.preflight.offers.subscription import (
    Offer,
    ProviderState,
    RegistrationTimeout,
    needed_providers,
    read_offer,
    read_providers,
    register_providers,
)
from labctl.preflight.offers.tiers import TierCatalog, read_tier_catalog
from labctl.preflight.verdicts.refusals import first_sentence


@dataclass
class SubscriptionChecks:
    offer: Offer | None = None
    providers: list[ProviderState] = field(default_factory=list)
    tiers: TierCatalog | None = None
    # What could not be read or done, one plain line each.
    problems: list[str] = field(default_factory=list)
    # Providers registered by this run.
    registered: list[str] = field(default_factory=list)

    @property
    def unregistered(self) -> list[str]:
        return [p.namespace for p in self.providers if not p.registered]


def _why(exc: Exception) -> str:
    if isinstance(exc, HttpResponseError):
        code = exc.error.code if exc.error is not None else None
        message = exc.error.message if exc.error is not None else str(exc)
        return f"{exc.status_code} {code or ''}: {first_sentence(message or '')}".replace("  ", " ")
    return f"{type(exc).__name__}: {first_sentence(str(exc))}"


def read_subscription_checks(
    subscription_id: str,
    *,
    credential: TokenCredential,
    client_options: Mapping[str, Any],
    transport: Any,
    with_budget: bool,
    register: bool = False,
    register_deadline_s: float = 300.0,
    register_poll_s: float = 5.0,
    on_registered: Callable[[ProviderState], None] | None = None,
) -> SubscriptionChecks:
    from azure.mgmt.apimanagement import ApiManagementClient
    from azure.mgmt.resource.resources import ResourceManagementClient
    from azure.mgmt.resource.subscriptions import SubscriptionClient

    out = SubscriptionChecks()
    subs = SubscriptionClient(credential, transport=transport, **client_options)
    resources = ResourceManagementClient(credential, subscription_id, transport=transport, **client_options)
    apim = ApiManagementClient(credential, subscription_id, transport=transport, **client_options)
    namespaces = needed_providers(with_budget=with_budget)

    def providers() -> list[ProviderState]:
        if not register:
            return read_providers(resources, namespaces)
        before = {p.namespace: p.registered for p in read_providers(resources, namespaces)}
        states = register_providers(
            resources,
            namespaces,
            deadline_s=register_deadline_s,
            poll_s=register_poll_s,
            on_state=on_registered,
        )
        out.registered = [s.namespace for s in states if s.registered and not before.get(s.namespace)]
        return states

    with ThreadPoolExecutor(max_workers=3, thread_name_prefix="subscription") as pool:
        jobs = {
            "offer": pool.submit(read_offer, subs, subscription_id),
            "providers": pool.submit(providers),
            "tiers": pool.submit(read_tier_catalog, apim),
        }
        for what, job in jobs.items():
            try:
                value = job.result()
            except ClientAuthenticationError:
                raise
            except RegistrationTimeout as exc:
                out.problems.append(f"resource providers: {exc}")
                continue
            except (HttpResponseError, ServiceRequestError, ServiceResponseError) as exc:
                label = {
                    "offer": "the subscription's offer",
                    "providers": "resource provider registration",
                    "tiers": "API Management's SKU list",
                }[what]
                verb = "could not be registered" if what == "providers" and register else "could not be read"
                out.problems.append(f"{label} {verb} ({_why(exc)})")
                continue
            if what == "offer":
                out.offer = value
            elif what == "providers":
                out.providers = value
            else:
                out.tiers = value
    return out
