"""The policy pack in policy/: the same rules as `labctl check`, fed the way the Pulumi CLI feeds them.

The pack's analyzer is driven with the protobuf requests the engine sends (`Analyze` per resource with its
inputs, `AnalyzeStack` with every resource, parents and dependencies), including preview-time unknowns and
wire-format secrets, so the adapter is exercised exactly as `pulumi preview --policy-pack policy` would.

`AnalyzeStack` gets each resource's *outputs*, not its inputs: during a preview, inputs plus unknowns for a resource
about to be created, but Azure's state for one that exists (and, in `pulumi up`, for all of them). So the stack
rules are run on both shapes: the snapshot's inputs, and outputs shaped the way Azure returns them
(`azure_outputs`): no input-only names (`resourceGroupName`, `serviceName`...), read-only fields added, and the
API policy in Azure's `xml` format, its expressions' quotes and brackets escaped as entities.
"""

from __future__ import annotations

import ast
import copy
import dataclasses
import datetime as dt
import importlib.util
import runpy
import sys
from collections.abc import Callable
from typing import Any

import pulumi_policy
import pytest
import yaml
from google.protobuf import struct_pb2
from pulumi.runtime.proto import analyzer_pb2 as proto
from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.policy import _PolicyAnalyzerServicer
from pulumi_policy.proxy import (
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
    unknown_checking_proxy,
)

import components.ai_gateway as ai_gateway
from facts.roles import OWNER
from labctl.guardrails.rules import RULES, UNKNOWN, evaluate, from_snapshot
from labctl.plan.runtime import Plan
from labctl.project import PROJECT_DIR
from stacks import catalog

POLICY_DIR = PROJECT_DIR / "policy"
TODAY = dt.date(2026, 11, 1)
SECRET_SIG = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270"}


def _load_pack_module() -> Any:
    spec = importlib.util.spec_from_file_location(
        "aoai_lab_guardrails", POLICY_DIR / "aoai_lab_guardrails.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


pack = _load_pack_module()


def _struct(props: dict[str, Any]) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(props)
    return message


def _name(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


# Inputs that Azure's response doesn't echo: the resource's own name and its parents' (the ARM id has them).
INPUT_ONLY = {
    "resourceGroupName",
    "accountName",
    "deploymentName",
    "serviceName",
    "apiId",
    "policyId",
    "backendId",
    "productId",
    "loggerId",
    "diagnosticId",
    "sid",
    "workspaceName",
    "savedSearchId",
    "resourceUri",
    "roleAssignmentName",
}


def azure_policy_xml(raw: str) -> str:
    """A `rawxml` policy the way API Management returns it (format `xml`): CRLF line ends, tab indents, comments
    kept, and inside policy expressions every quote, `<`, `>` and `&` as an entity. Written out by hand for the
    shipped policy's one expression, so the test does not depend on the code under test."""
    expression = '@("Bearer " + (string)context.Variables["msi-access-token"])'
    assert expression in raw, "the shipped policy changed: update this test's copy of Azure's encoding"
    escaped = raw.replace(
        expression, "@(&quot;Bearer &quot; + (string)context.Variables[&quot;msi-access-token&quot;])"
    )
    lines = [line.replace("  ", "\t") for line in escaped.strip("\n").splitlines()]
    return "\r\n".join(lines)


def azure_outputs(resource: dict[str, Any]) -> dict[str, Any]:
    """The resource's outputs as the azure-native provider reports them after Azure's response."""
    typ, inputs = resource["type"], copy.deepcopy(resource["inputs"])
    if typ.startswith("random:"):
        return {**inputs, "result": "ab1cd"}
    if not typ.startswith("azure-native:"):
        return inputs
    name = resource["urn"].rsplit("::", 1)[-1]
    out = {k: v for k, v in inputs.items() if k not in INPUT_ONLY}
    out.update(
        id=f"/subscriptions/x/resourceGroups/rg/providers/{typ}/{name}",
        name=name,
        azureApiVersion="2024-10-01",
    )
    if typ == "azure-native:cognitiveservices:Account":
        out["properties"] = {
            **out["properties"],
            "endpoint": "https://x.openai.azure.com/",
            "endpoints": {"OpenAI Language Model Instance API": "https://x.openai.azure.com/"},
            "provisioningState": "Succeeded",
            "capabilities": [{"name": "VirtualNetworks"}, {"name": "CustomerManagedKey"}],
            "dateCreated": "2026-09-01T10:00:00.000Z",
            "internalId": "0123456789abcdef0123456789abcdef",
            "isMigrated": False,
            "callRateLimit": {"rules": [{"key": "openai.dalle.post", "count": 30.0}]},
        }
        out["identity"] = {**out["identity"], "principalId": "p", "tenantId": "t"}
    elif typ == "azure-native:apimanagement:ApiManagementService":
        if out.get("identity"):
            out["identity"] = {**out["identity"], "principalId": "p", "tenantId": "t"}
        out.update(
            gatewayUrl="https://x.azure-api.net", provisioningState="Succeeded", platformVersion="stv2"
        )
    elif typ == "azure-native:apimanagement:ApiPolicy":
        out.update(format="xml", value=azure_policy_xml(inputs["value"]))
    elif typ == "azure-native:monitor:DiagnosticSetting":
        for entry in [*out.get("logs", []), *out.get("metrics", [])]:
            entry["retentionPolicy"] = {"days": 0, "enabled": False}
    elif typ == "azure-native:operationalinsights:Workspace":
        out["workspaceCapping"] = {
            **out["workspaceCapping"],
            "dataIngestionStatus": "RespectQuota",
            "quotaNextResetTime": "2026-09-02T00:00:00Z",
        }
        out.update(customerId="c", provisioningState="Succeeded")
    elif typ == "azure-native:cognitiveservices:Deployment":
        out["properties"] = {**out["properties"], "provisioningState": "Succeeded", "rateLimits": []}
    return out


def run_pack(
    resources: list[dict[str, Any]], today: dt.date = TODAY, shape: str = "outputs"
) -> list[proto.AnalyzeDiagnostic]:
    """Every diagnostic the pack reports for these snapshot-shaped resources: `Analyze` gets each one's inputs;
    `AnalyzeStack` gets Azure-shaped outputs (`shape="outputs"`) or the inputs, as a first preview has them."""
    analyzer = _PolicyAnalyzerServicer(
        pack.PACK_NAME, "0.1.0", pack.policies(lambda: today), EnforcementLevel.ADVISORY
    )
    diagnostics: list[proto.AnalyzeDiagnostic] = []
    for r in resources:
        request = proto.AnalyzeRequest(
            type=r["type"],
            urn=r["urn"],
            name=_name(r["urn"]),
            properties=_struct(r["inputs"]),
            options=proto.AnalyzerResourceOptions(parent=r.get("parent", "")),
        )
        diagnostics.extend(analyzer.Analyze(request, None).diagnostics)
    stack = proto.AnalyzeStackRequest(
        resources=[
            proto.AnalyzerResource(
                type=r["type"],
                urn=r["urn"],
                name=_name(r["urn"]),
                properties=_struct(azure_outputs(r) if shape == "outputs" else r["inputs"]),
                parent=r.get("parent", ""),
                dependencies=r["dependencies"],
            )
            for r in resources
        ]
    )
    diagnostics.extend(analyzer.AnalyzeStack(stack, None).diagnostics)
    return diagnostics


SHAPES = ("inputs", "outputs")


def _found_by_pack(resources: list[dict[str, Any]], shape: str) -> set[tuple[str, str]]:
    found = set()
    for d in run_pack(resources, shape=shape):
        # A resource policy's diagnostic carries no URN: the engine attaches it to the resource it analyzed.
        assert d.policyPackName == "aoai-lab-guardrails"
        found.add((d.policyName, d.urn))
    return found


def _resources(plan: Plan) -> list[dict[str, Any]]:
    return plan.snapshot()["deployment"]["resources"]


def test_pack_has_one_policy_per_rule_at_its_severity():
    policies = pack.policies()
    assert [p.name for p in policies] == [r.id for r in RULES]
    for policy, rule in zip(policies, RULES, strict=True):
        expected = EnforcementLevel.MANDATORY if rule.severity == "mandatory" else EnforcementLevel.ADVISORY
        assert policy.enforcement_level == expected
        kind = ResourceValidationPolicy if rule.scope == "resource" else StackValidationPolicy
        assert isinstance(policy, kind)
        assert policy.remediation_steps == rule.fix


def test_main_serves_the_pack_with_every_policy(monkeypatch):
    served: dict[str, Any] = {}

    def fake_pack(*, name: str, policies: list[Any], **_: Any) -> None:
        served.update(name=name, policies=[p.name for p in policies])

    # The real PolicyPack starts a gRPC server for the CLI and never returns.
    monkeypatch.setattr(pulumi_policy, "PolicyPack", fake_pack)
    monkeypatch.setattr(sys, "path", list(sys.path))
    runpy.run_path(str(POLICY_DIR / "__main__.py"), run_name="__main__")
    assert served == {"name": "aoai-lab-guardrails", "policies": [r.id for r in RULES]}


def test_pack_files_are_what_the_pulumi_cli_expects():
    manifest = yaml.safe_load((POLICY_DIR / "PulumiPolicy.yaml").read_text(encoding="utf-8"))
    assert manifest["runtime"]["name"] == "python"
    assert manifest["runtime"]["options"]["virtualenv"] == "venv"
    requirements = (POLICY_DIR / "requirements.txt").read_text(encoding="utf-8")
    assert "pulumi-policy" in requirements
    # The pack's venv has only pulumi-policy (and pulumi's own dependencies): the rules it imports must need nothing
    # else. The rules and every project module they import, transitively (the packages' __init__ files too), at any
    # indentation: an import inside a function runs in the pack as surely as one at the top.
    todo, seen, imports = ["labctl.guardrails.rules"], set(), set()
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        for name in _imports_of(module):
            # components/backend_pools.py is shared with the program, facts/ with everyone: walked like labctl's modules.
            if name.split(".")[0] in ("labctl", "stacks", "components", "facts"):
                todo.append(name)
            else:
                imports.add(name.split(".")[0])
    assert seen >= {"labctl.guardrails.rules", "labctl.resource_types", "labctl.snapshot"}
    # pyyaml: stacks/facts/models.py reads YAML, and pulumi (which pulumi-policy requires) depends on pyyaml.
    assert imports <= {
        "__future__",
        "datetime",
        "difflib",
        "functools",
        "json",
        "re",
        "string",
        "xml",
        "collections",
        "dataclasses",
        "typing",
        "pathlib",
        "yaml",
    }, imports
    catalog = (PROJECT_DIR / "stacks" / "catalog.py").read_text(encoding="utf-8")
    # facts/ is walked above like the rest of the project; the catalog adds nothing of its own.
    assert {i for i in _imports_in(catalog) if i.split(".")[0] != "facts"} <= {"__future__", "dataclasses"}


def _imports_in(source: str, package: str = "") -> list[str]:
    """Every module an `import` or `from ... import` names, at any depth (inside functions, under `if`)."""
    names = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            module = ".".join(p for p in (base, node.module or "") if p)
            names.append(module)
            # `from labctl.guardrails import gateway_rules` imports a module too.
            names += [
                f"{module}.{alias.name}" for alias in node.names if _is_module(f"{module}.{alias.name}")
            ]
    return names


def _is_module(name: str) -> bool:
    return PROJECT_DIR.joinpath(*name.split(".")).with_suffix(".py").is_file()


def _imports_of(module: str) -> list[str]:
    parts = module.split(".")
    path = PROJECT_DIR.joinpath(*parts).with_suffix(".py")
    if not path.is_file():
        path = PROJECT_DIR.joinpath(*parts, "__init__.py")
    files = [path] + [PROJECT_DIR.joinpath(*parts[:i], "__init__.py") for i in range(1, len(parts))]
    package = module if path.name == "__init__.py" else ".".join(parts[:-1])
    return [
        name for file in files if file.is_file() for name in _imports_in(file.read_text("utf-8"), package)
    ]


@pytest.mark.parametrize("shape", SHAPES)
def test_dev_stack_passes_the_pack(dev_plan, shape):
    assert run_pack(_resources(dev_plan), shape=shape) == []


# Azure's answer to GET .../apis/{api}/policies/policy: `properties` holds only `value` (no `format`), the document
# keeps its comments, lines end in CRLF, sections are indented by two spaces, and inside policy expressions `>` is
# `&gt;` (Azure/azure-rest-api-specs, specification/apimanagement/resource-manager/Microsoft.ApiManagement/stable/
# 2024-05-01/examples/ApiManagementGetApiPolicy.json).
AZURE_COMMENT = (
    "<!--\r\n    IMPORTANT:\r\n    - Policy elements can appear only within the section elements.\r\n-->\r\n"
)


def _as_azure_returns_it(value: str) -> str:
    lines = value.strip("\n").splitlines()
    return AZURE_COMMENT + "\r\n".join(lines)


def test_the_rules_read_the_policy_as_azure_returns_it(dev_plan):
    from labctl.guardrails.policy_expressions import check_policy_expressions, policy_expressions
    from labctl.guardrails.policy_xml import policy_root

    resources = _resources(dev_plan)
    policy = next(r for r in resources if r["type"] == "azure-native:apimanagement:ApiPolicy")
    program_value = policy["inputs"]["value"]
    azure_value = _as_azure_returns_it(program_value)
    assert "hits.Count &gt; 0" in azure_value  # an expression's `>` as Azure spells it
    # The same expressions, read from either document.
    assert list(policy_expressions(policy_root(azure_value))) == list(
        policy_expressions(policy_root(program_value))
    )
    assert check_policy_expressions(azure_value, "azure") == []
    # The stack rules judge Azure's answer (no `format`) as they judge the program's input.
    view = from_snapshot({"deployment": {"resources": resources}})
    answered = [
        dataclasses.replace(r, props={"value": azure_value}) if r.urn == policy["urn"] else r for r in view
    ]
    assert evaluate(answered, today=TODAY) == []
    broken = azure_value.replace('<set-header name="api-key" exists-action="delete" />', "")
    assert broken != azure_value
    answered = [
        dataclasses.replace(r, props={"value": broken}) if r.urn == policy["urn"] else r for r in view
    ]
    assert [v.message for v in evaluate(answered, today=TODAY)] == [
        "<inbound> forwards the caller's api-key header to Azure OpenAI"
    ]
    # The stand-in for Azure that the other tests use gives the same shape.
    stand_in = azure_outputs(policy)
    assert "\r\n" in stand_in["value"] and "serviceName" not in stand_in


@pytest.mark.parametrize("echoed_format", ["xml", "rawxml", None])
def test_azure_encoded_policy_passes_whatever_format_the_outputs_carry(dev_plan, echoed_format):
    # Azure doesn't return `format`: the provider may echo the input's (rawxml) next to Azure's xml-encoded value.
    resources = _resources(dev_plan)
    policy = next(r for r in resources if r["type"] == "azure-native:apimanagement:ApiPolicy")
    outputs = azure_outputs(policy)
    if echoed_format is None:
        del outputs["format"]
    else:
        outputs["format"] = echoed_format
    view = from_snapshot({"deployment": {"resources": resources}})
    view = [dataclasses.replace(r, props=outputs) if r.urn == policy["urn"] else r for r in view]
    assert evaluate(view, today=TODAY) == []
    broken = outputs["value"].replace('<set-header name="api-key" exists-action="delete" />', "")
    view = [
        dataclasses.replace(r, props={**outputs, "value": broken}) if r.urn == policy["urn"] else r
        for r in view
    ]
    assert [v.message for v in evaluate(view, today=TODAY)] == [
        "<inbound> forwards the caller's api-key header to Azure OpenAI"
    ]


@pytest.mark.parametrize("shape", SHAPES)
def test_a_broken_policy_is_found_in_either_shape(dev_plan, shape):
    resources = [dict(r, inputs=dict(r["inputs"])) for r in _resources(dev_plan)]
    _edit(
        resources,
        "azure-native:apimanagement:ApiPolicy",
        lambda i: i.update(
            value=i["value"].replace('<set-header name="api-key" exists-action="delete" />', "")
        ),
    )
    (diagnostic,) = run_pack(resources, shape=shape)
    assert diagnostic.policyName == "api-policy-managed-identity"
    assert "forwards the caller's api-key header" in diagnostic.message


def _no_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    real = ai_gateway.apimanagement.ApiManagementService
    monkeypatch.setattr(
        ai_gateway.apimanagement, "ApiManagementService", lambda *a, **k: real(*a, **{**k, "identity": None})
    )


def _unbounded_bodies(monkeypatch: pytest.MonkeyPatch) -> None:
    real = ai_gateway.api_diagnostic_properties
    big = {"headers": [], "body": {"bytes": 8192}}

    def edited(service_id: str, logging: Any) -> dict[str, Any]:
        both = {"request": big, "response": big}
        return {**real(service_id, logging), "frontend": both, "backend": both}

    monkeypatch.setattr(ai_gateway, "api_diagnostic_properties", edited)


VIOLATING: dict[str, tuple[dict[str, Any], Callable[[pytest.MonkeyPatch], None] | None]] = {
    "local auth": ({"disableLocalAuth": False}, None),
    "no gateway logs": ({"gatewayLogs": False}, None),
    "expired": ({"expiresOn": "2026-10-01"}, None),
    "owner at subscription": (
        {},
        lambda mp: mp.setitem(catalog.ROLE_SETS, "student", (("subscription", OWNER),)),
    ),
    "no gateway identity": ({}, _no_identity),
    # The gateway's rules (labctl/guardrails/gateway_rules.py): the pack sees the policy and the generic resource.
    "no participant limits": ({"participantLimits": None}, None),
    "unbounded bodies": ({}, _unbounded_bodies),
}


@pytest.mark.parametrize("case", sorted(VIOLATING))
def test_pack_and_labctl_check_find_the_same_violations(case, plan_with, monkeypatch):
    config, patch = VIOLATING[case]
    if patch is not None:
        patch(monkeypatch)
    resources = _resources(plan_with(**config))
    by_check = {
        (v.rule.id, v.urn)
        for v in evaluate(from_snapshot({"deployment": {"resources": resources}}), today=TODAY)
    }
    assert by_check, "the case must break at least one rule"
    # Resource policies report without a URN (the engine knows which resource it asked about).
    resource_rules = {r.id for r in RULES if r.scope == "resource"}
    for shape in SHAPES:
        by_pack = _found_by_pack(resources, shape)
        assert {(rule, urn) for rule, urn in by_check if rule not in resource_rules} == {
            (rule, urn) for rule, urn in by_pack if rule not in resource_rules
        }, shape
        assert {rule for rule, _ in by_check} == {rule for rule, _ in by_pack}, shape


def test_enforcement_levels_reach_the_engine(plan_with):
    diagnostics = run_pack(_resources(plan_with(disableLocalAuth=False, expiresOn="2026-10-01")))
    levels = {d.policyName: d.enforcementLevel for d in diagnostics}
    assert levels == {"account-local-auth-disabled": proto.MANDATORY, "lab-not-expired": proto.ADVISORY}
    message = next(d.message for d in diagnostics if d.policyName == "account-local-auth-disabled")
    assert "Fix: Set aoai-lab:disableLocalAuth to true" in message


def _edit(resources: list[dict[str, Any]], typ: str, change: Callable[[dict[str, Any]], None]) -> None:
    for r in resources:
        if r["type"] == typ:
            change(r["inputs"])


def test_preview_unknowns_are_neither_errors_nor_violations(dev_plan):
    # A first preview: nothing exists yet, so the stack policies see inputs with unknowns (run_pack's "inputs").
    resources = [dict(r, inputs=dict(r["inputs"])) for r in _resources(dev_plan)]
    # What a first preview sees: the endpoint, the account's flag and the workspace's tags are not known yet.
    _edit(resources, "azure-native:apimanagement:Backend", lambda i: i.update(url=UNKNOWN_STRING_VALUE))
    _edit(
        resources,
        "azure-native:cognitiveservices:Account",
        lambda i: i.update(properties={**i["properties"], "disableLocalAuth": UNKNOWN_BOOLEAN_VALUE}),
    )
    _edit(
        resources, "azure-native:operationalinsights:Workspace", lambda i: i.update(tags=UNKNOWN_OBJECT_VALUE)
    )
    assert run_pack(resources, shape="inputs") == []


def test_unknown_backend_url_still_links_the_account_by_dependency(plan_with):
    resources = [dict(r, inputs=dict(r["inputs"])) for r in _resources(plan_with(disableLocalAuth=False))]
    _edit(resources, "azure-native:apimanagement:Backend", lambda i: i.update(url=UNKNOWN_STRING_VALUE))
    assert {d.policyName for d in run_pack(resources, shape="inputs")} == {"account-local-auth-disabled"}


def test_wire_secrets_are_checked_like_plain_values(dev_plan):
    resources = [dict(r, inputs=dict(r["inputs"])) for r in _resources(dev_plan)]

    def hide_and_break(inputs: dict[str, Any]) -> None:
        broken = inputs["value"].replace('<set-header name="api-key" exists-action="delete" />', "")
        inputs["value"] = {**SECRET_SIG, "value": broken}

    _edit(resources, "azure-native:apimanagement:ApiPolicy", hide_and_break)
    (diagnostic,) = run_pack(resources, shape="inputs")
    assert diagnostic.policyName == "api-policy-managed-identity"
    assert "forwards the caller's api-key header" in diagnostic.message


def test_adapter_maps_policy_resources_to_the_normalized_view():
    opts = PolicyResourceOptions(False, [], None, [], None, [], None)
    parent = PolicyResource(
        "aoai-lab:components:X", unknown_checking_proxy({}), "urn:p", "p", opts, None, None, [], {}
    )
    dep = PolicyResource("t:m:A", unknown_checking_proxy({}), "urn:a", "a", opts, None, None, [], {})
    prop_dep = PolicyResource("t:m:B", unknown_checking_proxy({}), "urn:b", "b", opts, None, None, [], {})
    props = unknown_checking_proxy(
        {"tags": {"owner": "x"}, "list": [1, UNKNOWN_STRING_VALUE], "gone": UNKNOWN_OBJECT_VALUE}
    )
    child = PolicyResource("t:m:C", props, "urn:c", "c", opts, None, parent, [dep], {"x": [prop_dep]})
    (_, _, view) = pack.resources_from_stack(StackValidationArgs([parent, dep, child]))
    assert view.urn == "urn:c" and view.type == "t:m:C" and view.parent == "urn:p"
    assert view.dependencies == frozenset({"urn:a", "urn:b"})
    assert view.props == {"tags": {"owner": "x"}, "list": [1, UNKNOWN], "gone": UNKNOWN}
