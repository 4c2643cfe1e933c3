"""Benchmark: how fast labctl answers bad input and misbehaving Azure (issue 10), in figures.

Stack files (labctl/stackfile): the dev stack, the largest file accepted (128 KiB of participants), an alias bomb
("billion laughs": 10**9 values if expanded) and 20,000 nested brackets, each refused or read. Azure
(labctl/azure/resilience.py, the real azure-mgmt-cognitiveservices client against a loopback HTTPS fake): a 429
with `Retry-After: 3600`, a list whose nextLink points at itself, an answer that never comes (2 s deadline), each
reported instead of waited on.

    uv run python scripts/bench_input.py [--runs 5]
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import trustme

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from labctl.azure.resilience import ArmGuard, Deadline, pages  # noqa: E402
from labctl.azure.transport import shared_tls_transport  # noqa: E402
from labctl.stackfile import StackFileError, parse_stack_text  # noqa: E402
from tests.support.fake_arm_misbehaving import USAGES, MisbehavingArm, json_answer  # noqa: E402
from tests.support.fake_azure import FakeCredential, https_server  # noqa: E402

SUBSCRIPTION = "0b6c1f5e-3d2a-4c8b-9e7f-5a4d3c2b1a09"


def timed(fn: Callable[[], object], runs: int) -> tuple[float, str]:
    times, outcome = [], ""
    for _ in range(runs):
        started = time.perf_counter()
        try:
            fn()
            outcome = "read"
        except StackFileError as exc:
            outcome = "refused: " + exc.problems[0].message[:60]
        except Exception as exc:
            outcome = f"{type(exc).__name__}: {str(exc)[:70]}"
        times.append(time.perf_counter() - started)
    return statistics.median(times), outcome


def stack_files(runs: int) -> None:
    dev = (ROOT / "Pulumi.dev.yaml").read_text(encoding="utf-8")
    big = "config:\n  aoai-lab:participants:\n" + "".join(
        f"    - name: student{i:05d}\n      email: student{i:05d}@contoso.edu\n" for i in range(2040)
    )
    bomb = [
        "config:",
        "  aoai-lab:x:",
        '    l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
    ]
    bomb += [f"    l{i}: &l{i} [" + ",".join([f"*l{i - 1}"] * 10) + "]" for i in range(1, 9)]
    deep = "config:\n  aoai-lab:x: " + "[" * 20_000 + "]" * 20_000 + "\n"
    cases = {
        "dev stack": dev,
        f"{len(big) // 1024} KiB, 2,040 participants": big,
        "alias bomb (10^9 values)": "\n".join(bomb) + "\n",
        "20,000 nested brackets": deep,
    }
    print("Stack files (median of", runs, "runs)")
    for name, text in cases.items():
        seconds, outcome = timed(
            lambda text=text: parse_stack_text(text, path=Path("P.yaml"), project="aoai-lab"), runs
        )
        print(f"  {name:32} {seconds * 1000:8.1f} ms  {outcome}")


def azure(runs: int) -> None:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    ca = trustme.CA()
    server = https_server(ca)
    server.start()
    ca_file = Path(tempfile.mkdtemp()) / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    # The transport trusts the system store plus these (labctl/azure/transport.py): here, the fake's CA.
    os.environ["REQUESTS_CA_BUNDLE"] = os.environ["SSL_CERT_FILE"] = str(ca_file)
    try:
        from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient

        def read(deadline: float) -> None:
            guard = ArmGuard(Deadline(deadline))
            with (
                shared_tls_transport() as transport,
                CognitiveServicesManagementClient(
                    FakeCredential(),
                    SUBSCRIPTION,
                    base_url=server.url_for("/").rstrip("/"),
                    credential_scopes=["https://management.azure.com/.default"],
                    transport=transport,
                    **guard.client_options(),
                ) as client,
            ):
                list(pages(client.usages.list("eastus2"), "usages"))

        print("Azure answers (median of", runs, "runs)")
        for name, install, deadline in (
            ("429 Retry-After: 3600", lambda a: a.on("GET", USAGES, a.throttled("3600")), 60.0),
            ("nextLink pointing at itself", lambda a: a.on("GET", USAGES, a.looping_pages([])), 60.0),
            (
                "no answer (2 s deadline)",
                lambda a: a.on("GET", USAGES, a.slow(5, lambda: json_answer({}))),
                2.0,
            ),
        ):
            server.clear()
            arm = MisbehavingArm(server).install()
            install(arm)
            seconds, outcome = timed(lambda deadline=deadline: read(deadline), runs)
            print(f"  {name:32} {seconds * 1000:8.1f} ms  {outcome}")
    finally:
        server.clear()
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    stack_files(args.runs)
    azure(max(1, args.runs // 2))


if __name__ == "__main__":
    main()
