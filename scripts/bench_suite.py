"""Measure the test suite (not a test): wall clock, CPU time, and where the time goes.

Runs pytest once in a child process, with this file loaded as a pytest plugin, and prints:
- wall-clock seconds and CPU seconds (the child and everything it started: `labctl diff`'s planning processes,
  fake servers); CPU time is the steadier figure on a shared machine, wall clock is what a developer waits for;
- the test modules that cost most, in wall clock and in CPU (setup + call + teardown of their tests, module
  fixtures included; CPU counts the test process and the processes it waited for);
- the slowest single tests and fixture setups (pytest's --durations, wall clock).
The suite runs in pytest-xdist's workers (pyproject's addopts): a module's figures are those of the worker that ran
it, and their sum is more than the wall clock. `-n0` measures it in one process.

    uv run python scripts/bench_suite.py                       # the whole suite
    uv run python scripts/bench_suite.py tests/labctl/review   # one folder (any pytest arguments)
    uv run python scripts/bench_suite.py --top 20
    uv run python scripts/bench_suite.py -n0                   # in one process, no workers

Target (issue 19): the whole suite under 120 s of wall clock on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_REPORT_ENV = "BENCH_SUITE_REPORT"


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


# The plugin half (loaded in the pytest process with `-p bench_suite`): wall and CPU seconds per test module.
_per_module: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
_per_test: dict[str, float] = {}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    wall, cpu = time.perf_counter(), _cpu()
    yield
    totals = _per_module[item.nodeid.split("::", 1)[0]]
    totals[0] += time.perf_counter() - wall
    totals[1] += _cpu() - cpu
    _per_test[item.nodeid] = _cpu() - cpu


def pytest_sessionfinish(session: pytest.Session) -> None:
    report = os.environ.get(_REPORT_ENV)
    if report:
        # One file per process: pytest-xdist's workers each run their share of the tests (the controller none).
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        Path(f"{report}.{worker}").write_text(
            json.dumps({"modules": _per_module, "tests": _per_test}), encoding="utf-8"
        )


def _merged_reports(report: Path) -> tuple[dict[str, list[float]], dict[str, float]]:
    modules: dict[str, list[float]] = {}
    tests: dict[str, float] = {}
    for part in sorted(report.parent.glob(f"{report.name}.*")):
        measured = json.loads(part.read_text(encoding="utf-8"))
        for name, (wall_s, cpu_s) in measured["modules"].items():
            totals = modules.setdefault(name, [0.0, 0.0])
            totals[0] += wall_s
            totals[1] += cpu_s
        tests.update(measured["tests"])
    return modules, tests


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
        report = Path(tmp) / "modules.json"
        cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "bench_suite"]
        cmd += [f"--durations={args.top}", *pytest_args]
        scripts = str(Path(__file__).resolve().parent)
        path = os.pathsep.join(p for p in (scripts, os.environ.get("PYTHONPATH")) if p)
        env = {**os.environ, "PYTHONPATH": path, _REPORT_ENV: str(report)}
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=env)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        modules, tests = _merged_reports(report)
    summary = [line for line in done.stdout.splitlines() if " passed" in line or " failed" in line]
    print(
        f"pytest exit code      : {done.returncode}  ({summary[-1].strip('= ') if summary else 'no summary'})"
    )
    print(f"wall clock            : {wall:7.1f} s   (target for the whole suite: < 120 s on 2 cores)")
    print(f"CPU (user+sys, all)   : {cpu:7.1f} s")
    print(
        f"load average (1 min)  : {os.getloadavg()[0]:7.2f}   (other work on the machine inflates wall clock)"
    )
    in_tests = sum(w for w, _ in modules.values()), sum(c for _, c in modules.values())
    print(
        f"\ncostliest modules by CPU (of {len(modules)}; {in_tests[0]:.1f} s wall, {in_tests[1]:.1f} s CPU in tests):"
    )
    print("     CPU s   wall s  module")
    for name, (wall_s, cpu_s) in sorted(modules.items(), key=lambda item: -item[1][1])[: args.top]:
        print(f"  {cpu_s:7.1f}  {wall_s:7.1f}  {name}")
    print("\ncostliest tests by CPU (a module's fixtures count in its first test):")
    for name, cpu_s in sorted(tests.items(), key=lambda item: -item[1])[: args.top]:
        print(f"  {cpu_s:7.1f} s  {name}")
    print("\nslowest phases (pytest --durations, wall clock):")
    for line in durations(done.stdout, args.top):
        print(f"  {line}")
    if done.returncode not in (0, 5):
        print("\n" + "\n".join(done.stdout.splitlines()[-30:]), file=sys.stderr)
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
