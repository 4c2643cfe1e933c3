"""Azure's own verdict per region: subscription-scope deployment validation of the lab's account, deployments and
gateway (the template: labctl/preflight/verdicts/template.py), through the official SDK, without creating anything.

REST (azure-mgmt-resource-deployments 2.0.0, `DeploymentsOperations.begin_validate_at_subscription_scope`, API
2026-06-01): `POST /subscriptions/{s}/providers/Microsoft.Resources/deployments/{name}/validate` with body
`{"location": <region>, "properties": {"mode": "Incremental", "template": {...}}}`. ARM answers 200 with a
`DeploymentValidateResult`, 202 with `Location` (+ `Retry-After`) to poll until that result, or 400 with the
refusal as the result's `error` (the SDK accepts 200/202/400 on the first call). Other statuses (403
`RequestDisallowedByAzure`, 401, 429, 5xx) raise `HttpResponseError`. azure-mgmt-resource >= 24 no longer carries
deployments: they moved to azure-mgmt-resource-deployments.

NOT VERIFIED against live Azure: that preflight reaches the resources of the nested (inner-scope) deployment into a
resource group the same template creates. learn.microsoft.com/azure/azure-resource-manager/bicep/deploy-preflight
says preflight calls the resource providers to check feasibility (names, quota, policy); if ARM skipped the inner
template for a group that does not exist yet, its refusals would surface only at `pulumi up`.

Every region is validated at once on its own thread; the whole batch has one deadline. A region whose validation
does not finish, or fails for a reason that is not the region's (throttling, 5xx, network), is UNKNOWN, never FITS.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from azure.core.credentials import TokenCredential
from azure.core.exceptions import (
    ClientAuthenticationError,
    DecodeError,
    HttpResponseError,
    ServiceRequestError,
    ServiceResponseError,
)

from labctl.preflight.verdicts.refusals import REGION_KINDS, Kind, Refusal, classify, first_sentence
from labctl.preflight.verdicts.template import RegionPlan, deployment_name, validation_body

# Validation usually answers in seconds; a 202 is polled at the server's Retry-After, else this often.
POLL_SECONDS = 2.0
DEFAULT_DEADLINE_S = 90.0


class Outcome(StrEnum):
    ACCEPTED = "accepted"
    REFUSED = "refused"
    UNKNOWN = "unknown"


@dataclass
class RegionValidation:
    region: str
    outcome: Outcome
    refusals: list[Refusal] = field(default_factory=list)
    # Why it is unknown (throttled, timed out...), or Azure's top-level message.
    note: str = ""
    seconds: float = 0.0

    @property
    def summary(self) -> str:
        if self.outcome is Outcome.ACCEPTED:
            return "Azure accepts the lab here"
        if self.outcome is Outcome.UNKNOWN:
            return f"could not validate: {self.note}"
        return "; ".join(r.plain for r in self.refusals) or self.note


# ---- the calls ----


def _result_outcome(result: Mapping[str, Any]) -> tuple[Outcome, list[Refusal], str]:
    """A DeploymentValidateResult (as JSON) -> outcome. `error` present means refused."""
    error = result.get("error")
    if error:
        refusals = classify({"error": error})
        note = first_sentence(str(error.get("message") or ""))
        if refusals and not any(r.kind in REGION_KINDS for r in refusals):
            # Only template problems: the region is not to blame, so Azure's verdict on it is unknown.
            return Outcome.UNKNOWN, refusals, f"the template was not accepted: {note}"
        return Outcome.REFUSED, refusals, note
    return Outcome.ACCEPTED, [], ""


NOT_A_RESULT = "Azure's answer was not a validation result"


def _not_a_result(exc: Exception) -> tuple[Outcome, list[Refusal], str]:
    detail = first_sentence(str(exc))[:120] or type(exc).__name__
    return Outcome.UNKNOWN, [], f"{NOT_A_RESULT} ({type(exc).__name__}: {detail}); a proxy in between?"


def _http_outcome(exc: HttpResponseError) -> tuple[Outcome, list[Refusal], str]:
    body: Mapping[str, Any] = {}
    response = getattr(exc, "response", None)
    if response is not None:
        try:
            body = response.json() or {}
        except Exception:  # a non-JSON body (a proxy's HTML page) carries no refusal
            body = {}
    refusals = classify(body)
    status = exc.status_code
    if status in (401,):
        raise exc
    region_refusals = [r for r in refusals if r.kind in REGION_KINDS and r.kind is not Kind.OTHER]
    if status is not None and 400 <= status < 500 and status not in (408, 429) and region_refusals:
        return Outcome.REFUSED, refusals, first_sentence(region_refusals[0].message)
    if refusals and all(r.kind is Kind.TEMPLATE for r in refusals):
        # Only template problems: the region is not to blame, so Azure's verdict on it is unknown.
        return (
            Outcome.UNKNOWN,
            refusals,
            f"the template was not accepted: {first_sentence(refusals[0].message)}",
        )
    if status == 429:
        return Outcome.UNKNOWN, refusals, "throttled by Azure (429) after retries"
    if status is not None and status >= 500:
        return Outcome.UNKNOWN, refusals, f"Azure error {status}"
    code = refusals[0].code if refusals else str(status)
    if status == 403:
        # AuthorizationFailed: the signed-in identity may not validate deployments here (needs
        # Microsoft.Resources/deployments/validate/action, e.g. Contributor): the region is not refused.
        return (
            Outcome.UNKNOWN,
            refusals,
            f"no permission to validate deployments ({code}); Contributor is needed",
        )
    message = refusals[0].message if refusals else str(exc)
    return Outcome.UNKNOWN, refusals, f"Azure error {status} {code}: {first_sentence(message)}"


def validate_one(
    client: Any,
    plan: RegionPlan,
    body: Mapping[str, Any],
    *,
    name: str,
    deadline: float,
    poll_s: float = POLL_SECONDS,
) -> RegionValidation:
    """One region's `body` through `begin_validate_at_subscription_scope`, polling a 202 until `deadline`
    (time.monotonic)."""
    started = time.monotonic()
    try:
        poller = client.deployments.begin_validate_at_subscription_scope(name, body, polling_interval=poll_s)
        remaining = max(0.0, deadline - time.monotonic())
        poller.wait(timeout=remaining)
        if not poller.done():
            return RegionValidation(
                plan.region,
                Outcome.UNKNOWN,
                note="Azure had not finished validating by the deadline",
                seconds=time.monotonic() - started,
            )
        result = poller.result()
        payload = result.as_dict() if hasattr(result, "as_dict") else dict(result or {})
        if not payload.get("properties") and not payload.get("error"):
            # ARM's DeploymentValidateResult has one or the other; an empty or foreign body is no verdict.
            raise ValueError("neither properties nor error in the answer")
        outcome, refusals, note = _result_outcome(payload)
    except ClientAuthenticationError:
        raise
    except DecodeError as exc:  # before HttpResponseError, its base class: a 200 whose body is not JSON
        outcome, refusals, note = _not_a_result(exc)
    except HttpResponseError as exc:
        if exc.status_code == 401:
            raise
        outcome, refusals, note = _http_outcome(exc)
    except (ServiceRequestError, ServiceResponseError) as exc:
        outcome, refusals, note = Outcome.UNKNOWN, [], f"no answer from Azure ({type(exc).__name__})"
    except (ValueError, TypeError, AttributeError, KeyError) as exc:
        # Not JSON (json's JSONDecodeError, azure-core's DeserializationError are ValueErrors) or not a
        # DeploymentValidateResult (`error` a string, the body a list): Azure said nothing about the region.
        outcome, refusals, note = _not_a_result(exc)
    return RegionValidation(plan.region, outcome, refusals, note, time.monotonic() - started)


def validate_regions(
    plans: Sequence[RegionPlan],
    *,
    subscription_id: str,
    credential: TokenCredential,
    client_options: Mapping[str, Any],
    transport: Any,
    deadline_s: float = DEFAULT_DEADLINE_S,
    name_prefix: str = "aoai-lab-preflight",
    poll_s: float = POLL_SECONDS,
    on_done: Callable[[RegionValidation], None] | None = None,
) -> dict[str, RegionValidation]:
    """Validate every region's plan at once; one deadline for all. `client_options` are azure-mgmt client keyword
    arguments (base_url, credential_scopes, retries); `transport` the command's shared TLS transport."""
    from azure.mgmt.resource.deployments import DeploymentsMgmtClient

    deadline = time.monotonic() + deadline_s
    # Every body before any call, on the caller's thread: a plan that cannot say what Azure would receive raises
    # TemplateError here, and no region is sent half a lab.
    bodies = {p.region: validation_body(p) for p in plans}
    results: dict[str, RegionValidation] = {}
    client = DeploymentsMgmtClient(credential, subscription_id, transport=transport, **client_options)
    pool = ThreadPoolExecutor(max_workers=max(1, min(16, len(plans))), thread_name_prefix="validate")
    try:
        futures = {
            pool.submit(
                validate_one,
                client,
                p,
                bodies[p.region],
                name=deployment_name(name_prefix, p.region),
                deadline=deadline,
                poll_s=poll_s,
            ): p.region
            for p in plans
        }
        pending = set(futures)
        while pending:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            done, pending = wait(pending, timeout=remaining, return_when=FIRST_COMPLETED)
            for future in done:
                result = future.result()  # sign-in failures propagate: no region can escape them
                results[result.region] = result
                if on_done is not None:
                    on_done(result)
        for future in pending:
            future.cancel()
            region = futures[future]
            results[region] = RegionValidation(
                region, Outcome.UNKNOWN, note=f"no answer within the {deadline_s:.0f} s deadline"
            )
    finally:
        # Never wait for a hung region's thread: its socket times out on its own (read_timeout).
        pool.shutdown(wait=False, cancel_futures=True)
    return {p.region: results[p.region] for p in plans}
