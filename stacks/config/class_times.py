"""The class window in the class's own time zone: `startsOn` opens at 00:00 and `expiresOn` closes at the end of
that day, local time (daylight saving included), given as local and UTC instants.

One function, `class_times`, serves the gateway policy (which compares UTC instants), `labctl usage` and the
handouts (which show local times). `aoai-lab:timeZone` is an IANA name (`Europe/Madrid`), read with the standard
library's zoneinfo; the `tzdata` package supplies the database where the system has none (Windows). Unset: UTC, as
the lab always did.

A day that starts inside a daylight-saving gap (some zones move the clock at midnight, e.g. America/Santiago)
opens at its first real instant: zoneinfo maps the missing 00:00 (fold 0) to the instant the clock jumps from.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import zoneinfo
from dataclasses import dataclass

from facts.class_window import check_window

UTC_NAME = "UTC"


class TimeZoneError(ValueError):
    """Not an IANA time zone name; the message says what to use."""


@functools.cache
def _known_zones() -> tuple[str, ...]:
    return tuple(sorted(zoneinfo.available_timezones()))


def time_zone(name: str | None) -> zoneinfo.ZoneInfo:
    """The zone for an IANA name (None: UTC), or a TimeZoneError with a did-you-mean."""
    if name is None:
        return zoneinfo.ZoneInfo(UTC_NAME)
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        # ValueError: a path-like key (`../etc`) or an empty name.
        pass
    lowered = {z.lower(): z for z in _known_zones()}
    exact = lowered.get(name.strip().lower().replace(" ", "_"))
    close = [exact] if exact else difflib.get_close_matches(name, _known_zones(), n=1, cutoff=0.6)
    hint = f"did you mean '{close[0]}'? " if close else ""
    raise TimeZoneError(
        f"'{name}' is not an IANA time zone. Fix: {hint}use a name such as Europe/Madrid, America/Mexico_City "
        "or UTC (the tz database names: en.wikipedia.org/wiki/List_of_tz_database_time_zones)"
    )


@dataclass(frozen=True)
class ClassTimes:
    """When participant keys work. `opens`/`closes` are aware datetimes in the class's zone; `closes` is exclusive
    (00:00 of the day after `expiresOn`, local). Either may be None (an open end)."""

    zone: str
    opens: dt.datetime | None
    closes: dt.datetime | None

    @property
    def opens_utc(self) -> dt.datetime | None:
        return None if self.opens is None else self.opens.astimezone(dt.UTC)

    @property
    def closes_utc(self) -> dt.datetime | None:
        return None if self.closes is None else self.closes.astimezone(dt.UTC)

    def local(self, when: dt.datetime) -> dt.datetime:
        """Any aware instant in the class's zone (what `labctl usage` shows)."""
        return when.astimezone(zoneinfo.ZoneInfo(self.zone))

    def label(self, when: dt.datetime) -> str:
        """`2026-12-07 00:00 Europe/Madrid (2026-12-06 23:00 UTC)`; just UTC when the class is in UTC."""
        local = self.local(when)
        text = f"{local:%Y-%m-%d %H:%M} {self.zone}"
        if self.zone != UTC_NAME:
            text += f" ({when.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC)"
        return text


def _midnight(day: dt.date, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    # Through UTC and back: a midnight that falls in a gap becomes the first instant that exists that day.
    naive = dt.datetime(day.year, day.month, day.day, tzinfo=zone)
    return naive.astimezone(dt.UTC).astimezone(zone)


def class_times(
    starts_on: dt.date | None, expires_on: dt.date | None, zone_name: str | None = None
) -> ClassTimes:
    """The class window of `aoai-lab:startsOn` .. `aoai-lab:expiresOn` in `aoai-lab:timeZone` (None: UTC)."""
    zone = time_zone(zone_name)
    opens = None if starts_on is None else _midnight(starts_on, zone)
    closes = None if expires_on is None else _midnight(expires_on + dt.timedelta(days=1), zone)
    check_window(opens, closes)
    return ClassTimes(zone=zone_name or UTC_NAME, opens=opens, closes=closes)
