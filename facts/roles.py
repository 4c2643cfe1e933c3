"""Built-in Azure roles the lab grants or recognises: name and role definition GUID (the same in every tenant).

Sources: learn.microsoft.com/azure/role-based-access-control/built-in-roles/ai-machine-learning (Cognitive Services
OpenAI User, OpenAI Contributor, Contributor, Usages Reader, User; Azure AI User) and .../built-in-roles/analytics
(Log Analytics Reader), .../built-in-roles/privileged (Owner, Contributor, User Access Administrator, Role Based
Access Control Administrator). Which roles the lab grants to whom, and why: stacks/catalog.py.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Role:
    name: str
    id: str  # built-in role definition GUID: the same in every tenant


OPENAI_USER = Role("Cognitive Services OpenAI User", "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd")
OPENAI_CONTRIBUTOR = Role("Cognitive Services OpenAI Contributor", "a001fd3d-188f-4b5d-821b-7da978bf7442")
COGNITIVE_SERVICES_CONTRIBUTOR = Role(
    "Cognitive Services Contributor", "25fbc0a9-bd7c-42a3-aa1a-3b75d497ee68"
)
COGNITIVE_SERVICES_USAGES_READER = Role(
    "Cognitive Services Usages Reader", "bba48692-92b0-4667-a9ad-c31c7b334ac2"
)
LOG_ANALYTICS_READER = Role("Log Analytics Reader", "73c42c96-874c-492b-b04d-ab87d138a893")
# Data actions Microsoft.CognitiveServices/* and, unlike Azure AI User, the listKeys action.
COGNITIVE_SERVICES_USER = Role("Cognitive Services User", "a97b65f3-24c7-4388-baec-2e87135dc908")
# Data actions in a Foundry project (agents, threads, files, evaluations) and read on projects and accounts; no
# listKeys. The portal now calls it "Foundry User", the GUID is unchanged (MicrosoftDocs/azure-ai-docs
# articles/foundry/includes/concepts-rbac-foundry-1.md). Its data actions, Microsoft.CognitiveServices/*, include
# Microsoft.CognitiveServices/accounts/MaaS/*, the one a role needs to call models of other publishers with Entra ID
# (articles/foundry/foundry-models/how-to/configure-entra-id.md, "Custom role").
AZURE_AI_USER = Role("Azure AI User", "53ca6127-db72-4b80-b1b0-d745d6d5456d")

# Roles that let the holder take over the subscription or grant access to others: a lab never grants them
# (labctl check's rule says so).
OWNER = Role("Owner", "8e3af657-a8ff-443c-a75c-2fe8c4bcb635")
CONTRIBUTOR = Role("Contributor", "b24988ac-6180-42a0-ab88-20f7382dd24c")
USER_ACCESS_ADMINISTRATOR = Role("User Access Administrator", "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9")
# Can assign any role, like User Access Administrator.
RBAC_ADMINISTRATOR = Role("Role Based Access Control Administrator", "f58310d9-a9f6-439a-9e8d-f62e7b41a168")
PRIVILEGED_ROLES: tuple[Role, ...] = (OWNER, CONTRIBUTOR, USER_ACCESS_ADMINISTRATOR, RBAC_ADMINISTRATOR)
