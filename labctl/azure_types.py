"""Facts about the Azure resource types the lab declares, shared by the mock cloud and the diff engine."""

from __future__ import annotations

# The input that holds a resource's own Azure name (the last segment of its ARM id), per type.
NAME_INPUTS: dict[str, str] = {
    "azure-native:resources:ResourceGroup": "resourceGroupName",
    "azure-native:cognitiveservices:Account": "accountName",
    "azure-native:cognitiveservices:Deployment": "deploymentName",
    "azure-native:apimanagement:ApiManagementService": "serviceName",
    "azure-native:apimanagement:Api": "apiId",
    "azure-native:apimanagement:ApiPolicy": "policyId",
    "azure-native:apimanagement:Backend": "backendId",
    "azure-native:apimanagement:Product": "productId",
    "azure-native:apimanagement:ProductApi": "apiId",
    "azure-native:apimanagement:Subscription": "sid",
    "azure-native:apimanagement:Logger": "loggerId",
    "azure-native:apimanagement:ApiDiagnostic": "diagnosticId",
    # The provider's generic resource (the API diagnostic with LLM logging) and the instructor's workbook.
    "azure-native:resources:Resource": "resourceName",
    "azure-native:applicationinsights:Workbook": "resourceName",
    "azure-native:operationalinsights:Workspace": "workspaceName",
    "azure-native:operationalinsights:SavedSearch": "savedSearchId",
    "azure-native:monitor:DiagnosticSetting": "name",
    "azure-native:authorization:RoleAssignment": "roleAssignmentName",
    "azure-native:consumption:Budget": "budgetName",
}
