"""The gateway's API policy: an XML template with named placeholders, filled from typed arguments.

The template is parsed as XML and its placeholders are replaced in the element tree, never by editing text, so a
value can never change the policy's structure (components/policy_template.py, the one filler of the template and its
fragments). The `azure-openai-token-limit` element is a prototype: removed when no limits
are set, and repeated inside a `<choose>` when some participants have limits of their own. `<class-window />` is
replaced by the class's pause and window checks (components/class_window.py, policies/class-window.xml).
"""

from __future__ import annotations

import copy
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from components.class_window import CLASS_WINDOW_TAG, ClassWindow, expand_class_state  # noqa: F401 (re-exported)
from components.cost_cap import CostCaps, expand_cost_caps
from components.gateway_guards import GatewayGuards, expand_guards
from components.policy_template import (
    PolicyTemplateError,
    fill_placeholders,
    per_subscription,
    replace_element,
)
from facts.token_limits import QUOTA_PERIODS, QuotaPeriod

POLICY_DIR = Path(__file__).parent / "policies"
POLICY_TEMPLATE = POLICY_DIR / "openai-gateway.xml"
PUBLIC_AUDIENCE = "https://cognitiveservices.azure.com"
# Azure OpenAI APIs take azure-openai-token-limit, the Azure OpenAI variant of llm-token-limit (which is for APIs of
# the Azure AI Model Inference API and OpenAI-compatible providers); same attributes
# (learn.microsoft.com/azure/api-management/azure-openai-token-limit-policy, .../llm-token-limit-policy).
TOKEN_LIMIT_TAG = "azure-openai-token-limit"
TOKEN_LIMIT_TAGS = ("azure-openai-token-limit", "llm-token-limit")


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
