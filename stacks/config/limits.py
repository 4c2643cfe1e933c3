"""Lengths Azure enforces on values taken from the stack file: refused here, not half-way through `pulumi up`.

- Tag values: at most 256 characters (tag names 512). learn.microsoft.com/azure/azure-resource-manager/management/
  tag-resources#limitations. The lab tags every resource with `lab` (labName) and `owner` (stacks/naming.py).
- API Management `publisherName` and `publisherEmail`: maxLength 100. Azure/azure-rest-api-specs
  specification/apimanagement/resource-manager/Microsoft.ApiManagement/stable/2024-05-01/apimdeployment.json
  (ApiManagementServiceProperties). The owner stands in for publisherEmail when it is not set.
- API Management subscription `displayName`: 1 to 100 characters (same spec, SubscriptionCreateParameterProperties
  in definitions.json). The gateway names each participant's subscription `<name> <<email>>`
  (components/ai_gateway.py).

Encrypted values ("[secret]") are not measured: their length is known only to `pulumi up`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from stacks.config.encrypted import SECRET
from stacks.config.rules import RuleContext, rule
from stacks.config.section_base import NAMESPACE

TAG_VALUE_MAX = 256
PUBLISHER_MAX = 100
SUBSCRIPTION_DISPLAY_NAME_MAX = 100


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value != SECRET else None


@rule("labName")
def tag_values(raw: dict[str, Any], ctx: RuleContext) -> Iterator[str]:
    for key, tag in (("labName", "lab"), ("owner", "owner")):
        value = _text(raw.get(key))
        if value is not None and len(value) > TAG_VALUE_MAX:
            yield (
                f"{NAMESPACE}:{key}: {len(value)} characters; it becomes the `{tag}` tag of every resource and Azure "
                f"takes tag values of at most {TAG_VALUE_MAX}. Fix: shorten it to {TAG_VALUE_MAX} characters or fewer"
            )


@rule("publisherName")
def publisher(raw: dict[str, Any], ctx: RuleContext) -> Iterator[str]:
    name = _text(raw.get("publisherName"))
    if name is not None and len(name) > PUBLISHER_MAX:
        yield (
            f"{NAMESPACE}:publisherName: {len(name)} characters; API Management takes a publisher name of at most "
            f"{PUBLISHER_MAX}. Fix: shorten it"
        )
    key = "publisherEmail" if raw.get("publisherEmail") not in (None, "") else "owner"
    email = _text(raw.get(key))
    if email is not None and len(email) > PUBLISHER_MAX:
        role = "is" if key == "publisherEmail" else "stands in for publisherEmail, so it is"
        yield (
            f"{NAMESPACE}:{key}: {len(email)} characters; it {role} the gateway's publisher e-mail, which API "
            f"Management takes up to {PUBLISHER_MAX} characters. Fix: use a shorter address"
            + ("" if key == "publisherEmail" else " or set aoai-lab:publisherEmail")
        )


@rule("participants")
def subscription_display_names(raw: dict[str, Any], ctx: RuleContext) -> Iterator[str]:
    participants = raw.get("participants")
    if not isinstance(participants, list):
        return
    for i, entry in enumerate(participants):
        if not isinstance(entry, dict):
            continue
        name, email = _text(entry.get("name")), _text(entry.get("email"))
        if name is None or email is None:
            continue
        display = f"{name} <{email}>"
        if len(display) > SUBSCRIPTION_DISPLAY_NAME_MAX:
            yield (
                f"{NAMESPACE}:participants[{i}]: the gateway subscription's display name '<name> <<email>>' would "
                f"be {len(display)} characters; API Management takes at most {SUBSCRIPTION_DISPLAY_NAME_MAX}. "
                "Fix: use a shorter name or e-mail address"
            )
