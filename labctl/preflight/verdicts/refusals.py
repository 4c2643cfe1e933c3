"""What Azure's refusals mean, in plain words: the error bodies of deployment validation, classified.

Deployment validation answers a refusal as an ARM error body, often nested: HTTP 400
`{"error": {"code": "InvalidTemplateDeployment", "message": "The template deployment '...' is not valid according to
the validation procedure. ... See inner errors for details.", "details": [{"code": "ValidationForResourceFailed",
"details": [{"code": "SubscriptionIsOverQuotaForSku", ...}]}]}}` (MicrosoftDocs/azure-docs#108681), or a policy
violation with `details[].code == "RequestDisallowedByPolicy"` and a `target` (Azure/azure-cli#6075,
Azure-Samples/azure-search-openai-demo#120). A region outside an Azure for Students subscription's allowed set is
HTTP 403 `RequestDisallowedByAzure` "Resource '...' was disallowed by Azure: This policy maintains a set of best
available regions where your subscription can deploy resources..." (microsoft/microsoft-foundry-for-vscode#373,
microsoft/vscode-apimanagement#464). An offer without Azure OpenAI: `SpecialFeatureOrQuotaIdRequired` "The
subscription does not have QuotaId/Feature required by SKU 'S0' from kind 'OpenAI'"
(Azure-Samples/azure-search-openai-demo#114). Soft-deleted names: `FlagMustBeSetForRestore` (Cognitive Services),
`ServiceAlreadyExistsInSoftDeletedState` (API Management) (pulumi/pulumi-azure-native#2529).

The innermost codes decide; `InvalidTemplateDeployment` and `ValidationForResourceFailed` only wrap them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Kind(StrEnum):
    REGION_NOT_ALLOWED = "region not allowed for this subscription"
    POLICY = "blocked by a policy"
    OFFER = "this subscription's offer cannot use the service"
    ACCOUNT_QUOTA = "account-count quota reached"
    MODEL_QUOTA = "not enough model quota"
    NOT_OFFERED = "SKU or tier not offered in the region"
    SOFT_DELETED = "a soft-deleted resource holds the name"
    NAME_TAKEN = "the name is taken"
    PROVIDER = "resource provider not registered"
    TEMPLATE = "the lab's template is not accepted"
    OTHER = "refused"


# Wrappers: their own message says "see details"; the inner codes are the reasons.
WRAPPERS = {
    "invalidtemplatedeployment",
    "validationforresourcefailed",
    "deploymentfailed",
    "multipleerrorsoccurred",
}

# Code (lower case) -> kind. Sources in the module docstring; codes marked (*) are ARM's documented common codes
# (learn.microsoft.com/azure/azure-resource-manager/troubleshooting/common-deployment-errors).
CODES: dict[str, Kind] = {
    "requestdisallowedbyazure": Kind.REGION_NOT_ALLOWED,
    "requestdisallowedbypolicy": Kind.POLICY,
    "specialfeatureorquotaidrequired": Kind.OFFER,
    "insufficientquota": Kind.MODEL_QUOTA,
    "quotaexceeded": Kind.ACCOUNT_QUOTA,
    "subscriptionisoverquotaforsku": Kind.ACCOUNT_QUOTA,
    "skunotavailable": Kind.NOT_OFFERED,  # (*)
    "locationnotavailableforresourcetype": Kind.NOT_OFFERED,  # (*)
    "noregisteredproviderfound": Kind.NOT_OFFERED,  # (*)
    "locationnotavailablefordeployment": Kind.NOT_OFFERED,  # Azure/azure-cli#32973
    "invalidresourcelocation": Kind.NOT_OFFERED,  # (*)
    "flagmustbesetforrestore": Kind.SOFT_DELETED,
    "servicealreadyexistsinsoftdeletedstate": Kind.SOFT_DELETED,
    "customdomaininuse": Kind.NAME_TAKEN,
    "servicenamenotavailable": Kind.NAME_TAKEN,
    "missingsubscriptionregistration": Kind.PROVIDER,  # (*)
    "invalidtemplate": Kind.TEMPLATE,  # (*)
}

# What the user can do, per kind.
FIXES: dict[Kind, str] = {
    Kind.REGION_NOT_ALLOWED: "pick another candidate region; this subscription (e.g. Azure for Students) may only "
    "deploy to the regions its Azure-managed policy allows",
    Kind.POLICY: "ask the subscription's owner about the policy named, or pick a region or setting it allows",
    Kind.OFFER: "use a subscription whose offer includes Azure OpenAI (pay-as-you-go or an enterprise "
    "subscription); free and some student offers cannot create it",
    Kind.ACCOUNT_QUOTA: "delete (and purge) an unused account in this region, or request more at "
    "https://aka.ms/oai/quotaincrease",
    Kind.MODEL_QUOTA: "lower the capacity (or --class-share), pick another region, or request quota at "
    "https://aka.ms/oai/quotaincrease",
    Kind.NOT_OFFERED: "pick another region or SKU/tier",
    Kind.SOFT_DELETED: "purge the soft-deleted resource (`labctl purge`) or wait for its retention to end",
    Kind.NAME_TAKEN: "the name is globally unique and in use elsewhere; change aoai-lab:labName",
    Kind.PROVIDER: "register the resource provider: `labctl preflight --register`",
    Kind.TEMPLATE: "this is a problem in aoai-lab itself; report it with the message",
    Kind.OTHER: "read Azure's message",
}

RESOURCE_GROUP_REGION_FIX = (
    "the resource group's own region (azure-native:location) is refused: set it to a region this subscription "
    "allows (`pulumi config set azure-native:location <region>`); another candidate region does not move the group"
)

# Kinds that say the region itself is unusable for this subscription (never chosen). A template problem is not
# the region's fault, so it leaves the region unknown rather than refused.
REGION_KINDS = {
    Kind.REGION_NOT_ALLOWED,
    Kind.POLICY,
    Kind.OFFER,
    Kind.ACCOUNT_QUOTA,
    Kind.MODEL_QUOTA,
    Kind.NOT_OFFERED,
    Kind.SOFT_DELETED,
    Kind.NAME_TAKEN,
    Kind.PROVIDER,
    Kind.OTHER,
}


@dataclass(frozen=True)
class Refusal:
    kind: Kind
    code: str
    message: str
    target: str | None = None

    @property
    def fix(self) -> str:
        return FIXES[self.kind]

    def fix_for(self, resource_group: str | None) -> str:
        """`fix`, except when Azure refuses the resource group itself: its region is azure-native:location, which
        no other candidate region changes."""
        target = (self.target or "").rstrip("/").lower()
        group = (resource_group or "").lower()
        on_group = bool(group) and (target == group or target.endswith(f"/resourcegroups/{group}"))
        if on_group and self.kind in (Kind.REGION_NOT_ALLOWED, Kind.POLICY, Kind.NOT_OFFERED):
            return RESOURCE_GROUP_REGION_FIX
        return self.fix

    @property
    def plain(self) -> str:
        """One line for the table: the kind, the code, the resource, Azure's first sentence."""
        where = f" ({self.target})" if self.target else ""
        return f"{self.kind.value} [{self.code}]{where}: {first_sentence(self.message)}"


def first_sentence(text: str, limit: int = 220) -> str:
    text = " ".join((text or "").split())
    for stop in (". ", ".."):
        at = text.find(stop)
        if 0 < at < limit:
            return text[: at + 1]
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _leaves(error: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """The innermost errors of an ARM error tree (`details` nest any depth)."""
    details = [d for d in (error.get("details") or []) if isinstance(d, Mapping)]
    code = str(error.get("code") or "").lower()
    if not details:
        yield error
        return
    if code not in WRAPPERS and code in CODES:
        # A known code with details of its own (e.g. a policy denial with innererror) is itself the reason.
        yield error
        return
    for detail in details:
        yield from _leaves(detail)


def kind_of(code: str, message: str = "") -> Kind:
    lowered = (code or "").lower()
    if lowered in CODES:
        kind = CODES[lowered]
        if kind is Kind.MODEL_QUOTA and "account" in message.lower() and "capacity" not in message.lower():
            return Kind.ACCOUNT_QUOTA
        return kind
    text = message.lower()
    # Message-only signals, for codes ARM reuses (BadRequest, Conflict) with a telling message.
    if "soft-deleted" in text or "soft deleted" in text:
        return Kind.SOFT_DELETED
    if "quotaid/feature" in text:
        return Kind.OFFER
    if "best available regions" in text:
        return Kind.REGION_NOT_ALLOWED
    return Kind.OTHER


def classify(body: Mapping[str, Any] | None) -> list[Refusal]:
    """ARM error body (`{"error": {...}}` or the error object itself) -> the refusals it holds, innermost first."""
    if not body:
        return []
    error = body.get("error", body) if isinstance(body, Mapping) else {}
    if not isinstance(error, Mapping) or not (error.get("code") or error.get("message")):
        return []
    out: list[Refusal] = []
    seen: set[tuple[str, str]] = set()
    for leaf in _leaves(error):
        code = str(leaf.get("code") or "Unknown")
        message = str(leaf.get("message") or "")
        key = (code, message)
        if key in seen:
            continue
        seen.add(key)
        out.append(Refusal(kind_of(code, message), code, message, leaf.get("target") or None))
    return out
