"""The policy template's machinery, shared by the template and its fragments: fill `${name}` placeholders, put
elements in a slot, repeat a fragment per group of participants. Below gateway_policy.py and the fragment modules
(class_window, cost_cap, gateway_guards), which all import it, so none of them imports another to fill or place.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from typing import TypeVar

_PLACEHOLDER = re.compile(r"\$\{([A-Za-z][A-Za-z0-9]*)\}")
# Participant names become APIM subscription ids; only these characters may reach a policy expression.
_SUBSCRIPTION_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")

T = TypeVar("T")


class PolicyTemplateError(ValueError):
    """The template and the arguments do not fit together (a missing, unknown or unused placeholder)."""


def fill_placeholders(root: ET.Element, values: Mapping[str, str | None]) -> set[str]:
    """Fill every `${name}` under `root` and return the names used; a placeholder without a value is an error.

    Every value ends up in XML, which ElementTree escapes as it writes, so no value can change the policy's
    structure. A placeholder stands in one of two places, and that decides the rest of its escaping:
    - a whole attribute value: the value as given (None removes the attribute: an optional one);
    - inside a `<set-body>`'s text, a refusal's JSON: the value also JSON-escaped, since it stands inside a JSON
      string (the guards' names and numbers and the class window's labels need none today: the escaping keeps a
      later value from ending the message's string).
    Anywhere else (part of an attribute value, other text) a placeholder is refused: it would need an escaping of
    its own (gateway_routing.py puts a deployment name inside a C# string literal itself, from a checked alphabet).
    """
    used: set[str] = set()

    def value(name: str, where: str) -> str | None:
        if name not in values:
            raise PolicyTemplateError(f"{where}: placeholder ${{{name}}} has no value")
        used.add(name)
        return values[name]

    def in_json(match: re.Match[str]) -> str:
        text = value(match[1], "<set-body>")
        if text is None:
            raise PolicyTemplateError(f"<set-body>: placeholder ${{{match[1]}}} has no value")
        return json.dumps(text)[1:-1]

    for element in root.iter():
        for attr, text in list(element.attrib.items()):
            match = _PLACEHOLDER.fullmatch(text)
            if match is None:
                if "${" in text:
                    raise PolicyTemplateError(
                        f"<{element.tag} {attr}='{text}'>: a placeholder must be the whole attribute value"
                    )
                continue
            filled = value(match[1], f"<{element.tag} {attr}>")
            if filled is None:
                del element.attrib[attr]
            else:
                element.set(attr, filled)
        if element.text and "${" in element.text:
            if element.tag != "set-body":
                raise PolicyTemplateError(f"<{element.tag}>: a placeholder in text belongs in a <set-body>")
            element.text = _PLACEHOLDER.sub(in_json, element.text)
    return used


def _parents(root: ET.Element) -> dict[ET.Element, ET.Element]:
    return {child: parent for parent in root.iter() for child in parent}


def the_one(root: ET.Element, tag: str, where: str = "the template") -> ET.Element:
    """The one `<tag>` under `root`; none or several is a PolicyTemplateError."""
    found = list(root.iter(tag))
    if len(found) != 1:
        raise PolicyTemplateError(f"{where} must hold exactly one <{tag} /> element")
    return found[0]


def replace_element(root: ET.Element, old: ET.Element, elements: list[ET.Element]) -> None:
    """Put `elements` where `old` stands under `root` (none: it goes), with `old`'s trailing whitespace after the
    last of them."""
    parent = _parents(root)[old]
    index = list(parent).index(old)
    parent.remove(old)
    if elements:
        elements[-1].tail = old.tail
    parent[index:index] = elements


def replace_slot(root: ET.Element, tag: str, elements: list[ET.Element]) -> None:
    """Replace the template's one `<tag />` with `elements` in its place (none: the slot goes)."""
    replace_element(root, the_one(root, tag), elements)


def check_subscription_id(sid: str) -> None:
    """Raise ValueError unless `sid` may stand in a policy expression as a subscription id."""
    if not _SUBSCRIPTION_ID.fullmatch(sid):
        raise ValueError(
            f"'{sid}' is not a subscription id the policy can name (lowercase letters, digits, '-')"
        )


def subscription_condition(ids: list[str]) -> str:
    """A `<when>` condition true for the subscriptions `ids` (checked: nothing else reaches the expression)."""
    for sid in ids:
        check_subscription_id(sid)
    return "@(" + " || ".join(f'context.Subscription.Id == "{sid}"' for sid in ids) + ")"


def per_subscription(
    default: T | None, overrides: Mapping[str, T], elements_for: Callable[[T], list[ET.Element]]
) -> list[ET.Element]:
    """`elements_for(default)` for every participant, or a `<choose>` with a `<when>` per group of subscriptions
    whose value differs and an `<otherwise>` for the rest (none when `default` is None: only the listed ones)."""
    groups: dict[T, list[str]] = {}
    for sid, value in sorted(overrides.items()):
        if value != default:
            groups.setdefault(value, []).append(sid)
    if not groups:
        return [] if default is None else elements_for(default)
    choose = ET.Element("choose")
    for value, ids in groups.items():
        ET.SubElement(choose, "when", {"condition": subscription_condition(ids)}).extend(elements_for(value))
    if default is not None:
        ET.SubElement(choose, "otherwise").extend(elements_for(default))
    return [choose]
