"""`labctl smoke --wait MINUTES`: ready when it says ready.

Right after `pulumi up` the gateway's managed identity is often still denied by Azure OpenAI: role assignments take
minutes to propagate (the smoke diagnosis "role not propagated"), and a deployment created minutes ago can still
answer DeploymentNotFound. With --wait, smoke runs again every interval while every failure is one of those, up to
MINUTES in all (the command's overall deadline), and reports how long the lab took to become ready.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rich.console import Console

from labctl.lifecycle.smoke_probe import ProbeResult

# Failures that go away by themselves minutes after `pulumi up`.
TRANSIENT_CAUSES = frozenset({"role not propagated", "DeploymentNotFound"})
DEFAULT_INTERVAL_S = 20.0


@dataclass(frozen=True)
class WaitOutcome:
    results: list[ProbeResult]
    attempts: int
    waited_s: float  # from the first call to the last attempt's end

    @property
    def still_propagating(self) -> bool:
        return propagating(self.results)


def propagating(results: Sequence[ProbeResult]) -> bool:
    """Some call failed, and every failure is one that time fixes."""
    failed = [r for r in results if not r.ok]
    return bool(failed) and all(r.cause in TRANSIENT_CAUSES for r in failed)


def smoke_until_ready(
    run: Callable[[], list[ProbeResult]],
    *,
    wait_s: float,
    interval_s: float = DEFAULT_INTERVAL_S,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    on_retry: Callable[[int, list[ProbeResult], float], None] | None = None,
) -> WaitOutcome:
    """Run `run` until no failure is a propagating one, or until another attempt would end after `wait_s`."""
    start = clock()
    attempts = 0
    while True:
        results = run()
        attempts += 1
        waited = clock() - start
        if not propagating(results) or waited + interval_s > wait_s:
            return WaitOutcome(results, attempts, waited)
        if on_retry is not None:
            on_retry(attempts, results, waited)
        sleep(interval_s)


def describe_wait(outcome: WaitOutcome, wait_s: float) -> str:
    """One line for the end of the run (plain text: the caller prints it without markup)."""
    took = duration(outcome.waited_s)
    failed = [r for r in outcome.results if not r.ok]
    if failed and not outcome.still_propagating:
        return (
            f"not ready after {took} ({outcome.attempts} attempt(s)): {len(failed)} call(s) failed for a reason "
            "waiting does not fix (see the likely causes above)"
        )
    if outcome.still_propagating:
        return (
            f"still not ready after {took} ({outcome.attempts} attempts, --wait {duration(wait_s)}): the gateway's "
            "role or a deployment has not propagated yet; wait longer, or check the role assignment"
        )
    if outcome.attempts == 1:
        return "ready at the first attempt"
    return f"ready after {took} ({outcome.attempts} attempts)"


def duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes} min {secs} s" if minutes else f"{secs} s"


def smoke_with_wait(
    attempt: Callable[[], list[ProbeResult]],
    wait_minutes: float,
    console: Console,
    *,
    interval_s: float | None = None,
) -> tuple[list[ProbeResult], str]:
    """The last round's results and a one-line summary of the wait ("" without --wait: one round, no summary)."""
    if wait_minutes <= 0:
        return attempt(), ""

    def retrying(n: int, results: list[ProbeResult], waited: float) -> None:
        bad = sum(1 for r in results if not r.ok)
        console.print(
            f"attempt {n}: {bad} call(s) still denied or not found (propagating); trying again "
            f"({duration(waited)} so far)",
            markup=False,
            highlight=False,
        )

    outcome = smoke_until_ready(
        attempt,
        wait_s=wait_minutes * 60,
        interval_s=DEFAULT_INTERVAL_S if interval_s is None else interval_s,
        on_retry=retrying,
    )
    return outcome.results, describe_wait(outcome, wait_minutes * 60)
