"""The class window's one rule: it opens strictly before it closes. Participant keys work from `opens`
(inclusive) to `closes` (exclusive), the instants the gateway policy compares (components/policies/
class-window.xml); with opens >= closes no instant is left and every call would be refused. The config check
(stacks/config/class_times.py, via rules.py) and the policy's component (components/class_window.py) both ask here,
so a window the config accepts is one `pulumi up` renders (a one-day class included). Not an Azure fact: the lab's.
"""

from __future__ import annotations

import datetime as dt


def check_window(opens: dt.datetime | None, closes: dt.datetime | None) -> None:
    """Raise ValueError when both ends are set and the window holds no instant; an open end is always fine."""
    if opens is not None and closes is not None and opens >= closes:
        raise ValueError(f"the class window opens ({opens}) at or after it closes ({closes})")
