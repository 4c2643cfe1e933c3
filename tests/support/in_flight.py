"""Shared by the loopback fakes: a fixed answer delay, and a count of requests being answered at once."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


class CountsInFlight:
    """Mixin for a fake that declares `delay_s`, `in_flight`, `max_in_flight` and `_lock`: concurrency is then
    asserted by behaviour (how many requests overlapped), not by wall-clock time."""

    delay_s: float
    in_flight: int
    max_in_flight: int
    _lock: threading.Lock

    def _counted(self, answer: Callable[[T], R], request: T) -> R:
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.delay_s:
                time.sleep(self.delay_s)
            return answer(request)
        finally:
            with self._lock:
                self.in_flight -= 1
