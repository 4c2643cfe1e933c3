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
import json
import math
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlsplit

from azure.core.exceptions import (
    AzureError,
    DecodeError,
    DeserializationError,
    HttpResponseError,
    ServiceRequestError,
    ServiceRequestTimeoutError,
    ServiceResponseError,
)
from azure.core.pipeline import PipelineRequest, PipelineResponse
from azure.core.pipeline.policies import HTTPPolicy, RetryPolicy
from azure.core.pipeline.policies._utils import parse_retry_after
from azure.mgmt.core.polling.arm_polling import ARMPolling

T = TypeVar("T")

# A command's default overall deadline (`--timeout`): preflight reads ~20 lists in parallel, purge waits for
# server-side purges; both normally finish in well under a minute.
DEFAULT_TIMEOUT_S = 120.0
# The longest Retry-After labctl waits out once. ARM's throttling windows are per minute or per hour
# (learn.microsoft.com/azure/azure-resource-manager/management/request-limits-and-throttling): waiting longer
# than this is better left to the user, told when to re-run.
MAX_RETRY_AFTER_S = 30.0
# Pages of one list before labctl stops following nextLink. The lists labctl reads (models, usages, deleted
# accounts and services, deployments) are one or two pages in practice.
MAX_PAGES = 50


# ---------------------------------------------------------------------------------------------------------------
# Errors


class DeadlineExceeded(ServiceRequestTimeoutError):
    """The command's overall deadline passed before Azure answered (or while waiting to ask again)."""

    def __init__(self, message: str, *, what: str = "") -> None:
        super().__init__(message)
        self.what = what


class UnusableAnswer(ServiceResponseError):
    """Something answered, but not with usable ARM JSON (a proxy page, a wrong shape or type, a list that never
    ends). Azure could not be checked; nothing about the subscription follows from it."""

    def __init__(self, message: str, *, url: str = "", status: int | None = None) -> None:
        super().__init__(message)
        self.url = url
        self.status = status


class Throttled(HttpResponseError):
    """Azure throttled the call (429/503) and asked for a wait longer than labctl waits, or longer than the
    deadline leaves."""

    def __init__(self, message: str, *, response: Any, retry_after: float) -> None:
        super().__init__(message=message, response=response)
        # HttpResponseError words its message from ARM's error body; ours says what happened and the fix (ARM's
        # code stays in `.error`).
        self.message = message
        self.args = (message,)
        self.retry_after = retry_after


@dataclass
class Deadline:
    """One deadline for everything a command asks Azure: every client, thread, retry, page and poll shares it."""

    seconds: float = DEFAULT_TIMEOUT_S
    started: float = field(default_factory=time.monotonic)

    def remaining(self) -> float:
        return self.seconds - (time.monotonic() - self.started)

    def expired(self) -> bool:
        return self.remaining() <= 0

    def exceeded(self, what: str) -> DeadlineExceeded:
        return DeadlineExceeded(
            f"the command's {self.seconds:g} s deadline (--timeout) passed before {what}", what=what
        )


def _label(method: str, url: str) -> str:
    """`GET .../locations/eastus/usages`: enough of the URL to say which call, no query string."""
    parts = [p for p in urlsplit(url).path.split("/") if p]
    lowered = [p.lower() for p in parts]
    if "providers" in lowered:
        start = len(lowered) - 1 - lowered[::-1].index("providers")
        return f"{method} .../{'/'.join(parts[start:])}"
    return f"{method} /{'/'.join(parts)}"


def _retry_after(response: Any) -> float | None:
    """Retry-After (seconds or an HTTP date) or the -ms variants; None when absent or unreadable."""
    headers = {k.lower(): v for k, v in (getattr(response, "headers", None) or {}).items()}
    for name, scale in (("retry-after", 1.0), ("retry-after-ms", 0.001), ("x-ms-retry-after-ms", 0.001)):
        raw = headers.get(name)
        if raw:
            try:
                value = parse_retry_after(str(raw)) * scale
            except (ValueError, TypeError, OverflowError):
                return None
            return value if math.isfinite(value) else None
    return None


# ---------------------------------------------------------------------------------------------------------------
# Policies


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
        wait = _retry_after(response.http_response)
        if retry and wait is not None and (wait > self.max_retry_after or wait > self.deadline.remaining()):
            status = response.http_response.status_code
            what = _label(response.http_request.method, response.http_request.url)
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
        wait = _retry_after(response.http_response) if response is not None else None
        if wait is None:
            wait = self.get_backoff_time(settings)
        if wait > self.deadline.remaining():
            what = (
                "the next retry"
                if response is None
                else _label(response.http_request.method, response.http_request.url)
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
            raise self.deadline.exceeded(f"Azure answered {_label(http.method, http.url)}")
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
                raise self.deadline.exceeded(f"Azure answered {_label(http.method, http.url)}") from None
            raise


@dataclass
class _Chain:
    visited: set[tuple[Any, ...]]
    pages: int


class ArmAnswerPolicy(HTTPPolicy):
    """Per call: a 2xx answer must be ARM JSON (an object; a list's `value` a list of objects, `nextLink` text),
    with the types labctl relies on for the lists it reads; `nextLink` chains are capped and loops stopped."""

    def __init__(self, *, max_pages: int = MAX_PAGES) -> None:
        super().__init__()
        self.max_pages = max_pages
        self._lock = threading.Lock()
        # nextLink (canonical) -> the chain that handed it out; a chain starts at a request nobody handed out.
        self._pending: dict[tuple[Any, ...], _Chain] = {}

    def send(self, request: PipelineRequest) -> PipelineResponse:
        http = request.http_request
        what = _label(http.method, http.url)
        chain = self._enter(http.url, what)
        try:
            response = self.next.send(request)
        except DecodeError as exc:
            # ContentDecodePolicy could not parse a body that said it was JSON.
            raise UnusableAnswer(
                f"Azure's answer to {what} is not valid JSON ({_first_line(str(exc))})", url=http.url
            ) from None
        if request.context.options.get("stream"):
            return response
        answer = response.http_response
        if 200 <= answer.status_code < 300 and http.method.upper() in ("GET", "PUT", "PATCH", "POST"):
            body = _checked_body(answer, http.url, what)
            next_link = body.get("nextLink") if isinstance(body, dict) else None
            if next_link:
                self._hand_out(next_link, chain)
        return response

    def _enter(self, url: str, what: str) -> _Chain:
        key = _canonical(url)
        with self._lock:
            chain = self._pending.pop(key, None)
            if chain is None:
                return _Chain(visited={key}, pages=1)
            if key in chain.visited:
                raise UnusableAnswer(
                    f"Azure's list {what} points back to a page already read (a looping nextLink); the list "
                    "was not read to its end",
                    url=url,
                )
            chain.visited.add(key)
            chain.pages += 1
            if chain.pages > self.max_pages:
                raise UnusableAnswer(
                    f"Azure's list {what} has more than {self.max_pages} pages; labctl stopped following nextLink "
                    "and the list was not read to its end",
                    url=url,
                )
            return chain

    def _hand_out(self, next_link: str, chain: _Chain) -> None:
        with self._lock:
            self._pending[_canonical(next_link)] = chain


def _canonical(url: str) -> tuple[Any, ...]:
    """A URL as a page identity: the SDK re-adds its api-version and re-encodes the query of a nextLink."""
    parts = urlsplit(url)
    query = tuple(
        sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "api-version")
    )
    return (parts.netloc.lower(), parts.path.rstrip("/").lower(), query)


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[0][:200] if lines else ""


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _checked_body(answer: Any, url: str, what: str) -> Any:
    """The parsed body of a 2xx answer, or UnusableAnswer saying what is wrong with it."""
    try:
        text = answer.text()
    except Exception as exc:  # undecodable bytes: not ARM's UTF-8 JSON
        raise UnusableAnswer(
            f"Azure's answer to {what} is not text ({type(exc).__name__})", url=url
        ) from None
    if not text.strip():
        return None  # 202/204 and some 200s carry no body; the caller's own checks apply
    status = answer.status_code
    content_type = (answer.headers.get("Content-Type") or "").lower()
    if "json" not in content_type:
        if "html" in content_type or text.lstrip()[:1] == "<":
            title = re.search(r"<title[^>]*>(.*?)</title>", text, re.I | re.S)
            page = f" ('{_first_line(title[1])}')" if title and title[1].strip() else ""
            raise UnusableAnswer(
                f"the answer to {what} is an HTML page{page}, not Azure Resource Manager JSON: a proxy, captive "
                "portal or sign-in page is between you and Azure. Fix: sign in to the network (or set HTTPS_PROXY "
                "for your proxy) and re-run",
                url=url,
                status=status,
            )
        raise UnusableAnswer(
            f"the answer to {what} is {content_type or 'of no stated type'}, not Azure Resource Manager JSON",
            url=url,
            status=status,
        )
    try:
        body = json.loads(text, parse_constant=_reject_constant)
    except ValueError as exc:
        raise UnusableAnswer(
            f"Azure's answer to {what} is not valid JSON ({exc})", url=url, status=status
        ) from None
    problem = _shape_problem(body, url)
    if problem:
        raise UnusableAnswer(
            f"Azure's answer to {what} does not have the shape of its API: {problem}", url=url, status=status
        )
    return body


# ---- shapes of the answers labctl reads (API specs in Azure/azure-rest-api-specs, cognitiveservices and
# apimanagement resource-manager; only the fields labctl uses are checked) ----


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _show(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _need(item: dict[str, Any], key: str, kind: str, path: str, *, optional: bool = True) -> str | None:
    if key not in item or item[key] is None:
        return None if optional else f"{path}.{key} is missing"
    value = item[key]
    ok = {
        "number": _is_number(value),
        "text": isinstance(value, str),
        "object": isinstance(value, dict),
        "list": isinstance(value, list),
    }[kind]
    if ok:
        return None
    article = "an" if kind[0] in "aeiou" else "a"
    return f"{path}.{key} is {_show(value)}, not {article} {kind}"


def _usage(item: dict[str, Any], path: str) -> Iterator[str | None]:
    yield _need(item, "name", "object", path, optional=False)
    if isinstance(item.get("name"), dict):
        yield _need(item["name"], "value", "text", f"{path}.name", optional=False)
    yield _need(item, "currentValue", "number", path, optional=False)
    yield _need(item, "limit", "number", path, optional=False)


def _model(item: dict[str, Any], path: str) -> Iterator[str | None]:
    yield _need(item, "model", "object", path, optional=False)
    model = item.get("model")
    if not isinstance(model, dict):
        return
    for key in ("name", "version", "format", "lifecycleStatus"):
        yield _need(model, key, "text", f"{path}.model")
    yield _need(model, "skus", "list", f"{path}.model")
    for j, sku in enumerate(model.get("skus") or []):
        where = f"{path}.model.skus[{j}]"
        if not isinstance(sku, dict):
            yield f"{where} is {_show(sku)}, not an object"
            continue
        yield _need(sku, "name", "text", where)
        yield _need(sku, "usageName", "text", where)
        yield _need(sku, "capacity", "object", where)
        for key in ("minimum", "maximum", "step", "default"):
            if isinstance(sku.get("capacity"), dict):
                yield _need(sku["capacity"], key, "number", f"{where}.capacity")


def _resource(item: dict[str, Any], path: str) -> Iterator[str | None]:
    for key in ("id", "name", "type", "location", "kind"):
        yield _need(item, key, "text", path)
    for key in ("properties", "tags", "sku", "identity", "systemData"):
        yield _need(item, key, "object", path)
    if isinstance(item.get("sku"), dict):
        yield _need(item["sku"], "name", "text", f"{path}.sku")
        yield _need(item["sku"], "capacity", "number", f"{path}.sku")


_ITEM_SHAPES: tuple[tuple[re.Pattern[str], Callable[[dict[str, Any], str], Iterable[str | None]]], ...] = (
    (re.compile(r"/providers/microsoft\.cognitiveservices/locations/[^/]+/usages$", re.I), _usage),
    (re.compile(r"/providers/microsoft\.cognitiveservices/locations/[^/]+/models$", re.I), _model),
)


def _shape_problem(body: Any, url: str) -> str | None:
    if not isinstance(body, dict):
        return f"the body is a JSON {type(body).__name__}, not an object"
    if "nextLink" in body and body["nextLink"] is not None and not isinstance(body["nextLink"], str):
        return f"nextLink is {_show(body['nextLink'])}, not a URL"
    path = urlsplit(url).path
    if "value" not in body:
        if "error" in body:
            return "a success status with an error body"
        problems = [p for p in _resource(body, "the resource") if p]
        return problems[0] if problems else None
    items = body["value"]
    if not isinstance(items, list):
        return f"value is {_show(items)}, not a list"
    shape = next((check for pattern, check in _ITEM_SHAPES if pattern.search(path)), _resource)
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            return f"value[{i}] is {_show(item)}, not an object"
        problem = next((p for p in shape(item, f"value[{i}]") if p), None)
        if problem:
            return problem
    return None


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
        wait = _retry_after(self._pipeline_response.http_response)
        if wait is None:
            wait = self._timeout
        wait = min(wait, self.max_retry_after)
        remaining = self.deadline.remaining()
        if remaining <= 0 or wait >= remaining:
            raise self.deadline.exceeded(f"{self.what} (it may still complete in Azure; re-run to check)")
        return wait


# ---------------------------------------------------------------------------------------------------------------
# Putting it together


@dataclass
class ArmGuard:
    """The policies one command hands every azure-mgmt client, sharing one deadline and one paging tracker."""

    deadline: Deadline
    max_retry_after: float = MAX_RETRY_AFTER_S
    max_pages: int = MAX_PAGES
    retry_total: int = 3
    retry_backoff_factor: float = 0.5
    _answers: ArmAnswerPolicy = field(init=False)

    def __post_init__(self) -> None:
        self._answers = ArmAnswerPolicy(max_pages=self.max_pages)

    def client_options(self) -> dict[str, Any]:
        """Keyword arguments for an azure-mgmt client (with base_url, credential_scopes, transport)."""
        return {
            "retry_policy": DeadlineRetryPolicy(
                self.deadline,
                max_retry_after=self.max_retry_after,
                retry_total=self.retry_total,
                retry_backoff_factor=self.retry_backoff_factor,
            ),
            "per_call_policies": [self._answers],
            "per_retry_policies": [DeadlinePolicy(self.deadline)],
        }

    def polling(self, interval: float = 10.0, *, what: str = "the operation finished") -> BoundedARMPolling:
        """A `polling=` argument for one `begin_*` call."""
        return BoundedARMPolling(self.deadline, interval, max_retry_after=self.max_retry_after, what=what)

    def wait(self, poller: Any, *, on_status: Callable[[str], None] = lambda _: None) -> Any:
        """Wait for an LROPoller within the deadline (its polling thread ends there too); its result or the
        polling's error."""
        while not poller.done():
            remaining = self.deadline.remaining()
            if remaining <= 0:
                raise self.deadline.exceeded("the operation finished (it may still complete in Azure)")
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
            f"Azure's answer for {what} could not be read ({_first_line(str(exc))})"
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
        message = _first_line(str(getattr(error, "message", None) or exc.message or exc.reason or ""))
        status = exc.status_code
        return f"{code or status}: {message}" if message else f"{code or status}"
    if isinstance(exc, ServiceRequestError | ServiceResponseError):
        return f"no answer from Azure ({type(exc).__name__}: {_first_line(str(exc.message or exc))})"
    return f"{type(exc).__name__}: {_first_line(str(exc))}"


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
    "Throttled",
    "UnusableAnswer",
    "answers",
    "describe",
    "pages",
]
