"""The validation template, generated from the plan snapshot: what the program declares for the account, its
content filter, its deployments, its Foundry projects and the gateway, as Resource Manager would receive it, in one
region (the primary's account moved there, or a spread region's own account as the plan declares it).

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
/accounts/deployments, /accounts/raipolicies, /accounts/raiblocklists, /accounts/projects),
.../microsoft.apimanagement/2024-05-01/service. `accounts/projects` is in the stable 2025-06-01 API: azure-rest-api-specs
specification/cognitiveservices/resource-manager/Microsoft.CognitiveServices/stable/2025-06-01/examples/CreateProject.json
(PUT .../accounts/{accountName}/projects/{projectName}, body location, identity, properties.displayName/description).
A project's body holds nothing the plan cannot know: its identity's principal id is an output (and the role grants
on it are not part of the template, as no role assignment is).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labctl import type_tokens as types
from labctl.preflight.verdicts.deployment_choices import DeploymentChoice
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
RG, ACCOUNT, DEPLOYMENT, PROJECT, GATEWAY = (
    types.RESOURCE_GROUP,
    types.ACCOUNT,
    types.DEPLOYMENT,
    types.PROJECT,
    types.GATEWAY,
)


@dataclass(frozen=True)
class ArmShape:
    api_version: str
    # Flattened types: the inputs that stay at the top of the body; every other one goes to `properties`.
    envelope: frozenset[str] | None = None


ARM_SHAPES: dict[str, ArmShape] = {
    RG: ArmShape(RESOURCES_API),
    ACCOUNT: ArmShape(COGNITIVE_API),
    DEPLOYMENT: ArmShape(COGNITIVE_API),
    PROJECT: ArmShape(COGNITIVE_API),
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
class PlannedAccount:
    """One account as the program declares it, with its children: content filter, deployments, Foundry projects."""

    account: Declared
    content_filter: tuple[Declared, ...]
    deployments: Mapping[str, Declared]
    projects: tuple[Declared, ...]

    @property
    def name(self) -> str:
        return str(self.account.inputs["accountName"])

    @property
    def region(self) -> str:
        return str(self.account.inputs.get("location"))


@dataclass(frozen=True)
class PlannedLab:
    """The lab as the program declares it (one plan snapshot): the resources validation sends, by role."""

    resource_group: Declared
    primary: PlannedAccount
    # A spread lab's other accounts, by region (stacks/regions.py).
    regional: Mapping[str, PlannedAccount]
    # By deployment name: the primary account's first, then those only other regions' accounts hold.
    deployments: Mapping[str, Declared]
    gateway: Declared | None

    @property
    def account_name(self) -> str:
        return self.primary.name

    @property
    def gateway_name(self) -> str | None:
        return str(self.gateway.inputs["serviceName"]) if self.gateway is not None else None

    def name_under(self, account: PlannedAccount, primary_name: str) -> str:
        """`account`'s name when the primary is named `primary_name`: the program derives a spread region's account
        name from the primary's (the same random suffix; from_snapshot checks it), so the plan's name keeps its tail."""
        return primary_name + account.name[len(self.primary.name) :]

    @classmethod
    def from_snapshot(cls, snapshot: Mapping[str, Any], primary_region: str) -> PlannedLab:
        declared = [
            Declared(str(r["type"]), str(r["urn"]), r.get("inputs") or {}, tuple(r.get("dependencies") or ()))
            for r in resources(snapshot)
            if r.get("type") in ARM_SHAPES
        ]

        def of(*tokens: str, account: str | None = None) -> list[Declared]:
            return [
                d
                for d in declared
                if d.token in tokens and (account is None or d.inputs.get("accountName") == account)
            ]

        def planned(a: Declared) -> PlannedAccount:
            name = str(a.inputs["accountName"])
            return PlannedAccount(
                account=a,
                content_filter=tuple(of(*FILTER_TYPES, account=name)),
                deployments={str(d.inputs["deploymentName"]): d for d in of(DEPLOYMENT, account=name)},
                projects=tuple(of(PROJECT, account=name)),
            )

        accounts = [planned(a) for a in of(ACCOUNT)]
        primary = next((a for a in accounts if a.region == primary_region), None)
        if primary is None or len(of(RG)) != 1:
            raise TemplateError(f"the plan has no account in {primary_region} or not one resource group")
        strays = [a.name for a in accounts if not a.name.startswith(primary.name)]
        if strays:
            raise TemplateError(
                f"the plan's account(s) {', '.join(strays)} are not named after {primary.name}"
            )
        deployments: dict[str, Declared] = {}
        for a in [primary, *accounts]:
            for name, d in a.deployments.items():
                deployments.setdefault(name, d)
        gateways = of(GATEWAY)
        return cls(
            resource_group=of(RG)[0],
            primary=primary,
            regional={a.region: a for a in accounts if a is not primary},
            deployments=deployments,
            gateway=gateways[0] if gateways else None,
        )


def plan_lab(stack: str, project_dir: Path, primary_region: str, location: Any = None) -> PlannedLab:
    """Plan the stack (the real program under the mock runtime) and keep what validation sends. `location`: the
    lab as `labctl preflight --write` would pin `aoai-lab:location` to it (a spread preflight proposes)."""
    from labctl.errors import ConfigError
    from labctl.plan.runtime import PlanError, plan_stack

    try:
        if location is None:
            plan = plan_stack(stack, project_dir)
        else:
            plan = plan_stack(stack, project_dir, pinned={"location": location})
    except (PlanError, FileNotFoundError) as exc:
        raise ConfigError(str(exc)) from None
    return PlannedLab.from_snapshot(plan.snapshot(), primary_region)


# ---- one region's template ----


@dataclass(frozen=True)
class RegionPlan:
    """What the lab would create in one region: the program's resources under these names, with the SKU and
    capacity preflight chose for each deployment placed here."""

    region: str
    lab: PlannedLab
    # The lab's account placed here: the primary's (moved), or a spread region's own as the plan declares it.
    account: PlannedAccount
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
    lab, placed = plan.lab, plan.account
    names = {placed.name: plan.account_name}
    if lab.gateway_name and plan.gateway_name:
        names[lab.gateway_name] = plan.gateway_name

    def arm(d: Declared, **override: Any) -> dict[str, Any]:
        return arm_resource(d.token, {**_renamed(dict(d.inputs), names), **override})

    account = arm(placed.account, location=plan.region)
    out = [account]
    by_urn = {placed.account.urn: account}
    for d in placed.content_filter:
        r = arm(d)
        r["dependsOn"] = [resource_id(by_urn[u]) for u in d.dependencies if u in by_urn] or [
            resource_id(account)
        ]
        by_urn[d.urn] = r
        out.append(r)
    # One at a time, as the program creates them: concurrent writes on an account fail with 409 RequestConflict
    # (components/openai_account.py). The first waits for the account and its content filter; the projects come
    # after the deployments.
    previous = [resource_id(r) for r in out]
    for choice in plan.deployments:
        # This account's own declaration of the deployment, else the lab's (a deployment placed where it was not).
        d = placed.deployments.get(choice.name) or lab.deployments[choice.name]
        sku = {**(d.inputs.get("sku") or {}), "name": choice.sku, "capacity": choice.capacity}
        r = arm(d, accountName=plan.account_name, sku=sku)
        r["dependsOn"] = previous
        out.append(r)
        previous = [resource_id(account), resource_id(r)]
    for d in placed.projects:
        # A project lives in its account's region (components/foundry_project.py).
        r = arm(d, location=plan.region)
        r["dependsOn"] = previous
        out.append(r)
        previous = [resource_id(account), resource_id(r)]
    if lab.gateway is not None and plan.gateway_name is not None:
        out.append(arm(lab.gateway, location=plan.region))
    return out


def validation_template(plan: RegionPlan) -> dict[str, Any]:
    """A subscription-scope template: the resource group, and in it (a nested deployment) the account, its content
    filter, its deployments, its Foundry projects and the gateway, as the program declares them, in this region."""
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
