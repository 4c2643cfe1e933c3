"""`labctl plan`: run the real Pulumi program under Pulumi's mock runtime and capture what Azure would receive.

The snapshot has the shape of `pulumi stack export` (deployment.resources[] with urn, type, custom, parent,
dependencies, inputs; the stack outputs on the pulumi:pulumi:Stack resource), with secrets as "[secret]".
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import threading
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from google.protobuf import json_format
from google.protobuf.struct_pb2 import Struct
from pulumi.runtime import config as runtime_config
from pulumi.runtime import mocks, settings
from pulumi.runtime.stack import run_in_stack
from pulumi.runtime.sync_await import _sync_await

from labctl.plan.event_loop import (
    cancel_what_is_left,
    every_task_finished,
    finish_what_is_left,
    own_event_loop,
)
from labctl.plan.mockcloud import AzureMocks
from labctl.plan.shortcuts import TrackedOutputs, plan_shortcuts
from labctl.project import PROJECT_DIR, project_name, read_stack_config
from labctl.snapshot import SECRET, STACK_TYPE, UNKNOWN

# Signatures of the Pulumi wire format (sdk/go/common/resource/sig).
_SIG_KEY = "4dabf18193072939515e22adb298388d"
_SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
_RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
_UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"

# The Pulumi runtime keeps per-program state in process globals: one plan at a time per process.
_LOCK = threading.Lock()


class PlanError(Exception):
    """The program failed under the mock runtime (a config error, or a bug); the message is for the user."""


def to_plain(value: Any, *, reveal: bool = False) -> Any:
    """Wire-format values -> JSON: secrets masked, resource references as URNs, whole floats as ints."""
    if isinstance(value, dict):
        sig = value.get(_SIG_KEY)
        if sig == _SECRET_SIG:
            return to_plain(value.get("value"), reveal=True) if reveal else SECRET
        if sig == _RESOURCE_SIG:
            return value.get("urn", "")
        return {k: to_plain(v, reveal=reveal) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [to_plain(v, reveal=reveal) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if value == _UNKNOWN:
        return UNKNOWN
    return value


def _struct(message: Struct, *, reveal: bool = False) -> dict[str, Any]:
    return to_plain(json_format.MessageToDict(message), reveal=reveal) if message is not None else {}


@dataclass
class _Registration:
    urn: str
    type: str
    name: str
    custom: bool
    parent: str
    dependencies: list[str]
    inputs: dict[str, Any]
    additional_secret_outputs: list[str] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    # The stack outputs with secrets revealed: kept in memory for tests, never written to a snapshot.
    revealed_outputs: dict[str, Any] = field(default_factory=dict)


class _RecordingMonitor(mocks.MockMonitor):
    """The stock mock monitor, plus a record of every registration as the engine would receive it."""

    def __init__(self, mock: mocks.Mocks):
        super().__init__(mock)
        self.records: dict[str, _Registration] = {}
        self.order: list[str] = []

    def RegisterResource(self, request):
        urn = self.make_urn(request.parent, request.type, request.name)
        record = _Registration(
            urn=urn,
            type=request.type,
            name=request.name,
            custom=bool(request.custom),
            parent=request.parent,
            dependencies=sorted(set(request.dependencies)),
            inputs=_struct(request.object),
            additional_secret_outputs=sorted(request.additionalSecretOutputs),
        )
        if urn not in self.records:
            self.order.append(urn)
        self.records[urn] = record
        return super().RegisterResource(request)

    def RegisterResourceOutputs(self, request):
        if request.urn in self.records and self.records[request.urn].type == STACK_TYPE:
            self.records[request.urn].outputs = _struct(request.outputs)
            self.records[request.urn].revealed_outputs = _struct(request.outputs, reveal=True)
        return super().RegisterResourceOutputs(request)


@dataclass
class Plan:
    project: str
    stack: str
    resources: list[dict[str, Any]]
    warnings: list[str]
    # Stack outputs with secret values revealed (mock values): for tests only, never in a snapshot.
    revealed_outputs: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def outputs(self) -> dict[str, Any]:
        return next((r.get("outputs", {}) for r in self.resources if r["type"] == STACK_TYPE), {})

    def by_type(self, typ: str) -> list[dict[str, Any]]:
        return [r for r in self.resources if r["type"] == typ]

    def one(self, typ: str) -> dict[str, Any]:
        found = self.by_type(typ)
        if len(found) != 1:
            raise LookupError(f"expected one {typ}, found {len(found)}")
        return found[0]

    def by_urn(self, urn: str) -> dict[str, Any]:
        return next(r for r in self.resources if r["urn"] == urn)

    def snapshot(self) -> dict[str, Any]:
        return {
            "version": 3,
            "deployment": {
                "manifest": {
                    "generator": "labctl plan (Pulumi mock runtime)",
                    "project": self.project,
                    "stack": self.stack,
                },
                "resources": self.resources,
            },
        }

    def to_json(self) -> str:
        return json.dumps(self.snapshot(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _topological(records: dict[str, _Registration]) -> list[_Registration]:
    """Parents and dependencies before dependents, ties broken by URN: the order never depends on timing."""
    remaining = dict(records)
    done: set[str] = set()
    ordered: list[_Registration] = []
    while remaining:
        ready = sorted(
            urn
            for urn, r in remaining.items()
            if all(d in done or d not in records for d in [*r.dependencies, r.parent] if d)
        )
        if not ready:  # a cycle cannot come from Pulumi, but never loop forever
            ready = sorted(remaining)
        for urn in ready:
            ordered.append(remaining.pop(urn))
            done.add(urn)
    return ordered


class _LogCapture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def run_program(
    program: Callable[[], None],
    *,
    project: str,
    stack: str,
    config: dict[str, str],
    secret_keys: list[str] | None = None,
) -> Plan:
    """Run `program` under the mock runtime with `config` (flat `ns:key` -> string, as the CLI passes it)."""
    with _LOCK:
        monitor = _RecordingMonitor(AzureMocks())
        capture = _LogCapture()
        try:
            with (
                own_event_loop() as loop,
                _mock_runtime(monitor, capture, project, stack, config, secret_keys),
                # The runtime's own traces of a failing program: the PlanError below carries its message.
                contextlib.redirect_stderr(io.StringIO()),
                plan_shortcuts() as outputs,
            ):
                _run_to_its_end(program, loop, outputs)
        except Exception as exc:  # the program's own error: surface its message, not the runtime's trace
            raise PlanError(_program_error(exc)) from None
        records = _topological(monitor.records)
        return Plan(
            project=project,
            stack=stack,
            resources=[_snapshot_entry(r) for r in records],
            warnings=capture.messages,
            revealed_outputs=next((r.revealed_outputs for r in records if r.type == STACK_TYPE), {}),
        )


@contextlib.contextmanager
def _mock_runtime(
    monitor: _RecordingMonitor,
    capture: _LogCapture,
    project: str,
    stack: str,
    config: dict[str, str],
    secret_keys: list[str] | None,
) -> Iterator[None]:
    """Pulumi's process-wide settings pointed at the recording monitor, the stack's config and a logger whose
    warnings the plan reports; the settings are reset when the run ends."""
    logger = logging.getLogger(f"labctl.plan.{stack}")
    logger.propagate = False
    logger.handlers = [capture]
    logger.setLevel(logging.INFO)
    settings.configure(
        mocks.MockSettings(
            monitor=monitor,
            monitor_features=set(monitor.GetDeploymentInfo(None).supportedFeatures),
            engine=mocks.MockEngine(logger),
            project=project,
            stack=stack,
            dry_run=False,
            organization="organization",
            callbacks=None,
        )
    )
    runtime_config.set_all_config(dict(config), list(secret_keys or []))
    try:
        yield
    finally:
        settings.reset_options()


def _run_to_its_end(
    program: Callable[[], None], loop: asyncio.AbstractEventLoop, outputs: TrackedOutputs
) -> None:
    """Run the program in the stack, then raise what the runtime's final wait would have raised
    (pulumi/runtime/stack.py run_pulumi_func, wait_for_rpcs): a registration's error, else a failed Output's
    (an `apply` that raised), and only then the program's own."""
    own_error: list[BaseException] = []
    failure: BaseException | None = None
    try:
        _sync_await(run_in_stack(_drained(program, own_error)))
    except Exception as exc:
        first_output_failure = outputs.first_failure()  # before anything is cancelled below
        failure = first_output_failure if first_output_failure is not None and exc in own_error else exc
        cancel_what_is_left(loop)
    except BaseException:  # Ctrl+C in a process that goes on (the tests' CliRunner): leave no task behind
        cancel_what_is_left(loop)
        raise
    else:
        finish_what_is_left(loop)
        failure = outputs.first_failure()
    if failure is not None:  # raised here, not in the handler: its chain must not carry the program's error
        raise failure


def _snapshot_entry(r: _Registration) -> dict[str, Any]:
    """One resource as `pulumi stack export` shows it."""
    entry: dict[str, Any] = {
        "urn": r.urn,
        "type": r.type,
        "custom": r.custom,
        "dependencies": r.dependencies,
        "inputs": r.inputs,
    }
    if r.parent:
        entry["parent"] = r.parent
    if r.additional_secret_outputs:
        entry["additionalSecretOutputs"] = r.additional_secret_outputs
    if r.type == STACK_TYPE:
        entry["outputs"] = r.outputs
    return entry


def _drained(program: Callable[[], None], own_error: list[BaseException]) -> Callable[[], Awaitable[None]]:
    """Run the program, then let every task it started finish, before the runtime registers the stack's outputs.

    The SDK's own wait on Outputs (still run where its tracking is, as in the tests that compare the plan with the
    stock SDK; labctl/plan/shortcuts.py replaces it in a plan) re-arms a callback on every pending output each
    time one finishes, which grows with the square of the outputs. Gathering each wave once is linear; the
    runtime's wait then finds nothing left to do. The program itself is untouched: this only changes how long
    the event loop takes to reach quiescence. An error the program raises itself is put in `own_error`, to tell
    it from the runtime's.
    """

    async def run() -> None:
        try:
            program()
        except BaseException as exc:
            own_error.append(exc)
            raise
        await every_task_finished()

    return run


def _program_error(exc: BaseException) -> str:
    from pulumi.errors import RunError

    cause: BaseException | None = exc
    seen: set[int] = set()
    # The runtime re-raises an Output's error from inside its own handling, so a chain can loop back on itself.
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, RunError):
            return str(cause)
        cause = cause.__cause__ or cause.__context__
    return f"{type(exc).__name__}: {exc}"


def plan_stack(
    stack: str, project_dir: Path = PROJECT_DIR, *, pinned: Mapping[str, Any] | None = None
) -> Plan:
    """The real program, with the config in Pulumi.<stack>.yaml: what `pulumi up` would declare. `pinned`: project
    keys set on top (as data, as the file would hold them), what `pulumi up` would declare once they are written."""
    from stacks.program import run

    config, secret_keys = read_stack_config(stack, project_dir)
    project = project_name(project_dir)
    for key, value in (pinned or {}).items():
        # As the CLI hands a value to the program (labctl/stackfile/reader.py): text as is, structures as JSON.
        config[f"{project}:{key}"] = value if isinstance(value, str) else json.dumps(value)
    return run_program(run, project=project, stack=stack, config=config, secret_keys=secret_keys)
