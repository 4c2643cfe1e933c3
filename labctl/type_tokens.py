"""The Pulumi type tokens of the resources the lab declares: the one place each is spelled (tests/test_facts.py
fails on a copy). labctl/resource_types.py describes each type; the mock cloud, the guardrails, the diff engine and
the policy pack import the tokens from here. Standard library only, and nothing of stacks/ (the planner contract,
labctl/resource_types.py).
"""

from __future__ import annotations

RESOURCE_GROUP = "azure-native:resources:ResourceGroup"
ACCOUNT = "azure-native:cognitiveservices:Account"
DEPLOYMENT = "azure-native:cognitiveservices:Deployment"
PROJECT = "azure-native:cognitiveservices:Project"
RAI_POLICY = "azure-native:cognitiveservices:RaiPolicy"
RAI_BLOCKLIST = "azure-native:cognitiveservices:RaiBlocklist"
RAI_BLOCKLIST_ITEM = "azure-native:cognitiveservices:RaiBlocklistItem"
GATEWAY = "azure-native:apimanagement:ApiManagementService"
API = "azure-native:apimanagement:Api"
API_POLICY = "azure-native:apimanagement:ApiPolicy"
NAMED_VALUE = "azure-native:apimanagement:NamedValue"
BACKEND = "azure-native:apimanagement:Backend"
PRODUCT = "azure-native:apimanagement:Product"
PRODUCT_API = "azure-native:apimanagement:ProductApi"
SUBSCRIPTION = "azure-native:apimanagement:Subscription"
LOGGER = "azure-native:apimanagement:Logger"
API_DIAGNOSTIC = "azure-native:apimanagement:ApiDiagnostic"
GENERIC_RESOURCE = "azure-native:resources:Resource"
ARM_DEPLOYMENT = "azure-native:resources:Deployment"
WORKBOOK = "azure-native:applicationinsights:Workbook"
WORKSPACE = "azure-native:operationalinsights:Workspace"
SAVED_SEARCH = "azure-native:operationalinsights:SavedSearch"
DIAGNOSTIC_SETTING = "azure-native:monitor:DiagnosticSetting"
ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment"
BUDGET = "azure-native:consumption:Budget"
