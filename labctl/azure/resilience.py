"""Bounded conversations with Azure Resource Manager, through azure-core's own extension points.

A command that talks to Azure must end: with an answer, or with a clear "could not be checked" naming what could
not finish. The azure-mgmt clients alone do not promise that: they wait out any `Retry-After` (a 429 with
`Retry-After: 3600` hangs an hour), follow `nextLink` as long as there is one (a list that points back to itself
never ends), poll a long-running operation until it completes (a purge Azure never finishes never returns), and a
200 that is not ARM JSON (a proxy's HTML sign-in page, a wrong shape, `"limit": "NaN"`) surfaces as a
DeserializationError or a ValueError far from the call.

`ArmGuard(deadline)` gives a client, through its ordinary keyword arguments, the policies that close those holes:

- `DeadlineRetryPolicy` (the client's `retry_policy`): one deadline for the whole command; Retry-After is honoured
  only up to a cap and only within the deadline, otherwise the 429/503 is reported as `Throttled`.
- `DeadlinePolicy` (a per-retry policy): no attempt starts after the deadline, and each attempt's connect and read
  timeouts are cut to what is left of it.
- `ArmAnswerPolicy` (a per-call policy): a 2xx answer must be ARM JSON of the expected shape, or it is reported as
  `UnusableAnswer`; `nextLink` chains are capped and a link seen before in the same chain stops the list.
- `BoundedARMPolling` (the `polling=` of a `begin_*` call): the poll interval follows Retry-After up to the cap and
  the deadline; polling ends with `DeadlineExceeded` when the deadline passes.

The errors subclass azure-core's own (ServiceRequestTimeoutError, ServiceResponseError, HttpResponseError), so code
that already handles the SDK's errors keeps working; `describe(exc)` turns any of them into one line for people.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from azure.core.exceptions import (
    AzureError,
    DecodeError,
    DeserializationError,
    HttpResponseError,
    ServiceRequestError,
    ServiceResponseError,
)
from azure.core.pipeline import PipelineRequest, PipelineResponse
from azure.core.pipeline.policies import HTTPPolicy, RetryPolicy
from azure.mgmt.core.polling.arm_polling import ARMPolling

from labctl.azure.answers import ArmAnswerPolicy, PagingTracker
from labctl.azure.deadline import (
    DEFAULT_TIMEOUT_S,
    MAX_PAGES,
    MAX_RETRY_AFTER_S,
    Deadline,
    DeadlineExceeded,
    Throttled,
    UnusableAnswer,
    first_line,
    label,
    retry_after,
)

T = TypeVar("T")


class DeadlineRetryPolicy(RetryPolicy):
    """azure-core's RetryPolicy, bounded: a Retry-After above `max_retry_after` (or beyond the deadline) ends the
    retries with `Throttled` instead of a sleep, and no backoff sleeps past the deadline."""

    def __init__(
        self, deadline: Deadline, *, max_retry_after: float = MAX_RETRY_AFTER_S, **kwargs: Any
    ) -> None:
        kwargs.setdefault("retry_total", 3)
        kwargs.setdefault("retry_backoff_factor", 0.5)
        kwargs.setdefault("retry_backoff_max", 10)
        super().__init__(**kwargs)
        self.deadline = deadline
        self.max_retry_after = max_retry_after

    def is_retry(self, settings: dict[str, Any], response: PipelineResponse) -> bool:
        retry = super().is_retry(settings, response)
        wait = retry_after(response.http_response)
        if retry and wait is not None and (wait > self.max_retry_after or wait > self.deadline.remaining()):
            status = response.http_response.status_code
            what = label(response.http_request.method, response.http_request.url)
            limit = (
                f"labctl waits at most {self.max_retry_after:g} s"
                if wait > self.max_retry_after
                else f"only {max(self.deadline.remaining(), 0):.0f} s of the deadline (--timeout) were left"
            )
            raise Throttled(
                f"Azure throttled {what} ({status}) and asked to wait {wait:.0f} s before retrying; {limit}. "
                "Fix: re-run after that wait",
                response=response.http_response,
                retry_after=wait,
            )
        return retry

    def increment(
        self, settings: dict[str, Any], response: Any = None, error: Exception | None = None
    ) -> bool:
        # Our own verdicts are final: retrying cannot make the deadline come back or the throttle shorter.
        if isinstance(error, DeadlineExceeded | Throttled | UnusableAnswer):
            return False
        return super().increment(settings, response=response, error=error)

    def sleep(self, settings: dict[str, Any], transport: Any, response: Any = None) -> None:
        wait = retry_after(response.http_response) if response is not None else None
        if wait is None:
            wait = self.get_backoff_time(settings)
        if wait > self.deadline.remaining():
            what = (
                "the next retry"
                if response is None
                else label(response.http_request.method, response.http_request.url)
            )
            raise self.deadline.exceeded(f"{what} could be retried (a {wait:.0f} s wait was due)")
        if wait > 0:
            transport.sleep(wait)


class DeadlinePolicy(HTTPPolicy):
    """Per attempt: refuse to start after the deadline; cut the transport's timeouts to what is left of it."""

    def __init__(self, deadline: Deadline) -> None:
        super().__init__()
        self.deadline = deadline

    def send(self, request: PipelineRequest) -> PipelineResponse:
        remaining = self.deadline.remaining()
        http = request.http_request
        if remaining <= 0:
            raise self.deadline.exceeded(f"Azure answered {label(http.method, http.url)}")
        options = request.context.options
        config = getattr(request.context.transport, "connection_config", None)
        for name, default in (
            ("connection_timeout", getattr(config, "timeout", None)),
            ("read_timeout", getattr(config, "read_timeout", None)),
        ):
            current = options.get(name) or default
            options[name] = min(float(current), remaining) if current else remaining
        try:
            return self.next.send(request)
        except (ServiceRequestError, ServiceResponseError) as exc:
            # A timeout cut short by the deadline is the deadline's doing; say so.
            if self.deadline.expired() and not isinstance(exc, DeadlineExceeded | UnusableAnswer):
                raise self.deadline.exceeded(f"Azure answered {label(http.method, http.url)}") from None
            raise


class BoundedARMPolling(ARMPolling):
    """ARM long-running-operation polling whose waits follow Retry-After up to the cap and never outlast the
    deadline; when the deadline passes, polling stops with DeadlineExceeded (the operation may still finish
    in Azure: the message says so)."""

    def __init__(
        self,
        deadline: Deadline,
        interval: float = 10.0,
        *,
        max_retry_after: float = MAX_RETRY_AFTER_S,
        what: str = "the operation finished",
        **kwargs: Any,
    ) -> None:
        super().__init__(interval, **kwargs)
        self.deadline = deadline
        self.max_retry_after = max_retry_after
        self.what = what

    def _extract_delay(self) -> float:
        wait = retry_after(self._pipeline_response.http_response)
        if wait is None:
            wait = self._timeout
        wait = min(wait, self.max_retry_after)
        remaining = self.deadline.remaining()
        if remaining <= 0 or wait >= remaining:
            raise self.deadline.exceeded(f"{self.what} (it may still complete in Azure; re-run to check)")
        return wait


# ---------------------------------------------------------------------------------------------------------------
# Putting it together


_POLICY_KEYS = ("retry_policy", "per_call_policies", "per_retry_policies")
_RETRY_KEYS = (
    "retry_total",
    "retry_backoff_factor",
    "retry_backoff_max",
    "retry_connect",
    "retry_read",
    "retry_status",
)


class GuardedOptions(Mapping[str, Any]):
    """Client keyword arguments carrying the guard's policies, made afresh each time the mapping is unpacked
    (`Client(**options)`): azure-core links policy objects per pipeline (`policy.next`), so one instance must never
    serve two clients, while the deadline and the paging tracker are shared by all of them. The `retry_*` keys
    (e.g. a test's `retry_total=0`) configure the guard's retry policy."""

    def __init__(self, guard: ArmGuard, base: Mapping[str, Any]) -> None:
        self._guard = guard
        self._base = {k: v for k, v in base.items() if k not in _POLICY_KEYS}

    def __getitem__(self, key: str) -> Any:
        if key == "retry_policy":
            retry = {k: v for k, v in self._base.items() if k in _RETRY_KEYS}
            return DeadlineRetryPolicy(
                self._guard.deadline, max_retry_after=self._guard.max_retry_after, **retry
            )
        if key == "per_call_policies":
            return [ArmAnswerPolicy(self._guard.tracker)]
        if key == "per_retry_policies":
            return [DeadlinePolicy(self._guard.deadline)]
        return self._base[key]

    def __iter__(self) -> Iterator[str]:
        return iter([*self._base, *_POLICY_KEYS])

    def __len__(self) -> int:
        return len(self._base) + len(_POLICY_KEYS)

    def merged(self, *others: Mapping[str, Any] | None) -> GuardedOptions:
        """These options with `others` on top (still guarded)."""
        base = dict(self._base)
        for other in others:
            base.update({k: v for k, v in (other or {}).items() if k not in _POLICY_KEYS})
        return GuardedOptions(self._guard, base)


def guarded(*options: Mapping[str, Any] | None) -> dict[str, Any] | GuardedOptions:
    """Merge client keyword arguments, keeping a GuardedOptions guarded (a plain `{**a, **b}` would fix one set
    of policy instances into a dict that several clients then share)."""
    guard = next((o for o in options if isinstance(o, GuardedOptions)), None)
    if guard is None:
        merged: dict[str, Any] = {}
        for o in options:
            merged.update(o or {})
        return merged
    return guard.merged(*options)


def split_options(
    *options: Mapping[str, Any] | None, take: tuple[str, ...] = ()
) -> tuple[dict[str, Any] | GuardedOptions, dict[str, Any]]:
    """`guarded(*options)` without the `take` keys, and those keys' values (e.g. the transport's timeouts)."""
    merged = guarded(*options)
    taken = {k: merged[k] for k in take if k in merged}
    if isinstance(merged, GuardedOptions):
        rest = GuardedOptions(merged._guard, {k: v for k, v in merged._base.items() if k not in take})
        return rest, taken
    return {k: v for k, v in merged.items() if k not in take}, taken


@dataclass
class ArmGuard:
    """What one command hands every azure-mgmt client: one deadline, one paging tracker, capped Retry-After."""

    deadline: Deadline
    max_retry_after: float = MAX_RETRY_AFTER_S
    max_pages: int = MAX_PAGES
    retry_total: int = 3
    retry_backoff_factor: float = 0.5
    tracker: PagingTracker = field(init=False)

    def __post_init__(self) -> None:
        self.tracker = PagingTracker(self.max_pages)

    def client_options(self, **base: Any) -> GuardedOptions:
        """Keyword arguments for azure-mgmt clients (add base_url, credential_scopes, transport); unpack them
        into as many clients as needed."""
        return GuardedOptions(
            self,
            {"retry_total": self.retry_total, "retry_backoff_factor": self.retry_backoff_factor, **base},
        )

    def polling(self, interval: float = 10.0, *, what: str = "the operation finished") -> BoundedARMPolling:
        """A `polling=` argument for one `begin_*` call."""
        return BoundedARMPolling(self.deadline, interval, max_retry_after=self.max_retry_after, what=what)

    def wait(
        self,
        poller: Any,
        *,
        what: str = "the operation finished",
        on_status: Callable[[str], None] = lambda _: None,
    ) -> Any:
        """Wait for an LROPoller within the deadline (its polling thread ends there too); its result or the
        polling's error."""
        while not poller.done():
            remaining = self.deadline.remaining()
            if remaining <= 0:
                raise self.deadline.exceeded(f"{what} (it may still complete in Azure; re-run to check)")
            on_status(str(poller.status()))
            poller.wait(timeout=min(1.0, remaining))
        return poller.result()


@contextlib.contextmanager
def answers(what: str) -> Iterator[None]:
    """Around code that turns answers into SDK models: a body the model cannot hold (a type our shape checks do
    not cover) is reported as UnusableAnswer, never as a DeserializationError or ValueError traceback."""
    try:
        yield
    except (DeserializationError, DecodeError) as exc:
        raise UnusableAnswer(
            f"Azure's answer for {what} could not be read ({first_line(str(exc))})"
        ) from None


def pages(items: Iterable[T], what: str) -> Iterator[T]:
    """Iterate an ItemPaged (or any iterable of answers) with `answers(what)` around every page."""
    iterator = iter(items)
    while True:
        with answers(what):
            try:
                item = next(iterator)
            except StopIteration:
                return
        yield item


def describe(exc: BaseException) -> str:
    """One line for people about an Azure call that did not succeed: ours first, then azure-core's."""
    if isinstance(exc, DeadlineExceeded | UnusableAnswer | Throttled):
        return str(exc.message if isinstance(exc, AzureError) else exc)
    if isinstance(exc, HttpResponseError):
        error = getattr(exc, "error", None)
        code = getattr(error, "code", None)
        message = first_line(str(getattr(error, "message", None) or exc.message or exc.reason or ""))
        status = exc.status_code
        return f"{code or status}: {message}" if message else f"{code or status}"
    if isinstance(exc, ServiceRequestError | ServiceResponseError):
        return f"no answer from Azure ({type(exc).__name__}: {first_line(str(exc.message or exc))})"
    return f"{type(exc).__name__}: {first_line(str(exc))}"


__all__ = [
    "DEFAULT_TIMEOUT_S",
    "MAX_PAGES",
    "MAX_RETRY_AFTER_S",
    "ArmAnswerPolicy",
    "ArmGuard",
    "BoundedARMPolling",
    "Deadline",
    "DeadlineExceeded",
    "DeadlinePolicy",
    "DeadlineRetryPolicy",
    "GuardedOptions",
    "Throttled",
    "UnusableAnswer",
    "answers",
    "describe",
    "guarded",
    "pages",
    "split_options",
]
