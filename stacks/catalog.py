"""Fixed Azure facts the config is validated against: deployment SKUs, account kinds, and the role sets the lab
grants (the roles themselves: facts/roles.py).

Clouds and regions live in stacks/facts/clouds.py, API Management tiers in facts/apim_tiers.py."""

from __future__ import annotations

from facts.roles import (
    AZURE_AI_USER,
    COGNITIVE_SERVICES_CONTRIBUTOR,
    COGNITIVE_SERVICES_USAGES_READER,
    COGNITIVE_SERVICES_USER,
    LOG_ANALYTICS_READER,
    OPENAI_CONTRIBUTOR,
    OPENAI_USER,
    Role,
)

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


# The built-in roles (names, GUIDs, sources) are in facts/roles.py. Cognitive Services User is never granted by the
# lab (it can list the account's keys); it is there so the guardrails recognise it. Azure AI User: developers get
# it on their Foundry project, the project's own identity on the account (concepts-rbac-foundry-1.md and -2.md), and
# the gateway gets it instead of Cognitive Services User to call models of other publishers.

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
# How a person's role assignment says which role set it comes from (stacks/access.py writes it, the guardrails read it).
GRANT_DESCRIPTION_PREFIX = "aoai-lab"


def grant_description(role_set: str, who: str) -> str:
    return f"{GRANT_DESCRIPTION_PREFIX} {role_set}: {who}"
