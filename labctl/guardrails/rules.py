"""The lab's guardrails, written once and run two ways.

`labctl check` runs them offline on a `labctl plan` snapshot; the policy pack in `policy/` runs the same rule
functions under `pulumi preview/up --policy-pack policy`. Both adapt what they have to one normalized view,
`Resource` (type token, camelCase properties as the provider receives them, urn, parent, dependencies), so a rule
never knows which of the two called it.

Two scopes, because the Pulumi engine hands a policy pack two different things:
- "resource" rules look at one resource's own inputs. The pack runs them as ResourceValidationPolicy, which sees
  the same inputs as the snapshot.
- "stack" rules relate resources to each other (a diagnostic setting to its target, a policy to its API). The pack
  runs them as StackValidationPolicy, which sees each resource's *outputs* (Azure's final state) and dependencies.
  They only read properties that Azure returns under the same name as the input, and they link resources by
  dependency rather than by name, since names are often unknown during a preview. An API policy is read in
  either spelling: `rawxml` as the program sends it (policy expressions unescaped, so not always well-formed XML)
  and `xml` as Azure returns it (expressions entity-escaped).

This module must stay free of third-party imports: the policy pack runs it in its own small virtualenv.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from facts import roles
from facts.apim_tiers import APIM_TIERS
from facts.roles import COGNITIVE_SERVICES_USAGES_READER
from labctl.guardrails.access_rules import ACCESS_RULES
from labctl.guardrails.backend_rules import BACKEND_RULES
from labctl.guardrails.foundry_rules import FOUNDRY_RULES
from labctl.guardrails.gateway_rules import GATEWAY_RULES
from labctl.guardrails.model import Finding, Resource, Rule, StackView, Violation, from_snapshot, known, show
from labctl.guardrails.policy_xml import policy_problems, policy_root, raw_policy_to_xml
from labctl.resource_types import TAGGABLE_TYPES
from labctl.snapshot import SECRET, UNKNOWN
from labctl.type_tokens import (
    ACCOUNT,
    API,
    API_POLICY,
    BACKEND,
    DEPLOYMENT,
    DIAGNOSTIC_SETTING,
    GATEWAY,
    ROLE_ASSIGNMENT,
    WORKSPACE,
)

REQUIRED_TAGS = ("owner", "expires-on")

# Built-in roles that let the holder take over the subscription or grant access to others; a lab never needs them.
PRIVILEGED_ROLES: dict[str, str] = {role.id: role.name for role in roles.PRIVILEGED_ROLES}
# The one role the lab grants at subscription scope: fine-tuning quota is only visible there.
SUBSCRIPTION_SCOPE_ROLES: dict[str, str] = {
    COGNITIVE_SERVICES_USAGES_READER.id: COGNITIVE_SERVICES_USAGES_READER.name
}
# Scopes at or above a subscription: the subscription itself, a management group, the tenant root.
_BROAD_SCOPE_RE = re.compile(
    r"^(/subscriptions/[^/]+|/providers/Microsoft\.Management/managementGroups/[^/]+|)/?$", re.IGNORECASE
)


# ---- resource rules: one resource's own inputs ----


def _gateway_identity(r: Resource, _today: dt.date) -> Iterator[str]:
    if r.type != GATEWAY:
        return
    kind = r.get("identity.type")
    if kind == UNKNOWN:
        return
    if "systemassigned" not in str(kind or "").replace(" ", "").lower():
        yield f"identity.type is {show(kind)}: the gateway has no system-assigned identity to call Azure OpenAI with"


def _api_subscription(r: Resource, _today: dt.date) -> Iterator[str]:
    # Unset means Azure's default (required); only an explicit false opens the API to anyone.
    if r.type == API and r.get("subscriptionRequired") is False:
        yield "subscriptionRequired is false: anyone who knows the URL can spend the lab's tokens"


def _privileged_role(r: Resource, _today: dt.date) -> Iterator[str]:
    if r.type != ROLE_ASSIGNMENT:
        return
    role = _role_guid(r.get("roleDefinitionId"))
    if role in PRIVILEGED_ROLES:
        yield f"grants {PRIVILEGED_ROLES[role]} on {r.get('scope')}"


def _subscription_scope(r: Resource, _today: dt.date) -> Iterator[str]:
    if r.type != ROLE_ASSIGNMENT:
        return
    scope = r.get("scope")
    if not isinstance(scope, str) or scope == UNKNOWN or not _BROAD_SCOPE_RE.fullmatch(scope):
        return
    role = _role_guid(r.get("roleDefinitionId"))
    if role not in SUBSCRIPTION_SCOPE_ROLES:
        name = PRIVILEGED_ROLES.get(role, f"role {role}")
        yield f"grants {name} at {scope or '/'}: broader than the lab's resources"


def _role_guid(role_definition_id: Any) -> str:
    return str(role_definition_id or "").rstrip("/").rsplit("/", 1)[-1].lower()


def _tags(r: Resource) -> dict[str, Any] | None:
    """Tags as a mapping; saved searches carry them as a list of {name, value}."""
    tags = r.get("tags")
    if isinstance(tags, Mapping):
        return dict(tags)
    if isinstance(tags, Sequence) and not isinstance(tags, str):
        return {t.get("name"): t.get("value") for t in tags if isinstance(t, Mapping)}
    return None


def _required_tags(r: Resource, _today: dt.date) -> Iterator[str]:
    if r.type not in TAGGABLE_TYPES or r.get("tags") == UNKNOWN:
        return
    tags = _tags(r) or {}
    missing = [t for t in REQUIRED_TAGS if not str(tags.get(t) or "").strip()]
    if missing:
        yield f"missing tag(s) {', '.join(missing)}"
    expires = tags.get("expires-on")
    if expires and known(expires) and _parse_date(expires) is None:
        yield f"expires-on {show(expires)} is not a date (YYYY-MM-DD)"


def _parse_date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None


def _workspace_limits(r: Resource, _today: dt.date) -> Iterator[str]:
    if r.type != WORKSPACE:
        return
    retention = r.get("retentionInDays")
    if retention is None:
        yield "no retentionInDays: Log Analytics keeps data for its default period"
    cap = r.get("workspaceCapping.dailyQuotaGb")
    if cap == UNKNOWN:
        return
    if cap is None:
        yield "no workspaceCapping.dailyQuotaGb: ingestion is unlimited"
    elif isinstance(cap, int | float) and cap <= 0:
        # -1 is how Azure spells "no cap".
        yield f"workspaceCapping.dailyQuotaGb is {cap}: ingestion is unlimited"


def _model_version(r: Resource, _today: dt.date) -> Iterator[str]:
    if r.type != DEPLOYMENT:
        return
    version = r.get("properties.model.version")
    if version != UNKNOWN and not str(version or "").strip():
        yield f"model {show(r.get('properties.model.name'))} has no version: Azure picks the current default"


# ---- stack rules: resources in relation to each other ----


def _fronting_backends(view: StackView, account: Resource) -> list[Resource]:
    subdomain = str(account.get("properties.customSubDomainName") or "")
    found = []
    for backend in view.of_type(BACKEND):
        url = str(backend.get("url") or "")
        host = url.split("://", 1)[-1].split("/", 1)[0].lower()
        if backend.depends_on(account) or (subdomain and host.startswith(subdomain.lower() + ".")):
            found.append(backend)
    return found


def _local_auth(view: StackView) -> Iterator[Finding]:
    for account in view.of_type(ACCOUNT):
        backends = _fronting_backends(view, account)
        value = account.get("properties.disableLocalAuth")
        if backends and value != UNKNOWN and value is not True:
            yield Finding(
                account.urn,
                f"backend {backends[0].name} fronts this account but properties.disableLocalAuth is {show(value)}: "
                "its API keys bypass the gateway",
            )


def _api_policy(view: StackView) -> Iterator[Finding]:
    policies = view.of_type(API_POLICY)
    for api in view.of_type(API):
        mine = [p for p in policies if p.depends_on(api)]
        if not mine:
            yield Finding(api.urn, "the API has no policy: the caller's key goes to the backend unchanged")
        for policy in mine:
            fmt = str(policy.get("format") or "xml")
            value = policy.get("value")
            if fmt.endswith("-link"):
                yield Finding(policy.urn, f"format {fmt}: a linked policy can't be checked; inline it")
            elif known(value) and value != SECRET:
                for problem in policy_problems(str(value), fmt):
                    yield Finding(policy.urn, problem)


def _diagnostics(view: StackView) -> Iterator[Finding]:
    workspaces = view.of_type(WORKSPACE)
    settings = view.of_type(DIAGNOSTIC_SETTING)
    for target in view.of_type(ACCOUNT, GATEWAY):
        tier = APIM_TIERS.get(str(target.get("sku.name") or "")) if target.type == GATEWAY else None
        if tier is not None and not tier.resource_logs:
            continue
        mine = [s for s in settings if s.depends_on(target)]
        if not mine:
            yield Finding(target.urn, "no diagnostic setting: its logs go nowhere")
            continue
        good = [
            s
            for s in mine
            if any(s.depends_on(w) for w in workspaces) and known(s.get("workspaceId")) and _sends_logs(s)
        ]
        if not good:
            yield Finding(
                target.urn,
                f"diagnostic setting {mine[0].name} does not send logs to the lab's Log Analytics workspace",
            )


def _sends_logs(setting: Resource) -> bool:
    logs = setting.get("logs")
    if logs == UNKNOWN:
        return True
    return isinstance(logs, Sequence) and any(
        isinstance(entry, Mapping) and entry.get("enabled") is not False for entry in logs
    )


def _expired(view: StackView) -> Iterator[Finding]:
    # One finding per past date, on the first resource carrying it: the date is one config value.
    by_date: dict[dt.date, list[Resource]] = {}
    for r in view.resources:
        if r.type not in TAGGABLE_TYPES:
            continue
        date = _parse_date((_tags(r) or {}).get("expires-on"))
        if date is not None and date < view.today:
            by_date.setdefault(date, []).append(r)
    for date, resources in sorted(by_date.items()):
        yield Finding(
            resources[0].urn,
            f"expires-on {date.isoformat()} is in the past (today is {view.today.isoformat()}; "
            f"{len(resources)} resource(s) carry it)",
        )


RULES: tuple[Rule, ...] = (
    Rule(
        id="account-local-auth-disabled",
        severity="mandatory",
        scope="stack",
        title="An account behind the gateway disables local (key) auth",
        rationale="With keys enabled, anyone holding an account key skips the gateway's keys, limits and logs.",
        fix="Set aoai-lab:disableLocalAuth to true (the default).",
        check_stack=_local_auth,
    ),
    Rule(
        id="gateway-system-identity",
        severity="mandatory",
        scope="resource",
        title="The gateway has a system-assigned managed identity",
        rationale="The gateway calls Azure OpenAI with its own identity's token; without one it can't authenticate.",
        fix="Give the ApiManagementService identity type SystemAssigned (components/ai_gateway.py).",
        check_resource=_gateway_identity,
    ),
    Rule(
        id="api-subscription-required",
        severity="mandatory",
        scope="resource",
        title="The gateway API requires a subscription key",
        rationale="Per-participant subscription keys are how the lab knows, limits and revokes its callers.",
        fix="Set subscription_required=True on the apimanagement.Api.",
        check_resource=_api_subscription,
    ),
    Rule(
        id="api-policy-managed-identity",
        severity="mandatory",
        scope="stack",
        title="The API policy authenticates with the managed identity and strips the caller's api-key",
        rationale="The backend must only see the gateway's token; a forwarded subscription key leaks to Azure OpenAI logs.",
        fix='Keep <authentication-managed-identity resource="https://cognitiveservices.azure.com"/> and '
        '<set-header name="api-key" exists-action="delete"/> directly in <inbound> '
        "(components/policies/openai-gateway.xml).",
        check_stack=_api_policy,
    ),
    Rule(
        id="diagnostics-to-workspace",
        severity="mandatory",
        scope="stack",
        title="Every account and gateway sends its logs to the lab's workspace",
        rationale="The lab's saved queries and token accounting read these logs; without them usage is invisible.",
        fix="Keep aoai-lab:gatewayLogs true and the components' diagnostic_setting(...) to the lab workspace.",
        check_stack=_diagnostics,
    ),
    Rule(
        id="no-privileged-roles",
        severity="mandatory",
        scope="resource",
        title="No role assignment grants Owner, Contributor or an access-administrator role",
        rationale="Lab participants need data-plane roles only; these roles hand over the subscription.",
        fix="Use a role set from stacks/catalog.py (student, playground, fine-tuner, instructor).",
        check_resource=_privileged_role,
    ),
    Rule(
        id="subscription-scope-usages-reader-only",
        severity="mandatory",
        scope="resource",
        title="Only Cognitive Services Usages Reader is granted at subscription scope",
        rationale="Everything else a participant needs is scoped to the lab's account or workspace.",
        fix="Scope the role to the account or workspace in stacks/catalog.py ROLE_SETS.",
        check_resource=_subscription_scope,
    ),
    Rule(
        id="required-tags",
        severity="mandatory",
        scope="resource",
        title="Every taggable resource carries the owner and expires-on tags",
        rationale="Cost reports and the teardown reminders find a lab's resources and their owner by these tags.",
        fix="Pass settings.tags to every taggable resource; set aoai-lab:owner and aoai-lab:expiresOn.",
        check_resource=_required_tags,
    ),
    Rule(
        id="lab-not-expired",
        severity="advisory",
        scope="stack",
        title="The lab's expires-on date is not in the past",
        rationale="An expired lab still costs money. Advisory, so an overdue teardown never blocks an urgent fix.",
        fix="Tear the lab down (`labctl down`) or move aoai-lab:expiresOn if the class goes on.",
        check_stack=_expired,
    ),
    Rule(
        id="workspace-retention-and-cap",
        severity="mandatory",
        scope="resource",
        title="The Log Analytics workspace has a retention period and a daily cap",
        rationale="Body logging can ingest gigabytes a day; the cap bounds the bill of a lab on student credits.",
        fix="Set aoai-lab:logRetentionDays and aoai-lab:logDailyCapGb (LabMonitoring sets both).",
        check_resource=_workspace_limits,
    ),
    Rule(
        id="deployment-model-version-pinned",
        severity="mandatory",
        scope="resource",
        title="Every model deployment pins a model version",
        rationale="Exercises are written against one version; an unpinned deployment changes under the class.",
        fix="Set `version` on every entry of aoai-lab:deployments.",
        check_resource=_model_version,
    ),
    *GATEWAY_RULES,
    *BACKEND_RULES,
    *FOUNDRY_RULES,
    *ACCESS_RULES,
)
RULES_BY_ID: dict[str, Rule] = {r.id: r for r in RULES}


def evaluate(
    resources: Iterable[Resource], *, today: dt.date | None = None, rules: Sequence[Rule] = RULES
) -> list[Violation]:
    """Every violation of `rules`, in rule order, then URN order: the same input always prints the same."""
    view = StackView(tuple(resources), today or dt.datetime.now(dt.UTC).date())
    violations = []
    for rule in rules:
        found = sorted(set(rule.findings(view)), key=lambda f: (f.urn, f.message))
        violations.extend(Violation(rule, f.urn, f.message) for f in found)
    return violations


__all__ = [
    "RULES",
    "RULES_BY_ID",
    "UNKNOWN",
    "Finding",
    "Resource",
    "Rule",
    "StackView",
    "Violation",
    "evaluate",
    "from_snapshot",
    "policy_problems",
    "policy_root",
    "raw_policy_to_xml",
]
