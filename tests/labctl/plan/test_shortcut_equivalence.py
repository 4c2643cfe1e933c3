"""The plan's stand-ins for Pulumi SDK internals (labctl/plan/shortcuts.py) change nothing a plan shows: the same
lab planned with the stock SDK gives a byte-identical snapshot, and a program that fails still fails, with the
same message."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import dataclasses
import gc
import inspect
import json
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, Union

import pulumi
import pulumi._types as pulumi_types
import pulumi.log as pulumi_log
import pulumi.runtime.mocks as pulumi_mocks
import pulumi.runtime.resource as pulumi_resource
import pulumi.runtime.rpc as pulumi_rpc
import pytest
from pulumi.output import Output
from pulumi_random import RandomPassword

from labctl.plan import runtime
from labctl.plan.event_loop import InlineLoop
from labctl.plan.runtime import PlanError, run_program
from labctl.plan.shortcuts import (
    _TYPE_LOOKUPS,
    TrackedOutputs,
    monitor_answers_inline,
    type_lookups_memoized,
    without_api_version_aliases,
)
from stacks.program import run
from tests.conftest import _flatten


@contextlib.contextmanager
def _stock_sdk() -> Iterator[TrackedOutputs]:
    # Only what running the monitor inline needs (labctl/plan/event_loop.py's InlineLoop), and the alias
    # shortcut, which has its own test (test_plan.py) and without which a plan takes five times as long. The
    # SDK's own Output tracking runs: the tracker handed back stays empty.
    with monitor_answers_inline(), without_api_version_aliases():
        yield TrackedOutputs()


@pytest.fixture(params=["shortcuts", "stock SDK"])
def runtime_kind(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "stock SDK":
        monkeypatch.setattr(runtime, "plan_shortcuts", _stock_sdk)
    return request.param


@pytest.fixture
def refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """The mock cloud refuses the resource named "refused", as Azure refuses one over quota."""
    from labctl.plan.mockcloud import AzureMocks

    answer = AzureMocks.new_resource

    def refuse_one(self: AzureMocks, args: Any) -> Any:
        if args.name == "refused":
            raise RuntimeError("quota exceeded for refused")
        return answer(self, args)

    monkeypatch.setattr(AzureMocks, "new_resource", refuse_one)


def _class_config(dev_config: dict[str, Any]) -> dict[str, Any]:
    """A class with what makes a plan's Outputs differ: many participants, one suspended with limits of its own and a
    new key, a lab spread over two regions, a content filter and Foundry projects."""
    from tests.support.catalog_model import FOUNDRY_MODEL

    config = copy.deepcopy(dev_config)
    config["aoai-lab:participants"] = [
        {"name": f"student{i:02d}", "email": f"student{i:02d}@contoso.edu"} for i in range(12)
    ] + [
        {
            "name": "late",
            "email": "late@contoso.edu",
            "state": "suspended",
            "rotation": 2,
            "limits": {"tokensPerMinute": 2000},
        }
    ]
    config["aoai-lab:location"] = [
        {"region": "eastus2", "capacity": {"chat": 150, "embeddings": 50}},
        {"region": "swedencentral", "capacity": {"chat": 300}},
    ]
    config["aoai-lab:regions"] = ["eastus2", "swedencentral"]
    config["aoai-lab:accountKind"] = "AIServices"
    config["aoai-lab:deployments"][0]["raiPolicy"] = "class-filter"
    config["aoai-lab:deployments"].append({**FOUNDRY_MODEL, "raiPolicy": "class-filter"})
    config["aoai-lab:contentFilter"] = {"name": "class-filter", "prompt": {"violence": "high"}}
    config["aoai-lab:foundryProjects"] = [{"name": "team-a", "people": ["ana-garcia"]}]
    return config


@pytest.mark.parametrize("stack", ["dev", "class"])
def test_the_stock_sdk_plans_the_same_bytes(stack: str, dev_config: dict[str, Any], monkeypatch) -> None:
    config = dev_config if stack == "dev" else _class_config(dev_config)

    def plan() -> str:
        return run_program(run, project="aoai-lab", stack="dev", config=_flatten(config)).to_json()

    with_shortcuts = plan()
    monkeypatch.setattr(runtime, "plan_shortcuts", _stock_sdk)
    assert plan() == with_shortcuts
    if stack == "class":  # the variant really is one: spread, Foundry, a filter and 13 subscriptions
        kinds = [r["type"].rsplit(":", 1)[-1] for r in json.loads(with_shortcuts)["deployment"]["resources"]]
        assert kinds.count("Subscription") == 13 and kinds.count("Account") == 2
        assert "Project" in kinds and "RaiPolicy" in kinds


def _plan(program: Callable[[], None]) -> runtime.Plan:
    return run_program(program, project="aoai-lab", stack="unit", config={})


def test_an_apply_that_raises_fails_the_plan(runtime_kind: str) -> None:
    def program() -> None:
        RandomPassword("key", length=8).result.apply(lambda _: 1 / 0)

    with pytest.raises(PlanError, match=r"^ZeroDivisionError: division by zero$"):
        _plan(program)


def test_a_failure_further_down_a_chain_fails_the_plan(runtime_kind: str) -> None:
    def program() -> None:
        failed = pulumi.Output.from_input("x").apply(lambda _: {}["region"])
        failed.apply(len).apply(str)  # the derived Outputs take the failure over

    with pytest.raises(PlanError, match=r"^KeyError: 'region'$"):
        _plan(program)


def test_an_export_that_raises_fails_the_plan_and_does_not_hang(runtime_kind: str) -> None:
    # The runtime re-raises it from within its own handling: the cause chain loops back on itself, and the plan's
    # error reporting once followed it for ever.
    def program() -> None:
        pulumi.export("endpoint", pulumi.Output.from_input(1).apply(lambda _: {}["endpoint"]))

    with pytest.raises(PlanError, match=r"^KeyError: 'endpoint'$"):
        _plan(program)


def test_a_recovered_failure_does_not_fail_the_plan(runtime_kind: str) -> None:
    def program() -> None:
        recovered = pulumi.Output.from_input(1).apply(lambda _: 1 / 0).recover(lambda _: "fallback")
        pulumi.export("value", recovered)

    assert _plan(program).outputs == {"value": "fallback"}


def test_a_registration_azure_refuses_fails_the_plan_and_its_outputs(
    runtime_kind: str, refused: None
) -> None:
    applied: list[Any] = []

    def program() -> None:
        RandomPassword("refused", length=8).result.apply(applied.append)

    with pytest.raises(PlanError, match="quota exceeded for refused"):
        _plan(program)
    assert applied == []  # its outputs failed with it: nothing ran on a value that never came


def test_a_resources_outputs_carry_its_value_dependency_and_secrecy(runtime_kind: str) -> None:
    # As Azure's answer comes back: a secret input stays secret in the output, a plain one does not.
    seen: dict[str, Any] = {}
    looks: list[Any] = []  # the tasks, held so they run to their end

    async def look(name: str, output: Output[Any]) -> None:
        seen[name] = (
            await output.future(),
            {r._name for r in await output.resources()},
            await output.is_secret(),
            await output.is_known(),
        )

    def program() -> None:
        key = RandomPassword("key", length=8, override_special=pulumi.Output.secret("!#"))
        looks.extend(
            asyncio.ensure_future(look(name, output))
            for name, output in [("length", key.length), ("override_special", key.override_special)]
        )

    _plan(program)
    assert seen == {"length": (8, {"key"}, False, True), "override_special": ("!#", {"key"}, True, True)}


def test_the_plans_urn_is_the_sdks(runtime_kind: str) -> None:
    # The URN the runtime computes before each registration (a parent's URN as text: the shortcut's case), and
    # the cases it hands to the SDK.
    urns: dict[str, tuple[str, str]] = {}
    comparisons: list[Any] = []  # the tasks, held so they run to their end

    async def compare(label: str, *args: Any) -> None:
        ours = await pulumi_resource.create_urn(*args).future()
        sdks = await pulumi.resource.create_urn(*args).future()  # bound at import: never replaced
        urns[label] = (ours, sdks)

    def program() -> None:
        parent = RandomPassword("parent", length=8)
        text = "urn:pulumi:unit::aoai-lab::aoai-lab:components:AiGateway::gateway"
        cases = [
            ("text parent", "gateway-sub-ana", "azure-native:apimanagement:Subscription", text),
            ("resource parent", "child", "random:index/randomPassword:RandomPassword", parent),
            ("no parent", "top", "random:index/randomPassword:RandomPassword"),
        ]
        comparisons.extend(asyncio.ensure_future(compare(*case)) for case in cases)

    _plan(program)
    assert urns["text parent"][0] == (
        "urn:pulumi:unit::aoai-lab::aoai-lab:components:AiGateway$azure-native:apimanagement:Subscription"
        "::gateway-sub-ana"
    )
    assert {label: ours == sdks for label, (ours, sdks) in urns.items()} == {
        "text parent": True,
        "resource parent": True,
        "no parent": True,
    }


def test_the_sdk_internals_still_have_the_shape_the_shortcuts_replace() -> None:
    # A Pulumi upgrade that changes them fails here, not in a plan that silently differs from `pulumi up`.
    assert list(inspect.signature(pulumi_rpc.transfer_properties).parameters) == ["res", "props", "custom"]
    assert list(inspect.signature(pulumi_resource.create_urn).parameters) == [
        "name",
        "type_",
        "parent",
        "project",
        "stack",
    ]
    assert "mock_urn = await create_urn(name, ty, resolver.parent_urn).future()" in inspect.getsource(
        pulumi_resource.register_resource
    )
    assert "self._track()" in inspect.getsource(Output.__init__)
    assert "out._track()" in inspect.getsource(Output._from_data)
    assert "self._untrack()" in inspect.getsource(Output.apply)
    assert "self._untrack()" in inspect.getsource(Output.recover)
    # Looked up on their modules at each call, so replacing them there reaches the runtime.
    registration = inspect.getsource(pulumi_resource)
    assert "rpc.transfer_properties(res, props, custom)" in registration
    assert "log.debug(" in registration
    assert "_types.unwrap_type(typ)" in inspect.getsource(pulumi_rpc.serialize_property)
    assert "_types.resource_types(resource_cls)" in inspect.getsource(pulumi_rpc.resolve_outputs)
    assert {f.name for f in dataclasses.fields(pulumi.output._OutputData)} == {
        "resources",
        "value",
        "is_known",
        "is_secret",
    }


def test_a_failed_plan_leaves_no_task_behind(runtime_kind: str, caplog, recwarn) -> None:
    # A config error raises before the stack's own registration has started; a task left pending is reported
    # ("Task was destroyed but it is pending!", "coroutine ... was never awaited") when the closed loop is collected.
    def program() -> None:
        raise ValueError("aoai-lab:owner is not an e-mail address")

    with pytest.raises(PlanError, match="aoai-lab:owner"):
        _plan(program)
    gc.collect()
    assert [r.getMessage() for r in caplog.records if "destroyed" in r.getMessage()] == []
    assert [str(w.message) for w in recwarn if "never awaited" in str(w.message)] == []


@pytest.mark.parametrize(
    ("late", "expected"),
    [("warns", None), ("declares", None), ("raises", "KeyError: 'late'")],
)
def test_an_async_entry_point_runs_to_its_end(runtime_kind: str, late: str, expected: str | None) -> None:
    # `pulumi.run(main)`: its applies can take real time after the program itself has returned.
    async def later(value: int) -> int:
        await asyncio.sleep(0.01)
        if late == "warns":
            pulumi.log.warn("the class starts tomorrow")
        elif late == "declares":
            RandomPassword("late", length=8)
        else:
            raise KeyError("late")
        return value

    def program() -> None:
        async def main() -> dict[str, Any]:
            pulumi.Output.from_input(1).apply(later)
            return {}

        pulumi.run(main)

    if expected is not None:
        with pytest.raises(PlanError, match=f"^{expected}$"):
            _plan(program)
        return
    plan = _plan(program)
    if late == "warns":
        assert plan.warnings == ["the class starts tomorrow"]
    else:
        assert [
            r["urn"].rsplit("::", 1)[-1] for r in plan.by_type("random:index/randomPassword:RandomPassword")
        ] == ["late"]


def test_a_failed_output_is_reported_before_the_programs_own_error(runtime_kind: str) -> None:
    # As the runtime's final wait does (pulumi/runtime/stack.py run_pulumi_func): the Output's error, not the one
    # the program raised after it.
    def program() -> None:
        pulumi.Output.from_input(1).apply(lambda _: 1 / 0)
        raise ValueError("aoai-lab:owner is not an e-mail address")

    with pytest.raises(PlanError, match=r"^ZeroDivisionError: division by zero$"):
        _plan(program)


def _replaced_attributes() -> dict[str, object]:
    return {
        "Output._track": Output.__dict__["_track"],
        "Output._untrack": Output.__dict__["_untrack"],
        "ResourceOptions.merge": pulumi.ResourceOptions.__dict__["merge"],
        "rpc.transfer_properties": pulumi_rpc.transfer_properties,
        "resource.create_urn": pulumi_resource.create_urn,
        "resource._get_stack_trace": pulumi_resource._get_stack_trace,
        "mocks._sync_await": pulumi_mocks._sync_await,
        "log.debug": pulumi_log.debug,
        **{f"_types.{name}": getattr(pulumi_types, name) for name in _TYPE_LOOKUPS},
    }


@pytest.mark.parametrize("fails", [False, True])
def test_every_replaced_sdk_function_is_back_after_a_plan(fails: bool) -> None:
    # Tests and `labctl preflight` plan more than once per process, and a program may run under the real
    # runtime afterwards: nothing of a plan may stay in the SDK, whether the program worked or not.
    before = _replaced_attributes()

    def program() -> None:
        RandomPassword("key", length=8)
        if fails:
            raise ValueError("aoai-lab:owner is not an e-mail address")

    if fails:
        with pytest.raises(PlanError):
            _plan(program)
    else:
        _plan(program)
    after = _replaced_attributes()
    assert {name: after[name] is function for name, function in before.items()} == dict.fromkeys(before, True)


@pytest.mark.timeout(60)
def test_a_failed_program_with_a_task_that_never_ends_still_fails(runtime_kind: str) -> None:
    def program() -> None:
        asyncio.ensure_future(asyncio.Event().wait())  # noqa: RUF006 the point is that nobody waits for it
        raise ValueError("aoai-lab:owner is not an e-mail address")

    with pytest.raises(PlanError, match="aoai-lab:owner"):
        _plan(program)


def test_ctrl_c_in_a_program_is_not_a_plan_error_and_leaves_no_task(
    runtime_kind: str, caplog, recwarn
) -> None:
    def program() -> None:
        RandomPassword("key", length=8)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _plan(program)
    gc.collect()
    assert [r.getMessage() for r in caplog.records if "destroyed" in r.getMessage()] == []
    assert [str(w.message) for w in recwarn if "never awaited" in str(w.message)] == []


def test_a_refused_registration_is_reported_before_a_failed_output(runtime_kind: str, refused: None) -> None:

    def program() -> None:
        pulumi.Output.from_input(1).apply(lambda _: 1 / 0)
        RandomPassword("refused", length=8)

    with pytest.raises(PlanError, match="quota exceeded for refused"):
        _plan(program)


def test_options_merge_both_ways_during_a_plan(runtime_kind: str) -> None:
    merged: list[Any] = []

    def program() -> None:
        first = pulumi.ResourceOptions(protect=True)
        second = pulumi.ResourceOptions(ignore_changes=["tags"])
        merged.append(first.merge(second))  # the instance form the SDK documents
        merged.append(pulumi.ResourceOptions.merge(None, second))

    _plan(program)
    assert [(m.protect, m.ignore_changes) for m in merged] == [(True, ["tags"]), (None, ["tags"])]


def test_memoized_type_lookups_tell_reordered_unions_apart() -> None:
    known_first = Union[int, Awaitable[int], Output[int]]  # noqa: UP007 the typing forms the SDK generates
    known_last = Union[Awaitable[int], int, Output[int]]  # noqa: UP007
    assert known_first == known_last  # typing ignores the order; the SDK's unwrap_type does not
    expected = [pulumi_types.unwrap_type(known_first), pulumi_types.unwrap_type(known_last)]
    with type_lookups_memoized():
        answers = [pulumi_types.unwrap_type(known_first), pulumi_types.unwrap_type(known_last)]
        again = [pulumi_types.unwrap_type(known_first), pulumi_types.unwrap_type(known_last)]
    assert answers == again == expected
    assert expected[0] is int


def test_a_pool_passed_on_purpose_still_runs_the_call_in_its_thread() -> None:
    import threading
    from concurrent.futures import ThreadPoolExecutor

    loop = InlineLoop()
    try:
        with ThreadPoolExecutor(max_workers=1) as pool:
            in_pool = loop.run_until_complete(loop.run_in_executor(pool, threading.get_ident))
        inline = loop.run_until_complete(loop.run_in_executor(None, threading.get_ident))
    finally:
        loop.close()
    assert inline == threading.get_ident() != in_pool
