"""The Azure clouds a stack can target (`azure-native:environment`): endpoints, sign-in, token audiences, regions.

Used by the stack layer (region validation), the gateway component (its managed-identity audience, passed in its
Args) and labctl's Azure clients (Resource Manager endpoint, authority, token scopes), so the three never disagree.

Sources (checked December 2026):
- Resource Manager endpoints and Entra ID authorities: hashicorp/go-azure-sdk sdk/environments (china.go:
  management.chinacloudapi.cn, login.chinacloudapi.cn, ApiManagement "azure-api.cn"; the public and US Government
  files likewise), the same as Azure/azure-cli azure/cli/core/cloud.py and learn.microsoft.com's "Regional code names
  and endpoints" table (management.usgovcloudapi.net, login.microsoftonline.us).
- Cognitive Services (Azure OpenAI) token audience per cloud: cognitiveservices.azure.com / .azure.us / .azure.cn
  (learn.microsoft.com/azure/ai-foundry/openai/azure-government: "https://cognitiveservices.azure.us" as the Entra ID
  scope in Azure Government; the China cloud's developer guide likewise for azure.cn).
- Azure OpenAI and API Management host suffixes: openai.azure.com / .us / .cn and azure-api.net / .us / .cn, as
  public sovereign-cloud deployments use them (e.g. Bicep `openAISuffix = isGovDeployment ? 'openai.azure.us' ...`,
  host allow-lists `.openai.azure.cn`, `.azure-api.us`); Azure Government / Azure in China developer guides.
- Region names: `az account list-locations --query [].name` per cloud.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Cloud:
    name: str  # the value of `azure-native:environment`
    arm_endpoint: str  # Resource Manager, without a trailing slash
    authority: str  # Entra ID login host, for the credential
    cognitive_services_audience: (
        str  # audience of Azure OpenAI data-plane tokens (and the gateway's MI policy)
    )
    openai_suffix: str  # <account>.openai.<suffix>
    cognitive_services_suffix: str  # <account>.cognitiveservices.<suffix>
    apim_suffix: str  # <service>.azure-api.<suffix>
    regions: frozenset[str]

    @property
    def arm_scope(self) -> str:
        return f"{self.arm_endpoint}/.default"

    @property
    def cognitive_services_scope(self) -> str:
        return f"{self.cognitive_services_audience}/.default"


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

PUBLIC = Cloud(
    name="public",
    arm_endpoint="https://management.azure.com",
    authority="login.microsoftonline.com",
    cognitive_services_audience="https://cognitiveservices.azure.com",
    openai_suffix="openai.azure.com",
    cognitive_services_suffix="cognitiveservices.azure.com",
    apim_suffix="azure-api.net",
    regions=PUBLIC_REGIONS,
)
US_GOVERNMENT = Cloud(
    name="usgovernment",
    arm_endpoint="https://management.usgovcloudapi.net",
    authority="login.microsoftonline.us",
    cognitive_services_audience="https://cognitiveservices.azure.us",
    openai_suffix="openai.azure.us",
    cognitive_services_suffix="cognitiveservices.azure.us",
    apim_suffix="azure-api.us",
    regions=frozenset(["usgovarizona", "usgovtexas", "usgovvirginia", "usdodcentral", "usdodeast"]),
)
CHINA = Cloud(
    name="china",
    arm_endpoint="https://management.chinacloudapi.cn",
    authority="login.chinacloudapi.cn",
    cognitive_services_audience="https://cognitiveservices.azure.cn",
    openai_suffix="openai.azure.cn",
    cognitive_services_suffix="cognitiveservices.azure.cn",
    apim_suffix="azure-api.cn",
    regions=frozenset(["chinaeast", "chinaeast2", "chinaeast3", "chinanorth", "chinanorth2", "chinanorth3"]),
)

CLOUDS: dict[str, Cloud] = {c.name: c for c in (PUBLIC, US_GOVERNMENT, CHINA)}
DEFAULT_CLOUD = "public"
CLOUD_NAMES_TEXT = "public, usgovernment or china"


def unknown_cloud_message(environment: str) -> str:
    """The one wording of "that is not a cloud", wherever the environment is checked."""
    return f"azure-native:environment: unknown cloud '{environment}'. Fix: use {CLOUD_NAMES_TEXT}"


def cloud_named(environment: str | None) -> Cloud | None:
    """The cloud of `azure-native:environment` (unset or empty means public); None when it is not one."""
    return CLOUDS.get(environment or DEFAULT_CLOUD)
