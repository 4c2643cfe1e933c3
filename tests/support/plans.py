"""Helpers to read a Plan the way a reviewer would: by type, by logical name, following dependencies."""

from __future__ import annotations

from typing import Any

from labctl.plan.runtime import Plan

ACCOUNT = "azure-native:cognitiveservices:Account"
DEPLOYMENT = "azure-native:cognitiveservices:Deployment"
APIM = "azure-native:apimanagement:ApiManagementService"
API = "azure-native:apimanagement:Api"
API_POLICY = "azure-native:apimanagement:ApiPolicy"
BACKEND = "azure-native:apimanagement:Backend"
PRODUCT = "azure-native:apimanagement:Product"
PRODUCT_API = "azure-native:apimanagement:ProductApi"
SUBSCRIPTION = "azure-native:apimanagement:Subscription"
PASSWORD = "random:index/randomPassword:RandomPassword"
LOGGER = "azure-native:apimanagement:Logger"
API_DIAGNOSTIC = "azure-native:apimanagement:ApiDiagnostic"
WORKSPACE = "azure-native:operationalinsights:Workspace"
SAVED_SEARCH = "azure-native:operationalinsights:SavedSearch"
DIAGNOSTIC_SETTING = "azure-native:monitor:DiagnosticSetting"
ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment"
RESOURCE_GROUP = "azure-native:resources:ResourceGroup"


def name_of(resource: dict[str, Any]) -> str:
    return resource["urn"].rsplit("::", 1)[-1]


def named(plan: Plan, logical_name: str) -> dict[str, Any]:
    return next(r for r in plan.resources if name_of(r) == logical_name)


def inputs(plan: Plan, typ: str) -> dict[str, Any]:
    return plan.one(typ)["inputs"]
