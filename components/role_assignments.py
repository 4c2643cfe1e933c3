"""Azure RBAC role assignments with deterministic names."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
from pulumi_azure_native import authorization

# Fixed namespace so assignment names are a pure function of (scope, principal, role), like Bicep's guid().
_ASSIGNMENT_NAMESPACE = uuid.UUID("8f5c7a52-3a8e-4f0e-9a55-5b0a1d2f6c11")


def assignment_name(scope: str, principal_id: str, role_definition_id: str) -> str:
    """The same three inputs always give the same GUID, so re-running after lost state finds the assignment
    instead of failing with RoleAssignmentExists or duplicating it."""
    key = f"{scope.lower()}|{principal_id.lower()}|{role_definition_id.lower()}"
    return str(uuid.uuid5(_ASSIGNMENT_NAMESPACE, key))


def role_definition_id(subscription_id: str, role_guid: str) -> str:
    return f"/subscriptions/{subscription_id}/providers/Microsoft.Authorization/roleDefinitions/{role_guid}"


@dataclass(frozen=True)
class RoleGrant:
    # Stable, unique within the component: it names the Pulumi resource.
    key: str
    scope: pulumi.Input[str]
    principal_id: pulumi.Input[str]
    principal_type: str
    role_guid: str
    description: str | None = None


@dataclass
class RoleAssignmentsArgs:
    subscription_id: pulumi.Input[str]
    grants: Sequence[RoleGrant]


class RoleAssignments(pulumi.ComponentResource):
    assignments: dict[str, authorization.RoleAssignment]

    def __init__(
        self, name: str, args: RoleAssignmentsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("aoai-lab:components:RoleAssignments", name, None, opts)
        self.assignments = {}
        keys = [g.key for g in args.grants]
        if len(set(keys)) != len(keys):
            raise ValueError(f"role grant keys must be unique: {keys}")
        for grant in args.grants:
            role_id = pulumi.Output.from_input(args.subscription_id).apply(
                lambda sub, g=grant: role_definition_id(sub, g.role_guid)
            )
            name_guid = pulumi.Output.all(grant.scope, grant.principal_id, role_id).apply(
                lambda v: assignment_name(v[0], v[1], v[2])
            )
            self.assignments[grant.key] = authorization.RoleAssignment(
                f"{name}-{grant.key}",
                role_assignment_name=name_guid,
                scope=grant.scope,
                principal_id=grant.principal_id,
                # Explicit type: a managed identity created seconds ago is not yet replicated, and without the
                # type ARM fails the assignment with PrincipalNotFound.
                principal_type=grant.principal_type,
                role_definition_id=role_id,
                description=grant.description,
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.register_outputs({"assignmentIds": {k: a.id for k, a in self.assignments.items()}})
