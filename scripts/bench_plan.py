"""Benchmark `labctl plan` as whole processes (wall clock, median of N runs).

Prints:
- the dev stack's plan time against a process that only imports pulumi and the azure-native classes the program
  uses (target: within 2x), and
- a 100-participant stack against the dev stack (target: within 1.5x).

Run: uv run python scripts/bench_plan.py [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent

IMPORT_ONLY = """
import pulumi, pulumi_random
from pulumi_azure_native.apimanagement import (ApiManagementService, Api, ApiPolicy, Backend, Product, ProductApi,
    Subscription, Logger, ApiDiagnostic)
from pulumi_azure_native.cognitiveservices import Account, Deployment
from pulumi_azure_native.authorization import RoleAssignment, get_client_config_output
from pulumi_azure_native.monitor import DiagnosticSetting
from pulumi_azure_native.operationalinsights import Workspace, SavedSearch
from pulumi_azure_native.resources import ResourceGroup
"""


def timed(cmd: list[str], runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def big_stack(folder: Path, participants: int) -> Path:
    (folder / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())
    doc = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())
    doc["config"]["aoai-lab:participants"] = [
        {"name": f"student{i:03d}", "email": f"student{i:03d}@contoso.edu"} for i in range(participants)
    ]
    (folder / "Pulumi.big.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    py = sys.executable
    # Warm the bytecode cache and the OS file cache so no run pays for compiling.
    subprocess.run([py, "-m", "labctl.cli", "plan", "-q"], cwd=ROOT, check=True, capture_output=True)

    baseline = timed([py, "-c", IMPORT_ONLY], args.runs)
    dev = timed([py, "-m", "labctl.cli", "plan", "-q"], args.runs)
    with tempfile.TemporaryDirectory() as tmp:
        folder = big_stack(Path(tmp), 100)
        big = timed(
            [py, "-m", "labctl.cli", "plan", "-q", "--stack", "big", "--project-dir", str(folder)], args.runs
        )

    print(f"import pulumi + azure-native classes : {baseline:6.2f} s")
    print(f"labctl plan, dev stack               : {dev:6.2f} s")
    print(f"labctl plan, 100 participants        : {big:6.2f} s")
    print(f"dev / import-only ratio              : {dev / baseline:6.2f}x  (target <= 2.0x)")
    print(f"100 participants / dev ratio         : {big / dev:6.2f}x  (target <= 1.5x)")


if __name__ == "__main__":
    main()
