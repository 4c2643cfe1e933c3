"""Fixed Azure facts the config is validated against: regions, SKUs, tiers, roles and role sets."""

from __future__ import annotations

from dataclasses import dataclass

# Public-cloud region names as ARM spells them (`az account list-locations --query [].name`). Sovereign clouds add
# their own, so usgovernment/china stacks validate against their lists too.
PUBLIC_REGIONS: frozenset[str] = frozenset(
    [
        "australiacentral",
        "australiacentral2",
        "australiaeast",
        "australiasoutheast",
        "austriaeast",
        "belgiumcentral",
        "brazilsouth",
        "brazilsoutheast",
        "canadacentral",
        "canadaeast",
        "centralindia",
        "centralus",
        "centraluseuap",
        "chilecentral",
        "eastasia",
        "eastus",
        "eastus2",
        "eastus2euap",
        "francecentral",
        "francesouth",
        "germanynorth",
        "germanywestcentral",
        "indonesiacentral",
        "israelcentral",
        "italynorth",
        "japaneast",
        "japanwest",
        "jioindiacentral",
        "jioindiawest",
        "koreacentral",
        "koreasouth",
        "malaysiawest",
        "mexicocentral",
        "newzealandnorth",
        "northcentralus",
        "northeurope",
        "norwayeast",
        "norwaywest",
        "polandcentral",
        "qatarcentral",
        "southafricanorth",
        "southafricawest",
        "southcentralus",
        "southindia",
        "southeastasia",
        "spaincentral",
        "swedencentral",
        "swedensouth",
        "switzerlandnorth",
        "switzerlandwest",
        "uaecentral",
        "uaenorth",
        "uksouth",
        "ukwest",
        "westcentralus",
        "westeurope",
        "westindia",
        "westus",
        "westus2",
        "westus3",
    ]
)
GOVERNMENT_REGIONS: frozenset[str] = frozenset(
    ["usgovarizona", "usgovtexas", "usgovvirginia", "usdodcentral", "usdodeast"]
)
CHINA_REGIONS: frozenset[str] = frozenset(
    ["chinaeast", "chinaeast2", "chinaeast3", "chinanorth", "chinanorth2", "chinanorth3"]
)
REGIONS_BY_ENVIRONMENT: dict[str, frozenset[str]] = {
    "public": PUBLIC_REGIONS,
    "usgovernment": GOVERNMENT_REGIONS,
    "china": CHINA_REGIONS,
}

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
class GatewayTier:
    name: str
    # Resource logs (GatewayLogs) to Log Analytics; Consumption has none.
    resource_logs: bool
    # Classic tiers take 30-40+ minutes to provision; v2 tiers take minutes.
    provisions_in_minutes: bool
    # Consumption scales itself and must be declared with capacity 0.
    capacity: int
    # Rough idle cost in USD per month for one unit (public list prices, 2026).
    idle_usd_per_month: int


GATEWAY_TIERS: dict[str, GatewayTier] = {
    t.name: t
    for t in (
        GatewayTier(
            "Consumption", resource_logs=False, provisions_in_minutes=True, capacity=0, idle_usd_per_month=0
        ),
        GatewayTier(
            "Developer", resource_logs=True, provisions_in_minutes=False, capacity=1, idle_usd_per_month=50
        ),
        GatewayTier(
            "Basic", resource_logs=True, provisions_in_minutes=False, capacity=1, idle_usd_per_month=150
        ),
        GatewayTier(
            "Standard", resource_logs=True, provisions_in_minutes=False, capacity=1, idle_usd_per_month=700
        ),
        GatewayTier(
            "Premium", resource_logs=True, provisions_in_minutes=False, capacity=1, idle_usd_per_month=2800
        ),
        GatewayTier(
            "BasicV2", resource_logs=True, provisions_in_minutes=True, capacity=1, idle_usd_per_month=150
        ),
        GatewayTier(
            "StandardV2", resource_logs=True, provisions_in_minutes=True, capacity=1, idle_usd_per_month=700
        ),
    )
}


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

# Where a role set's role is granted: on the Azure OpenAI account, the subscription (the usages reader, so
# fine-tuning quota is visible) or the lab's Log Analytics workspace.
ROLE_SETS: dict[str, tuple[tuple[str, Role], ...]] = {
    # Calls models (playground, SDK with Entra ID).
    "student": (("account", OPENAI_USER),),
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
    ),
}

PRINCIPAL_TYPES: tuple[str, ...] = ("User", "Group", "ServicePrincipal")
