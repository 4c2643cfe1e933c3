"""A Foundry project on an AIServices account: where students build agents (instructions, tools, threads).

Facts and sources: stacks/facts/foundry.yaml (project, roles). The account must be kind `AIServices` with
`allowProjectManagement` (components/openai_account.py sets it for that kind). The project endpoint, the one
`azure-ai-projects`' AIProjectClient takes, is `properties.endpoints["AI Foundry API"]`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
from pulumi_azure_native import cognitiveservices

ENDPOINT_KEY = "AI Foundry API"


def project_endpoint(endpoints: Mapping[str, str] | None) -> str | None:
    return (endpoints or {}).get(ENDPOINT_KEY)


@dataclass(frozen=True)
class ProjectSpec:
    """What the project is (no placement): what the account component takes."""

    name: str
    display_name: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class FoundryProjectArgs:
    resource_group_name: pulumi.Input[str]
    account_name: pulumi.Input[str]
    location: str
    spec: ProjectSpec
    tags: Mapping[str, str] = field(default_factory=dict)
    # The account child created before this one (a deployment, the content filter): Azure refuses concurrent
    # operations on one account's children with 409 RequestConflict, so the project waits for it.
    after: pulumi.Resource | None = None


class FoundryProject(pulumi.ComponentResource):
    project: cognitiveservices.Project
    id: pulumi.Output[str]
    endpoint: pulumi.Output[str | None]
    # The project's own identity: agents call models and tools with it, so it needs a role on the account.
    principal_id: pulumi.Output[str]

    def __init__(
        self, name: str, args: FoundryProjectArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("aoai-lab:components:FoundryProject", name, None, opts)
        spec = args.spec
        self.project = cognitiveservices.Project(
            f"{name}-project",
            account_name=args.account_name,
            resource_group_name=args.resource_group_name,
            project_name=spec.name,
            # A project lives in its account's region.
            location=args.location,
            identity=cognitiveservices.IdentityArgs(type="SystemAssigned"),
            properties=cognitiveservices.ProjectPropertiesArgs(
                display_name=spec.display_name or spec.name,
                description=spec.description,
            ),
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[args.after] if args.after else None),
        )
        self.id = self.project.id
        self.endpoint = self.project.properties.apply(lambda p: project_endpoint(p.endpoints if p else None))
        self.principal_id = self.project.identity.apply(lambda i: i.principal_id if i else "")
        self.register_outputs(
            {"projectId": self.project.id, "projectName": self.project.name, "endpoint": self.endpoint}
        )
