"""Fixed Azure facts the config is validated against: deployment SKUs, account kinds, roles and role sets.

Clouds and regions live in stacks/facts/clouds.py, API Management tiers in stacks/facts/apim_tiers.py."""

from __future__ import annotations

from dataclasses import dataclass

# Deployment types (the deployment's `sku.name`). DeveloperTier exists for fine-tuned models only.
DEPLOYMENT_SKUS: tuple[str, ...] = (
    "GlobalStandard",
    "DataZoneStandard",
    "Standard",
    "GlobalProvisionedManaged",
    "DataZoneProvisionedManaged",
    "ProvisionedManaged",
    "GlobalBatch",
    "DataZoneBatch",
    "DeveloperTier",
)

VERSION_UPGRADE_OPTIONS: tuple[str, ...] = (
    "OnceNewDefaultVersionAvailable",
    "OnceCurrentVersionExpired",
    "NoAutoUpgrade",
)

ACCOUNT_KINDS: tuple[str, ...] = ("OpenAI", "AIServices")


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
# Data actions Microsoft.CognitiveServices/* and, unlike Azure AI User, the listKeys action: never granted by the
# lab (built-in roles, AI + machine learning: learn.microsoft.com/azure/role-based-access-control/built-in-roles/
# ai-machine-learning#cognitive-services-user). Kept so the guardrails recognise it.
COGNITIVE_SERVICES_USER = Role("Cognitive Services User", "a97b65f3-24c7-4388-baec-2e87135dc908")
# Data actions in a Foundry project (agents, threads, files, evaluations) and read on projects and accounts; no
# listKeys. The portal now calls it "Foundry User", the GUID is unchanged. Developers get it on the project; the
# project's own identity gets it on the account (MicrosoftDocs/azure-ai-docs articles/foundry/includes/
# concepts-rbac-foundry-1.md and -2.md; stacks/facts/foundry.yaml). Its data actions, Microsoft.CognitiveServices/*,
# include Microsoft.CognitiveServices/accounts/MaaS/*, the one data action a role needs to call models of other
# publishers with Entra ID (MicrosoftDocs/azure-ai-docs articles/foundry/foundry-models/how-to/configure-entra-id.md,
# "Custom role"): the gateway gets it instead of Cognitive Services User, which can also list the account's keys.
AZURE_AI_USER = Role("Azure AI User", "53ca6127-db72-4b80-b1b0-d745d6d5456d")

# Roles that let their holder call an account's models (or read what they stored) with Entra ID, bypassing the
# gateway: its keys, token limits, class window and per-student logs. Contributor roles are here because they can
# list keys (or deploy), which reaches the same models.
DATA_PLANE_ROLES: dict[str, str] = {
    r.id: r.name
    for r in (
        OPENAI_USER,
        OPENAI_CONTRIBUTOR,
        COGNITIVE_SERVICES_USER,
        COGNITIVE_SERVICES_CONTRIBUTOR,
        AZURE_AI_USER,
    )
}

# Where a role set's role is granted: on the Azure OpenAI account, the subscription (the usages reader, so
# fine-tuning quota is visible), the lab's Log Analytics workspace, or each Foundry project the person belongs to
# (an AIServices lab only; an OpenAI lab has no project and skips those grants).
ROLE_SETS: dict[str, tuple[tuple[str, Role], ...]] = {
    # Students reach the models through the gateway only (their key); on a Foundry lab they build agents in their
    # own project. No role on the account.
    "student": (("project", AZURE_AI_USER),),
    # Opt-in: the workshop's RBAC/playground activity (Entra ID calls to the account, the portal's playground).
    # Bypasses the gateway's limits, class window and logs until `labctl down` removes the grant.
    "playground": (("account", OPENAI_USER), ("project", AZURE_AI_USER)),
    # Opt-in: the fine-tuning workshop's roles for the person who trains and deploys a model.
    "fine-tuner": (
        ("account", OPENAI_USER),
        ("account", OPENAI_CONTRIBUTOR),
        ("subscription", COGNITIVE_SERVICES_USAGES_READER),
    ),
    # Everything the workshops do by hand, plus reading the lab's logs.
    "instructor": (
        ("account", OPENAI_USER),
        ("account", OPENAI_CONTRIBUTOR),
        ("account", COGNITIVE_SERVICES_CONTRIBUTOR),
        ("subscription", COGNITIVE_SERVICES_USAGES_READER),
        ("workspace", LOG_ANALYTICS_READER),
        ("project", AZURE_AI_USER),
    ),
}

# Role sets whose holders call the account directly with Entra ID. A stack names them on purpose: any other role
# set with a data-plane role on an account is refused (guardrail no-direct-model-access). The participant-facing
# ones are reported by `labctl check` as bypassing the gateway (guardrail direct-model-access-opt-in); the
# instructor's is staff access.
PARTICIPANT_OPT_IN_ROLE_SETS: tuple[str, ...] = ("playground", "fine-tuner")
STAFF_ROLE_SETS: tuple[str, ...] = ("instructor",)
DIRECT_ACCESS_ROLE_SETS: tuple[str, ...] = (*PARTICIPANT_OPT_IN_ROLE_SETS, *STAFF_ROLE_SETS)
# How a person's role assignment says which role set it comes from (stacks/lab.py writes it, the guardrails read it).
GRANT_DESCRIPTION_PREFIX = "aoai-lab"


def grant_description(role_set: str, who: str) -> str:
    return f"{GRANT_DESCRIPTION_PREFIX} {role_set}: {who}"
