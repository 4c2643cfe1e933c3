"""Benchmark: does `labctl preflight` over 8 regions, with Resource Manager validation, take less than twice the time
of 1 region (issue 12 asks for 2.5x)?

A fake Azure Resource Manager on loopback HTTPS answers every call after 200 ms (like a slow ARM); preflight runs
end to end (config, sign-in, the real azure-mgmt-cognitiveservices client, decision, table) for a stack with one
candidate region and for one with eight. Regions are queried concurrently, so the ratio should stay near 1.

    uv run python scripts/bench_preflight.py [--delay 0.2] [--runs 3]
"""

from __future__ import annotations

import io
import shutil
import time
from pathlib import Path

from bench_arm_setup import REGIONS, ROOT, fake_arm, one_vs_eight, parse_args, report
from rich.console import Console

from labctl.context import CommandContext
from labctl.preflight.command import run_preflight
from tests.support.fake_arm import SUBSCRIPTION, FakeArm, catalog, quotas
from tests.support.fake_azure import FakeCredential


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
    args = parse_args(__doc__)
    with fake_arm(args.delay, "bench-preflight-") as bench:
        project = bench.work / "project"
        project.mkdir()
        shutil.copy(ROOT / "Pulumi.yaml", project / "Pulumi.yaml")
        _stack(project, "one", REGIONS[:1])
        _stack(project, "eight", REGIONS)
        # The model and usage lists: one page per list, two calls per region, each answered after the delay
        # (FakeArm's catch-all is registered after the validation fake's routes).
        arm = FakeArm(bench.server, page_size=1000, delay_s=args.delay)
        for region in REGIONS:
            arm.region(region, catalog(), quotas())
        stacks = {1: "one", len(REGIONS): "eight"}
        one, eight = one_vs_eight(lambda regions: _time(stacks[len(regions)], project, arm), args.runs)
    report(one, eight, delay_s=args.delay, runs=args.runs, target=2)


if __name__ == "__main__":
    main()
