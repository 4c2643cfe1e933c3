"""Changing the class's gateway at once, through Resource Manager, with the official ApiManagementClient:
participants' subscription states (`participant suspend|resume --now`) and the `class-paused` named value
(`class pause|resume --now`).

The REST contract (Azure/azure-rest-api-specs, specification/apimanagement/resource-manager/Microsoft.ApiManagement/
stable/2024-05-01, the api version azure-mgmt-apimanagement 5 sends):
- apimsubscriptions.json, Subscription_Update: `PATCH .../service/{serviceName}/subscriptions/{sid}` with the
  required `If-Match` header (`*`: whatever the current version) and `{"properties": {"state": "suspended"}}`;
  200 with the subscription.
- apimnamedvalues.json, NamedValue_Update: `PATCH .../service/{serviceName}/namedValues/{namedValueId}` with
  `If-Match` and `{"properties": {"value": "true"}}`; a long-running operation (200, or 202 and a Location to
  poll).
Every call shares one deadline (`--timeout`) through labctl/azure/resilience.py's ArmGuard: a long Retry-After, a
poll that never ends, or an answer that is not ARM JSON is reported, never waited on.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from azure.core.credentials import TokenCredential
from azure.core.exceptions import AzureError as SdkError
from azure.core.exceptions import HttpResponseError

from labctl.azure.resilience import (
    ArmGuard,
    Deadline,
    DeadlineExceeded,
    Throttled,
    UnusableAnswer,
    answers,
    describe,
    guarded,
)
from labctl.azure.signin import ArmTarget, client_kwargs
from labctl.azure.transport import shared_tls_transport
from labctl.errors import AzureError

DEFAULT_TIMEOUT_S = 60.0
MAX_PARALLEL = 8  # ARM's write limits are per hour and generous; eight at once keeps 30 students to seconds


@dataclass(frozen=True)
class GatewayRef:
    """Which API Management service: the subscription, its resource group and name (from the stack outputs)."""

    subscription_id: str
    resource_group: str
    service_name: str

    def describe(self) -> str:
        return f"API Management {self.service_name} (resource group {self.resource_group})"


@dataclass(frozen=True)
class StateResult:
    participant: str
    state: str | None  # what Azure answered; None when the call failed
    error: str | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None


@contextmanager
def _client(
    credential: TokenCredential,
    gateway: GatewayRef,
    target: ArmTarget,
    guard: ArmGuard,
    client_options: Mapping[str, Any] | None,
) -> Iterator[Any]:
    from azure.mgmt.apimanagement import ApiManagementClient

    kwargs = guarded(guard.client_options(), client_kwargs(target), client_options)
    with (
        shared_tls_transport() as transport,
        ApiManagementClient(credential, gateway.subscription_id, transport=transport, **kwargs) as client,
    ):
        yield client


def _explain(exc: BaseException, what: str, gateway: GatewayRef) -> str:
    """One line: what failed and the fix (never a traceback; Azure's text is the user's to read, not markup)."""
    if isinstance(exc, DeadlineExceeded | Throttled | UnusableAnswer):
        return f"{what}: {describe(exc)}"
    if isinstance(exc, HttpResponseError):
        status = exc.status_code
        if status in (401, 403):
            return (
                f"{what}: {describe(exc)}. Fix: sign in (`az login`) as someone with API Management Service "
                f"Contributor (or Contributor) on {gateway.describe()}"
            )
        if status == 404:
            return (
                f"{what}: {describe(exc)}. Fix: check the stack outputs (resourceGroup, gatewayName) and "
                "AZURE_SUBSCRIPTION_ID; has `pulumi up` run with this participant or setting?"
            )
        return f"{what}: {describe(exc)}"
    if isinstance(exc, SdkError):
        return f"{what}: {describe(exc)}. Fix: check the network, proxy and TLS trust (REQUESTS_CA_BUNDLE), then re-run"
    return f"{what}: {type(exc).__name__}: {exc}"


def set_subscription_states(
    gateway: GatewayRef,
    states: Mapping[str, str],
    *,
    credential: TokenCredential,
    target: ArmTarget,
    timeout: float = DEFAULT_TIMEOUT_S,
    client_options: Mapping[str, Any] | None = None,
) -> list[StateResult]:
    """Set each participant's subscription (`sid` = participant name) to `active` or `suspended`, in parallel,
    within one deadline. One result per participant, in the order given."""
    from azure.mgmt.apimanagement.models import SubscriptionUpdateParameters

    guard = ArmGuard(Deadline(timeout))
    with _client(credential, gateway, target, guard, client_options) as client:

        def one(name: str) -> StateResult:
            started = time.monotonic()
            try:
                with answers(f"subscription {name}"):
                    contract = client.subscription.update(
                        gateway.resource_group,
                        gateway.service_name,
                        name,
                        if_match="*",
                        parameters=SubscriptionUpdateParameters(state=states[name]),
                    )
            except Exception as exc:  # every failure becomes this participant's result
                what = f"{name}: could not set the gateway subscription to {states[name]}"
                return StateResult(name, None, _explain(exc, what, gateway), time.monotonic() - started)
            answered = str(getattr(contract, "state", "") or "")
            error = None
            if answered.lower() != states[name]:
                error = (
                    f"{name}: Azure answered state {answered or '(none)'}, not {states[name]}. Fix: re-run"
                )
            return StateResult(name, answered or None, error, time.monotonic() - started)

        names = list(states)
        with ThreadPoolExecutor(max_workers=max(1, min(MAX_PARALLEL, len(names)))) as pool:
            return list(pool.map(one, names))


def set_named_value(
    gateway: GatewayRef,
    named_value: str,
    value: str,
    *,
    credential: TokenCredential,
    target: ArmTarget,
    timeout: float = DEFAULT_TIMEOUT_S,
    client_options: Mapping[str, Any] | None = None,
    polling_interval: float = 2.0,
) -> float:
    """PATCH the named value and wait for the operation within the deadline; the seconds it took. Raises
    AzureError (exit 4) with the fix."""
    from azure.mgmt.apimanagement.models import NamedValueUpdateParameters

    guard = ArmGuard(Deadline(timeout))
    started = time.monotonic()
    what = f"could not set the {named_value} named value of {gateway.describe()} to {value}"
    try:
        with _client(credential, gateway, target, guard, client_options) as client, answers(named_value):
            poller = client.named_value.begin_update(
                gateway.resource_group,
                gateway.service_name,
                named_value,
                if_match="*",
                parameters=NamedValueUpdateParameters(value=value),
                polling=guard.polling(polling_interval, what=f"the {named_value} named value was updated"),
            )
            contract = guard.wait(poller, what=f"the {named_value} named value was updated")
    except HttpResponseError as exc:
        if exc.status_code == 404:
            raise AzureError(
                f"{what}: the gateway has no {named_value} named value (deployed before this version of the lab). "
                "Fix: run `pulumi up` once (it declares it), then use --now"
            ) from None
        raise AzureError(_explain(exc, what, gateway)) from None
    except Exception as exc:
        raise AzureError(_explain(exc, what, gateway)) from None
    answered = getattr(contract, "value", None)
    if answered is not None and str(answered) != value:
        raise AzureError(f"{what}: Azure answered {answered!r}. Fix: re-run")
    return time.monotonic() - started


def failed(results: Sequence[StateResult]) -> list[StateResult]:
    return [r for r in results if not r.ok]
