"""The subscription: its offer (quota id, spending limit), what the offer rules out, and the resource providers the
lab needs (read, register, wait while `Registering`).

Reads go through the official clients: azure-mgmt-resource-subscriptions (`subscriptions.get`, API 2022-12-01:
`GET /subscriptions/{s}` -> `subscriptionPolicies{locationPlacementId, quotaId, spendingLimit}`) and
azure-mgmt-resource (`providers.get` / `providers.register`, API 2025-04-01: `GET|POST
/subscriptions/{s}/providers/{namespace}[/register]` -> `registrationState` NotRegistered | Registering | Registered |
Unregistering). Registering is long-running on Azure's side: the POST answers at once with `Registering`, and the
provider is usable once a later read says `Registered` (learn.microsoft.com/azure/azure-resource-manager/management/
resource-providers-and-types).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

# Offers Cost Management does not support, so a budget cannot be created on them. Source: MicrosoftDocs/azure-docs
# articles/cost-management-billing/costs/understand-cost-mgt-data.md, "The following offers aren't supported yet"
# (learn.microsoft.com/azure/cost-management-billing/costs/understand-cost-mgt-data). Free Trial, MSDN and Visual
# Studio offers ARE in the supported table there. CSP_2015-05-01 is listed as unsupported for classic CSP only (the
# same quota id is supported for Microsoft Customer Agreement CSP), so it is not refused, only warned about.
BUDGET_UNSUPPORTED: dict[str, str] = {
    "AzureForStudents_2018-01-01": "Azure for Students (MS-AZR-0170P)",
    "DreamSpark_2015-02-01": "Azure for Students Starter (MS-AZR-0144P)",
    "Sponsored_2016-01-01": "Microsoft Azure Sponsorship (MS-AZR-0036P)",
    "Default_2014-09-01": "a support plan offer",
}
BUDGET_MAYBE_UNSUPPORTED: dict[str, str] = {
    "CSP_2015-05-01": "Cloud Solution Provider (classic CSP is not supported)"
}
COST_DOCS_URL = "https://learn.microsoft.com/azure/cost-management-billing/costs/understand-cost-mgt-data"

# Friendly names of common quota ids (same source, supported table).
OFFER_NAMES: dict[str, str] = {
    "PayAsYouGo_2014-09-01": "Pay-As-You-Go",
    "EnterpriseAgreement_2014-09-01": "Enterprise Agreement / Microsoft Azure Plan",
    "MSDNDevTest_2014-09-01": "Dev/Test",
    "MSDN_2014-09-01": "MSDN / Visual Studio",
    "MPN_2014-09-01": "Microsoft Cloud Partner Program / Visual Studio Enterprise MPN",
    "FreeTrial_2014-09-01": "Free Trial",
    "AzureInOpen_2014-09-01": "Azure in Open",
    "AzurePass_2014-09-01": "Azure Pass",
    **BUDGET_UNSUPPORTED,
    **BUDGET_MAYBE_UNSUPPORTED,
}

# Resource providers the lab creates resources of. Microsoft.Consumption holds budgets (only with a budget);
# Microsoft.Insights holds diagnostic settings. Microsoft.Resources and Microsoft.Authorization are always registered.
REQUIRED_PROVIDERS: tuple[str, ...] = (
    "Microsoft.CognitiveServices",
    "Microsoft.ApiManagement",
    "Microsoft.OperationalInsights",
    "Microsoft.Insights",
)
BUDGET_PROVIDER = "Microsoft.Consumption"


@dataclass(frozen=True)
class Offer:
    subscription_id: str
    display_name: str
    state: str
    quota_id: str
    spending_limit: str

    @property
    def name(self) -> str:
        return OFFER_NAMES.get(self.quota_id, self.quota_id or "unknown offer")

    @property
    def has_spending_limit(self) -> bool:
        # "On": Azure stops resources when the credit is spent; "Off"/"CurrentPeriodOff": it bills on.
        return self.spending_limit.lower() == "on"

    @property
    def line(self) -> str:
        limit = {
            "on": "spending limit on",
            "off": "no spending limit",
            "currentperiodoff": "spending limit off this period",
        }
        return (
            f"{self.name} (quotaId {self.quota_id or '?'}; "
            f"{limit.get(self.spending_limit.lower(), 'spending limit ' + (self.spending_limit or 'unknown'))})"
        )

    def as_json(self) -> dict[str, str]:
        """For the availability snapshot, so `check` can judge the budget without signing in."""
        return {"quotaId": self.quota_id, "spendingLimit": self.spending_limit, "state": self.state}


def offer_from_json(subscription_id: str, data: Mapping[str, Any]) -> Offer:
    policies = data.get("subscriptionPolicies") or {}
    return Offer(
        subscription_id=subscription_id,
        display_name=str(data.get("displayName") or ""),
        state=str(data.get("state") or ""),
        quota_id=str(policies.get("quotaId") or data.get("quotaId") or ""),
        spending_limit=str(policies.get("spendingLimit") or data.get("spendingLimit") or ""),
    )


def read_offer(client: Any, subscription_id: str) -> Offer:
    """`client`: azure.mgmt.resource.subscriptions.SubscriptionClient."""
    sub = client.subscriptions.get(subscription_id)
    data = sub.as_dict() if hasattr(sub, "as_dict") else dict(sub)
    # The new-style models serialise with the REST names (subscriptionPolicies.quotaId); older ones with snake case.
    if "subscription_policies" in data:
        p = data["subscription_policies"] or {}
        data = {
            **data,
            "subscriptionPolicies": {"quotaId": p.get("quota_id"), "spendingLimit": p.get("spending_limit")},
        }
        data["displayName"] = data.get("display_name")
    return offer_from_json(subscription_id, data)


def budget_problem(quota_id: str | None, *, has_budget: bool, key: str = "aoai-lab:budget") -> str | None:
    """The refusal of a budget on an offer that cannot have one, with the reason and the alternative; else None."""
    if not has_budget or not quota_id or quota_id not in BUDGET_UNSUPPORTED:
        return None
    return (
        f"{key}: this subscription's offer, {BUDGET_UNSUPPORTED[quota_id]} (quotaId {quota_id}), does not support "
        f"Cost Management budgets ({COST_DOCS_URL}), so the budget cannot be created. Fix: remove {key}; the "
        "offer's own credit and spending limit cap the cost instead (watch it in the Azure portal or the "
        "Microsoft Azure Sponsorships/Education portal), or deploy to a pay-as-you-go subscription"
    )


def budget_warning(quota_id: str | None, *, has_budget: bool) -> str | None:
    if has_budget and quota_id in BUDGET_MAYBE_UNSUPPORTED:
        return (
            f"aoai-lab:budget: quotaId {quota_id} is {BUDGET_MAYBE_UNSUPPORTED[quota_id]}; if this is a classic CSP "
            "subscription the budget will be refused"
        )
    return None


# ---- resource providers ----


@dataclass(frozen=True)
class ProviderState:
    namespace: str
    state: str

    @property
    def registered(self) -> bool:
        return self.state.lower() == "registered"


class RegistrationTimeout(Exception):
    """Providers still `Registering` at the deadline; the message names them."""


def needed_providers(*, with_budget: bool) -> tuple[str, ...]:
    return (*REQUIRED_PROVIDERS, *((BUDGET_PROVIDER,) if with_budget else ()))


def _state(provider: Any) -> str:
    state = getattr(provider, "registration_state", None)
    if state is None and isinstance(provider, Mapping):
        state = provider.get("registrationState")
    return str(state or "Unknown")


def read_providers(client: Any, namespaces: Iterable[str]) -> list[ProviderState]:
    """`client`: azure.mgmt.resource.resources.ResourceManagementClient. One read per namespace, all at once."""
    from concurrent.futures import ThreadPoolExecutor

    names = list(namespaces)
    with ThreadPoolExecutor(max_workers=max(1, len(names)), thread_name_prefix="providers") as pool:
        states = list(pool.map(lambda ns: _state(client.providers.get(ns)), names))
    return [ProviderState(ns, state) for ns, state in zip(names, states, strict=True)]


def register_providers(
    client: Any,
    namespaces: Iterable[str],
    *,
    deadline_s: float = 300.0,
    poll_s: float = 5.0,
    on_state: Callable[[ProviderState], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> list[ProviderState]:
    """Register every namespace not yet registered, then read them until all say Registered or the deadline passes.
    Registering needs `Microsoft.Resources/subscriptions/providers/register/action` (Contributor or Owner)."""
    deadline = clock() + deadline_s
    states = {s.namespace: s for s in read_providers(client, namespaces)}
    for ns, s in states.items():
        if not s.registered and s.state.lower() != "registering":
            states[ns] = ProviderState(ns, _state(client.providers.register(ns)))
            if on_state is not None:
                on_state(states[ns])
    first = True
    while True:
        waiting = [ns for ns, s in states.items() if not s.registered]
        if not waiting:
            return list(states.values())
        if clock() >= deadline:
            raise RegistrationTimeout(
                "still registering after the deadline: "
                + ", ".join(f"{ns} ({states[ns].state})" for ns in waiting)
                + ". Azure goes on registering on its own; run preflight again in a few minutes"
            )
        # Read once straight away (a provider can register in seconds), then every poll_s.
        if not first:
            sleep(min(poll_s, max(0.0, deadline - clock())))
        first = False
        for ns in waiting:
            states[ns] = ProviderState(ns, _state(client.providers.get(ns)))
            if on_state is not None and states[ns].registered:
                on_state(states[ns])
