"""Checking what ARM answered before the SDK reads it: 2xx bodies must be ARM JSON of the expected shape, and
`nextLink` chains must end (capped, loops stopped). A per-call azure-core policy: see resilience.ArmGuard."""

from __future__ import annotations

import json
import math
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from azure.core.exceptions import DecodeError
from azure.core.pipeline import PipelineRequest, PipelineResponse
from azure.core.pipeline.policies import HTTPPolicy

from labctl.azure.deadline import MAX_PAGES, UnusableAnswer, first_line, label


@dataclass
class _Chain:
    visited: set[tuple[Any, ...]]
    pages: int


class PagingTracker:
    """The nextLink chains of one command, shared by all its clients and threads: a link handed out by a page
    belongs to that page's chain; a chain that revisits a page, or grows past `max_pages`, is stopped."""

    def __init__(self, max_pages: int = MAX_PAGES) -> None:
        self.max_pages = max_pages
        self._lock = threading.Lock()
        # nextLink (canonical) -> the chain that handed it out; a chain starts at a request nobody handed out.
        self._pending: dict[tuple[Any, ...], _Chain] = {}

    def enter(self, url: str, what: str) -> _Chain:
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

    def hand_out(self, next_link: str, chain: _Chain) -> None:
        with self._lock:
            self._pending[_canonical(next_link)] = chain


class ArmAnswerPolicy(HTTPPolicy):
    """Per call: a 2xx answer must be ARM JSON (an object; a list's `value` a list of objects, `nextLink` text),
    with the types labctl relies on for the lists it reads; nextLink chains go through the command's tracker.
    One instance per client: azure-core links policies per pipeline (`self.next`)."""

    def __init__(self, tracker: PagingTracker | None = None) -> None:
        super().__init__()
        self.tracker = tracker or PagingTracker()

    def send(self, request: PipelineRequest) -> PipelineResponse:
        http = request.http_request
        what = label(http.method, http.url)
        chain = self.tracker.enter(http.url, what)
        try:
            response = self.next.send(request)
        except DecodeError as exc:
            # ContentDecodePolicy could not parse a body that said it was JSON.
            raise UnusableAnswer(
                f"Azure's answer to {what} is not valid JSON ({first_line(str(exc))})", url=http.url
            ) from None
        if request.context.options.get("stream"):
            return response
        answer = response.http_response
        if 200 <= answer.status_code < 300 and http.method.upper() in ("GET", "PUT", "PATCH", "POST"):
            body = checked_body(answer, http.url, what)
            next_link = body.get("nextLink") if isinstance(body, dict) else None
            if next_link:
                self.tracker.hand_out(next_link, chain)
        return response


def _canonical(url: str) -> tuple[Any, ...]:
    """A URL as a page identity: the SDK re-adds its api-version and re-encodes the query of a nextLink."""
    parts = urlsplit(url)
    query = tuple(
        sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "api-version")
    )
    return (parts.netloc.lower(), parts.path.rstrip("/").lower(), query)


_LIST_PATH = re.compile(
    r"/(usages|models|deletedaccounts|deletedservices|accounts|deployments|skus|providers|locations)$", re.I
)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def checked_body(answer: Any, url: str, what: str) -> Any:
    """The parsed body of a 2xx answer, or UnusableAnswer saying what is wrong with it."""
    try:
        text = answer.text()
    except Exception as exc:  # undecodable bytes: not ARM's UTF-8 JSON
        raise UnusableAnswer(
            f"Azure's answer to {what} is not text ({type(exc).__name__})", url=url
        ) from None
    status = answer.status_code
    if not text.strip():
        if status == 200 and _LIST_PATH.search(urlsplit(url).path):
            # A list always has a body (`{"value": []}` when empty).
            raise UnusableAnswer(
                f"Azure's answer to {what} is empty (no JSON at all)", url=url, status=status
            )
        return None  # 202/204 and operation results carry no body; the caller's own checks apply
    content_type = (answer.headers.get("Content-Type") or "").lower()
    if "json" not in content_type:
        if "html" in content_type or text.lstrip()[:1] == "<":
            title = re.search(r"<title[^>]*>(.*?)</title>", text, re.I | re.S)
            page = f" ('{first_line(title[1])}')" if title and title[1].strip() else ""
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
        if "error" in body and "status" not in body:  # an operation status carries its error with status
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
