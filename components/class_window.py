"""The class's state in the gateway policy: paused (a named value) and the class window (UTC instants), from the
XML fragment `policies/class-window.xml`.

Python only fills the fragment (policy_template.fill_placeholders: the instants as whole attribute values, the
people-readable instants, from a closed set of characters, inside the refusal messages) and removes the check of an
open end.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from components.policy_template import fill_placeholders, replace_slot
from facts.class_window import check_window

CLASS_WINDOW_FRAGMENT = Path(__file__).parent / "policies" / "class-window.xml"
CLASS_WINDOW_TAG = "class-window"
# The named value the policy reads; `labctl class pause --now` sets it through Resource Manager.
CLASS_PAUSED_NAMED_VALUE = "class-paused"
# .NET's sortable "s" format, as `DateTime.UtcNow.ToString("s")` writes it in the policy.
SORTABLE = "%Y-%m-%dT%H:%M:%S"
# What a message placeholder may become: dates, times, zone names ("America/Argentina/Buenos_Aires"), parentheses.
_LABEL = re.compile(r"^[A-Za-z0-9 :()/_+-]{1,120}$")
# Which variable each placeholder sets, so an open end removes the variable and every check that reads it.
_VARIABLES = {"opensAtUtc": "classOpensAtUtc", "closesAtUtc": "classClosesAtUtc"}


@dataclass(frozen=True)
class ClassWindow:
    """When participant keys work: from `opens_at` (inclusive) to `closes_at` (exclusive), aware instants; either
    may be None. The labels are how the refusals say them (the stack layer writes them in the class's zone).

    Why the policy and not APIM: a subscription's `expirationDate` is "for audit purposes only and the subscription
    is not automatically expired" (Azure/azure-rest-api-specs, Microsoft.ApiManagement 2024-05-01,
    SubscriptionContractProperties.expirationDate), and read-only on create."""

    opens_at: dt.datetime | None = None
    closes_at: dt.datetime | None = None
    opens_label: str = ""
    closes_label: str = ""

    def __post_init__(self) -> None:
        for name in ("opens_at", "closes_at"):
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                raise ValueError(f"{name} must be an aware datetime (UTC or the class's zone), not {value!r}")
        check_window(self.opens_at, self.closes_at)
        for label in (self.opens_label, self.closes_label):
            if label and not _LABEL.match(label):
                raise ValueError(f"a class window label holds characters a refusal message cannot: {label!r}")

    @classmethod
    def utc_days(cls, starts_on: dt.date | None, ends_on: dt.date | None) -> ClassWindow:
        """From `starts_on` 00:00 UTC to the end of `ends_on` (UTC): the window without a time zone."""

        def midnight(day: dt.date) -> dt.datetime:
            return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)

        opens = None if starts_on is None else midnight(starts_on)
        closes = None if ends_on is None else midnight(ends_on + dt.timedelta(days=1))
        return cls(
            opens_at=opens,
            closes_at=closes,
            opens_label="" if opens is None else f"{opens:%Y-%m-%d %H:%M} UTC",
            closes_label="" if closes is None else f"{closes:%Y-%m-%d %H:%M} UTC",
        )

    def values(self) -> dict[str, str | None]:
        def utc(when: dt.datetime | None) -> str | None:
            return None if when is None else when.astimezone(dt.UTC).strftime(SORTABLE)

        return {
            "opensAtUtc": utc(self.opens_at),
            "closesAtUtc": utc(self.closes_at),
            "opensAt": self.opens_label or utc(self.opens_at),
            "closesAt": self.closes_label or utc(self.closes_at),
        }


def _drop_open_ends(fragment: ET.Element, values: dict[str, str | None]) -> None:
    parents = {child: parent for parent in fragment.iter() for child in parent}
    for placeholder, variable in _VARIABLES.items():
        if values[placeholder] is not None:
            continue
        doomed = [
            e
            for e in fragment.iter()
            if e.get("name") == variable or f'"{variable}"' in e.get("condition", "")
        ]
        for element in doomed:
            parents[element].remove(element)
    for choose in [c for c in fragment.iter("choose") if not list(c)]:
        parents[choose].remove(choose)


def class_state_elements(
    window: ClassWindow | None, fragment_path: Path = CLASS_WINDOW_FRAGMENT
) -> list[ET.Element]:
    """The fragment's elements, filled: the pause check always, the window's checks for the ends it has."""
    fragment = ET.fromstring(fragment_path.read_text(encoding="utf-8"))
    values = (window or ClassWindow()).values()
    _drop_open_ends(fragment, values)
    fill_placeholders(fragment, values)
    return [copy.deepcopy(e) for e in fragment]


def expand_class_state(root: ET.Element, window: ClassWindow | None) -> None:
    """Replace the template's one `<class-window />` element with the filled fragment."""
    replace_slot(root, CLASS_WINDOW_TAG, class_state_elements(window))
