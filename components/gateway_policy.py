"""The gateway's API policy: an XML template with named placeholders, filled from typed arguments.

The template is parsed as XML and its placeholders are replaced in the element tree, never by editing text, so a
value can never change the policy's structure. A placeholder is a whole attribute value `${name}`; an optional
one given no value removes its attribute. The `azure-openai-token-limit` element is a prototype: removed when no limits
are set, and repeated inside a `<choose>` when some participants have limits of their own. `<class-window />` is
replaced by the class's pause and window checks (components/class_window.py, policies/class-window.xml).
"""

from __future__ import annotations

import copy
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

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
_PLACEHOLDER = re.compile(r"^\$\{([A-Za-z][A-Za-z0-9]*)\}$")
# Participant names become APIM subscription ids; only these characters may reach a policy expression.
_SUBSCRIPTION_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")


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


def fill_placeholders(root: ET.Element, values: Mapping[str, str | None], *, strict: bool = True) -> set[str]:
    """Replace every `${name}` attribute value under `root`; a None value removes the attribute. Returns the names
    used. With `strict`, a placeholder without a value is an error."""
    used: set[str] = set()
    for element in root.iter():
        for attr, value in list(element.attrib.items()):
            match = _PLACEHOLDER.match(value)
            if match is None:
                if "${" in value:
                    raise PolicyTemplateError(
                        f"<{element.tag} {attr}='{value}'>: a placeholder must be the whole attribute value"
                    )
                continue
            name = match[1]
            if name not in values:
                if strict:
                    raise PolicyTemplateError(f"<{element.tag} {attr}>: placeholder ${{{name}}} has no value")
                continue
            used.add(name)
            if values[name] is None:
                del element.attrib[attr]
            else:
                element.set(attr, str(values[name]))
    return used


def _parents(root: ET.Element) -> dict[ET.Element, ET.Element]:
    return {child: parent for parent in root.iter() for child in parent}


def replace_slot(root: ET.Element, tag: str, elements: list[ET.Element]) -> None:
    """Replace the template's one `<tag />` with `elements` in its place (none: the slot goes), keeping the slot's
    trailing whitespace after the last of them."""
    found = list(root.iter(tag))
    if len(found) != 1:
        raise PolicyTemplateError(f"the template must hold exactly one <{tag} /> element")
    slot = found[0]
    parent = _parents(root)[slot]
    index = list(parent).index(slot)
    parent.remove(slot)
    if elements:
        elements[-1].tail = slot.tail
    for offset, element in enumerate(elements):
        parent.insert(index + offset, element)


def _subscription_condition(ids: list[str]) -> str:
    for sid in ids:
        if not _SUBSCRIPTION_ID.fullmatch(sid):
            raise ValueError(
                f"'{sid}' is not a subscription id the policy can name (lowercase letters, digits, '-')"
            )
    return "@(" + " || ".join(f'context.Subscription.Id == "{sid}"' for sid in ids) + ")"


def _expand_token_limits(root: ET.Element, args: GatewayPolicyArgs) -> None:
    prototypes = [e for e in root.iter(TOKEN_LIMIT_TAG)]
    if len(prototypes) != 1:
        raise PolicyTemplateError(f"the template must hold exactly one <{TOKEN_LIMIT_TAG}> prototype")
    prototype = prototypes[0]
    parent = _parents(root)[prototype]
    index = list(parent).index(prototype)
    parent.remove(prototype)
    if args.token_limits is None and not args.participant_limits:
        return

    def limit_for(limits: TokenLimits) -> ET.Element:
        element = copy.deepcopy(prototype)
        fill_placeholders(element, limits.placeholders())
        return element

    if not args.participant_limits:
        assert args.token_limits is not None
        parent.insert(index, limit_for(args.token_limits))
        return
    # Participants with the same limits share one branch; one counter per subscription either way.
    groups: dict[TokenLimits, list[str]] = {}
    for sid, limits in sorted(args.participant_limits.items()):
        if limits != args.token_limits:
            groups.setdefault(limits, []).append(sid)
    if not groups:
        if args.token_limits is not None:
            parent.insert(index, limit_for(args.token_limits))
        return
    choose = ET.Element("choose")
    for limits, ids in groups.items():
        when = ET.SubElement(choose, "when", {"condition": _subscription_condition(ids)})
        when.append(limit_for(limits))
    if args.token_limits is not None:  # else only the listed participants are limited
        otherwise = ET.SubElement(choose, "otherwise")
        otherwise.append(limit_for(args.token_limits))
    choose.tail = prototype.tail
    parent.insert(index, choose)


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
