"""Benchmark: Azure's verdict for 8 regions (deployment validation, offer, providers, gateway tiers) within 2.5x of
1 region, with every fake ARM call answered after 200 ms.

The real azure-mgmt-resource-deployments / -subscriptions / azure-mgmt-resource / azure-mgmt-apimanagement clients
talk to a loopback HTTPS fake ARM. Regions are validated concurrently (one call each, some answering 202 and polled
once), the subscription-wide reads run once whatever the region count.

    uv run python scripts/bench_preflight_validation.py [--delay 0.2] [--runs 3]
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from bench_arm_setup import fake_arm, one_vs_eight, parse_args, report

from labctl.azure.signin import arm_target, client_kwargs
from labctl.azure.transport import shared_tls_transport
from labctl.preflight.offers.subscription import needed_providers, read_offer, read_providers
from labctl.preflight.offers.tiers import read_tier_catalog
from labctl.preflight.verdicts.plans import region_plan
from labctl.preflight.verdicts.template import plan_lab
from labctl.preflight.verdicts.validation import validate_regions
from labctl.project import PROJECT_DIR, load_stack_settings
from tests.support.fake_arm import SUBSCRIPTION
from tests.support.fake_arm_validation import FakeArmValidation
from tests.support.fake_azure import FakeCredential


def check(regions: list[str], arm: FakeArmValidation, settings, lab) -> float:
    from azure.mgmt.apimanagement import ApiManagementClient
    from azure.mgmt.resource.resources import ResourceManagementClient
    from azure.mgmt.resource.subscriptions import SubscriptionClient

    credential = FakeCredential()
    options = client_kwargs(arm_target("public", arm.base_url))
    started = time.perf_counter()
    with shared_tls_transport(pool_size=16, connection_timeout=10, read_timeout=30) as transport:
        subs = SubscriptionClient(credential, transport=transport, **options)
        rm = ResourceManagementClient(credential, SUBSCRIPTION, transport=transport, **options)
        apim = ApiManagementClient(credential, SUBSCRIPTION, transport=transport, **options)
        with ThreadPoolExecutor(max_workers=4) as pool:
            offer = pool.submit(read_offer, subs, SUBSCRIPTION)
            providers = pool.submit(read_providers, rm, needed_providers(with_budget=False))
            tiers = pool.submit(read_tier_catalog, apim)
            results = validate_regions(
                [region_plan(settings, lab, r) for r in regions],
                subscription_id=SUBSCRIPTION,
                credential=credential,
                client_options=options,
                transport=transport,
                poll_s=0.05,
            )
            offer.result(), providers.result(), tiers.result()
    elapsed = time.perf_counter() - started
    bad = [r for r, v in results.items() if v.outcome.value != "accepted"]
    if bad:
        raise SystemExit(f"validation did not accept {bad}")
    return elapsed


def main() -> None:
    args = parse_args(__doc__)
    with fake_arm(args.delay, "bench-validation-") as bench:
        settings = load_stack_settings("dev")
        lab = plan_lab("dev", PROJECT_DIR, settings.account_location)
        one, eight = one_vs_eight(lambda regions: check(regions, bench.validation, settings, lab), args.runs)
    report(one, eight, delay_s=args.delay, runs=args.runs, target=2.5)


if __name__ == "__main__":
    main()
