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
# All Cognitive Services data actions on its scope: what Entra ID calls to models of other publishers (DeepSeek...)
# need; the gateway's identity gets it when the lab deploys one (MicrosoftDocs/azure-ai-docs
# articles/foundry/foundry-models/includes/tutorials-get-started-deepseek-r1-1.md, prerequisites).
COGNITIVE_SERVICES_USER = Role("Cognitive Services User", "a97b65f3-24c7-4388-baec-2e87135dc908")
# Data actions in a Foundry project (agents, threads, files, evaluations) and read on projects and accounts; the
# portal now calls it "Foundry User", the GUID is unchanged. Developers get it on the project; the project's own
# identity gets it on the account (MicrosoftDocs/azure-ai-docs articles/foundry/includes/concepts-rbac-foundry-1.md
# and -2.md; stacks/facts/foundry.yaml).
AZURE_AI_USER = Role("Azure AI User", "53ca6127-db72-4b80-b1b0-d745d6d5456d")

# Where a role set's role is granted: on the Azure OpenAI account, the subscription (the usages reader, so
# fine-tuning quota is visible), the lab's Log Analytics workspace, or each Foundry project the person belongs to
# (an AIServices lab only; an OpenAI lab has no project and skips those grants).
ROLE_SETS: dict[str, tuple[tuple[str, Role], ...]] = {
    # Calls models (playground, SDK with Entra ID) and builds agents in the lab's Foundry projects.
    "student": (("account", OPENAI_USER), ("project", AZURE_AI_USER)),
    # The fine-tuning workshop's roles for the person who trains and deploys a model.
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
