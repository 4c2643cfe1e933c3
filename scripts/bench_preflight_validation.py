"""Benchmark: Azure's verdict for 8 regions (deployment validation, offer, providers, gateway tiers) within 2.5x of
1 region, with every fake ARM call answered after 200 ms.

The real azure-mgmt-resource-deployments / -subscriptions / azure-mgmt-resource / azure-mgmt-apimanagement clients
talk to a loopback HTTPS fake ARM. Regions are validated concurrently (one call each, some answering 202 and polled
once), the subscription-wide reads run once whatever the region count.

    uv run python scripts/bench_preflight_validation.py [--delay 0.2] [--runs 3]
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import trustme

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from labctl.azure.signin import arm_target, client_kwargs  # noqa: E402
from labctl.azure.transport import shared_tls_transport  # noqa: E402
from labctl.preflight.plans import region_plan  # noqa: E402
from labctl.preflight.subscription import needed_providers, read_offer, read_providers  # noqa: E402
from labctl.preflight.tiers import read_tier_catalog  # noqa: E402
from labctl.preflight.validation import validate_regions  # noqa: E402
from labctl.project import load_stack_settings  # noqa: E402
from tests.support.fake_arm import SUBSCRIPTION  # noqa: E402
from tests.support.fake_arm_validation import FakeArmValidation, apim_sku  # noqa: E402
from tests.support.fake_azure import FakeCredential, https_server  # noqa: E402

REGIONS = [
    "eastus2",
    "eastus",
    "canadaeast",
    "swedencentral",
    "westus",
    "westus3",
    "francecentral",
    "uksouth",
]


def check(regions: list[str], arm: FakeArmValidation, settings) -> float:
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
                [region_plan(settings, r) for r in regions],
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
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--delay", type=float, default=0.2, help="seconds the fake ARM waits before each answer"
    )
    parser.add_argument("--runs", type=int, default=3, help="runs per case; the median is reported")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)

    ca = trustme.CA()
    server = https_server(ca)
    server.start()
    work = Path(tempfile.mkdtemp(prefix="bench-validation-"))
    try:
        ca.cert_pem.write_to_path(str(work / "ca.pem"))
        os.environ["REQUESTS_CA_BUNDLE"] = str(work / "ca.pem")
        arm = FakeArmValidation(server, delay_s=args.delay)
        arm.providers = {ns.lower(): "Registered" for ns in needed_providers(with_budget=True)}
        arm.apim_skus = [apim_sku("BasicV2", REGIONS)]
        for region in REGIONS[::2]:
            arm.answer(region, 202, polls=0)  # half the regions answer 202 and are polled once
        settings = load_stack_settings("dev")

        check(REGIONS[:1], arm, settings)  # warm-up: imports, first TLS handshakes
        one = statistics.median(check(REGIONS[:1], arm, settings) for _ in range(args.runs))
        eight = statistics.median(check(REGIONS, arm, settings) for _ in range(args.runs))
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)

    ratio = eight / one
    print(f"fake ARM delay per call: {args.delay * 1000:.0f} ms, median of {args.runs} runs")
    print(f"1 region : {one:.3f} s")
    print(f"8 regions: {eight:.3f} s")
    print(f"ratio    : {ratio:.2f}x (target < 2.5x) -> {'OK' if ratio < 2.5 else 'TOO SLOW'}")
    if ratio >= 2.5:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
