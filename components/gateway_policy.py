"""The gateway's API policy: an XML template with named placeholders, filled from typed arguments.

The template is parsed as XML and its placeholders are replaced in the element tree, never by editing text, so a
value can never change the policy's structure. A placeholder is a whole attribute value `${name}`; an optional
one given no value removes its attribute. The `azure-openai-token-limit` element is a prototype: removed when no limits
are set, and repeated inside a `<choose>` when some participants have limits of their own. `<class-window />` is
replaced by the class's pause and window checks (components/class_window.py, policies/class-window.xml).
"""

from __future__ import annotations

import copy
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from components.class_window import CLASS_WINDOW_TAG, ClassWindow, expand_class_state  # noqa: F401 (re-exported)
from components.cost_cap import CostCaps, expand_cost_caps
from components.gateway_guards import GatewayGuards, expand_guards
from facts.token_limits import QUOTA_PERIODS, QuotaPeriod

POLICY_DIR = Path(__file__).parent / "policies"
POLICY_TEMPLATE = POLICY_DIR / "openai-gateway.xml"
PUBLIC_AUDIENCE = "https://cognitiveservices.azure.com"
# Azure OpenAI APIs take azure-openai-token-limit, the Azure OpenAI variant of llm-token-limit (which is for APIs of
# the Azure AI Model Inference API and OpenAI-compatible providers); same attributes
# (learn.microsoft.com/azure/api-management/azure-openai-token-limit-policy, .../llm-token-limit-policy).
TOKEN_LIMIT_TAG = "azure-openai-token-limit"
TOKEN_LIMIT_TAGS = ("azure-openai-token-limit", "llm-token-limit")
_PLACEHOLDER = re.compile(r"\$\{([A-Za-z][A-Za-z0-9]*)\}")
# Participant names become APIM subscription ids; only these characters may reach a policy expression.
_SUBSCRIPTION_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")


T = TypeVar("T")


class PolicyTemplateError(ValueError):
    """The template and the arguments do not fit together (a missing, unknown or unused placeholder)."""


@dataclass(frozen=True)
class TokenLimits:
    """One participant's token budget on the gateway: per minute, per period, or both."""

    tokens_per_minute: int | None = None
    token_quota: int | None = None
    token_quota_period: QuotaPeriod | None = None

    def __post_init__(self) -> None:
        for name in ("tokens_per_minute", "token_quota"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value <= 0):
                raise ValueError(f"{name} must be a positive whole number, not {value!r}")
        if (self.token_quota is None) != (self.token_quota_period is None):
            raise ValueError("token_quota and token_quota_period go together: set both or neither")
        if self.token_quota_period is not None and self.token_quota_period not in QUOTA_PERIODS:
            raise ValueError(f"token_quota_period must be one of {', '.join(QUOTA_PERIODS)}")
        if self.tokens_per_minute is None and self.token_quota is None:
            raise ValueError("set tokens_per_minute, or token_quota with token_quota_period")

    def placeholders(self) -> dict[str, str | None]:
        return {
            "tokensPerMinute": None if self.tokens_per_minute is None else str(self.tokens_per_minute),
            "tokenQuota": None if self.token_quota is None else str(self.token_quota),
            "tokenQuotaPeriod": self.token_quota_period,
        }


@dataclass(frozen=True)
class GatewayPolicyArgs:
    managed_identity_audience: str = PUBLIC_AUDIENCE
    # Everyone's limits; None: no token limit at all.
    token_limits: TokenLimits | None = None
    # Participants (APIM subscription ids) whose limits differ from `token_limits`.
    participant_limits: Mapping[str, TokenLimits] = field(default_factory=dict)
    # Tokens each participant may use over the class (their costCap in tokens); None: no cap.
    cost_caps: CostCaps | None = None
    # Keys work only in this window; None: always. The pause check is there either way.
    class_window: ClassWindow | None = None
    # Limits per call and per key that are not token counts (components/gateway_guards.py); None: no guards (a
    # stack always sets them; the `gateway-call-guards` guardrail fails one that does not).
    guards: GatewayGuards | None = None


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


def subscription_condition(ids: list[str]) -> str:
    """A `<when>` condition true for the subscriptions `ids` (checked: nothing else reaches the expression)."""
    for sid in ids:
        if not _SUBSCRIPTION_ID.fullmatch(sid):
            raise ValueError(
                f"'{sid}' is not a subscription id the policy can name (lowercase letters, digits, '-')"
            )
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


def _expand_token_limits(root: ET.Element, args: GatewayPolicyArgs) -> None:
    prototypes = list(root.iter(TOKEN_LIMIT_TAG))
    if len(prototypes) != 1:
        raise PolicyTemplateError(f"the template must hold exactly one <{TOKEN_LIMIT_TAG}> prototype")
    prototype = prototypes[0]

    def limit_for(limits: TokenLimits) -> list[ET.Element]:
        element = copy.deepcopy(prototype)
        fill_placeholders(element, limits.placeholders())
        return [element]

    # One counter per subscription either way; participants with the same limits share one branch.
    replace_element(root, prototype, per_subscription(args.token_limits, args.participant_limits, limit_for))


def render_policy(args: GatewayPolicyArgs, template: Path = POLICY_TEMPLATE) -> str:
    """The policy document as API Management's `xml` format expects it (policy expressions entity-escaped)."""
    root = ET.fromstring(template.read_text(encoding="utf-8"))
    expand_class_state(root, args.class_window)
    expand_guards(root, args.guards)
    _expand_token_limits(root, args)
    expand_cost_caps(root, args.cost_caps)  # after: the token limit's prototype must be the only one
    values: dict[str, str | None] = {"managedIdentityAudience": args.managed_identity_audience}
    used = fill_placeholders(root, values)
    unused = set(values) - used
    if unused:
        raise PolicyTemplateError(f"the template has no placeholder for {', '.join(sorted(unused))}")
    ET.indent(
        root, space="  "
    )  # comments are gone: re-indent so the document reads well in the portal and diffs
    return ET.tostring(root, encoding="unicode")


def policy_backend_id(policy_xml: str) -> str:
    """The backend the policy routes to: the policy file is the single source of that id."""
    node = ET.fromstring(policy_xml).find("./inbound/set-backend-service")
    if node is None or not node.get("backend-id"):
        raise ValueError("the API policy must route with <set-backend-service backend-id=...> in <inbound>")
    return node.get("backend-id", "")
