"""Benchmark `labctl plan` as whole processes (median of N runs, the commands taken in turns; not a test).

Prints, for each command, wall clock and CPU time (the process's user + system seconds; the steadier figure on a
shared machine), and each ratio as the median of the turn-by-turn ratios:
- the dev stack's plan against a process that only imports pulumi and the azure-native classes the program uses
  (target: within 2x),
- a 100-participant stack against the dev stack (issue 19's target: within 1.2x),
- with --participants N (e.g. 1000), that class size too,
- with --instructions, the instructions each of the first three executes, counted by valgrind: deterministic, so
  the ratios hold on a shared machine whose speed drifts (Debian/Ubuntu: apt install valgrind), and
- with --profile, where a big class's plan spends its time: the program run in this process under cProfile
  (own time by package, each package's entries with the most cumulative time, then functions by own time).

Run: uv run python scripts/bench_plan.py [--runs 5] [--participants 1000] [--instructions] [--profile]
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
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


def timed(cmds: list[list[str]], runs: int) -> list[tuple[list[float], list[float]]]:
    """(wall seconds, CPU seconds) of each of `runs` runs of each command, taken in turns: on a shared machine the
    speed drifts over a minute, and turns give each command the same share of it (the ratios are what count)."""
    walls: list[list[float]] = [[] for _ in cmds]
    cpus: list[list[float]] = [[] for _ in cmds]
    for _ in range(runs):
        for i, cmd in enumerate(cmds):
            cpu, start = _children_cpu(), time.perf_counter()
            subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)
            walls[i].append(time.perf_counter() - start)
            cpus[i].append(_children_cpu() - cpu)
    return list(zip(walls, cpus, strict=True))


def medians(runs: tuple[list[float], list[float]]) -> tuple[float, float]:
    return statistics.median(runs[0]), statistics.median(runs[1])


def paired_ratio(
    over: tuple[list[float], list[float]], under: tuple[list[float], list[float]]
) -> tuple[float, float]:
    """The median of the turn-by-turn ratios (wall, CPU): steadier than a ratio of medians when the machine drifts."""
    return tuple(  # type: ignore[return-value]
        statistics.median(a / b for a, b in zip(o, u, strict=True)) for o, u in zip(over, under, strict=True)
    )


def dev_participants() -> list[dict[str, str]]:
    return yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())["config"]["aoai-lab:participants"]


def big_stack(folder: Path, participants: int, stack: str = "big") -> Path:
    (folder / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())
    doc = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())
    doc["config"]["aoai-lab:participants"] = [
        {"name": f"student{i:04d}", "email": f"student{i:04d}@contoso.edu"} for i in range(participants)
    ]
    (folder / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    return folder


# Who owns a function's time, by where its file lives (first match wins).
_PACKAGES = (
    ("/labctl/plan/", "labctl/plan (mock monitor, recording, snapshot)"),
    ("/pulumi/runtime/mocks", "labctl/plan (mock monitor, recording, snapshot)"),
    ("/pulumi/runtime/rpc", "pulumi.runtime.rpc (serialising inputs, resolving outputs)"),
    ("/pulumi/runtime/resource", "pulumi.runtime.resource (registering resources)"),
    ("/pulumi/output", "pulumi.output (Output objects, apply, all)"),
    ("/pulumi_azure_native/", "pulumi_azure_native and pulumi_random (resource classes)"),
    ("/pulumi_random/", "pulumi_azure_native and pulumi_random (resource classes)"),
    ("/pulumi/", "pulumi, the rest (settings, options, types)"),
    ("google/protobuf", "protobuf"),
    ("asyncio", "asyncio (the event loop running Pulumi's futures)"),
    ("/yaml/", "yaml (reading the stack file)"),
    ("/stacks/", "this project (stacks/, components/, facts/)"),
    ("/components/", "this project (stacks/, components/, facts/)"),
    ("/facts/", "this project (stacks/, components/, facts/)"),
)


def _package(filename: str) -> str:
    if filename == "~":  # isinstance, Context.run, ...: called from all of the above
        return "Python builtins (isinstance, contextvars' Context.run, ...)"
    return next((owner for part, owner in _PACKAGES if part in filename), "other (Python, libraries)")


def profile(folder: Path, stack: str, top: int = 25) -> None:
    """The plan of `stack` in this process under cProfile: own time by package, and in each package the entries
    with the most cumulative time (what they call included), which says which step of a resource's life costs."""
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
    rows = stats.stats  # type: ignore[attr-defined]
    total = sum(row[2] for row in rows.values())
    owners: dict[str, float] = {}
    entries: dict[str, list[tuple[float, str]]] = {}
    for (filename, line, name), row in rows.items():
        owner = _package(filename)
        owners[owner] = owners.get(owner, 0.0) + row[2]
        short = filename.split("site-packages/")[-1].split("/lib/python3")[-1].replace(str(ROOT) + "/", "")
        entries.setdefault(owner, []).append((row[3], f"{short}:{line}({name})"))
    print(f"\nwhere a {len(plan.resources)}-resource plan's time goes (cProfile, {total:.2f} s in all):")
    for owner, seconds in sorted(owners.items(), key=lambda item: -item[1]):
        print(f"  {100 * seconds / total:5.1f}% own time  {owner}")
        for cumulative, entry in sorted(entries[owner], reverse=True)[:3]:
            print(f"          {100 * cumulative / total:5.1f}% cumulative  {entry}")
    print()
    stats.sort_stats("tottime").print_stats(top)


def instructions(cmd: list[str]) -> int:
    """Instructions the command executes (valgrind's cachegrind, no cache simulation; Python's hash seed fixed):
    the same count on a busy machine as on a quiet one, where CPU seconds of one run can differ by a third."""
    done = subprocess.run(
        ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null", *cmd],
        cwd=ROOT,
        check=False,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )
    refs = re.search(r"I\s+refs:\s+([\d,]+)", done.stderr)
    if done.returncode != 0 or refs is None:
        raise SystemExit(f"{' '.join(cmd)} under valgrind (exit {done.returncode}):\n{done.stderr[-2000:]}")
    return int(refs.group(1).replace(",", ""))


def report_instructions(
    import_only: list[str], dev_plan: list[str], big_plan: list[str], dev_count: int
) -> None:
    base, dev, big = instructions(import_only), instructions(dev_plan), instructions(big_plan)
    print("\ninstructions (valgrind --tool=cachegrind, deterministic):")
    print(f"  import pulumi + azure-native classes: {base / 1e9:6.3f} G")
    print(f"  labctl plan, dev stack              : {dev / 1e9:6.3f} G")
    print(f"  labctl plan, 100 participants       : {big / 1e9:6.3f} G")
    print(f"  dev / import-only ratio             : {dev / base:6.3f}x  (target <= 2.0x)")
    print(f"  100 participants / dev ratio        : {big / dev:6.3f}x  (target <= 1.2x)")
    print(f"  per participant beyond dev          : {(big - dev) / (100 - dev_count) / 1e6:6.2f} M")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--participants", type=int, default=0, help="also plan a class of this size")
    parser.add_argument("--profile", action="store_true", help="profile the biggest class's plan")
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="also count the instructions of import-only, dev and 100 participants (needs valgrind; ~1 min)",
    )
    args = parser.parse_args()
    if args.instructions and shutil.which("valgrind") is None:
        parser.error(
            "--instructions counts with valgrind, which is not installed (Debian/Ubuntu: apt install valgrind)"
        )
    dev_count = len(dev_participants())
    if dev_count >= 100:
        parser.error("Pulumi.dev.yaml has 100 participants or more: the comparison with 100 needs fewer")
    if args.participants and args.participants <= dev_count:
        parser.error(f"--participants must be more than the dev stack's {dev_count}")
    py = sys.executable
    # `python -m labctl` is the console script's path (labctl/entry.py), what a user runs.
    # Warm the bytecode cache and the OS file cache so no run pays for compiling.
    subprocess.run([py, "-m", "labctl", "plan", "-q"], cwd=ROOT, check=True, capture_output=True)

    with tempfile.TemporaryDirectory() as tmp:
        folder = big_stack(Path(tmp), 100)
        plan = [py, "-m", "labctl", "plan", "-q", "--project-dir", str(folder), "--stack"]
        commands = [[py, "-c", IMPORT_ONLY], [py, "-m", "labctl", "plan", "-q"], [*plan, "big"]]
        if args.participants:
            big_stack(folder, args.participants, "huge")
            commands.append([*plan, "huge"])
        runs = timed(commands, args.runs)
        baseline, dev, big = (medians(r) for r in runs[:3])
        dev_ratio, big_ratio = paired_ratio(runs[1], runs[0]), paired_ratio(runs[2], runs[1])
        huge = medians(runs[3]) if args.participants else None

        print("                                        wall      CPU")
        print(f"import pulumi + azure-native classes : {baseline[0]:6.2f} s {baseline[1]:6.2f} s")
        print(f"labctl plan, dev stack               : {dev[0]:6.2f} s {dev[1]:6.2f} s")
        print(f"labctl plan, 100 participants        : {big[0]:6.2f} s {big[1]:6.2f} s")
        if huge is not None:
            label = f"labctl plan, {args.participants:,} participants"
            print(f"{label:<37}: {huge[0]:6.2f} s {huge[1]:6.2f} s")
        print(
            f"dev / import-only ratio              : {dev_ratio[0]:6.2f}x {dev_ratio[1]:6.2f}x  (target <= 2.0x)"
        )
        print(
            f"100 participants / dev ratio         : {big_ratio[0]:6.2f}x {big_ratio[1]:6.2f}x  (target <= 1.2x)"
        )
        if huge is not None:
            per = (huge[1] - dev[1]) / (args.participants - dev_count) * 1000
            print(
                f"CPU per participant beyond dev       : {per:6.1f} ms (two resources: a key and a subscription)"
            )
        if args.instructions:
            report_instructions(*commands[:3], dev_count)
        if args.profile:
            profile(folder, "huge" if huge is not None else "big")


if __name__ == "__main__":
    main()
