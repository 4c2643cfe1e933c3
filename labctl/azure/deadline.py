"""One deadline per command, and the errors that say why an Azure call did not give a usable answer.

The errors subclass azure-core's own (ServiceRequestTimeoutError, ServiceResponseError, HttpResponseError), so
code that already handles the SDK's errors keeps working.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from azure.core.exceptions import HttpResponseError, ServiceRequestTimeoutError, ServiceResponseError
from azure.core.pipeline.policies._utils import parse_retry_after

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


def label(method: str, url: str) -> str:
    """`GET .../locations/eastus/usages`: enough of the URL to say which call, no query string."""
    parts = [p for p in urlsplit(url).path.split("/") if p]
    lowered = [p.lower() for p in parts]
    if "providers" in lowered:
        start = len(lowered) - 1 - lowered[::-1].index("providers")
        return f"{method} .../{'/'.join(parts[start:])}"
    return f"{method} /{'/'.join(parts)}"


def retry_after(response: Any) -> float | None:
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


def first_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[0][:200] if lines else ""
