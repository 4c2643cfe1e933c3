"""API Management in front of Azure OpenAI: managed identity, the API surface, policy, product, keys, logs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pulumi
import pulumi_random as random
from pulumi_azure_native import apimanagement, resources

from components.class_window import CLASS_PAUSED_NAMED_VALUE
from components.cost_cap import CostCaps
from components.diagnostics import diagnostic_setting
from components.gateway_api import SPEC_FORMAT, spec_text
from components.gateway_backends import RegionalBackend, Routing, create_backends, plan_routing
from components.gateway_guards import GatewayGuards
from components.gateway_logging import (
    DIAGNOSTIC_ID,
    LOGGER_DEPLOYMENT,
    LOGGER_DEPLOYMENT_MODE,
    GatewayLogging,
    api_diagnostic_properties,
    logger_template,
)
from components.gateway_policy import (
    POLICY_TEMPLATE,
    PUBLIC_AUDIENCE,
    ClassWindow,
    GatewayPolicyArgs,
    TokenLimits,
    policy_backend_id,
    render_policy,
)
from components.gateway_routing import add_routing
from facts.apim_logs import LLM_DIAGNOSTIC_API_VERSION
from facts.openai_api import API_PATH, api_url

API_ID = "azure-openai"
PRODUCT_ID = "aoai-lab"
# The openai SDK's AzureOpenAI client sends its key in `api-key`: naming the subscription header the same lets
# students use the gateway with the SDK unchanged.
SUBSCRIPTION_KEY_HEADER = "api-key"


# Participant keys: 40 letters and digits (APIM takes 1-256 characters; no symbols to escape in a .env or a URL).
KEY_LENGTH = 40


@dataclass(frozen=True)
class GatewayParticipant:
    name: str
    email: str  # kept out of Azure: only the name reaches the subscription
    state: str = "active"  # "active" | "suspended" (APIM refuses a suspended subscription's key)
    rotation: int = 0  # a new number generates a new key


@dataclass
class AiGatewayArgs:
    resource_group_name: pulumi.Input[str]
    location: str
    service_name: pulumi.Input[str]
    publisher_email: str
    publisher_name: str
    openai_endpoint: pulumi.Input[str]
    tier: str = "BasicV2"
    capacity: int = 1
    # Classic tiers accept only true (facts/apim_tiers.py: ApimTier.enable_client_certificate).
    enable_client_certificate: bool = False
    participants: Sequence[GatewayParticipant] = ()
    api_path: str = API_PATH
    api_id: str = API_ID
    product_id: str = PRODUCT_ID
    policy_template: Path = POLICY_TEMPLATE
    # The Entra ID audience of Azure OpenAI in the stack's cloud (e.g. https://cognitiveservices.azure.us).
    managed_identity_audience: str = PUBLIC_AUDIENCE
    # Everyone's token budget (None: no limit) and participants whose budget differs.
    token_limits: TokenLimits | None = None
    participant_limits: Mapping[str, TokenLimits] = field(default_factory=dict)
    # Participant keys work only within this window; None: always.
    class_window: ClassWindow | None = None
    # Tokens each participant may use over the class (their costCap); None: no cap.
    cost_caps: CostCaps | None = None
    # Calls per minute and in flight per key, the class's deployments, caps per call, Responses rules
    # (components/gateway_guards.py); None: none (the stack always sets them).
    guards: GatewayGuards | None = None
    # The `class-paused` named value the policy reads: true answers every participant key 503.
    class_paused: bool = False
    logging: GatewayLogging = field(default_factory=GatewayLogging)
    diagnostics_workspace_id: pulumi.Input[str] | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    # A lab spread over regions: every region's account (primary included) and its deployments; empty: one
    # account, `openai_endpoint` (components/gateway_backends.py).
    regional_backends: Sequence[RegionalBackend] = ()

    def __post_init__(self) -> None:
        unknown = set(self.participant_limits) - {p.name for p in self.participants}
        if unknown:
            raise ValueError(f"limits for unknown participants: {', '.join(sorted(unknown))}")


class AiGateway(pulumi.ComponentResource):
    service: apimanagement.ApiManagementService
    principal_id: pulumi.Output[str]
    gateway_url: pulumi.Output[str]
    api_url: pulumi.Output[str]
    subscription_keys: pulumi.Output[dict[str, str]]

    def __init__(self, name: str, args: AiGatewayArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("aoai-lab:components:AiGateway", name, None, opts)
        policy_xml, backend_id, routing = gateway_policy(args)
        self._service(name, args)
        self._backends(name, args, backend_id, routing)
        self._api(name, args)
        self._api_policy(name, args, policy_xml)
        self._product(name, args)
        self._subscriptions(name, args)
        if args.diagnostics_workspace_id is not None:
            self._logs(name, args, args.diagnostics_workspace_id)
        self._outputs(args)

    def _child(self, *depends_on: pulumi.Resource) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, depends_on=list(depends_on) if depends_on else None)

    def _service(self, name: str, args: AiGatewayArgs) -> None:
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
            # the stack layer passes the tier's value from facts/apim_tiers.py.
            enable_client_certificate=args.enable_client_certificate,
            tags=dict(args.tags),
            opts=self._child(),
        )

    def _backends(self, name: str, args: AiGatewayArgs, backend_id: str, routing: Routing | None) -> None:
        self.backend = apimanagement.Backend(
            f"{name}-backend",
            backend_id=backend_id,
            service_name=self.service.name,
            resource_group_name=args.resource_group_name,
            protocol="http",
            url=pulumi.Output.from_input(args.openai_endpoint).apply(api_url),
            description="Azure OpenAI account of the lab (managed identity auth in the API policy)",
            # No circuit breaker: this backend takes every call no pool holds (embeddings, catalog models, stored
            # Responses); a tripped breaker would answer 503 to all of them. Pool members have their own
            # backends with breakers (components/gateway_backends.py).
            opts=self._child(),
        )
        self.regional: list[apimanagement.Backend] = []
        if routing is not None:
            self.regional = create_backends(
                name,
                routing=routing,
                backends=args.regional_backends,
                service_name=self.service.name,
                resource_group_name=args.resource_group_name,
                parent=self,
            )

    def _api(self, name: str, args: AiGatewayArgs) -> None:
        self.api = apimanagement.Api(
            f"{name}-api",
            api_id=args.api_id,
            service_name=self.service.name,
            resource_group_name=args.resource_group_name,
            display_name="Azure OpenAI",
            path=args.api_path,
            protocols=["https"],
            # The operations the SDK calls, declared in the repo (components/gateway_api.py says why).
            format=SPEC_FORMAT,
            value=spec_text(),
            subscription_required=True,
            subscription_key_parameter_names=apimanagement.SubscriptionKeyParameterNamesContractArgs(
                header=SUBSCRIPTION_KEY_HEADER, query=SUBSCRIPTION_KEY_HEADER
            ),
            opts=self._child(),
        )

    def _api_policy(self, name: str, args: AiGatewayArgs, policy_xml: str) -> None:
        # The policy reads it on every call; `labctl class pause|resume --now` flips it through Resource Manager and
        # records aoai-lab:classPaused, so the next `pulumi up` agrees.
        self.class_paused = apimanagement.NamedValue(
            f"{name}-class-paused",
            named_value_id=CLASS_PAUSED_NAMED_VALUE,
            display_name=CLASS_PAUSED_NAMED_VALUE,
            value="true" if args.class_paused else "false",
            secret=False,
            service_name=self.service.name,
            resource_group_name=args.resource_group_name,
            opts=self._child(),
        )
        self.policy = apimanagement.ApiPolicy(
            f"{name}-api-policy",
            policy_id="policy",
            api_id=self.api.name,
            service_name=self.service.name,
            resource_group_name=args.resource_group_name,
            # Rendered from the parsed template, so policy expressions are entity-escaped: API Management's `xml`.
            format="xml",
            value=policy_xml,
            # The policy names the backend: it must exist before the policy is accepted.
            opts=self._child(self.backend, *self.regional, self.class_paused),
        )

    def _product(self, name: str, args: AiGatewayArgs) -> None:
        self.product = apimanagement.Product(
            f"{name}-product",
            product_id=args.product_id,
            service_name=self.service.name,
            resource_group_name=args.resource_group_name,
            display_name="Azure OpenAI lab",
            description="Access to the lab's Azure OpenAI deployments, one subscription per participant",
            subscription_required=True,
            # No self-service: the lab creates each participant's subscription itself (admin-created subscriptions
            # are active at once). Should a developer portal ever be turned on, a sign-up there waits for an
            # administrator's approval, and a user holds at most one subscription. approvalRequired needs
            # subscriptionRequired true and a subscriptionsLimit (hashicorp/terraform-provider-azurerm#5035,
            # #13217; the REST spec's "has a value of false" is a known misprint). The product is given to no
            # group (no Developers or Guests), so the portal would not even list it.
            approval_required=True,
            subscriptions_limit=1,
            state="published",
            opts=self._child(),
        )
        self.product_api = apimanagement.ProductApi(
            f"{name}-product-api",
            product_id=self.product.name,
            api_id=self.api.name,
            service_name=self.service.name,
            resource_group_name=args.resource_group_name,
            opts=self._child(),
        )

    def _subscriptions(self, name: str, args: AiGatewayArgs) -> None:
        self.subscriptions: dict[str, apimanagement.Subscription] = {}
        # Each key is generated here and kept secret in state, so a new key is a reviewed config change (the
        # rotation number is the password's keeper: bumping it replaces the password, which updates the key).
        self.keys: dict[str, random.RandomPassword] = {}
        for participant in args.participants:
            self.keys[participant.name] = random.RandomPassword(
                f"{name}-key-{participant.name}",
                length=KEY_LENGTH,
                special=False,
                keepers={"rotation": str(participant.rotation)},
                opts=self._child(),
            )
            self.subscriptions[participant.name] = apimanagement.Subscription(
                f"{name}-sub-{participant.name}",
                sid=participant.name,
                service_name=self.service.name,
                resource_group_name=args.resource_group_name,
                # The name only: e-mail addresses stay out of Azure (docs/privacy.md).
                display_name=participant.name,
                scope=self.product.id,
                state=participant.state,
                # Explicitly secret: the provider marks `result` secret in state, this keeps it so everywhere.
                primary_key=pulumi.Output.secret(self.keys[participant.name].result),
                # Should a refresh read keys back, they stay encrypted in state.
                opts=pulumi.ResourceOptions(
                    parent=self,
                    depends_on=[self.product_api],
                    additional_secret_outputs=["primaryKey", "secondaryKey"],
                ),
            )

    def _logs(self, name: str, args: AiGatewayArgs, workspace_id: pulumi.Input[str]) -> None:
        # Dedicated tables: GatewayLogs -> ApiManagementGatewayLogs, GatewayLlmLogs -> ApiManagementGatewayLlmLog
        # (the allLogs group includes both).
        self.diagnostics = diagnostic_setting(
            f"{name}-diagnostics",
            resource_uri=self.service.id,
            workspace_id=workspace_id,
            dedicated_tables=True,
            parent=self,
        )
        # The API diagnostic writes through the `azuremonitor` logger, put by an Incremental ARM deployment so
        # `pulumi up` works whether a new service already has it or not (components/gateway_logging.py says
        # why). The diagnostic waits for it and for the diagnostic setting, so on `pulumi up` the logs have
        # somewhere to go, and on `pulumi destroy` it goes first and nothing blocks the setting's removal.
        self.logger = resources.Deployment(
            f"{name}-azuremonitor-logger",
            deployment_name=LOGGER_DEPLOYMENT,  # one gateway per resource group: a fixed name
            resource_group_name=args.resource_group_name,
            properties=resources.DeploymentPropertiesArgs(
                mode=LOGGER_DEPLOYMENT_MODE,
                template=logger_template(),
                parameters={"serviceName": resources.DeploymentParameterArgs(value=self.service.name)},
            ),
            tags=dict(args.tags),
            opts=self._child(),
        )
        self.api_diagnostic = resources.Resource(
            f"{name}-api-diagnostic",
            resource_group_name=args.resource_group_name,
            resource_provider_namespace="Microsoft.ApiManagement",
            parent_resource_path=pulumi.Output.concat("service/", self.service.name, "/apis/", self.api.name),
            resource_type="diagnostics",
            resource_name_=DIAGNOSTIC_ID,
            api_version=LLM_DIAGNOSTIC_API_VERSION,
            properties=self.service.id.apply(lambda sid: api_diagnostic_properties(sid, args.logging)),
            opts=self._child(self.diagnostics, self.api, self.logger),
        )

    def _outputs(self, args: AiGatewayArgs) -> None:
        self.principal_id = self.service.identity.apply(lambda i: i.principal_id if i else "")
        self.gateway_url = self.service.gateway_url
        self.api_url = self.service.gateway_url.apply(lambda u: f"{u}/{args.api_path}")
        # The keys the program set (Azure does not return them on create; listSecrets would read them back).
        keys = {n: password.result for n, password in self.keys.items()}
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


def gateway_policy(args: AiGatewayArgs) -> tuple[str, str, Routing | None]:
    """The API policy's XML, the backend it names, and a spread lab's routing (None for one account): no
    resources, so the policy is rendered (and its errors raised) before anything is declared."""
    policy_xml = render_policy(
        GatewayPolicyArgs(
            managed_identity_audience=args.managed_identity_audience,
            token_limits=args.token_limits,
            participant_limits=args.participant_limits,
            class_window=args.class_window,
            cost_caps=args.cost_caps,
            guards=args.guards,
        ),
        args.policy_template,
    )
    backend_id = policy_backend_id(policy_xml)
    routing = plan_routing(backend_id, args.regional_backends) if args.regional_backends else None
    if routing is not None:
        policy_xml = add_routing(
            policy_xml,
            routing.routes,
            pools=set(routing.pools),
            responses_backend=routing.responses,
            retries=routing.largest_pool - 1,
        )
    return policy_xml, backend_id, routing
