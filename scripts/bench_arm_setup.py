"""Shared setup of the preflight benchmarks: one loopback HTTPS fake ARM whose every answer is delayed, the
command-line options, and the 1-vs-8-region report. Used by bench_preflight.py and bench_preflight_validation.py."""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import statistics
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import trustme

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from labctl.preflight.offers.subscription import needed_providers  # noqa: E402
from tests.support.fake_arm_validation import FakeArmValidation, apim_sku  # noqa: E402
from tests.support.fake_azure import https_server  # noqa: E402

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


def parse_args(doc: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument(
        "--delay", type=float, default=0.2, help="seconds the fake ARM waits before each answer"
    )
    parser.add_argument("--runs", type=int, default=3, help="runs per case; the median is reported")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    return args


@dataclass
class BenchArm:
    server: object  # the started pytest-httpserver HTTPServer
    work: Path  # a temporary directory, removed afterwards
    validation: FakeArmValidation


@contextmanager
def fake_arm(delay_s: float, prefix: str) -> Iterator[BenchArm]:
    """A trusted loopback fake ARM. Deployment validation, the offer, providers and gateway tiers answer after
    `delay_s`; every region is validated and half of them answer 202 and are polled once."""
    ca = trustme.CA()
    server = https_server(ca)
    server.start()
    work = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        ca.cert_pem.write_to_path(str(work / "ca.pem"))
        os.environ["REQUESTS_CA_BUNDLE"] = str(work / "ca.pem")
        validation = FakeArmValidation(server, delay_s=delay_s)
        validation.providers = {ns.lower(): "Registered" for ns in needed_providers(with_budget=True)}
        validation.apim_skus = [apim_sku("BasicV2", REGIONS)]
        for region in REGIONS[::2]:
            validation.answer(region, 202, polls=0)
        yield BenchArm(server, work, validation)
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


def one_vs_eight(time_regions: Callable[[list[str]], float], runs: int) -> tuple[float, float]:
    """Median seconds for 1 region and for 8, after one warm-up run (imports, first TLS handshakes)."""
    time_regions(REGIONS[:1])
    one = statistics.median(time_regions(REGIONS[:1]) for _ in range(runs))
    eight = statistics.median(time_regions(REGIONS) for _ in range(runs))
    return one, eight


def report(one: float, eight: float, *, delay_s: float, runs: int, target: float) -> None:
    """Print the figures; exit 1 when 8 regions take `target` times 1 region or more."""
    ratio = eight / one
    print(f"fake ARM delay per call: {delay_s * 1000:.0f} ms, median of {runs} runs")
    print(f"1 region : {one:.3f} s")
    print(f"8 regions: {eight:.3f} s")
    print(f"ratio    : {ratio:.2f}x (target < {target:g}x) -> {'OK' if ratio < target else 'TOO SLOW'}")
    if ratio >= target:
        raise SystemExit(1)
