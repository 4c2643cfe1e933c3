"""Benchmark: does `labctl preflight` over 8 regions, with Resource Manager validation, take less than twice the time
of 1 region (issue 12 asks for 2.5x)?

A fake Azure Resource Manager on loopback HTTPS answers every call after 200 ms (like a slow ARM); preflight runs
end to end (config, sign-in, the real azure-mgmt-cognitiveservices client, decision, table) for a stack with one
candidate region and for one with eight. Regions are queried concurrently, so the ratio should stay near 1.

    uv run python scripts/bench_preflight.py [--delay 0.2] [--runs 3]
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import trustme
from rich.console import Console

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from labctl.context import CommandContext  # noqa: E402
from labctl.preflight.command import run_preflight  # noqa: E402
from labctl.preflight.subscription import needed_providers  # noqa: E402
from tests.support.fake_arm import SUBSCRIPTION, FakeArm, catalog, quotas  # noqa: E402
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


def _stack(project: Path, name: str, regions: list[str]) -> None:
    text = (ROOT / "Pulumi.dev.yaml").read_text(encoding="utf-8")
    listed = "".join(f"    - {r}\n" for r in regions)
    text = text.replace("    - eastus2\n    - eastus\n    - canadaeast\n    - swedencentral\n", listed)
    text = text.replace("  aoai-lab:location: eastus2\n", "")
    (project / f"Pulumi.{name}.yaml").write_text(text, encoding="utf-8")


def _time(stack: str, project: Path, arm: FakeArm) -> float:
    quiet = Console(file=io.StringIO(), width=200)
    started = time.perf_counter()
    ctx = CommandContext.create(stack, project, console=quiet, err_console=quiet)
    code = run_preflight(
        ctx, subscription=SUBSCRIPTION, arm_endpoint=arm.base_url, credential=FakeCredential()
    )
    elapsed = time.perf_counter() - started
    if code != 0:
        raise SystemExit(f"preflight for {stack} exited {code}:\n{quiet.file.getvalue()}")  # type: ignore[attr-defined]
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
    work = Path(tempfile.mkdtemp(prefix="bench-preflight-"))
    try:
        ca.cert_pem.write_to_path(str(work / "ca.pem"))
        os.environ["REQUESTS_CA_BUNDLE"] = str(work / "ca.pem")
        project = work / "project"
        project.mkdir()
        shutil.copy(ROOT / "Pulumi.yaml", project / "Pulumi.yaml")
        _stack(project, "one", REGIONS[:1])
        _stack(project, "eight", REGIONS)

        # Deployment validation, the offer, providers and gateway tiers answer after the same delay (registered
        # before FakeArm's catch-all). Every region is validated; half of them answer 202 and are polled once.
        azure = FakeArmValidation(server, delay_s=args.delay)
        azure.providers = {ns.lower(): "Registered" for ns in needed_providers(with_budget=True)}
        azure.apim_skus = [apim_sku("BasicV2", REGIONS)]
        for region in REGIONS[::2]:
            azure.answer(region, 202, polls=0)
        # One page per list: two calls per region, each answered after the delay.
        arm = FakeArm(server, page_size=1000, delay_s=args.delay)
        for region in REGIONS:
            arm.region(region, catalog(), quotas())

        _time("one", project, arm)  # warm-up: imports, first TLS handshakes
        one = statistics.median(_time("one", project, arm) for _ in range(args.runs))
        eight = statistics.median(_time("eight", project, arm) for _ in range(args.runs))
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)

    ratio = eight / one
    print(f"fake ARM delay per call: {args.delay * 1000:.0f} ms, median of {args.runs} runs")
    print(f"1 region : {one:.3f} s")
    print(f"8 regions: {eight:.3f} s")
    print(f"ratio    : {ratio:.2f}x (target < 2x) -> {'OK' if ratio < 2 else 'TOO SLOW'}")
    if ratio >= 2:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
