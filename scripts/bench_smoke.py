"""Benchmark `labctl smoke` (not a test): 30 participants x 2 deployments against a fake gateway that answers each
call after 300 ms, over loopback HTTPS with the real openai SDK. Target: under 3 s in total.

    uv run python scripts/bench_smoke.py [--participants 30] [--delay 0.3] [--concurrency 16] [--runs 3]
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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # for tests.support (the fake gateway the tests use)

import trustme  # noqa: E402

from labctl.lifecycle.smoke import DEFAULT_CONCURRENCY, LabOutputs, run_smoke  # noqa: E402
from stacks.outputs import Deployment  # noqa: E402
from tests.support.fake_azure import https_server  # noqa: E402
from tests.support.fake_gateway import FakeGateway  # noqa: E402

TARGET_S = 3.0
DEPLOYMENTS = {"chat": "gpt-5-mini", "embeddings": "text-embedding-3-small"}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--participants", type=int, default=30)
    parser.add_argument("--delay", type=float, default=0.3, help="seconds the fake gateway takes per call")
    parser.add_argument("--concurrency", type=int, default=DEFAULT_CONCURRENCY)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    # One access-log line per call would drown the result.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    ca = trustme.CA()
    work = Path(tempfile.mkdtemp(prefix="bench-smoke-"))
    ca_file = work / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    # The same trust path as a corporate CA: labctl adds REQUESTS_CA_BUNDLE to the system store.
    os.environ["REQUESTS_CA_BUNDLE"] = str(ca_file)
    server = https_server(ca)
    server.start()
    try:
        keys = {f"student{i:02d}": f"bench-key-{i:02d}-{'0' * 24}" for i in range(1, args.participants + 1)}
        gateway = FakeGateway(
            server=server,
            keys={key: name for name, key in keys.items()},
            deployments=dict(DEPLOYMENTS),
            delay_s=args.delay,
        ).install()
        base = server.url_for("/").rstrip("/")
        outputs = LabOutputs(
            gateway_root=base,
            account_endpoint=None,
            api_version="2025-04-01-preview",  # GPT-5 needs it (stacks/facts/models.yaml)
            deployments={name: Deployment(model=model) for name, model in DEPLOYMENTS.items()},
            participant_keys=keys,
        )
        calls = args.participants * len(DEPLOYMENTS)
        print(
            f"{args.participants} participants x {len(DEPLOYMENTS)} deployments = {calls} calls, "
            f"{args.delay * 1000:.0f} ms each at the gateway, concurrency {args.concurrency} "
            f"(one at a time would take {calls * args.delay:.1f} s)"
        )
        totals = []
        for run in range(1, args.runs + 1):
            gateway.max_in_flight = 0
            started = time.perf_counter()
            results = run_smoke(outputs, concurrency=args.concurrency)
            total = time.perf_counter() - started
            totals.append(total)
            failed = [r for r in results if not r.ok]
            latencies = sorted(r.latency_s for r in results)
            print(
                f"run {run}: total {total:.2f} s | per call p50 {statistics.median(latencies) * 1000:.0f} ms, "
                f"max {latencies[-1] * 1000:.0f} ms | max in flight {gateway.max_in_flight} | "
                f"{len(results) - len(failed)}/{len(results)} ok"
            )
            if failed:
                print(f"  failures: {sorted({(r.status, r.cause) for r in failed})}")
                return 1
        best, worst = min(totals), max(totals)
        verdict = "PASS" if worst < TARGET_S else "FAIL"
        print(f"{verdict}: best {best:.2f} s, worst {worst:.2f} s (target < {TARGET_S:.0f} s)")
        return 0 if verdict == "PASS" else 1
    finally:
        server.clear()
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
