"""The validation template, generated from the plan snapshot: what the program declares for the account, its
content filter, its deployments and the gateway, as Resource Manager would receive it, moved to one region.

Nothing here re-describes the program. `labctl plan` runs it under Pulumi's mock runtime (labctl/plan/runtime.py) and
records each resource's inputs (labctl/snapshot.py); azure-native's inputs are the ARM REST body plus the URL's
path parameters, so the body is the inputs without those parameters (`labctl/resource_types.py` holds each type's
ARM id, hence its path parameters, ARM type and name). Two shapes of body:
- nested: `properties` is an input of its own (cognitiveservices Account, Deployment, RaiPolicy...: azure-native's
  `AccountPropertiesArgs`, `DeploymentPropertiesArgs`), so inputs map one to one;
- flattened: the members of the body's `properties` are top-level inputs (apimanagement ApiManagementService:
  `x-ms-client-flatten` on `ApiManagementServiceResource.properties` in azure-rest-api-specs
  specification/apimanagement/resource-manager/Microsoft.ApiManagement/stable/2024-05-01/apimdeployment.json;
  learn.microsoft.com/rest/api/apimanagement/api-management-service/create-or-update lists the request body as
  location, sku, identity, zones, tags and `properties.*`), so every input but the envelope goes to `properties`.
Template shapes: learn.microsoft.com/azure/templates/microsoft.cognitiveservices/2025-06-01/accounts (and
/accounts/deployments, /accounts/raipolicies, /accounts/raiblocklists), .../microsoft.apimanagement/2024-05-01/service.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labctl import type_tokens as types
from labctl.resource_types import RESOURCE_TYPES, ResourceType
from labctl.snapshot import PLACEHOLDERS, resources

# The API version each resource type is sent with: the one pulumi-azure-native 3.x uses for it (its generated
# classes say "Uses Azure REST API version ...": resources 2024-03-01, cognitiveservices 2025-06-01, apimanagement
# 2024-05-01), so validation judges the body `pulumi up` sends with the version it sends it with.
RESOURCES_API = "2024-03-01"
COGNITIVE_API = "2025-06-01"
APIM_API = "2024-05-01"
_APIM_ENVELOPE = frozenset({"location", "tags", "sku", "identity", "zones"})

# The account's content filter: deployments name it (raiPolicyName), so it is created before them.
FILTER_TYPES = (types.RAI_BLOCKLIST, types.RAI_BLOCKLIST_ITEM, types.RAI_POLICY)
RG, ACCOUNT, DEPLOYMENT, GATEWAY = types.RESOURCE_GROUP, types.ACCOUNT, types.DEPLOYMENT, types.GATEWAY


@dataclass(frozen=True)
class ArmShape:
    api_version: str
    # Flattened types: the inputs that stay at the top of the body; every other one goes to `properties`.
    envelope: frozenset[str] | None = None


ARM_SHAPES: dict[str, ArmShape] = {
    RG: ArmShape(RESOURCES_API),
    ACCOUNT: ArmShape(COGNITIVE_API),
    DEPLOYMENT: ArmShape(COGNITIVE_API),
    **{t: ArmShape(COGNITIVE_API) for t in FILTER_TYPES},
    GATEWAY: ArmShape(APIM_API, envelope=_APIM_ENVELOPE),
}

SUBSCRIPTION_SCHEMA = (
    "https://schema.management.azure.com/schemas/2018-05-01/subscriptionDeploymentTemplate.json#"
)
GROUP_SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"
# An ARM deployment name: at most 64 characters.
MAX_DEPLOYMENT_NAME = 64
_FIELD = re.compile(r"\{(\w+)\}")


class TemplateError(Exception):
    """The plan does not say what Azure would receive (a value only known at deploy time, or a missing resource)."""


# ---- one resource: azure-native inputs -> an ARM template resource ----


def _id_parts(rt: ResourceType) -> tuple[str, list[str]]:
    """The ARM type and the inputs naming each segment of the resource's name (parents first)."""
    if "/providers/" not in rt.arm_id:
        return "Microsoft.Resources/resourceGroups", [rt.name_input]
    segments = rt.arm_id.split("/providers/", 1)[1].split("/")
    kinds = segments[1::2]
    names = [rt.name_input if s == "{name}" else _FIELD.fullmatch(s).group(1) for s in segments[2::2]]  # type: ignore[union-attr]
    return "/".join([segments[0], *kinds]), names


def _path_inputs(rt: ResourceType) -> set[str]:
    return {f for f in _FIELD.findall(rt.arm_id) if f not in ("subscription", "name")} | {rt.name_input}


def _placeholders(value: Any, where: str) -> list[str]:
    if isinstance(value, Mapping):
        return [p for k, v in value.items() for p in _placeholders(v, f"{where}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _placeholders(v, f"{where}[{i}]")]
    return [where] if isinstance(value, str) and value in PLACEHOLDERS else []


def arm_body(token: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """What the PUT of this resource carries: its inputs without the URL's path parameters, `properties` folded back
    for flattened types."""
    rt, shape = RESOURCE_TYPES[token], ARM_SHAPES[token]
    path = _path_inputs(rt)
    body = {k: v for k, v in inputs.items() if k not in path}
    if shape.envelope is not None:
        properties = {k: body.pop(k) for k in sorted(body) if k not in shape.envelope}
        if properties:
            body["properties"] = properties
    gaps = _placeholders(body, token.rsplit(":", 1)[-1])
    if gaps:
        raise TemplateError(f"the plan does not know {', '.join(gaps)}: Azure's validation needs every value")
    return body


def arm_resource(token: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
    kind, names = _id_parts(RESOURCE_TYPES[token])
    return {
        "type": kind,
        "apiVersion": ARM_SHAPES[token].api_version,
        "name": "/".join(str(inputs[n]) for n in names),
        **arm_body(token, inputs),
    }


def resource_id(resource: Mapping[str, Any]) -> str:
    """The template expression naming a resource of the same template (its dependsOn entry)."""
    names = ", ".join(f"'{n}'" for n in str(resource["name"]).split("/"))
    return f"[resourceId('{resource['type']}', {names})]"


# ---- what the program declares ----


@dataclass(frozen=True)
class Declared:
    token: str
    urn: str
    inputs: Mapping[str, Any]
    dependencies: tuple[str, ...] = ()


@dataclass(frozen=True)
class PlannedLab:
    """The lab as the program declares it (one plan snapshot): the resources validation sends, by role."""

    resource_group: Declared
    account: Declared
    content_filter: tuple[Declared, ...]
    # By deployment name: the primary account's first, then those only other regions' accounts hold.
    deployments: Mapping[str, Declared]
    gateway: Declared | None

    @property
    def account_name(self) -> str:
        return str(self.account.inputs["accountName"])

    @property
    def gateway_name(self) -> str | None:
        return str(self.gateway.inputs["serviceName"]) if self.gateway is not None else None

    @classmethod
    def from_snapshot(cls, snapshot: Mapping[str, Any], primary_region: str) -> PlannedLab:
        declared = [
            Declared(str(r["type"]), str(r["urn"]), r.get("inputs") or {}, tuple(r.get("dependencies") or ()))
            for r in resources(snapshot)
            if r.get("type") in ARM_SHAPES
        ]

        def of(token: str) -> list[Declared]:
            return [d for d in declared if d.token == token]

        accounts = of(ACCOUNT)
        account = next((a for a in accounts if a.inputs.get("location") == primary_region), None)
        if account is None or len(of(RG)) != 1:
            raise TemplateError(f"the plan has no account in {primary_region} or not one resource group")
        name = account.inputs["accountName"]
        owners = [name, *(a.inputs["accountName"] for a in accounts if a is not account)]
        deployments: dict[str, Declared] = {}
        for owner in owners:
            for d in of(DEPLOYMENT):
                if d.inputs.get("accountName") == owner:
                    deployments.setdefault(str(d.inputs["deploymentName"]), d)
        gateways = of(GATEWAY)
        return cls(
            resource_group=of(RG)[0],
            account=account,
            content_filter=tuple(
                d for d in declared if d.token in FILTER_TYPES and d.inputs.get("accountName") == name
            ),
            deployments=deployments,
            gateway=gateways[0] if gateways else None,
        )


def plan_lab(stack: str, project_dir: Path, primary_region: str) -> PlannedLab:
    """Plan the stack (the real program under the mock runtime) and keep what validation sends."""
    from labctl.errors import ConfigError
    from labctl.plan.runtime import PlanError, plan_stack

    try:
        plan = plan_stack(stack, project_dir)
    except (PlanError, FileNotFoundError) as exc:
        raise ConfigError(str(exc)) from None
    return PlannedLab.from_snapshot(plan.snapshot(), primary_region)


# ---- one region's template ----


@dataclass(frozen=True)
class DeploymentChoice:
    name: str
    sku: str
    capacity: int


@dataclass(frozen=True)
class RegionPlan:
    """What the lab would create in one region: the program's resources under these names, with the SKU and
    capacity preflight chose for each deployment placed here."""

    region: str
    lab: PlannedLab
    account_name: str
    deployments: tuple[DeploymentChoice, ...]
    # None: no gateway in this region (a spread's other regions).
    gateway_name: str | None

    @property
    def resource_group(self) -> str:
        return str(self.lab.resource_group.inputs["resourceGroupName"])


def _renamed(value: Any, names: Mapping[str, str]) -> Any:
    """Every value equal to a planned name under the name asked for (the account's name is also its subdomain)."""
    if isinstance(value, Mapping):
        return {k: _renamed(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [_renamed(v, names) for v in value]
    return names.get(value, value) if isinstance(value, str) else value


def _inner_resources(plan: RegionPlan) -> list[dict[str, Any]]:
    lab = plan.lab
    names = {lab.account_name: plan.account_name}
    if lab.gateway_name and plan.gateway_name:
        names[lab.gateway_name] = plan.gateway_name

    def arm(d: Declared, **override: Any) -> dict[str, Any]:
        return arm_resource(d.token, {**_renamed(dict(d.inputs), names), **override})

    account = arm(lab.account, location=plan.region)
    out = [account]
    by_urn = {lab.account.urn: account}
    for d in lab.content_filter:
        r = arm(d)
        r["dependsOn"] = [resource_id(by_urn[u]) for u in d.dependencies if u in by_urn] or [
            resource_id(account)
        ]
        by_urn[d.urn] = r
        out.append(r)
    # One at a time, as the program creates them: concurrent writes on an account fail with 409 RequestConflict
    # (components/openai_account.py). The first waits for the account and its content filter.
    previous = [resource_id(r) for r in out]
    for choice in plan.deployments:
        d = lab.deployments[choice.name]
        sku = {**(d.inputs.get("sku") or {}), "name": choice.sku, "capacity": choice.capacity}
        r = arm(d, sku=sku)
        r["dependsOn"] = previous
        out.append(r)
        previous = [resource_id(account), resource_id(r)]
    if lab.gateway is not None and plan.gateway_name is not None:
        out.append(arm(lab.gateway, location=plan.region))
    return out


def validation_template(plan: RegionPlan) -> dict[str, Any]:
    """A subscription-scope template: the resource group, and in it (a nested deployment) the account, its content
    filter, its deployments and the gateway, as the program declares them, in this region."""
    group = arm_resource(RG, plan.lab.resource_group.inputs)
    return {
        "$schema": SUBSCRIPTION_SCHEMA,
        "contentVersion": "1.0.0.0",
        "resources": [
            group,
            {
                "type": "Microsoft.Resources/deployments",
                "apiVersion": RESOURCES_API,
                "name": deployment_name("aoai-lab-lab", plan.region),
                "resourceGroup": plan.resource_group,
                "dependsOn": [f"[subscriptionResourceId('{group['type']}', '{plan.resource_group}')]"],
                "properties": {
                    "mode": "Incremental",
                    "expressionEvaluationOptions": {"scope": "inner"},
                    "template": {
                        "$schema": GROUP_SCHEMA,
                        "contentVersion": "1.0.0.0",
                        "resources": _inner_resources(plan),
                    },
                },
            },
        ],
    }


def deployment_name(prefix: str, region: str) -> str:
    return f"{prefix}-{region}"[:MAX_DEPLOYMENT_NAME]


def validation_body(plan: RegionPlan) -> dict[str, Any]:
    # `location` is where ARM keeps the deployment's record; the region itself keeps it inside allowed regions.
    return {
        "location": plan.region,
        "properties": {"mode": "Incremental", "template": validation_template(plan)},
    }


def choices(
    deployments: Sequence[Any],
    capacities: Mapping[str, int] | None = None,
    skus: Mapping[str, str] | None = None,
) -> tuple[DeploymentChoice, ...]:
    """Each deployment (config order) with the SKU and capacity asked of it here; one absent from a given
    `capacities` is not placed in this region (spillover)."""
    return tuple(
        DeploymentChoice(d.name, (skus or {}).get(d.name, d.sku), (capacities or {}).get(d.name, d.capacity))
        for d in deployments
        if capacities is None or d.name in capacities
    )
