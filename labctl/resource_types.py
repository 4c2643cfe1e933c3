"""One record per Azure resource type the lab declares: how it is named, where it sits in ARM, what the plan
shows of it, whether it takes tags, and which changes re-create it.

The mock cloud (ARM ids), the diff engine (names, parents, collections, replace rules), the plan renderer (key
properties), the guardrails (taggable types) and the test helpers all derive what they need from `RESOURCE_TYPES`;
tests/labctl/test_resource_types.py checks that every type in a plan has a record. To add a type: its token in
labctl/type_tokens.py, one `ResourceType(...)` entry below. Planner contract (labctl/cli.py): the mock cloud imports
this module while `labctl diff` plans an older revision, so it imports nothing from stacks/ at module level."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from labctl import type_tokens as tokens

MISSING: Any = object()  # a property absent on one side of a change

_RG = "/subscriptions/{subscription}/resourceGroups/{resourceGroupName}"
_APIM = _RG + "/providers/Microsoft.ApiManagement/service/{serviceName}"


@dataclass(frozen=True)
class Replace:
    """A property Azure (or the provider) can't change in place: changing it re-creates the resource."""

    path: str  # property path in the provider's inputs; "*" for every input
    reason: str
    # Only some changes force it: called with the old and new values (MISSING when absent).
    when: Callable[[Any, Any], bool] | None = None


@dataclass(frozen=True)
class ResourceType:
    token: str  # the Pulumi type token
    name_input: str  # the input that holds its Azure name (the last segment of its ARM id)
    arm_id: str  # its ARM id; {name} is its name, other {fields} are inputs (last id segment), {subscription}
    key_properties: tuple[str, ...] = ()  # dotted input paths the plan tree shows
    taggable: bool = False  # its SDK class takes `tags` (test: compared with the SDK)
    tagged: bool = True  # False: no lab tags asked (a proxy resource; APIM labels, not ARM tags)
    replace: tuple[Replace, ...] = ()
    own_name: bool = True  # False: the name input names another resource (a product-API link's apiId)
    parents: tuple[str, ...] = ()  # inputs placing it under another resource: replacing that replaces it

    @property
    def collection(self) -> str:
        """The ARM id segment before its name (`.../accounts/<name>` -> accounts)."""
        return self.arm_id.rsplit("/", 2)[-2]


def _apim_family_changes(old: Any, new: Any) -> bool:
    from facts.apim_tiers import family_of  # lazily: see the planner contract above

    if old is MISSING or new is MISSING or not isinstance(old, str) or not isinstance(new, str):
        return False
    return family_of(old) != family_of(new)


RESOURCE_TYPES: dict[str, ResourceType] = {
    t.token: t
    for t in (
        ResourceType(
            tokens.RESOURCE_GROUP,
            "resourceGroupName",
            "/subscriptions/{subscription}/resourceGroups/{name}",
            ("resourceGroupName", "location"),
            taggable=True,
            replace=(Replace("resourceGroupName", "a resource group can't be renamed"),),
        ),
        ResourceType(
            tokens.ACCOUNT,
            "accountName",
            _RG + "/providers/Microsoft.CognitiveServices/accounts/{name}",
            (
                "accountName",
                "location",
                "kind",
                "sku.name",
                "properties.disableLocalAuth",
                "properties.publicNetworkAccess",
            ),
            taggable=True,
            parents=("resourceGroupName",),
            replace=(
                Replace("accountName", "the account name is its ARM id"),
                # Azure rejects a kind change (OpenAI <-> AIServices) on an existing account.
                Replace("kind", "an account's kind can't change in place"),
                # The custom subdomain is the account's global DNS name and can be set only once.
                Replace("properties.customSubDomainName", "the custom subdomain can be set only once"),
            ),
        ),
        ResourceType(
            tokens.DEPLOYMENT,
            "deploymentName",
            _RG + "/providers/Microsoft.CognitiveServices/accounts/{accountName}/deployments/{name}",
            (
                "deploymentName",
                "properties.model.name",
                "properties.model.version",
                "sku.name",
                "sku.capacity",
            ),
            taggable=True,
            parents=("resourceGroupName", "accountName"),
            replace=(
                Replace("accountName", "a deployment belongs to one account"),
                Replace("deploymentName", "the deployment name is its ARM id"),
                # A deployment serves one model: another model (or format) is another deployment; versions upgrade.
                Replace("properties.model.format", "a deployment's model format is fixed at creation"),
                Replace(
                    "properties.model.name",
                    "a deployment's model is fixed at creation (versions upgrade in place)",
                ),
            ),
        ),
        # The Foundry track (components/foundry_project.py, components/content_filter.py): children of the account.
        ResourceType(
            tokens.PROJECT,
            "projectName",
            _RG + "/providers/Microsoft.CognitiveServices/accounts/{accountName}/projects/{name}",
            ("projectName", "location", "identity.type", "properties.displayName"),
            taggable=True,
            parents=("resourceGroupName", "accountName"),
            replace=(
                Replace("accountName", "a project belongs to one account"),
                Replace("projectName", "the project name is its ARM id"),
            ),
        ),
        ResourceType(
            tokens.RAI_POLICY,
            "raiPolicyName",
            _RG + "/providers/Microsoft.CognitiveServices/accounts/{accountName}/raiPolicies/{name}",
            ("raiPolicyName", "properties.basePolicyName", "properties.mode"),
            taggable=True,
            parents=("resourceGroupName", "accountName"),
            replace=(
                Replace("accountName", "a content filter belongs to one account"),
                Replace("raiPolicyName", "the content filter name is its ARM id"),
            ),
        ),
        ResourceType(
            tokens.RAI_BLOCKLIST,
            "raiBlocklistName",
            _RG + "/providers/Microsoft.CognitiveServices/accounts/{accountName}/raiBlocklists/{name}",
            ("raiBlocklistName",),
            taggable=True,
            parents=("resourceGroupName", "accountName"),
            replace=(
                Replace("accountName", "a blocklist belongs to one account"),
                Replace("raiBlocklistName", "the blocklist name is its ARM id"),
            ),
        ),
        ResourceType(
            tokens.RAI_BLOCKLIST_ITEM,
            "raiBlocklistItemName",
            _RG
            + "/providers/Microsoft.CognitiveServices/accounts/{accountName}/raiBlocklists/{raiBlocklistName}"
            + "/raiBlocklistItems/{name}",
            ("raiBlocklistItemName", "properties.pattern"),
            taggable=True,
            parents=("resourceGroupName", "accountName", "raiBlocklistName"),
            replace=(
                Replace("raiBlocklistName", "an item belongs to one blocklist"),
                Replace("raiBlocklistItemName", "the item name is its ARM id"),
            ),
        ),
        ResourceType(
            tokens.GATEWAY,
            "serviceName",
            _RG + "/providers/Microsoft.ApiManagement/service/{name}",
            ("serviceName", "location", "sku.name", "identity.type"),
            taggable=True,
            parents=("resourceGroupName",),
            replace=(
                Replace("serviceName", "the service name is its ARM id"),
                # Classic, v2 and Consumption are different platforms (facts/apim_tiers.py): a tier change
                # within a family scales in place, across families it is a new service.
                Replace(
                    "sku.name",
                    "API Management can't move between the classic, v2 and Consumption tiers in place",
                    when=_apim_family_changes,
                ),
            ),
        ),
        ResourceType(
            tokens.API,
            "apiId",
            _APIM + "/apis/{name}",
            ("apiId", "path", "format", "subscriptionKeyParameterNames.header"),
            parents=("resourceGroupName", "serviceName"),
            replace=(Replace("apiId", "the API id is its ARM id"),),
        ),
        ResourceType(
            tokens.API_POLICY,
            "policyId",
            _APIM + "/apis/{apiId}/policies/{name}",
            ("format",),
            parents=("resourceGroupName", "serviceName", "apiId"),
            replace=(
                Replace("apiId", "the policy belongs to another API"),
                Replace("policyId", "the policy id is its ARM id"),
            ),
        ),
        ResourceType(
            tokens.NAMED_VALUE,
            "namedValueId",
            _APIM + "/namedValues/{name}",
            ("displayName", "value"),
            taggable=True,
            tagged=False,  # its `tags` are APIM labels, not ARM tags
            parents=("resourceGroupName", "serviceName"),
        ),
        ResourceType(
            tokens.BACKEND,
            "backendId",
            _APIM + "/backends/{name}",
            ("backendId", "url"),
            parents=("resourceGroupName", "serviceName"),
            replace=(Replace("backendId", "the backend id is its ARM id"),),
        ),
        ResourceType(
            tokens.PRODUCT,
            "productId",
            _APIM + "/products/{name}",
            ("productId", "subscriptionRequired", "approvalRequired"),
            parents=("resourceGroupName", "serviceName"),
            replace=(Replace("productId", "the product id is its ARM id"),),
        ),
        ResourceType(
            tokens.PRODUCT_API,
            "apiId",
            _APIM + "/products/{productId}/apis/{name}",
            own_name=False,
            parents=("resourceGroupName", "serviceName", "productId", "apiId"),
            replace=(
                Replace("productId", "the link's product changes"),
                Replace("apiId", "the link's API changes"),
            ),
        ),
        ResourceType(
            tokens.SUBSCRIPTION,
            "sid",
            _APIM + "/subscriptions/{name}",
            ("sid", "displayName"),
            parents=("resourceGroupName", "serviceName"),
            replace=(Replace("sid", "the subscription id is its ARM id"),),
        ),
        ResourceType(
            tokens.LOGGER,
            "loggerId",
            _APIM + "/loggers/{name}",
            ("loggerId", "loggerType"),
            parents=("resourceGroupName", "serviceName"),
            replace=(Replace("loggerId", "the logger id is its ARM id"),),
        ),
        ResourceType(
            tokens.API_DIAGNOSTIC,
            "diagnosticId",
            _APIM + "/apis/{apiId}/diagnostics/{name}",
            ("diagnosticId", "sampling.percentage"),
            parents=("resourceGroupName", "serviceName", "apiId"),
            replace=(
                Replace("apiId", "the diagnostic belongs to another API"),
                Replace("diagnosticId", "the diagnostic id is its ARM id"),
            ),
        ),
        # The provider's generic resource at an explicit API version: the lab's one is the API diagnostic with LLM
        # logging (components/ai_gateway.py: .../apis/<a>/diagnostics/<name>; its test checks the resourceType).
        ResourceType(
            tokens.GENERIC_RESOURCE,
            "resourceName",
            _RG + "/providers/{resourceProviderNamespace}/{parentResourcePath}/diagnostics/{name}",
            ("resourceType", "resourceName", "apiVersion"),
            taggable=True,
            tagged=False,
            parents=("resourceGroupName", "parentResourcePath"),
            replace=tuple(
                Replace(key, "these inputs spell the generic resource's ARM id")
                for key in ("resourceProviderNamespace", "parentResourcePath", "resourceType", "resourceName")
            ),
        ),
        ResourceType(  # An Incremental ARM deployment: the gateway's `azuremonitor` logger (gateway_logging.py).
            tokens.ARM_DEPLOYMENT,
            "deploymentName",
            _RG + "/providers/Microsoft.Resources/deployments/{name}",
            ("deploymentName", "properties.mode"),
            taggable=True,
        ),
        ResourceType(
            tokens.WORKBOOK,
            "resourceName",
            _RG + "/providers/Microsoft.Insights/workbooks/{name}",
            ("displayName", "kind", "sourceId"),
            taggable=True,
            parents=("resourceGroupName",),
            replace=(Replace("resourceName", "the workbook's name (a GUID) is its ARM id"),),
        ),
        ResourceType(
            tokens.WORKSPACE,
            "workspaceName",
            _RG + "/providers/Microsoft.OperationalInsights/workspaces/{name}",
            ("workspaceName", "retentionInDays", "workspaceCapping.dailyQuotaGb"),
            taggable=True,
            parents=("resourceGroupName",),
            replace=(Replace("workspaceName", "the workspace name is its ARM id"),),
        ),
        ResourceType(
            tokens.SAVED_SEARCH,
            "savedSearchId",
            _RG + "/providers/Microsoft.OperationalInsights/workspaces/{workspaceName}/savedSearches/{name}",
            ("displayName", "category"),
            taggable=True,
            parents=("resourceGroupName", "workspaceName"),
            replace=(
                Replace("workspaceName", "the saved search moves to another workspace"),
                Replace("savedSearchId", "the saved search id is its ARM id"),
            ),
        ),
        ResourceType(
            tokens.DIAGNOSTIC_SETTING,
            "name",
            "{resourceUri}/providers/Microsoft.Insights/diagnosticSettings/{name}",
            ("logAnalyticsDestinationType",),
            parents=("resourceUri",),
            replace=(
                Replace("name", "the setting's name is its ARM id"),
                # A diagnostic setting is an extension of its target resource.
                Replace("resourceUri", "the setting moves to another resource"),
            ),
        ),
        ResourceType(
            tokens.ROLE_ASSIGNMENT,
            "roleAssignmentName",
            "{scope}/providers/Microsoft.Authorization/roleAssignments/{name}",
            ("principalType", "roleDefinitionId", "scope"),
            parents=("scope",),
            # Role assignments are immutable: principal, role and scope define the assignment.
            replace=(
                Replace("roleAssignmentName", "the assignment name is its id"),
                Replace("scope", "role assignments are immutable"),
                Replace("principalId", "role assignments are immutable"),
                Replace("roleDefinitionId", "role assignments are immutable"),
                Replace("principalType", "role assignments are immutable"),
            ),
        ),
        ResourceType(
            tokens.BUDGET,
            "budgetName",
            "{scope}/providers/Microsoft.Consumption/budgets/{name}",
            ("amount", "timeGrain"),
            parents=("scope",),
            replace=(
                Replace("budgetName", "the budget name is its ARM id"),
                Replace("scope", "a budget can't move to another scope"),
            ),
        ),
    )
}

# Rules for every type of a provider or module, by token prefix, around the records' own: GENERAL first, FAMILY after.
GENERAL_REPLACE: tuple[tuple[str, Replace], ...] = (
    # ARM ids contain the resource group: another group is another resource.
    ("azure-native:", Replace("resourceGroupName", "the resource group is part of the ARM id")),
    # Azure resources can't move between regions.
    ("azure-native:", Replace("location", "Azure resources can't move to another region")),
)
FAMILY_REPLACE: tuple[tuple[str, Replace], ...] = (
    # Every API Management child lives under its service and has its id in its ARM id.
    ("azure-native:apimanagement:", Replace("serviceName", "the parent API Management service changes")),
    # Every input of the random provider's resources forces a new value; a new name suffix renames the lab.
    ("random:", Replace("*", "every input of a random resource forces a new value")),
)


def record(token: str) -> ResourceType | None:
    return RESOURCE_TYPES.get(token)


NAME_INPUTS: dict[str, str] = {t.token: t.name_input for t in RESOURCE_TYPES.values()}
TAGGABLE_TYPES: frozenset[str] = frozenset(
    t.token for t in RESOURCE_TYPES.values() if t.taggable and t.tagged
)
KEY_PROPERTIES: dict[str, tuple[str, ...]] = {t.token: t.key_properties for t in RESOURCE_TYPES.values()}


def arm_id(token: str, name: str, inputs: dict[str, Any], subscription: str) -> str:
    """The ARM id Azure would give a resource of this type with these inputs (the mock cloud's ids)."""
    rt = RESOURCE_TYPES.get(token)
    if rt is None:
        return f"{token.replace(':', '/')}/{name}"
    values: dict[str, str] = {"name": name, "subscription": subscription}
    for field in re.findall(r"\{(\w+)\}", rt.arm_id):  # the {fields} of its ARM id
        if field not in values:
            raw = str(inputs.get(field, "") or "")
            # Extension scopes are full ids; other inputs may be passed bare or as an id: take the last segment.
            full = field in ("resourceUri", "scope", "parentResourcePath", "resourceProviderNamespace")
            values[field] = raw if full else raw.rstrip("/").rsplit("/", 1)[-1]
    return rt.arm_id.format(**values)
