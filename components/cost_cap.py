"""A participant's money cap in the gateway policy: a second azure-openai-token-limit, with its own counter, from the
XML fragment `policies/cost-cap.xml`. The stack layer turns money into tokens (stacks/cost_cap.py); here only token
counts arrive."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from components.policy_template import fill_placeholders, per_subscription, replace_slot

COST_CAP_FRAGMENT = Path(__file__).parent / "policies" / "cost-cap.xml"
COST_CAP_TAG = "cost-cap"
COST_CAP_POLICY_ID = "participant-cost-cap"


@dataclass(frozen=True)
class CostCaps:
    """Tokens each participant may use over the class: `everyone` (None: no cap unless listed) and per participant
    (APIM subscription id) where it differs."""

    everyone: int | None = None
    participants: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for value in (self.everyone, *self.participants.values()):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value <= 0):
                raise ValueError(f"a cost cap is a positive whole number of tokens, not {value!r}")


def _element(tokens: int, fragment: Path) -> ET.Element:
    element = ET.fromstring(fragment.read_text(encoding="utf-8"))
    fill_placeholders(element, {"costCapTokens": str(tokens)})
    return element


def expand_cost_caps(root: ET.Element, caps: CostCaps | None, fragment: Path = COST_CAP_FRAGMENT) -> None:
    """Replace the template's one `<cost-cap />` with the caps (or nothing)."""
    replace_slot(root, COST_CAP_TAG, _cap_elements(caps, fragment))


def _cap_elements(caps: CostCaps | None, fragment: Path) -> list[ET.Element]:
    """One cap for everyone, or a <choose> with a branch per group of participants whose cap differs."""
    if caps is None:
        return []
    return per_subscription(caps.everyone, caps.participants, lambda tokens: [_element(tokens, fragment)])
