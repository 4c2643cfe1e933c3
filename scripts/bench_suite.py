"""Measure the test suite (not a test): wall clock, CPU time, and where the time goes.

Runs pytest once in a child process with a JUnit XML report and prints:
- wall-clock seconds and CPU seconds (the child and everything it started: `labctl diff`'s planning processes,
  fake servers); CPU time is the steadier figure on a shared machine, wall clock is what a developer waits for;
- the slowest test modules (setup + call + teardown of their tests, module fixtures included);
- the slowest single tests and fixture setups (pytest's --durations).

    uv run python scripts/bench_suite.py                       # the whole suite
    uv run python scripts/bench_suite.py tests/labctl/review   # one folder (any pytest arguments)
    uv run python scripts/bench_suite.py --top 20

Target (issue 19): the whole suite under 120 s of wall clock on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def module_times(junit: Path) -> dict[str, float]:
    """Seconds per test module, from the JUnit report (each testcase's time is setup + call + teardown)."""
    per_module: dict[str, float] = defaultdict(float)
    for case in ET.parse(junit).getroot().iter("testcase"):
        classname = case.get("classname", "")
        # "tests.labctl.review.test_diff_stacks" or "...test_x.TestClass": the module is up to the test_ part.
        parts = classname.split(".")
        cut = next((i for i, p in enumerate(parts) if p.startswith("test_")), len(parts) - 1)
        per_module["/".join(parts[: cut + 1]) + ".py"] += float(case.get("time", 0) or 0)
    return dict(per_module)


def durations(output: str, top: int) -> list[str]:
    """pytest's own "slowest durations" lines (setup and call phases), the first `top` of them."""
    lines = output.splitlines()
    start = next((i for i, line in enumerate(lines) if "slowest" in line and "durations" in line), None)
    if start is None:
        return []
    picked = []
    for line in lines[start + 1 :]:
        if not line.strip() or line.startswith(("=", "(")):
            break
        picked.append(line)
    return picked[:top]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--top", type=int, default=15, help="how many modules and tests to list")
    args, pytest_args = parser.parse_known_args()
    with tempfile.TemporaryDirectory() as tmp:
        junit = Path(tmp) / "junit.xml"
        cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={junit}"]
        cmd += [f"--durations={args.top}", *pytest_args]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=os.environ.copy())
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        modules = module_times(junit) if junit.exists() else {}
    summary = [line for line in done.stdout.splitlines() if " passed" in line or " failed" in line]
    print(
        f"pytest exit code      : {done.returncode}  ({summary[-1].strip('= ') if summary else 'no summary'})"
    )
    print(f"wall clock            : {wall:7.1f} s   (target for the whole suite: < 120 s on 2 cores)")
    print(f"CPU (user+sys, all)   : {cpu:7.1f} s")
    print(
        f"load average (1 min)  : {os.getloadavg()[0]:7.2f}   (other work on the machine inflates wall clock)"
    )
    print(f"\nslowest modules (of {len(modules)}, {sum(modules.values()):.1f} s in tests):")
    for name, seconds in sorted(modules.items(), key=lambda item: -item[1])[: args.top]:
        print(f"  {seconds:7.1f} s  {name}")
    print("\nslowest phases (pytest --durations):")
    for line in durations(done.stdout, args.top):
        print(f"  {line}")
    if done.returncode not in (0, 5):
        print("\n" + "\n".join(done.stdout.splitlines()[-30:]), file=sys.stderr)
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
