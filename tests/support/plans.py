"""Helpers to read a Plan the way a reviewer would: by type, by logical name, following dependencies."""

from __future__ import annotations

from typing import Any

from labctl.plan.runtime import Plan
from labctl.resource_types import RESOURCE_TYPES


def _recorded(module_and_type: str) -> str:
    """The token of the labctl/resource_types.py record for `module:Type`; a type the tests name without a
    record is a test-setup error, raised at import."""
    token = f"azure-native:{module_and_type}"
    if token not in RESOURCE_TYPES:
        raise LookupError(f"no record for {token} in labctl/resource_types.py")
    return RESOURCE_TYPES[token].token


ACCOUNT = _recorded("cognitiveservices:Account")
DEPLOYMENT = _recorded("cognitiveservices:Deployment")
APIM = _recorded("apimanagement:ApiManagementService")
API = _recorded("apimanagement:Api")
API_POLICY = _recorded("apimanagement:ApiPolicy")
BACKEND = _recorded("apimanagement:Backend")
PRODUCT = _recorded("apimanagement:Product")
PRODUCT_API = _recorded("apimanagement:ProductApi")
SUBSCRIPTION = _recorded("apimanagement:Subscription")
LOGGER = _recorded("apimanagement:Logger")
API_DIAGNOSTIC = _recorded("apimanagement:ApiDiagnostic")
WORKSPACE = _recorded("operationalinsights:Workspace")
SAVED_SEARCH = _recorded("operationalinsights:SavedSearch")
DIAGNOSTIC_SETTING = _recorded("monitor:DiagnosticSetting")
ROLE_ASSIGNMENT = _recorded("authorization:RoleAssignment")
RESOURCE_GROUP = _recorded("resources:ResourceGroup")
# Not an Azure resource (pulumi-random): it has no record, only state.
PASSWORD = "random:index/randomPassword:RandomPassword"


def name_of(resource: dict[str, Any]) -> str:
    return resource["urn"].rsplit("::", 1)[-1]


def named(plan: Plan, logical_name: str) -> dict[str, Any]:
    return next(r for r in plan.resources if name_of(r) == logical_name)


def inputs(plan: Plan, typ: str) -> dict[str, Any]:
    return plan.one(typ)["inputs"]
