"""The part of `labctl preflight` that asks Azure more than quota: the subscription's offer and resource providers,
the gateway tier per region, and Resource Manager's own validation of the lab per region; plus class sizing.

`AzureStep.start` begins the subscription-wide reads on a thread while the regions' model and quota lists are read;
`finish` validates each region's plan and folds everything into the quota decision. One TLS transport serves
every client of the step; every call has a deadline."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from azure.core.exceptions import ClientAuthenticationError
from rich.console import Console
from rich.text import Text

from labctl.errors import EXIT_AZURE, AzureError, ConfigError, LabctlError, UsageError
from labctl.preflight.model import PreflightResult, RegionAvailability
from labctl.preflight.offers.checks import SubscriptionChecks, read_subscription_checks
from labctl.preflight.offers.subscription import budget_problem, budget_warning, offer_from_json
from labctl.preflight.offers.tiers import TierCatalog
from labctl.preflight.spread.spillover import Spread
from labctl.preflight.verdicts.fold import apply, validate_result
from labctl.preflight.verdicts.plans import lab_suffix
from labctl.preflight.verdicts.refusals import Refusal, kind_of
from labctl.preflight.verdicts.template import PlannedLab, TemplateError
from labctl.preflight.verdicts.validation import Outcome, RegionValidation
from stacks.sizing import ClassSize, SizingError, class_size, is_sized, sized_capacity

# Per call: a connection should open in seconds; a validation answers in well under a minute.
CONNECTION_TIMEOUT_S = 10
READ_TIMEOUT_S = 60


def size_class(
    settings: Any, share: float, default_tpm: int | None
) -> tuple[Any, ClassSize | None, list[str]]:
    """The settings with each chat deployment's capacity raised to what the class needs (never lowered), the class
    size, and lines saying what changed: the same class and figure as `labctl plan` and `labctl check`
    (stacks/sizing.py). Embeddings, speech and catalog deployments are not sized."""
    try:
        size = class_size(settings, share=share, class_tpm=default_tpm)
    except SizingError as exc:
        raise UsageError(str(exc)) from None
    if size is None:
        return settings, None, []
    notes = [f"Class: {size.explanation} per chat deployment."]
    deployments = []
    for d in settings.deployments:
        if not is_sized(d):
            deployments.append(d)
            continue
        capacity, why = sized_capacity(d.capacity, size, d.sku)
        if why:
            notes.append(f"  {d.name}: capacity {why}")
            d = d.model_copy(update={"capacity": capacity})
        deployments.append(d)
    return settings.model_copy(update={"deployments": tuple(deployments)}), size, notes


def refuse_budget_from_snapshot(header: Mapping[str, Any], settings: Any) -> None:
    """With --availability: the offer saved in the snapshot judges the budget, as a live run would."""
    saved = header.get("subscription")
    if isinstance(saved, Mapping):
        problem = budget_problem(str(saved.get("quotaId") or ""), has_budget=settings.budget is not None)
        if problem:
            raise ConfigError(problem)


def _unbuildable(exc: TemplateError) -> LabctlError:
    # Validation could not check the lab: "not known", as when Azure gives no verdict (README: preflight exits 4).
    return LabctlError(f"could not build Azure's validation template: {exc}. Fix: --no-validate", EXIT_AZURE)


class AzureStep:
    def __init__(self) -> None:
        self._transport_cm: Any = None
        self.transport: Any = None
        self._pool: ThreadPoolExecutor | None = None
        self._job: Future[SubscriptionChecks] | None = None
        self.checks: SubscriptionChecks | None = None
        self.subscription_id = ""
        self.credential: Any = None
        self.options: dict[str, Any] = {}
        self.err: Console | None = None
        self.validations: dict[str, RegionValidation] | None = None
        self.combined: dict[str, Any] = {}
        # The program's lab, planned once when validation first needs it (labctl/preflight/verdicts/template.py):
        # called with the primary region and, for a spread preflight proposes, the `aoai-lab:location` it would pin.
        self.plan_lab: Callable[..., PlannedLab] | None = None
        self.lab: PlannedLab | None = None

    @classmethod
    def start(
        cls,
        subscription_id: str,
        credential: Any,
        target: Any,
        client_options: Mapping[str, Any] | None,
        *,
        with_budget: bool,
        register: bool,
        err: Console,
        plan_lab: Callable[..., PlannedLab] | None = None,
    ) -> AzureStep:
        from labctl.azure.signin import client_kwargs
        from labctl.azure.transport import shared_tls_transport

        step = cls()
        step.subscription_id, step.credential, step.err = subscription_id, credential, err
        step.plan_lab = plan_lab
        from labctl.azure.resilience import split_options

        # Kept guarded (labctl/azure/resilience.py): each client unpacking `options` gets its own policies.
        options, taken = split_options(
            client_kwargs(target), client_options, take=("connection_timeout", "read_timeout", "timeout")
        )
        connection = {
            "connection_timeout": taken.get("connection_timeout", CONNECTION_TIMEOUT_S),
            "read_timeout": taken.get("read_timeout", READ_TIMEOUT_S),
        }
        step.options = options
        step._transport_cm = shared_tls_transport(pool_size=16, **connection)
        step.transport = step._transport_cm.__enter__()
        step._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="subscription-checks")

        def registered(state: Any) -> None:
            err.print(Text(f"{state.namespace}: {state.state}"))

        step._job = step._pool.submit(
            read_subscription_checks,
            subscription_id,
            credential=credential,
            client_options=options,
            transport=step.transport,
            with_budget=with_budget,
            register=register,
            on_registered=registered if register else None,
        )
        return step

    def __enter__(self) -> AzureStep:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
        if self._transport_cm is not None:
            self._transport_cm.__exit__(None, None, None)
            self._transport_cm = None

    @property
    def tiers_checked(self) -> bool:
        return self.checks is not None and self.checks.tiers is not None

    def _wait(self) -> SubscriptionChecks:
        if self.checks is None:
            assert self._job is not None
            try:
                self.checks = self._job.result()
            except ClientAuthenticationError as exc:
                raise AzureError(
                    f"Azure refused the sign-in token. Fix: `az login` again.\n  {exc}"
                ) from None
        return self.checks

    def _planned(self, primary_region: str) -> PlannedLab:
        """Planned on the calling thread once the reads that print are over: the mock runtime redirects stderr."""
        if self.lab is None:
            self.lab = self._plan(primary_region)
        return self.lab

    def _plan(self, primary_region: str, location: Any = None) -> PlannedLab:
        if self.plan_lab is None:
            raise LabctlError("no plan of the lab to validate. Fix: --no-validate", EXIT_AZURE)
        try:
            return self.plan_lab(primary_region, location)
        except TemplateError as exc:
            raise _unbuildable(exc) from None

    def finish(
        self,
        result: PreflightResult,
        settings: Any,
        availability: Mapping[str, RegionAvailability],
        *,
        validate: bool,
        deadline_s: float,
        out: Console,
    ) -> PreflightResult:
        checks = self._wait()
        err = self.err or out
        if checks.offer is not None:
            out.print(Text(f"Offer: {checks.offer.line}"))
        for line in checks.problems:
            err.print(Text(f"warning: {line}", style="yellow"))
        if checks.registered:
            out.print(Text(f"Registered resource providers: {', '.join(checks.registered)}"))
        if checks.unregistered:
            err.print(
                Text(
                    f"warning: resource providers not registered in this subscription: "
                    f"{', '.join(checks.unregistered)}; `pulumi up` fails until they are. Fix: `labctl preflight "
                    "--register` (needs Contributor), or `az provider register --namespace <name>`.",
                    style="yellow",
                )
            )
        warning = budget_warning(
            checks.offer.quota_id if checks.offer else None, has_budget=settings.budget is not None
        )
        if warning:
            err.print(Text(f"warning: {warning}", style="yellow"))
        validations = self.validations = None
        if validate:
            try:
                validations = validate_result(
                    result,
                    settings,
                    self._planned(settings.account_location),
                    subscription_id=self.subscription_id,
                    credential=self.credential,
                    client_options=self.options,
                    transport=self.transport,
                    deadline_s=deadline_s,
                    suffix=lab_suffix(settings, availability),
                )
            except ClientAuthenticationError as exc:
                raise AzureError(
                    f"Azure refused the sign-in token. Fix: `az login` again.\n  {exc}"
                ) from None
            except TemplateError as exc:
                raise _unbuildable(exc) from None
            self.validations = validations
            accepted = [r for r, v in validations.items() if v.outcome.value == "accepted"]
            out.print(
                Text(
                    f"Resource Manager validated the lab in {len(validations)} region(s): "
                    f"{len(accepted)} accepted{' (' + ', '.join(accepted) + ')' if accepted else ''}."
                )
            )
        combined, self.combined = apply(result, settings, validations, checks.tiers)
        return combined

    def snapshot_json(self) -> dict[str, Any]:
        checks = self._wait()
        azure: dict[str, Any] = {}
        if checks.tiers is not None:
            azure["gatewayTiers"] = tiers_to_json(checks.tiers)
        if self.validations is not None:
            azure["validation"] = validations_to_json(self.validations)
        return {"subscription": checks.offer.as_json() if checks.offer else None, "azure": azure or None}

    def validate_spread(
        self,
        settings: Any,
        spread: Spread,
        availability: Mapping[str, RegionAvailability],
        deadline_s: float,
    ) -> dict[str, RegionValidation]:
        """Azure's verdict on the spread as `--write` would pin it and `pulumi up` deploy it: each region's account
        with its share, the gateway in the primary region only, named as single-region validation names the lab."""
        from labctl.preflight.verdicts.plans import spread_region_plan
        from labctl.preflight.verdicts.validation import validate_regions

        primary = spread.regions[0]
        pinned = [(p.region, dict(p.capacity)) for p in settings.placements]
        if pinned == [(r, dict(caps)) for r, caps in spread.allocations.items()]:
            lab = self._planned(primary)
        else:
            # A spread the stack does not pin yet: planned with it pinned, so each region is the account the program
            # would declare there (stacks/regions.py), not the primary's moved.
            try:
                lab = self._plan(primary, spread.location_config())
            except ConfigError as exc:
                raise ConfigError(f"the program does not take the spread preflight proposes: {exc}") from None
        suffix = lab_suffix(settings, availability)
        try:
            plans = [
                spread_region_plan(settings, lab, region, capacities=dict(caps), suffix=suffix)
                for region, caps in spread.allocations.items()
            ]
            return validate_regions(
                plans,
                subscription_id=self.subscription_id,
                credential=self.credential,
                client_options=self.options,
                transport=self.transport,
                deadline_s=deadline_s,
                name_prefix="aoai-lab-preflight-spread",
            )
        except ClientAuthenticationError as exc:
            raise AzureError(f"Azure refused the sign-in token. Fix: `az login` again.\n  {exc}") from None
        except TemplateError as exc:
            raise _unbuildable(exc) from None

    def refuse_budget(self, settings: Any) -> None:
        checks = self._wait()
        problem = budget_problem(
            checks.offer.quota_id if checks.offer else None, has_budget=settings.budget is not None
        )
        if problem:
            raise ConfigError(problem)


def replay_azure(
    header: Mapping[str, Any], result: PreflightResult, settings: Any, out: Console
) -> tuple[PreflightResult, bool, dict[str, Any]]:
    """With --availability: Azure's verdicts as the snapshot recorded them (none recorded: the quota decides)."""
    saved = header.get("azure")
    offer = header.get("subscription")
    if isinstance(offer, Mapping):
        out.print(Text(f"Offer: {offer_from_json('', offer).line} (from the snapshot)"))
    if not isinstance(saved, Mapping):
        return result, False, {}
    tiers = tiers_from_json(saved.get("gatewayTiers"))
    validations = validations_from_json(saved.get("validation"))
    updated, combined = apply(result, settings, validations, tiers)
    return updated, tiers is not None, combined


# ---- Azure's verdicts in the availability snapshot ----


def tiers_to_json(catalog: TierCatalog) -> dict[str, Any]:
    return {
        tier: {
            "locations": sorted(catalog.locations[tier]),
            "restricted": dict(sorted(catalog.restricted.get(tier, {}).items())),
        }
        for tier in sorted(catalog.locations)
    }


def tiers_from_json(data: Any) -> TierCatalog | None:
    if not isinstance(data, Mapping):
        return None
    catalog = TierCatalog()
    for tier, entry in data.items():
        entry = entry if isinstance(entry, Mapping) else {}
        catalog.locations[str(tier)] = {str(x) for x in entry.get("locations") or []}
        restricted = entry.get("restricted") or {}
        if isinstance(restricted, Mapping) and restricted:
            catalog.restricted[str(tier)] = {str(k): str(v) for k, v in restricted.items()}
    return catalog


def validations_to_json(validations: Mapping[str, RegionValidation]) -> dict[str, Any]:
    return {
        region: {
            "outcome": v.outcome.value,
            "note": v.note,
            "refusals": [{"code": r.code, "message": r.message, "target": r.target} for r in v.refusals],
        }
        for region, v in validations.items()
    }


def validations_from_json(data: Any) -> dict[str, RegionValidation] | None:
    if not isinstance(data, Mapping):
        return None
    out: dict[str, RegionValidation] = {}
    for region, entry in data.items():
        if not isinstance(entry, Mapping):
            continue
        try:
            outcome = Outcome(str(entry.get("outcome")))
        except ValueError:
            outcome = Outcome.UNKNOWN
        refusals = [
            Refusal(
                kind_of(str(r.get("code") or ""), str(r.get("message") or "")),
                str(r.get("code") or ""),
                str(r.get("message") or ""),
                r.get("target"),
            )
            for r in entry.get("refusals") or []
            if isinstance(r, Mapping)
        ]
        out[str(region)] = RegionValidation(str(region), outcome, refusals, str(entry.get("note") or ""))
    return out
