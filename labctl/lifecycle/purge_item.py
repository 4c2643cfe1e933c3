"""Purging one soft-deleted item: the request, its long-running operation within the command's deadline, and the
409 retries while Azure is still deleting it. Never raises: every way it can end is a `PurgeResult`."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from azure.core.exceptions import AzureError as SdkError
from azure.core.exceptions import HttpResponseError

from labctl.azure.resilience import ArmGuard, Deadline, DeadlineExceeded, Throttled, UnusableAnswer, describe
from labctl.lifecycle.soft_deleted import SoftDeleted

Outcome = Literal["purged", "already gone", "still deleting", "failed", "not finished"]
# Real purges take minutes; ARM's own default (30 s) makes progress look stuck.
DEFAULT_POLLING_INTERVAL = 10.0
CONFLICT_RETRY_S = 15.0
# The whole purge (listing, every purge and its polling, the 409 retries of --wait): a purge Azure never finishes
# ends here, reported as not finished, instead of holding `labctl purge` or `down` forever.
DEFAULT_PURGE_TIMEOUT_S = 900.0


@dataclass(frozen=True)
class PurgeResult:
    item: SoftDeleted
    outcome: Outcome
    detail: str = ""


def purge_one(
    item: SoftDeleted,
    cs_client: Any,
    apim_client: Any,
    *,
    polling_interval: float = DEFAULT_POLLING_INTERVAL,
    conflict_wait_s: float = 0.0,
    conflict_retry_s: float = CONFLICT_RETRY_S,
    on_status: Callable[[str], None] = lambda _: None,
    guard: ArmGuard | None = None,
) -> PurgeResult:
    """Purge one item and wait for the long-running operation, within the guard's deadline; never raises (a
    failure is a result)."""
    guard = guard or ArmGuard(Deadline(DEFAULT_PURGE_TIMEOUT_S))
    conflict_deadline = time.monotonic() + conflict_wait_s
    while True:
        try:
            on_status("requesting purge")
            what = f"the purge of {item.name} finished"
            polling = guard.polling(polling_interval, what=what)
            if item.kind == "account":
                poller = cs_client.deleted_accounts.begin_purge(
                    item.location, item.resource_group, item.name, polling=polling
                )
            else:
                poller = apim_client.deleted_services.begin_purge(item.name, item.location, polling=polling)
            guard.wait(poller, what=what, on_status=lambda status: on_status(f"purging ({status})"))
            on_status("purged")
            return PurgeResult(item, "purged")
        except (DeadlineExceeded, Throttled, UnusableAnswer) as exc:
            on_status("not finished")
            return PurgeResult(item, "not finished", describe(exc))
        except HttpResponseError as exc:
            status = exc.status_code
            detail = arm_error(exc)
            if status == 404:
                on_status("already gone")
                return PurgeResult(item, "already gone")
            if status == 409:
                # The soft delete itself is still running (typical right after `pulumi destroy`): retry while
                # --wait allows, the last wait cut to what is left of it (and of the command's deadline).
                pause = min(
                    conflict_retry_s, conflict_deadline - time.monotonic(), guard.deadline.remaining() - 1
                )
                if pause > 0:
                    on_status(f"still deleting; retrying in {pause:.0f} s")
                    time.sleep(pause)
                    continue
                on_status("still deleting")
                return PurgeResult(item, "still deleting", detail)
            on_status("failed")
            return PurgeResult(item, "failed", detail)
        except Exception as exc:  # a transport error on one item must not stop the others
            on_status("failed")
            return PurgeResult(item, "failed", f"{type(exc).__name__}: {exc}")


def arm_error(exc: SdkError) -> str:
    if isinstance(exc, DeadlineExceeded | Throttled | UnusableAnswer):
        return describe(exc)
    if not isinstance(exc, HttpResponseError):
        # No HTTP answer at all (DNS, refused connection, TLS, timeout): the transport's own words.
        first = (str(exc.message or exc).strip().splitlines() or [type(exc).__name__])[0]
        return f"no answer from Azure Resource Manager ({type(exc).__name__}: {first})"
    error = getattr(exc, "error", None)
    code = getattr(error, "code", None)
    message = getattr(error, "message", None) or exc.message or str(exc)
    first_line = str(message).strip().splitlines()[0] if str(message).strip() else ""
    return f"{code}: {first_line}" if code else first_line
