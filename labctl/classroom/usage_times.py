"""Times in `labctl usage` in the class's zone (aoai-lab:timeZone, stacks/config/class_times.py): the window in the
table's title, and the days of the HTML report."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from labctl.classroom.usage import UsageReport


def local(when: dt.datetime, zone: str) -> dt.datetime:
    return when.astimezone(zoneinfo.ZoneInfo(zone))


def window_label(report: UsageReport, zone: str) -> str:
    """`2026-12-07 09:00 to 11:00 Europe/Madrid` (both days when the window spans several)."""
    start, end = local(report.start, zone), local(report.end, zone)
    if start.date() == end.date():
        return f"{start:%Y-%m-%d %H:%M} to {end:%H:%M} {zone}"
    return f"{start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} {zone}"
