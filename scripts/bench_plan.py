"""Benchmark `labctl plan` as whole processes (median of N runs; not a test).

Prints, for each command, wall clock and CPU time (the process's user + system seconds; the steadier figure on a
shared machine):
- the dev stack's plan against a process that only imports pulumi and the azure-native classes the program uses
  (target: within 2x),
- a 100-participant stack against the dev stack (issue 19's target: within 1.2x),
- with --participants N (e.g. 1000), that class size too, and
- with --profile, where a big class's plan spends its time: the program run in this process under cProfile
  (functions by own time, and the share of time in Pulumi's SDK, in the mock monitor and in this project's code).

Run: uv run python scripts/bench_plan.py [--runs 5] [--participants 1000] [--profile]
"""

from __future__ import annotations

import argparse
import resource
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


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(cmd: list[str], runs: int) -> tuple[float, float]:
    """(median wall seconds, median CPU seconds) of `runs` runs of `cmd`."""
    walls, cpus = [], []
    for _ in range(runs):
        cpu, start = _children_cpu(), time.perf_counter()
        subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)
        walls.append(time.perf_counter() - start)
        cpus.append(_children_cpu() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def big_stack(folder: Path, participants: int, stack: str = "big") -> Path:
    (folder / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())
    doc = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())
    doc["config"]["aoai-lab:participants"] = [
        {"name": f"student{i:04d}", "email": f"student{i:04d}@contoso.edu"} for i in range(participants)
    ]
    (folder / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    return folder


def profile(folder: Path, stack: str, top: int = 25) -> None:
    """The plan of `stack` in this process under cProfile: the costliest functions, and who owns the time."""
    import cProfile
    import pstats

    sys.path.insert(0, str(ROOT))
    from labctl.plan.runtime import plan_stack

    plan_stack("dev")  # imports and first-call caches out of the picture
    profiler = cProfile.Profile()
    profiler.enable()
    plan = plan_stack(stack, folder)
    profiler.disable()
    stats = pstats.Stats(profiler)
    total = sum(row[2] for row in stats.stats.values())  # type: ignore[attr-defined]
    owners: dict[str, float] = {}
    for (filename, _line, _name), row in stats.stats.items():  # type: ignore[attr-defined]
        if "/pulumi/runtime/mocks" in filename or "/labctl/plan/" in filename:
            owner = "mock monitor and recording (labctl/plan, pulumi mocks)"
        elif "/pulumi/" in filename or "/pulumi_" in filename or "google/protobuf" in filename:
            owner = "Pulumi SDK (registering resources, outputs)"
        elif "asyncio" in filename or "concurrent/futures" in filename or "threading" in filename:
            owner = "asyncio and threads (Pulumi's futures and RPC threads)"
        elif str(ROOT) in filename and "/.venv/" not in filename:
            owner = "this project (stacks/, components/)"
        else:
            owner = "other (Python, libraries)"
        owners[owner] = owners.get(owner, 0.0) + row[2]
    print(f"\nwhere a {len(plan.resources)}-resource plan's time goes (cProfile, own time, {total:.2f} s):")
    for owner, seconds in sorted(owners.items(), key=lambda item: -item[1]):
        print(f"  {100 * seconds / total:5.1f}%  {owner}")
    print()
    stats.sort_stats("tottime").print_stats(top)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--participants", type=int, default=0, help="also plan a class of this size")
    parser.add_argument("--profile", action="store_true", help="profile the biggest class's plan")
    args = parser.parse_args()
    py = sys.executable
    # Warm the bytecode cache and the OS file cache so no run pays for compiling.
    subprocess.run([py, "-m", "labctl.cli", "plan", "-q"], cwd=ROOT, check=True, capture_output=True)

    baseline = timed([py, "-c", IMPORT_ONLY], args.runs)
    dev = timed([py, "-m", "labctl.cli", "plan", "-q"], args.runs)
    with tempfile.TemporaryDirectory() as tmp:
        folder = big_stack(Path(tmp), 100)
        plan = [py, "-m", "labctl.cli", "plan", "-q", "--project-dir", str(folder), "--stack"]
        big = timed([*plan, "big"], args.runs)
        huge = None
        if args.participants:
            big_stack(folder, args.participants, "huge")
            huge = timed([*plan, "huge"], max(1, args.runs // 2))

        print("                                        wall      CPU")
        print(f"import pulumi + azure-native classes : {baseline[0]:6.2f} s {baseline[1]:6.2f} s")
        print(f"labctl plan, dev stack               : {dev[0]:6.2f} s {dev[1]:6.2f} s")
        print(f"labctl plan, 100 participants        : {big[0]:6.2f} s {big[1]:6.2f} s")
        if huge is not None:
            label = f"labctl plan, {args.participants:,} participants"
            print(f"{label:<37}: {huge[0]:6.2f} s {huge[1]:6.2f} s")
        print(
            f"dev / import-only ratio              : {dev[0] / baseline[0]:6.2f}x {dev[1] / baseline[1]:6.2f}x  (target <= 2.0x)"
        )
        print(
            f"100 participants / dev ratio         : {big[0] / dev[0]:6.2f}x {big[1] / dev[1]:6.2f}x  (target <= 1.2x)"
        )
        if huge is not None:
            per = (huge[1] - dev[1]) / args.participants * 1000
            print(
                f"CPU per participant beyond dev       : {per:6.1f} ms (two resources: a key and a subscription)"
            )
        if args.profile:
            profile(folder, "huge" if huge is not None else "big")


if __name__ == "__main__":
    main()
