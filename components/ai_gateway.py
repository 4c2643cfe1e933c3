"""API Management in front of Azure OpenAI: managed identity, the inference API, policy, product, keys, logs."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pulumi
from pulumi_azure_native import apimanagement

from components.diagnostics import diagnostic_setting

POLICY_DIR = Path(__file__).parent / "policies"
DEFAULT_POLICY = POLICY_DIR / "openai-managed-identity.xml"
API_ID = "azure-openai"
PRODUCT_ID = "aoai-lab"
# The openai SDK's AzureOpenAI client sends its key in `api-key`: naming the subscription header the same lets
# students use the gateway with the SDK unchanged.
SUBSCRIPTION_KEY_HEADER = "api-key"


@dataclass(frozen=True)
class GatewayParticipant:
    name: str
    email: str


@dataclass
class AiGatewayArgs:
    resource_group_name: pulumi.Input[str]
    location: str
    service_name: pulumi.Input[str]
    publisher_email: str
    publisher_name: str
    openai_endpoint: pulumi.Input[str]
    inference_spec_url: str
    tier: str = "BasicV2"
    capacity: int = 1
    # Classic tiers accept only true (stacks/facts/apim_tiers.py: ApimTier.enable_client_certificate).
    enable_client_certificate: bool = False
    participants: Sequence[GatewayParticipant] = ()
    api_path: str = "openai"
    api_id: str = API_ID
    product_id: str = PRODUCT_ID
    policy_file: Path = DEFAULT_POLICY
    # Request and response bodies logged per call; 8192 is the service's maximum.
    log_body_bytes: int = 8192
    diagnostics_workspace_id: pulumi.Input[str] | None = None
    tags: Mapping[str, str] = field(default_factory=dict)


def policy_backend_id(policy_xml: str) -> str:
    """The backend the policy routes to: the policy file is the single source of that id."""
    node = ET.fromstring(policy_xml).find("./inbound/set-backend-service")
    if node is None or not node.get("backend-id"):
        raise ValueError("the API policy must route with <set-backend-service backend-id=...> in <inbound>")
    return node.get("backend-id", "")


class AiGateway(pulumi.ComponentResource):
    service: apimanagement.ApiManagementService
    principal_id: pulumi.Output[str]
    gateway_url: pulumi.Output[str]
    api_url: pulumi.Output[str]
    subscription_keys: pulumi.Output[dict[str, str]]

    def __init__(self, name: str, args: AiGatewayArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("aoai-lab:components:AiGateway", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        policy_xml = args.policy_file.read_text(encoding="utf-8")
        backend_id = policy_backend_id(policy_xml)

        self.service = apimanagement.ApiManagementService(
            f"{name}-service",
            service_name=args.service_name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            sku=apimanagement.ApiManagementServiceSkuPropertiesArgs(name=args.tier, capacity=args.capacity),
            identity=apimanagement.ApiManagementServiceIdentityArgs(type="SystemAssigned"),
            publisher_email=args.publisher_email,
            publisher_name=args.publisher_name,
            # The lab needs neither portal; the SDK would otherwise send Enabled for both.
            developer_portal_status="Disabled",
            legacy_portal_status="Disabled",
            # The SDK sends false unless told otherwise, and classic tiers reject false (pulumi-azure-native#1741):
            # the stack layer passes the tier's value from stacks/facts/apim_tiers.py.
            enable_client_certificate=args.enable_client_certificate,
            tags=dict(args.tags),
            opts=child,
        )
        service_name = self.service.name
        rg = args.resource_group_name

        self.backend = apimanagement.Backend(
            f"{name}-backend",
            backend_id=backend_id,
            service_name=service_name,
            resource_group_name=rg,
            protocol="http",
            url=pulumi.Output.from_input(args.openai_endpoint).apply(lambda e: e.rstrip("/") + "/openai"),
            description="Azure OpenAI account of the lab (managed identity auth in the API policy)",
            opts=child,
        )

        self.api = apimanagement.Api(
            f"{name}-api",
            api_id=args.api_id,
            service_name=service_name,
            resource_group_name=rg,
            display_name="Azure OpenAI",
            path=args.api_path,
            protocols=["https"],
            format="openapi+json-link",
            value=args.inference_spec_url,
            subscription_required=True,
            subscription_key_parameter_names=apimanagement.SubscriptionKeyParameterNamesContractArgs(
                header=SUBSCRIPTION_KEY_HEADER, query=SUBSCRIPTION_KEY_HEADER
            ),
            opts=child,
        )

        self.policy = apimanagement.ApiPolicy(
            f"{name}-api-policy",
            policy_id="policy",
            api_id=self.api.name,
            service_name=service_name,
            resource_group_name=rg,
            format="rawxml",
            value=policy_xml,
            # The policy names the backend: it must exist before the policy is accepted.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.backend]),
        )

        self.product = apimanagement.Product(
            f"{name}-product",
            product_id=args.product_id,
            service_name=service_name,
            resource_group_name=rg,
            display_name="Azure OpenAI lab",
            description="Access to the lab's Azure OpenAI deployments, one subscription per participant",
            subscription_required=True,
            approval_required=False,
            state="published",
            opts=child,
        )
        self.product_api = apimanagement.ProductApi(
            f"{name}-product-api",
            product_id=self.product.name,
            api_id=self.api.name,
            service_name=service_name,
            resource_group_name=rg,
            opts=child,
        )

        self.subscriptions: dict[str, apimanagement.Subscription] = {}
        for participant in args.participants:
            self.subscriptions[participant.name] = apimanagement.Subscription(
                f"{name}-sub-{participant.name}",
                sid=participant.name,
                service_name=service_name,
                resource_group_name=rg,
                display_name=f"{participant.name} <{participant.email}>",
                scope=self.product.id,
                state="active",
                # Should a refresh read keys back, they stay encrypted in state.
                opts=pulumi.ResourceOptions(
                    parent=self,
                    depends_on=[self.product_api],
                    additional_secret_outputs=["primaryKey", "secondaryKey"],
                ),
            )

        if args.diagnostics_workspace_id is not None:
            # The API diagnostic writes to Azure Monitor resource logs, which reach Log Analytics only through the
            # diagnostic setting below: without a workspace (and on Consumption, which has no resource logs) there
            # is nowhere for them to go.
            self.logger = apimanagement.Logger(
                f"{name}-logger",
                logger_id="azuremonitor",
                service_name=service_name,
                resource_group_name=rg,
                logger_type="azureMonitor",
                is_buffered=True,
                opts=child,
            )
            body = apimanagement.HttpMessageDiagnosticArgs(
                body=apimanagement.BodyDiagnosticSettingsArgs(bytes=args.log_body_bytes),
                headers=["x-ms-region", "x-ratelimit-remaining-tokens"],
            )
            self.api_diagnostic = apimanagement.ApiDiagnostic(
                f"{name}-api-diagnostic",
                diagnostic_id="azuremonitor",
                api_id=self.api.name,
                service_name=service_name,
                resource_group_name=rg,
                logger_id=self.logger.id,
                always_log="allErrors",
                log_client_ip=True,
                verbosity="information",
                sampling=apimanagement.SamplingSettingsArgs(sampling_type="fixed", percentage=100),
                frontend=apimanagement.PipelineDiagnosticSettingsArgs(request=body, response=body),
                backend=apimanagement.PipelineDiagnosticSettingsArgs(request=body, response=body),
                opts=child,
            )

            # Dedicated tables: GatewayLogs land in ApiManagementGatewayLogs, where the lab's queries look.
            self.diagnostics = diagnostic_setting(
                f"{name}-diagnostics",
                resource_uri=self.service.id,
                workspace_id=args.diagnostics_workspace_id,
                dedicated_tables=True,
                parent=self,
            )

        self.principal_id = self.service.identity.apply(lambda i: i.principal_id if i else "")
        self.gateway_url = self.service.gateway_url
        self.api_url = self.service.gateway_url.apply(lambda u: f"{u}/{args.api_path}")
        # Azure returns no keys when it creates a subscription; they are read with listSecrets.
        keys = {
            n: apimanagement.list_subscription_secrets_output(
                resource_group_name=rg, service_name=service_name, sid=sub.name
            ).primary_key
            for n, sub in self.subscriptions.items()
        }
        self.subscription_keys = (
            pulumi.Output.secret(pulumi.Output.all(**keys)) if keys else pulumi.Output.secret({})
        )
        self.register_outputs(
            {
                "serviceId": self.service.id,
                "gatewayUrl": self.gateway_url,
                "apiUrl": self.api_url,
                "principalId": self.principal_id,
                "subscriptionKeys": self.subscription_keys,
            }
        )
