"""The event loop `labctl plan` runs the program in: RPCs answered inline, and no task left behind when the run
ends (labctl/plan/runtime.py)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")


class InlineLoop(asyncio.SelectorEventLoop):
    """An event loop whose `run_in_executor` runs the call at once, in the loop's own thread, and hands back a
    settled future.

    Pulumi sends every RPC to the default executor so a real engine's gRPC calls never block the event loop; the
    mock monitor answers from memory, and a thread hand-off per call (a wake-up of the loop's self-pipe included)
    cost more than the answer: 12% of a 100-participant plan's CPU. Its answers never wait on the loop (see
    `monitor_answers_inline` in labctl/plan/shortcuts.py), so calling them inline cannot deadlock. (No thread is
    involved, so a concurrent future wrapped for the loop, with its thread-safe wake-up, is not needed either.)"""

    def run_in_executor(self, executor: Any, func: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        if executor is not None:  # a pool someone chose on purpose: theirs, as asyncio would use it
            return super().run_in_executor(executor, func, *args)
        future: asyncio.Future[T] = self.create_future()
        try:
            future.set_result(func(*args))
        except BaseException as exc:  # handed to the awaiting coroutine, as a thread's failure would be
            future.set_exception(exc)
        return future


@contextlib.contextmanager
def own_event_loop() -> Iterator[asyncio.AbstractEventLoop]:
    """A loop of our own, closed when the run ends, whose RPCs run inline (no threads, so no loop per thread that
    nobody closes: the cyclic GC would free such a loop later, and when its self-pipe socket went first,
    `BaseEventLoop.__del__` printed "ValueError: Invalid file descriptor: -1")."""
    loop = InlineLoop()
    asyncio.set_event_loop(loop)
    try:
        yield loop
    finally:
        loop.close()
        asyncio.set_event_loop(None)


async def every_task_finished() -> None:
    """Let every other task of the loop finish, one gather per wave of new tasks. Failures surface where the
    runtime would report them: its RPC wait, or an Output's error after the run (run_program)."""
    current = asyncio.current_task()
    seen: set[asyncio.Task[Any]] = set()
    while wave := [t for t in asyncio.all_tasks() if t is not current and not t.done() and t not in seen]:
        seen.update(wave)
        await asyncio.gather(*wave, return_exceptions=True)


def cancel_what_is_left(loop: asyncio.AbstractEventLoop) -> None:
    """After a failure, the tasks still pending are cancelled, as `asyncio.run` does, so none is destroyed pending
    with the loop; waiting for them could wait for ever (a task the program started that never ends)."""
    for _ in range(10):  # a task that starts another as it is cancelled gets a few more rounds, not a spin
        left = [task for task in asyncio.all_tasks(loop) if not task.done()]
        if not left:
            return
        for task in left:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*left, return_exceptions=True))


def finish_what_is_left(loop: asyncio.AbstractEventLoop) -> None:
    """After a run that worked, every task still pending is run to its end, as the runtime's final wait on every
    Output did (labctl/plan/shortcuts.py tracks Outputs without it): an `apply` that sleeps in a `pulumi.run`
    entry point, say. None is then destroyed pending with the loop."""
    loop.run_until_complete(every_task_finished())
