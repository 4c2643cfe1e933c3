"""What a plan skips because it cannot change the plan: each is undone when the run ends.

`labctl plan` runs the program once, with no prior state, under mocks that record only what a resource's inputs
and options say. Pulumi's runtime still does work meant for a real deployment (migrating state across SDK
versions, pointing the engine at the line that declared a resource, a URN computed for a monitor that is not
there, debug lines for the engine), keeps per-Output bookkeeping built for threads the plan doesn't have, works
out a class's property names and types again for every resource, and Python's cyclic garbage collector walks
every object the SDK imported over and over while the run makes hundreds of thousands of short-lived futures.
A 1,000-participant plan's program took 3.2 s of CPU with the first four shortcuts and 2.05 s with all of them
(the fastest of five taken in turns, on a busy machine); counted in instructions, which a busy machine doesn't
change, a participant went from 15.7 M to 9.4 M (scripts/bench_plan.py --instructions, --profile for where the
rest goes).

Several stand in for Pulumi SDK internals (`Output._track`, `rpc.transfer_properties`, `runtime.resource.create_urn`,
`pulumi._types`' lookups): tests/labctl/plan/test_shortcut_equivalence.py plans the lab with and without them and
compares the snapshots byte for byte, plays failing programs against both, checks the internals still have the
shape these replace, and that every one is put back after a plan.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import functools
import gc
import re
import typing
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from typing import Any, TypeVar

import pulumi
import pulumi._types as pulumi_types
import pulumi.log as pulumi_log
import pulumi.runtime.mocks as pulumi_mocks
import pulumi.runtime.resource as pulumi_resource
import pulumi.runtime.rpc as pulumi_rpc
from pulumi.output import Output, _OutputData
from pulumi.runtime.proto import source_pb2

from labctl.interrupt_state import one_shot

T = TypeVar("T")


@contextlib.contextmanager
def _replaced(owner: object, name: str, stand_in: object) -> Iterator[None]:
    """`owner.name` is `stand_in` for the run, and what it was again afterwards, however the run ends."""
    original = getattr(owner, name)
    setattr(owner, name, stand_in)
    try:
        yield
    finally:
        setattr(owner, name, original)


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

    # A plain function, as the SDK's is: both `ResourceOptions.merge(a, b)` and `a.merge(b)` must work.
    with _replaced(pulumi.ResourceOptions, "merge", merge):
        yield


@contextlib.contextmanager
def without_source_positions() -> Iterator[None]:
    """Pulumi sends the engine the stack trace of each resource's declaration (for `pulumi up`'s messages),
    walking and formatting every frame: about 12% of a plan's time. The mock monitor records no position, so the
    plan sends an empty trace."""
    with _replaced(pulumi_resource, "_get_stack_trace", source_pb2.StackTrace):
        yield


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
    thread (labctl/plan/event_loop.py's InlineLoop), where a nested pump could wait forever. The mocks answer
    with plain values (labctl/plan/mockcloud.py), whose serialisation never waits: it runs to its end at once."""
    with _replaced(pulumi_mocks, "_sync_await", _completed):
        yield


class TrackedOutputs:
    """Every Output of the run, in the order they were made, and whether its failure fails `pulumi up` (an Output
    another took over, with `apply` or `recover`, leaves that to the one that took it over)."""

    def __init__(self) -> None:
        self._futures: dict[asyncio.Future[Any], bool] = {}

    def track(self, future: asyncio.Future[Any]) -> None:
        self._futures[future] = True

    def untrack(self, future: asyncio.Future[Any]) -> None:
        if future in self._futures:
            self._futures[future] = False

    def first_failure(self) -> BaseException | None:
        """What the runtime's final wait (pulumi/runtime/stack.py wait_for_rpcs) raises: a tracked Output's error,
        the first made (the SDK's set gives no order). Asked once every task of the run has finished."""
        first: BaseException | None = None
        for future, reports in self._futures.items():
            if not future.done():
                continue
            # Every error is looked at, as the SDK's done-callback does, so asyncio reports none as "never retrieved".
            error = (
                RuntimeError("an Output of the program was cancelled before it had a value")
                if future.cancelled()
                else future.exception()
            )
            if reports and first is None:
                first = error
        return first


@contextlib.contextmanager
def outputs_tracked_by_the_plan() -> Iterator[TrackedOutputs]:
    """Pulumi tracks every Output so that one failing (an `apply` that raises) fails the program at its end: each
    Output takes a lock and two context-variable lookups to join a shared set, and a done-callback (one more turn
    of the event loop) to leave it. That was a sixth of a big class's plan, for a lock the plan's single thread
    never contends. The plan keeps them in an ordered dict instead; an Output another takes over (`apply`) or
    that recovers (`recover`) is marked as no longer reporting, and labctl/plan/runtime.py's `run_program`
    raises the first failure when the run is over, the error the runtime's own wait would have raised. They are
    kept until then (the SDK drops settled ones as it goes): a 1,000-participant plan still peaks lower than
    before, having fewer futures and tasks in all."""
    tracked = TrackedOutputs()

    def track(self: Output[Any]) -> None:
        tracked.track(self._data)

    def untrack(self: Output[Any]) -> None:
        tracked.untrack(self._data)

    with _replaced(Output, "_track", track), _replaced(Output, "_untrack", untrack):
        yield tracked


def _property_output(
    res: pulumi.Resource,
    data: asyncio.Future[_OutputData[Any]],
    value: Any,
    is_known: bool,
    is_secret: bool,
    deps: set[pulumi.Resource] | None,
    failed: Exception | None,
) -> None:
    """A registered resource's answer for one property, as rpc.transfer_properties's resolver settles it."""
    if failed is not None:
        data.set_exception(failed)
        return
    resources = set(deps) if deps else set()
    resources.add(res)
    data.set_result(_OutputData(resources=resources, value=value, is_known=is_known, is_secret=is_secret))


def _transfer_properties(
    res: pulumi.Resource, props: pulumi.Inputs, custom: bool
) -> dict[str, pulumi_rpc.Resolver]:
    """pulumi.runtime.rpc.transfer_properties, each property's Output made from one future (as the SDK makes a
    resource's `urn` and `id`, runtime/resource.py resource_output) instead of four futures and a task that
    waits on them: the same value, known and secret flags, dependencies and error, one turn of the loop sooner
    (no task in between). A plan records registrations, not when callbacks ran."""
    resolvers: dict[str, pulumi_rpc.Resolver] = {}
    loop = asyncio.get_running_loop()
    for name in props:
        if name == "urn" or (name == "id" and custom):
            continue  # the runtime makes these itself
        data: asyncio.Future[_OutputData[Any]] = loop.create_future()
        resolvers[name] = functools.partial(_property_output, res, data)
        res.__dict__[name] = Output._from_data(data)
    return resolvers


@contextlib.contextmanager
def outputs_from_one_future() -> Iterator[None]:
    """Every resource gets an Output for each of its properties, about 20 for an APIM subscription; the SDK builds
    each from four futures and a task that awaits them, a sixth of a big class's plan. The plan builds each from
    the one future the task would have produced."""
    with _replaced(pulumi_rpc, "transfer_properties", _transfer_properties):
        yield


def _create_urn(
    name: pulumi.Input[str],
    type_: pulumi.Input[str],
    parent: pulumi.Resource | pulumi.Input[str] | None = None,
    project: str | None = None,
    stack: str | None = None,
    *,
    original: Callable[..., Output[str]],
) -> Output[str]:
    if not (isinstance(name, str) and isinstance(type_, str) and isinstance(parent, str)):
        return original(name, type_, parent, project, stack)
    # The same string the SDK's create_urn builds from a parent URN: "<parent's prefix>$<type>::<name>".
    urn = f"{parent[: parent.rfind('::')]}${type_}::{name}"
    data: asyncio.Future[_OutputData[str]] = asyncio.get_running_loop().create_future()
    data.set_result(_OutputData(resources=set(), value=urn, is_known=True, is_secret=False))
    return Output._from_data(data)


@contextlib.contextmanager
def urns_computed_directly() -> Iterator[None]:
    """Before each registration the runtime computes the URN it would use were there no monitor (runtime/resource.py
    do_register's `mock_urn`), from the name, the type and the parent's URN, through four Outputs and their tasks;
    with a monitor (the plan has one) the value is never used. Where all three are plain text the plan computes
    the same string at once; anything else goes the SDK's way."""
    with _replaced(
        pulumi_resource, "create_urn", functools.partial(_create_urn, original=pulumi_resource.create_urn)
    ):
        yield


# Pure functions of a class or a type annotation that the runtime asks again for every resource it registers and
# every property it serialises (they walk annotations and typing objects each time). The SDK caches others of
# the kind itself (pulumi/_types.py's functools.cache); the callers only read what they return.
_TYPE_LOOKUPS = (
    "unwrap_type",
    "_is_union_type",
    "resource_types",
    "resource_pulumi_to_py_names",
    "resource_py_to_pulumi_names",
)


def _memoized(function: Callable[[Any], T]) -> Callable[[Any], T]:
    # Keyed by the arguments too: typing's Union is equal to its reorderings, and the SDK's unwrap_type reads the
    # order (Union[int, Awaitable[int], Output[int]] unwraps to int, Union[Awaitable[int], int, ...] does not).
    answers: dict[Any, T] = {}

    @functools.wraps(function)
    def lookup(key: Any) -> T:
        try:
            slot = (key, type(key), typing.get_args(key))
            known = slot in answers
        except TypeError:  # an annotation that can't be a dict key: asked every time, as before
            return function(key)
        if not known:
            answers[slot] = function(key)
        return answers[slot]

    return lookup


@contextlib.contextmanager
def type_lookups_memoized() -> Iterator[None]:
    """A class's property names and types, and what an annotation unwraps to, do not change while a plan runs:
    each is worked out once per run instead of once per resource or property (a tenth of a participant)."""
    with contextlib.ExitStack() as lookups:
        for name in _TYPE_LOOKUPS:
            lookups.enter_context(_replaced(pulumi_types, name, _memoized(getattr(pulumi_types, name))))
        yield


@contextlib.contextmanager
def without_debug_messages() -> Iterator[None]:
    """The runtime logs a few debug lines per resource to the engine; the plan's mock engine hands them to a logger
    that drops anything below INFO (labctl/plan/runtime.py's _mock_runtime). The plan skips sending them."""
    with _replaced(pulumi_log, "debug", _drop):
        yield


def _drop(*_args: Any, **_kwargs: Any) -> None:
    return None


@contextlib.contextmanager
def plan_shortcuts() -> Iterator[TrackedOutputs]:
    with (
        without_api_version_aliases(),
        without_source_positions(),
        without_cyclic_gc(),
        monitor_answers_inline(),
        outputs_from_one_future(),
        urns_computed_directly(),
        without_debug_messages(),
        type_lookups_memoized(),
        outputs_tracked_by_the_plan() as tracked,
    ):
        yield tracked
