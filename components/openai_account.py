"""The Azure OpenAI (or Foundry) account and its children: content filter, model deployments, Foundry projects,
and its diagnostic setting.

Azure refuses concurrent operations on one account's children (409 RequestConflict "Another operation is being
performed on the parent resource"), so they are created one after another, in this order: the content filter
(deployments name it), the deployments, then the projects."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
from pulumi_azure_native import cognitiveservices

from components.content_filter import ContentFilter, ContentFilterArgs, ContentFilterPolicy
from components.diagnostics import diagnostic_setting
from components.foundry_project import FoundryProject, FoundryProjectArgs, ProjectSpec


@dataclass(frozen=True)
class ModelDeploymentSpec:
    name: str
    model: str
    version: str
    sku: str
    capacity: int
    format: str = "OpenAI"
    version_upgrade_option: str = "OnceCurrentVersionExpired"
    rai_policy: str | None = None


@dataclass
class OpenAIAccountArgs:
    resource_group_name: pulumi.Input[str]
    location: str
    account_name: pulumi.Input[str]
    deployments: Sequence[ModelDeploymentSpec]
    kind: str = "OpenAI"
    public_network_access: str = "Enabled"
    # Secure default: callers reach models with Entra ID or through the gateway, never with account keys.
    disable_local_auth: bool = True
    diagnostics_workspace_id: pulumi.Input[str] | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    # A custom content filter (RAI policy) deployments may name in `rai_policy`.
    content_filter: ContentFilterPolicy | None = None
    # Foundry projects (kind AIServices only: the account allows project management then).
    projects: Sequence[ProjectSpec] = ()


class OpenAIAccount(pulumi.ComponentResource):
    account: cognitiveservices.Account
    deployments: dict[str, cognitiveservices.Deployment]
    content_filter: ContentFilter | None
    projects: dict[str, FoundryProject]
    endpoint: pulumi.Output[str]

    def __init__(
        self, name: str, args: OpenAIAccountArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("aoai-lab:components:OpenAIAccount", name, None, opts)
        if args.projects and args.kind != "AIServices":
            raise ValueError("Foundry projects need an AIServices account (kind), not " + args.kind)
        self._account(name, args)
        # One child at a time (see the module docstring): each waits for the one before it.
        previous = self._content_filter(name, args)
        previous = self._deployments(name, args, previous)
        self._projects(name, args, previous)
        if args.diagnostics_workspace_id is not None:
            # Azure OpenAI has no resource-specific tables: everything lands in AzureDiagnostics.
            self.diagnostics = diagnostic_setting(
                f"{name}-diagnostics",
                resource_uri=self.account.id,
                workspace_id=args.diagnostics_workspace_id,
                dedicated_tables=False,
                parent=self,
            )
        self.endpoint = self.account.properties.apply(lambda p: p.endpoint)
        self.register_outputs(
            {
                "accountId": self.account.id,
                "accountName": self.account.name,
                "endpoint": self.endpoint,
                "deployments": {k: d.name for k, d in self.deployments.items()},
                "projects": {k: p.endpoint for k, p in self.projects.items()},
            }
        )

    def _account(self, name: str, args: OpenAIAccountArgs) -> None:
        self.account = cognitiveservices.Account(
            f"{name}-account",
            account_name=args.account_name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            kind=args.kind,
            sku=cognitiveservices.SkuArgs(name="S0"),
            identity=cognitiveservices.IdentityArgs(type="SystemAssigned"),
            properties=cognitiveservices.AccountPropertiesArgs(
                # The subdomain is the account's globally unique DNS name; Entra ID auth requires one.
                custom_sub_domain_name=args.account_name,
                public_network_access=args.public_network_access,
                disable_local_auth=args.disable_local_auth,
                allow_project_management=True if args.kind == "AIServices" else None,
            ),
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _content_filter(self, name: str, args: OpenAIAccountArgs) -> pulumi.Resource | None:
        """The lab's own RAI policy, first: deployments name it. Returns what the next child waits for."""
        self.content_filter = None
        if args.content_filter is None:
            return None
        self.content_filter = ContentFilter(
            f"{name}-filter",
            ContentFilterArgs(
                resource_group_name=args.resource_group_name,
                account_name=self.account.name,
                policy=args.content_filter,
                tags=dict(args.tags),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        return self.content_filter.last

    def _deployments(
        self, name: str, args: OpenAIAccountArgs, previous: pulumi.Resource | None
    ) -> pulumi.Resource | None:
        self.deployments = {}
        for spec in args.deployments:
            deployment = cognitiveservices.Deployment(
                f"{name}-{spec.name}",
                deployment_name=spec.name,
                account_name=self.account.name,
                resource_group_name=args.resource_group_name,
                sku=cognitiveservices.SkuArgs(name=spec.sku, capacity=spec.capacity),
                properties=cognitiveservices.DeploymentPropertiesArgs(
                    model=cognitiveservices.DeploymentModelArgs(
                        format=spec.format, name=spec.model, version=spec.version
                    ),
                    version_upgrade_option=spec.version_upgrade_option,
                    rai_policy_name=spec.rai_policy,
                ),
                tags=dict(args.tags),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[previous] if previous else None),
            )
            self.deployments[spec.name] = deployment
            previous = deployment
        return previous

    def _projects(self, name: str, args: OpenAIAccountArgs, previous: pulumi.Resource | None) -> None:
        self.projects = {}
        for project in args.projects:
            self.projects[project.name] = FoundryProject(
                f"{name}-{project.name}",
                FoundryProjectArgs(
                    resource_group_name=args.resource_group_name,
                    account_name=self.account.name,
                    location=args.location,
                    spec=project,
                    tags=dict(args.tags),
                    after=previous,
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
            previous = self.projects[project.name].project
