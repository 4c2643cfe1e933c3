"""What a plan skips because it cannot change the plan: each is undone when the run ends.

`labctl plan` runs the program once, with no prior state, under mocks that record only what a resource's inputs
and options say. Pulumi's runtime still does work meant for a real deployment (migrating state across SDK
versions, pointing the engine at the line that declared a resource) and Python's cyclic garbage collector walks
every object the SDK imported over and over while the run makes hundreds of thousands of short-lived futures.
A 100-participant plan's program took 1.27 s of CPU with the aliases dropped and 0.78 s with all three shortcuts
(in one process, best of three; scripts/bench_plan.py --profile shows where the rest goes).
"""

from __future__ import annotations

import contextlib
import copy
import gc
import re
from collections.abc import Awaitable, Coroutine, Iterator
from typing import Any, TypeVar

import pulumi
import pulumi.runtime.mocks as pulumi_mocks
import pulumi.runtime.resource as pulumi_resource
from pulumi.runtime.proto import source_pb2

from labctl.interrupt_state import one_shot

T = TypeVar("T")

_VERSION_ALIAS = re.compile(r"^azure-native:[A-Za-z0-9]+/v\d{8}[a-z]*:[A-Za-z0-9]+$")


def is_api_version_alias(alias: object) -> bool:
    return (
        isinstance(alias, pulumi.Alias)
        and isinstance(alias.type_, str)
        and bool(_VERSION_ALIAS.fullmatch(alias.type_))
        and alias.name is ...
        and alias.parent is ...
        and alias.stack is ...
        and alias.project is ...
    )


@contextlib.contextmanager
def without_api_version_aliases() -> Iterator[None]:
    """azure-native gives every resource ~25 aliases to its older API-version type tokens, so existing state
    migrates across SDK upgrades. A plan has no prior state, so they can change nothing in it, yet resolving
    them is 80% of the program's run time (and grows with every participant). Only those aliases are dropped;
    aliases the project declares itself are kept."""
    original = pulumi.ResourceOptions.merge

    def merge(opts1: Any, opts2: Any) -> Any:
        if opts2 is not None and opts2.aliases:
            kept = [a for a in opts2.aliases if not is_api_version_alias(a)]
            if len(kept) != len(opts2.aliases):
                opts2 = copy.copy(opts2)
                opts2.aliases = kept or None
        return original(opts1, opts2)

    pulumi.ResourceOptions.merge = staticmethod(merge)  # type: ignore[method-assign]
    try:
        yield
    finally:
        pulumi.ResourceOptions.merge = original  # type: ignore[method-assign]


@contextlib.contextmanager
def without_source_positions() -> Iterator[None]:
    """Pulumi sends the engine the stack trace of each resource's declaration (for `pulumi up`'s messages),
    walking and formatting every frame: about 12% of a plan's time. The mock monitor records no position, so the
    plan sends an empty trace."""
    original = pulumi_resource._get_stack_trace
    pulumi_resource._get_stack_trace = source_pb2.StackTrace
    try:
        yield
    finally:
        pulumi_resource._get_stack_trace = original


@contextlib.contextmanager
def without_cyclic_gc() -> Iterator[None]:
    """The run allocates futures and tasks by the hundred thousand; each young-generation collection then also
    walks the SDK's ~150,000 long-lived objects: a third of a 100-participant plan's time. The run's garbage is
    freed by reference counting as it goes; what cycles remain are collected once it ends (a 1,000-participant
    plan peaks at 289 MB instead of 272 MB, and takes 7.0 s of CPU instead of 10.0 s).

    Turned back on, the collector walks at once every object the run left (34 ms at 100 participants, 0.7 s at
    1,000). A labctl process runs one command and ends: there it stays off and the process's end frees
    everything (labctl/entry.py); in a process that goes on (the tests' CliRunner) it is turned back on."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled and not one_shot():
            gc.enable()


def _completed(awaitable: Awaitable[T]) -> T:
    """The value of a coroutine that never waits: run to its end here, without the event loop."""
    if not isinstance(awaitable, Coroutine):
        raise TypeError(f"the mock monitor awaited {type(awaitable).__name__}, not a coroutine")
    try:
        awaitable.send(None)
    except StopIteration as done:
        return done.value
    awaitable.close()
    raise RuntimeError(
        "the mock monitor waited on the event loop (a resource reference in a mock's answer?): labctl plan runs "
        "the monitor inline and cannot wait there (labctl/plan/shortcuts.py)"
    )


@contextlib.contextmanager
def monitor_answers_inline() -> Iterator[None]:
    """Pulumi's mock monitor turns each answer into protobuf with `_sync_await(rpc.serialize_properties(...))`,
    which pumps the event loop of the thread it runs in. labctl plan runs the monitor inline, in the loop's own
    thread (labctl/plan/runtime.py's _InlineExecutor), where a nested pump could wait forever. The mocks answer
    with plain values (labctl/plan/mockcloud.py), whose serialisation never waits: it runs to its end at once."""
    original = pulumi_mocks._sync_await
    pulumi_mocks._sync_await = _completed
    try:
        yield
    finally:
        pulumi_mocks._sync_await = original


@contextlib.contextmanager
def plan_shortcuts() -> Iterator[None]:
    with (
        without_api_version_aliases(),
        without_source_positions(),
        without_cyclic_gc(),
        monitor_answers_inline(),
    ):
        yield
