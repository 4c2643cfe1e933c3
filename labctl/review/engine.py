"""The diff engine of `labctl diff`: two plan snapshots in, what `pulumi up` would do to Azure out.

Pure functions over `labctl plan --json` snapshots (the `pulumi stack export` shape): no git, no Pulumi runtime.
Resources are matched by URN; their inputs are compared property by property, as the provider receives them.

Secrets: a plan never holds a secret's plaintext (the offline program sees "[secret]" for every `secure:` config
value and only mock values for secret outputs), so two "[secret]" are indistinguishable and hashing them would
say nothing. Where a secret can change offline is the stack file: `secure:` ciphertexts are compared there (see
`secret_config_changes`) and reported by key, never by value. A property that is a secret on either side is
reported as changed without either value.
"""

from __future__ import annotations

import difflib
import html
import json
import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from labctl.azure_types import NAME_INPUTS as ARM_NAME_INPUTS

SECRET = "[secret]"
STACK_TYPE = "pulumi:pulumi:Stack"
_MISSING: Any = object()

Op = Literal["create", "update", "replace", "delete"]
ChangeKind = Literal["add", "remove", "update", "reorder"]


@dataclass(frozen=True)
class ReplaceRule:
    """A property Azure (or the provider) can't change in place: changing it re-creates the resource."""

    type: str  # a type token, "azure-native:*" for every Azure resource, or a provider prefix like "random:*"
    path: str  # property path in the provider's inputs; "*" for every input
    reason: str
    # Only some changes of the property force it: called with the old and new values (_MISSING when absent).
    when: Callable[[Any, Any], bool] | None = None


# API Management tiers by family. Azure scales a service within its family (Developer <-> Premium, BasicV2 <->
# StandardV2) but can't move it between the classic, v2 and Consumption platforms: that is a new service.
APIM_TIER_FAMILIES: dict[str, str] = {
    "Developer": "classic",
    "Basic": "classic",
    "Standard": "classic",
    "Premium": "classic",
    "Isolated": "classic",
    "BasicV2": "v2",
    "StandardV2": "v2",
    "PremiumV2": "v2",
    "Consumption": "consumption",
}


def _apim_tier_family_changes(old: Any, new: Any) -> bool:
    if old is _MISSING or new is _MISSING or not isinstance(old, str) or not isinstance(new, str):
        return False
    # A tier this table doesn't know counts as a family of its own: better a warning than a surprise.
    return APIM_TIER_FAMILIES.get(old, old) != APIM_TIER_FAMILIES.get(new, new)


# The one list of replace-forcing properties. Names are part of the ARM id, so a new name is a new resource.
REPLACE_RULES: tuple[ReplaceRule, ...] = (
    # ARM ids contain the resource group: another group is another resource.
    ReplaceRule("azure-native:*", "resourceGroupName", "the resource group is part of the ARM id"),
    # Azure resources can't move between regions.
    ReplaceRule("azure-native:*", "location", "Azure resources can't move to another region"),
    ReplaceRule(
        "azure-native:resources:ResourceGroup", "resourceGroupName", "a resource group can't be renamed"
    ),
    ReplaceRule("azure-native:cognitiveservices:Account", "accountName", "the account name is its ARM id"),
    # Azure rejects a kind change (OpenAI <-> AIServices) on an existing account.
    ReplaceRule("azure-native:cognitiveservices:Account", "kind", "an account's kind can't change in place"),
    # The custom subdomain is the account's global DNS name and can be set only once.
    ReplaceRule(
        "azure-native:cognitiveservices:Account",
        "properties.customSubDomainName",
        "the custom subdomain can be set only once",
    ),
    ReplaceRule(
        "azure-native:cognitiveservices:Deployment", "accountName", "a deployment belongs to one account"
    ),
    ReplaceRule(
        "azure-native:cognitiveservices:Deployment", "deploymentName", "the deployment name is its ARM id"
    ),
    # A deployment serves one model: another model (or model format) is another deployment; versions upgrade.
    ReplaceRule(
        "azure-native:cognitiveservices:Deployment",
        "properties.model.format",
        "a deployment's model format is fixed at creation",
    ),
    ReplaceRule(
        "azure-native:cognitiveservices:Deployment",
        "properties.model.name",
        "a deployment's model is fixed at creation (versions upgrade in place)",
    ),
    ReplaceRule(
        "azure-native:apimanagement:ApiManagementService", "serviceName", "the service name is its ARM id"
    ),
    # Classic (Developer/Basic/Standard/Premium), v2 (BasicV2/StandardV2) and Consumption are different
    # platforms: a tier change within a family scales in place, across families it is a new service.
    ReplaceRule(
        "azure-native:apimanagement:ApiManagementService",
        "sku.name",
        "API Management can't move between the classic, v2 and Consumption tiers in place",
        when=_apim_tier_family_changes,
    ),
    # Every API Management child lives under its service and has its id in its ARM id.
    ReplaceRule("azure-native:apimanagement:*", "serviceName", "the parent API Management service changes"),
    ReplaceRule("azure-native:apimanagement:Api", "apiId", "the API id is its ARM id"),
    ReplaceRule("azure-native:apimanagement:ApiPolicy", "apiId", "the policy belongs to another API"),
    ReplaceRule("azure-native:apimanagement:ApiPolicy", "policyId", "the policy id is its ARM id"),
    ReplaceRule("azure-native:apimanagement:Backend", "backendId", "the backend id is its ARM id"),
    ReplaceRule("azure-native:apimanagement:Product", "productId", "the product id is its ARM id"),
    ReplaceRule("azure-native:apimanagement:ProductApi", "productId", "the link's product changes"),
    ReplaceRule("azure-native:apimanagement:ProductApi", "apiId", "the link's API changes"),
    ReplaceRule("azure-native:apimanagement:Subscription", "sid", "the subscription id is its ARM id"),
    ReplaceRule("azure-native:apimanagement:Logger", "loggerId", "the logger id is its ARM id"),
    ReplaceRule("azure-native:apimanagement:ApiDiagnostic", "apiId", "the diagnostic belongs to another API"),
    ReplaceRule(
        "azure-native:apimanagement:ApiDiagnostic", "diagnosticId", "the diagnostic id is its ARM id"
    ),
    # The provider's generic resource (the lab's API diagnostic at an API version with LLM logging): these four
    # inputs spell its ARM id.
    *(
        ReplaceRule("azure-native:resources:Resource", key, "the generic resource's ARM id changes")
        for key in ("resourceProviderNamespace", "parentResourcePath", "resourceType", "resourceName")
    ),
    ReplaceRule(
        "azure-native:applicationinsights:Workbook",
        "resourceName",
        "the workbook's name (a GUID) is its ARM id",
    ),
    ReplaceRule(
        "azure-native:operationalinsights:Workspace", "workspaceName", "the workspace name is its ARM id"
    ),
    ReplaceRule(
        "azure-native:operationalinsights:SavedSearch",
        "workspaceName",
        "the saved search moves to another workspace",
    ),
    ReplaceRule(
        "azure-native:operationalinsights:SavedSearch", "savedSearchId", "the saved search id is its ARM id"
    ),
    ReplaceRule("azure-native:monitor:DiagnosticSetting", "name", "the setting's name is its ARM id"),
    # A diagnostic setting is an extension of its target resource.
    ReplaceRule(
        "azure-native:monitor:DiagnosticSetting", "resourceUri", "the setting moves to another resource"
    ),
    # Role assignments are immutable: principal, role and scope define the assignment.
    ReplaceRule(
        "azure-native:authorization:RoleAssignment", "roleAssignmentName", "the assignment name is its id"
    ),
    ReplaceRule("azure-native:authorization:RoleAssignment", "scope", "role assignments are immutable"),
    ReplaceRule("azure-native:authorization:RoleAssignment", "principalId", "role assignments are immutable"),
    ReplaceRule(
        "azure-native:authorization:RoleAssignment", "roleDefinitionId", "role assignments are immutable"
    ),
    ReplaceRule(
        "azure-native:authorization:RoleAssignment", "principalType", "role assignments are immutable"
    ),
    ReplaceRule("azure-native:consumption:Budget", "budgetName", "the budget name is its ARM id"),
    ReplaceRule("azure-native:consumption:Budget", "scope", "a budget can't move to another scope"),
    # Every input of the random provider's resources forces a new value; a new name suffix renames the lab.
    ReplaceRule("random:*", "*", "every input of a random resource forces a new value"),
)


def replace_reason(resource_type: str, path: str, old: Any = _MISSING, new: Any = _MISSING) -> str | None:
    """Why changing `path` from `old` to `new` re-creates a resource of this type; None if Azure does it in place."""
    for rule in REPLACE_RULES:
        if not _type_matches(rule.type, resource_type):
            continue
        matches = rule.path == "*" or path == rule.path or path.startswith((rule.path + ".", rule.path + "["))
        if matches and (rule.when is None or rule.when(old, new)):
            return rule.reason
    return None


def _type_matches(pattern: str, resource_type: str) -> bool:
    if pattern.endswith("*"):
        return resource_type.startswith(pattern[:-1])
    return pattern == resource_type


@dataclass(frozen=True)
class PropertyChange:
    path: str
    kind: ChangeKind
    old: Any = _MISSING
    new: Any = _MISSING
    secret: bool = False
    replace_reason: str | None = None
    # Unified diff lines, for multi-line text (XML compared as canonical XML).
    text_diff: tuple[str, ...] = ()
    note: str = ""
    # The whole text of a new multi-line value (a created resource's policy or query), and its language.
    text_block: tuple[str, ...] = ()
    text_lang: str = ""


@dataclass(frozen=True)
class ResourceChange:
    op: Op
    urn: str
    type: str
    properties: tuple[PropertyChange, ...] = ()
    # Why a resource is replaced although none of its own changes force it: a resource it lives under (or
    # whose identity it uses) is replaced, and Azure deletes it with that resource.
    causes: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.urn.rsplit("::", 1)[-1]

    @property
    def reasons(self) -> tuple[str, ...]:
        """Every reason for a replace: the properties' and the cascade's, each once, in a stable order."""
        own = sorted({c.replace_reason for c in self.properties if c.replace_reason})
        return (*own, *self.causes)


@dataclass
class PlanDiff:
    stack: str
    base_label: str
    head_label: str
    resources: list[ResourceChange] = field(default_factory=list)
    outputs: list[PropertyChange] = field(default_factory=list)
    secret_config: list[PropertyChange] = field(default_factory=list)

    def count(self, op: Op) -> int:
        return sum(1 for r in self.resources if r.op == op)

    @property
    def has_changes(self) -> bool:
        return bool(self.resources or self.outputs or self.secret_config)

    def summary(self) -> str:
        return (
            f"+ {self.count('create')} to create, ~ {self.count('update')} to update, "
            f"+- {self.count('replace')} to replace, - {self.count('delete')} to delete"
        )


# ---- comparing values ----

_IDENT_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _key_path(path: str, key: str) -> str:
    """Pulumi's property path syntax: `a.b`, `tags["expires-on"]`."""
    if _IDENT_RE.match(key):
        return f"{path}.{key}" if path else key
    return f"{path}[{json.dumps(key)}]"


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def diff_values(old: Any, new: Any, path: str = "") -> list[PropertyChange]:
    """Every change between two JSON values, by property path, in key and index order."""
    # `True == 1` in Python; JSON tells them apart, and so must a diff.
    if old == new and _canonical(old) == _canonical(new):
        return []
    if old == SECRET or new == SECRET:
        # Never show either side: the non-secret side may be the value that was made secret.
        return [PropertyChange(path, "update", secret=True)]
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        changes: list[PropertyChange] = []
        for key in sorted(set(old) | set(new)):
            sub = _key_path(path, key)
            if key not in new:
                changes.append(PropertyChange(sub, "remove", old=old[key], secret=old[key] == SECRET))
            elif key not in old:
                changes.append(PropertyChange(sub, "add", new=new[key], secret=new[key] == SECRET))
            else:
                changes.extend(diff_values(old[key], new[key], sub))
        return changes
    if _is_list(old) and _is_list(new):
        return _diff_lists(list(old), list(new), path)
    if isinstance(old, str) and isinstance(new, str) and ("\n" in old or "\n" in new):
        return [_text_change(old, new, path)]
    return [PropertyChange(path, "update", old=old, new=new)]


def _is_list(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str)


def _diff_lists(old: list[Any], new: list[Any], path: str) -> list[PropertyChange]:
    old_keys = [_canonical(v) for v in old]
    new_keys = [_canonical(v) for v in new]
    if Counter(old_keys) == Counter(new_keys):
        # Same elements, new order: one change for the list, not one per index.
        return [PropertyChange(path, "reorder", old=old, new=new, note="order changed")]
    changes: list[PropertyChange] = []
    matcher = difflib.SequenceMatcher(a=old_keys, b=new_keys, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        if tag == "replace" and i2 - i1 == j2 - j1:
            for k in range(i2 - i1):
                changes.extend(diff_values(old[i1 + k], new[j1 + k], f"{path}[{j1 + k}]"))
            continue
        changes.extend(
            PropertyChange(f"{path}[{i}]", "remove", old=old[i], secret=old[i] == SECRET)
            for i in range(i1, i2)
        )
        changes.extend(
            PropertyChange(f"{path}[{j}]", "add", new=new[j], secret=new[j] == SECRET) for j in range(j1, j2)
        )
    return changes


def canonical_xml(text: str) -> str | None:
    """Exclusive of comments and insignificant whitespace, attributes sorted, pretty-printed; None if not XML."""
    stripped = text.strip()
    if not stripped.startswith("<"):
        return None
    try:
        canon = ET.canonicalize(stripped, strip_text=True)
        root = ET.fromstring(canon)
    except ET.ParseError:
        return None
    ET.indent(root)
    return ET.tostring(root, encoding="unicode")


def _text_change(old: str, new: str, path: str) -> PropertyChange:
    old_xml, new_xml = canonical_xml(old), canonical_xml(new)
    if old_xml is not None and new_xml is not None:
        if old_xml == new_xml:
            return PropertyChange(path, "update", note="same XML: only comments or formatting changed")
        return PropertyChange(
            path, "update", text_diff=_unified(old_xml, new_xml), note="XML (compared as canonical XML)"
        )
    return PropertyChange(path, "update", text_diff=_unified(old, new), note="text")


def _unified(old: str, new: str) -> tuple[str, ...]:
    lines = difflib.unified_diff(
        old.splitlines(), new.splitlines(), fromfile="base", tofile="head", lineterm="", n=3
    )
    return tuple(lines)


# ---- comparing snapshots ----


def _resources(snapshot: Mapping[str, Any] | None) -> list[Mapping[str, Any]]:
    if not snapshot:
        return []
    return list(snapshot.get("deployment", {}).get("resources") or [])


def _stack_outputs(resources: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    return next((dict(r.get("outputs") or {}) for r in resources if r["type"] == STACK_TYPE), {})


def diff_snapshots(
    base: Mapping[str, Any] | None,
    head: Mapping[str, Any] | None,
    *,
    stack: str = "dev",
    base_label: str = "base",
    head_label: str = "working tree",
    secret_config: Sequence[PropertyChange] = (),
) -> PlanDiff:
    """Creates, updates, replaces and deletes by URN; head order first, then deletes in base order."""
    old = [r for r in _resources(base) if r["type"] != STACK_TYPE]
    new = [r for r in _resources(head) if r["type"] != STACK_TYPE]
    old_by_urn = {r["urn"]: r for r in old}
    new_urns = {r["urn"] for r in new}
    result = PlanDiff(stack=stack, base_label=base_label, head_label=head_label)
    for r in new:
        before = old_by_urn.get(r["urn"])
        if before is None:
            result.resources.append(ResourceChange("create", r["urn"], r["type"], _create_props(r)))
            continue
        changes = []
        for change in diff_values(before.get("inputs") or {}, r.get("inputs") or {}):
            reason = replace_reason(r["type"], change.path, change.old, change.new)
            changes.append(_with_reason(change, reason) if reason else change)
        op: Op = "replace" if any(c.replace_reason for c in changes) else "update"
        result.resources.append(ResourceChange(op, r["urn"], r["type"], tuple(changes)))
    _cascade_replacements(result.resources, old_by_urn, {r["urn"]: r for r in new})
    # Unchanged resources stood in the list only so a replacement could reach them.
    result.resources = [c for c in result.resources if c.op != "update" or c.properties]
    for r in old:
        if r["urn"] not in new_urns:
            result.resources.append(ResourceChange("delete", r["urn"], r["type"]))
    result.outputs = diff_values(_stack_outputs(_resources(base)), _stack_outputs(_resources(head)))
    result.secret_config = list(secret_config)
    return result


# ---- replacements that cascade ----

# The input that holds a resource's own Azure name, per type. A product-API link is left out: its "name" is the
# API's id, a reference to its parent API here, not a name of its own.
NAME_INPUTS: dict[str, str] = {
    t: key for t, key in ARM_NAME_INPUTS.items() if t != "azure-native:apimanagement:ProductApi"
}
# Inputs that place a resource under another one (its ARM parent: accountName, serviceName...) or on another one
# (an extension resource's resourceUri or scope), with the types they name ("*": an ARM id, any type). When that
# other resource is deleted, Azure deletes this one with it: a replaced parent replaces its children, even when
# their inputs are unchanged.
PARENT_INPUTS: dict[str, tuple[str, ...]] = {
    "resourceGroupName": ("azure-native:resources:ResourceGroup",),
    "accountName": ("azure-native:cognitiveservices:Account",),
    "serviceName": ("azure-native:apimanagement:ApiManagementService",),
    "workspaceName": ("azure-native:operationalinsights:Workspace",),
    "apiId": ("azure-native:apimanagement:Api",),
    "productId": ("azure-native:apimanagement:Product",),
    "resourceUri": ("*",),
    "scope": ("*",),
    # A generic resource's parent path, e.g. service/<apim>/apis/<api>.
    "parentResourcePath": ("*",),
}
# The segment before a resource's name in its ARM id (`.../accounts/<name>`), to find it in an id.
ARM_COLLECTIONS: dict[str, str] = {
    "azure-native:resources:ResourceGroup": "resourceGroups",
    "azure-native:cognitiveservices:Account": "accounts",
    "azure-native:cognitiveservices:Deployment": "deployments",
    "azure-native:apimanagement:ApiManagementService": "service",
    "azure-native:apimanagement:Api": "apis",
    "azure-native:apimanagement:Backend": "backends",
    "azure-native:apimanagement:Product": "products",
    "azure-native:apimanagement:Logger": "loggers",
    "azure-native:operationalinsights:Workspace": "workspaces",
    "azure-native:operationalinsights:SavedSearch": "savedSearches",
}
_PLACEHOLDERS = frozenset({SECRET, "[unknown]"})


def _names(resource: Mapping[str, Any] | None) -> set[str]:
    """A resource's Azure name, case-folded as ARM compares names; empty for types without one."""
    key = NAME_INPUTS.get(resource["type"]) if resource else None
    value = (resource.get("inputs") or {}).get(key) if resource and key else None
    if isinstance(value, str) and value and value not in _PLACEHOLDERS:
        return {value.rstrip("/").rsplit("/", 1)[-1].casefold()}
    return set()


def _refers_to(key: str, value: Any, resource_type: str, names: set[str]) -> bool:
    """Whether input `key`'s value names a resource of this type called one of `names`: a bare name in an input
    meant for that type, or the type's `<collection>/<name>` pair inside an ARM id."""
    if not names or not isinstance(value, str) or value in _PLACEHOLDERS:
        return False
    segments = [part.casefold() for part in value.split("/") if part]
    if len(segments) == 1:
        return resource_type in PARENT_INPUTS[key] and segments[0] in names
    collection = ARM_COLLECTIONS.get(resource_type, "").casefold()
    return any(segments[i] == collection and segments[i + 1] in names for i in range(len(segments) - 1))


def _system_identity(resource: Mapping[str, Any] | None) -> bool:
    identity = (resource or {}).get("inputs", {}).get("identity")
    kind = identity.get("type") if isinstance(identity, Mapping) else None
    return isinstance(kind, str) and "systemassigned" in kind.replace(" ", "").casefold()


@dataclass
class _Replaced:
    """The replaced resources of one pass, indexed by Azure name so a dependent finds its parent directly."""

    sides: dict[str, tuple[Mapping[str, Any] | None, Mapping[str, Any]]]  # urn -> (base, head), in diff order
    by_name: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for urn, (old, new) in self.sides.items():
            for name in _names(old) | _names(new):
                self.by_name.setdefault(name, []).append(urn)


def _segments(value: Any) -> set[str]:
    if not isinstance(value, str) or value in _PLACEHOLDERS:
        return set()
    return {part.casefold() for part in value.split("/") if part}


def _cascade_causes(resource: Mapping[str, Any], before: Mapping[str, Any], replaced: _Replaced) -> list[str]:
    """Why replacing the `replaced` resources replaces `resource` too; empty if it doesn't."""
    dependencies = set(resource.get("dependencies") or ()) | set(before.get("dependencies") or ())
    parent = resource.get("parent", "")
    own_name = NAME_INPUTS.get(resource["type"])
    sides = [before.get("inputs") or {}, resource.get("inputs") or {}]
    keys = [key for key in PARENT_INPUTS if key != own_name]
    mentioned = {
        urn
        for key in keys
        for side in sides
        for seg in _segments(side.get(key))
        for urn in replaced.by_name.get(seg, ())
    }
    candidates = (mentioned | (dependencies & set(replaced.sides))) - {resource["urn"]}
    causes = []
    for urn in (u for u in replaced.sides if u in candidates):  # in diff order: deterministic
        old, new = replaced.sides[urn]
        # Only what the program links to it: a dependency, or a sibling in the same component.
        if urn not in dependencies and not (parent and parent == new.get("parent")):
            continue
        name = urn.rsplit("::", 1)[-1]
        names = _names(old) | _names(new)
        refer = [
            key for key in keys if any(_refers_to(key, side.get(key), new["type"], names) for side in sides)
        ]
        if refer:
            verb = "refers" if len(refer) == 1 else "refer"
            causes.append(f"replaced with {name}, which its {' and '.join(refer)} {verb} to")
        elif (
            # A role assignment for the replaced resource's own managed identity: the new resource has a new
            # principal, and an assignment's principal can't change in place.
            urn in dependencies
            and resource["type"] == "azure-native:authorization:RoleAssignment"
            and sides[1].get("principalType") == "ServicePrincipal"
            and (_system_identity(old) or _system_identity(new))
        ):
            causes.append(
                f"its principal is the managed identity of {name}, which is new after the replacement"
            )
    return causes


def _cascade_replacements(
    changes: list[ResourceChange],
    old_by_urn: Mapping[str, Mapping[str, Any]],
    new_by_urn: Mapping[str, Mapping[str, Any]],
) -> None:
    """Mark as replaced, in place, every resource that Azure deletes with a replaced one, until nothing changes.

    `changes` holds an entry (an update with no properties if need be) for every resource on both sides."""
    while True:
        replaced = _Replaced(
            {
                c.urn: (old_by_urn.get(c.urn), new_by_urn[c.urn])
                for c in changes
                if c.op == "replace" and c.urn in new_by_urn
            }
        )
        if not replaced.sides:
            return
        grew = False
        for i, change in enumerate(changes):
            if change.urn not in old_by_urn or change.urn not in new_by_urn:
                continue
            causes = _cascade_causes(new_by_urn[change.urn], old_by_urn[change.urn], replaced)
            if causes and (change.op != "replace" or tuple(causes) != change.causes):
                changes[i] = ResourceChange(
                    "replace", change.urn, change.type, change.properties, tuple(causes)
                )
                grew = True
        if not grew:
            return


def _with_reason(change: PropertyChange, reason: str) -> PropertyChange:
    return PropertyChange(
        change.path,
        change.kind,
        old=change.old,
        new=change.new,
        secret=change.secret,
        replace_reason=reason,
        text_diff=change.text_diff,
        note=change.note,
        text_block=change.text_block,
        text_lang=change.text_lang,
    )


def _create_props(resource: Mapping[str, Any]) -> tuple[PropertyChange, ...]:
    """A new resource's inputs as leaf `add` changes, so a reviewer sees what will be declared."""
    return tuple(_leaves(resource.get("inputs") or {}, ""))


def _leaves(value: Any, path: str) -> Iterator[PropertyChange]:
    if isinstance(value, Mapping) and value:
        for key in sorted(value):
            yield from _leaves(value[key], _key_path(path, key))
    elif _is_list(value) and value and any(isinstance(v, Mapping | list) for v in value):
        for i, item in enumerate(value):
            yield from _leaves(item, f"{path}[{i}]")
    else:
        yield _added(path, value)


_LANG_NAMES = {"xml": "XML", "kusto": "KQL", "text": "text"}


def _added(path: str, value: Any) -> PropertyChange:
    """A created resource's input; a multi-line text (a policy, a query) keeps its whole text to show."""
    if not isinstance(value, str) or "\n" not in value.strip("\n") or value == SECRET:
        return PropertyChange(path, "add", new=value, secret=value == SECRET)
    lines = tuple(value.strip("\n").splitlines())
    leaf = path.rsplit(".", 1)[-1].casefold()
    lang = "xml" if canonical_xml(value) is not None else "kusto" if leaf.endswith("query") else "text"
    return PropertyChange(
        path,
        "add",
        new=value,
        text_block=lines,
        text_lang=lang,
        note=f"{len(lines)} lines of {_LANG_NAMES[lang]}",
    )


def secret_config_changes(
    base: Mapping[str, Any] | None, head: Mapping[str, Any] | None
) -> list[PropertyChange]:
    """`secure:` entries of two Pulumi.<stack>.yaml `config:` maps, by key. Any new ciphertext counts as changed
    (`pulumi config set --secret` re-encrypts even an unchanged value); values are never carried."""
    old = {k: v["secure"] for k, v in (base or {}).items() if isinstance(v, Mapping) and "secure" in v}
    new = {k: v["secure"] for k, v in (head or {}).items() if isinstance(v, Mapping) and "secure" in v}
    changes = []
    for key in sorted(set(old) | set(new)):
        if key not in new:
            changes.append(PropertyChange(key, "remove", secret=True))
        elif key not in old:
            changes.append(PropertyChange(key, "add", secret=True))
        elif old[key] != new[key]:
            changes.append(PropertyChange(key, "update", secret=True, note="re-encrypted or changed"))
    return changes


# ---- rendering ----

_OP_SYMBOL: dict[str, str] = {"create": "+", "update": "~", "replace": "+-", "delete": "-"}
_KIND_SYMBOL: dict[str, str] = {"add": "+", "remove": "-", "update": "~", "reorder": "~"}
_MAX_VALUE = 240


def _show(value: Any) -> str:
    text = (
        json.dumps(value, ensure_ascii=False, sort_keys=True)
        if not isinstance(value, bool | int | float)
        else (json.dumps(value))
    )
    if isinstance(value, str) and "\n" in value:
        return f"<{value.count(chr(10)) + 1} lines>"
    if len(text) > _MAX_VALUE:
        return text[: _MAX_VALUE - 1] + "…"
    return text


def property_line(change: PropertyChange) -> str:
    """One line per property change; values of secrets never appear."""
    symbol = "+-" if change.replace_reason else _KIND_SYMBOL[change.kind]
    if change.secret:
        body = {
            "add": "[secret] (added)",
            "remove": "[secret] (removed)",
        }.get(change.kind, "[secret] changed (values hidden)")
        if change.note and change.kind == "update":
            body = f"[secret] {change.note} (values hidden)"
    elif change.kind == "add" and change.text_block:
        body = f"<{change.note}, in full below>"
    elif change.kind == "add":
        body = _show(change.new)
    elif change.kind == "remove":
        body = _show(change.old)
    elif change.kind == "reorder":
        body = f"order changed: {_show(change.old)} => {_show(change.new)}"
    elif change.old is _MISSING:
        # Text and XML changes carry a note and a unified diff instead of two values.
        body = change.note
    else:
        body = f"{_show(change.old)} => {_show(change.new)}"
    line = f"{symbol} {change.path or '(value)'}: {body}"
    if change.replace_reason:
        line += f"  [forces replacement: {change.replace_reason}]"
    return line


def cause_line(cause: str) -> str:
    return f"+- {cause}  [forces replacement]"


def render_text(diff: PlanDiff) -> str:
    out = [f"labctl diff: stack {diff.stack}, {diff.base_label} -> {diff.head_label}", ""]
    if not diff.has_changes:
        out.append("No changes.")
    for r in diff.resources:
        out.append(f"{_OP_SYMBOL[r.op]} {r.type} {r.name} ({r.op})")
        out.extend("    " + cause_line(cause) for cause in r.causes)
        for change in r.properties:
            out.append("    " + property_line(change))
            out.extend("        " + line for line in change.text_diff)
            out.extend(("        | " + line).rstrip() for line in change.text_block)
    if diff.outputs:
        out += ["", "Outputs:"]
        for change in diff.outputs:
            out.append("    " + property_line(change))
            out.extend("        " + line for line in change.text_diff)
    if diff.secret_config:
        out += ["", f"Secret config (Pulumi.{diff.stack}.yaml):"]
        out.extend("    " + property_line(c) for c in diff.secret_config)
    out += ["", diff.summary()]
    return "\n".join(out) + "\n"


def _fence(lines: Sequence[str], lang: str = "diff") -> list[str]:
    longest = max((len(m) for line in lines for m in re.findall(r"`+", line)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{fence}{lang}", *lines, fence]


def _escape(text: str) -> str:
    return html.escape(text, quote=False)


# GitHub refuses a comment longer than 65,536 characters; the workflow caps the diff below that, leaving room for
# the guardrails report and the marker in the same comment.
COMMENT_LIMIT = 60_000
# A capped report shows at most this many created resources in full; beyond, they are listed one line each (a
# hundred new participants are a hundred look-alike sections nobody reads in a comment).
CREATE_DETAIL_LIMIT = 25
# A banner longer than this lists the first resources and counts the rest.
_BANNER_MAX_ITEMS = 50


def _banner(diff: PlanDiff) -> list[str]:
    dangerous = [r for r in diff.resources if r.op in ("replace", "delete")]
    if not dangerous:
        return []
    out = [
        "> [!WARNING]",
        f"> **{diff.count('replace')} to replace, {diff.count('delete')} to delete.** "
        "Replaced and deleted resources lose their state (keys, endpoints, logs; soft-deleted names stay "
        "reserved), and Azure deletes a replaced resource's children and role assignments with it. Check that "
        "this is intended.",
    ]
    for r in dangerous[:_BANNER_MAX_ITEMS]:
        why = f": {'; '.join(r.reasons)}" if r.reasons else ""
        out.append(f"> - `{_OP_SYMBOL[r.op]}` **{_escape(r.name)}** `{r.type}`{_escape(why)}")
    if len(dangerous) > _BANNER_MAX_ITEMS:
        out.append(f"> - … and {len(dangerous) - _BANNER_MAX_ITEMS} more (each has its section below)")
    return [*out, ""]


def _resource_section(r: ResourceChange) -> str:
    out = [
        f"<details><summary><code>{_OP_SYMBOL[r.op]} {r.op}</code> <b>{_escape(r.name)}</b> "
        f"<code>{_escape(r.type)}</code></summary>",
        "",
    ]
    body: list[str] = [cause_line(cause) for cause in r.causes]
    for change in r.properties:
        body.append(property_line(change))
        body.extend(change.text_diff)
    out += _fence(body or [f"{_OP_SYMBOL[r.op]} {r.name}"])
    for change in r.properties:
        if change.text_block:
            out += ["", f"`{change.path}`:", ""]
            out += _fence(change.text_block, change.text_lang)
    out += ["", "</details>", ""]
    return "\n".join(out) + "\n"


def _created_list(created: Sequence[ResourceChange], budget: int) -> str:
    """The created resources one line each, as many as fit in `budget` characters, then how many more."""
    head = [
        f"<details open><summary><code>+ create</code> <b>{len(created)} resources</b> "
        "(one line each; their properties are in the full report)</summary>",
        "",
    ]
    lines = [f"+ {r.name} {r.type}" for r in created]
    fence = _fence(lines)
    opening, closing = fence[0], fence[-1]
    tail = ["", "</details>", ""]
    fixed = len("\n".join([*head, opening, closing, *tail])) + 80
    shown: list[str] = []
    used = fixed
    for line in lines:
        if used + len(line) + 1 > budget:
            break
        shown.append(line)
        used += len(line) + 1
    if len(shown) < len(lines):
        shown.append(f"… and {len(lines) - len(shown)} more to create")
    return "\n".join([*head, opening, *shown, closing, *tail]) + "\n"


def _truncation_note(omitted: int, created: int, full_report_url: str | None) -> str:
    where = f"[this workflow run]({full_report_url})" if full_report_url else "this workflow run"
    what = []
    if created:
        what.append(f"the {created} created resources are listed one line each")
    if omitted:
        what.append(f"{omitted} section(s) that did not fit are left out")
    return (
        "> [!NOTE]\n"
        f"> This report is shortened to fit a pull request comment: {' and '.join(what) or 'nothing is left out'}. "
        f"The full report is in the job summary and the `labctl-diff` artifact of {where}.\n"
    )


def render_markdown(
    diff: PlanDiff, *, max_chars: int | None = None, full_report_url: str | None = None
) -> str:
    """A pull request comment: banner on replace/delete, the summary, one collapsible section per resource.

    With `max_chars`, a report that would be longer (or that creates more than CREATE_DETAIL_LIMIT resources) lists
    created resources one line each and, if that is still too long, leaves out the sections that don't fit, with a
    note saying where the full report is."""
    head = "\n".join(
        [
            f"### Infrastructure diff for stack `{diff.stack}`",
            "",
            f"Offline plan (`labctl diff`) of {_escape(diff.head_label)} against {_escape(diff.base_label)}.",
            "",
            *_banner(diff),
            f"**`{diff.summary()}`**",
            "",
            *(["No changes.", ""] if not diff.has_changes else []),
        ]
    )
    head += "\n"
    tail: list[str] = []
    if diff.outputs:
        body: list[str] = []
        for change in diff.outputs:
            body.append(property_line(change))
            body.extend(change.text_diff)
        tail.append(
            "\n".join(["<details><summary>Stack outputs</summary>", "", *_fence(body), "", "</details>", ""])
            + "\n"
        )
    if diff.secret_config:
        tail.append(
            "\n".join(
                [
                    f"Secret config in `Pulumi.{diff.stack}.yaml` (values never shown):",
                    "",
                    *_fence([property_line(c) for c in diff.secret_config]),
                    "",
                ]
            )
            + "\n"
        )
    full = head + "".join(_resource_section(r) for r in diff.resources) + "".join(tail)
    created = [r for r in diff.resources if r.op == "create"]
    if max_chars is None or (len(full) <= max_chars and len(created) <= CREATE_DETAIL_LIMIT):
        return full.rstrip("\n") + "\n"

    # Too long: replaces, updates and deletes keep their sections, in order; creates become one line each.
    note = _truncation_note(len(diff.resources), len(created), full_report_url)  # the longest it gets
    others = [_resource_section(r) for r in diff.resources if r.op != "create"] + tail
    budget = max_chars - len(head) - len(note)
    parts: list[str] = []
    omitted = 0
    for section in others:
        if omitted or len(section) > budget:
            omitted += 1
            continue
        parts.append(section)
        budget -= len(section)
    if created:
        parts.append(_created_list(created, budget))
    out = head + "".join(parts) + _truncation_note(omitted, len(created), full_report_url)
    return out.rstrip("\n") + "\n"
