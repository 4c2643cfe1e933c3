"""Who can reach the models: no participant holds a data-plane role on an account unless the stack opts in.

Students reach the models through the gateway only (their key, their token limits, the class window, the per-student
logs). A role such as Cognitive Services OpenAI User on the account lets its holder call
`https://<account>.openai.azure.com` with `az login` instead, past every one of those limits. The lab grants such
roles to its own identities (the gateway's, a Foundry project's) and to people only through the role sets of
stacks/catalog.py that say so (DIRECT_ACCESS_ROLE_SETS); stacks/access.py writes the role set into each person's
assignment description, which is how these rules tell a person's grant from an opt-in.

Part of `labctl check` and the policy pack (labctl/guardrails/rules.py adds them to RULES); standard library only.
Stack rules, because "is this principal the lab's own identity?" is answered by the assignment's dependencies (its
principal id is the gateway's or the project's output), which a resource rule does not see in the policy pack.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from labctl.guardrails.model import Finding, Resource, Rule, StackView, show
from labctl.snapshot import UNKNOWN
from labctl.type_tokens import ACCOUNT, GATEWAY, PROJECT, ROLE_ASSIGNMENT
from stacks.catalog import (
    DATA_PLANE_ROLES,
    DIRECT_ACCESS_ROLE_SETS,
    GRANT_DESCRIPTION_PREFIX,
    PARTICIPANT_OPT_IN_ROLE_SETS,
)

# A scope that is an account, or contains one (its resource group, subscription, management group, the root).
_ACCOUNT_SCOPE_RE = re.compile(
    r"(/subscriptions/[^/]+(/resourceGroups/[^/]+(/providers/Microsoft\.CognitiveServices/accounts/[^/]+)?)?"
    r"|/providers/Microsoft\.Management/managementGroups/[^/]+|)/?",
    re.IGNORECASE,
)
_ROLE_SET_RE = re.compile(rf"{GRANT_DESCRIPTION_PREFIX} (?P<set>[a-z0-9-]+): (?P<who>.+)", re.DOTALL)


@dataclass(frozen=True)
class DirectGrant:
    """A data-plane role on an account (or above) held by someone other than the lab's own identities."""

    assignment: Resource
    role: str
    role_set: str | None
    who: str


def _role_guid(role_definition_id: object) -> str:
    return str(role_definition_id or "").rstrip("/").rsplit("/", 1)[-1].lower()


def _reaches_an_account(view: StackView, r: Resource) -> bool:
    scope = r.get("scope")
    if isinstance(scope, str) and scope != UNKNOWN:
        return _ACCOUNT_SCOPE_RE.fullmatch(scope) is not None
    # Unknown during a preview: the scope is an account's id when the assignment depends on an account and not on a
    # project (a project's id would make it a project scope).
    deps = {d.type for d in view.resources if r.depends_on(d)}
    return ACCOUNT in deps and PROJECT not in deps


def _lab_identity(view: StackView, r: Resource) -> bool:
    """The principal is the gateway's or a Foundry project's managed identity (its id is that resource's output)."""
    if r.get("principalType") not in ("ServicePrincipal", UNKNOWN):
        return False
    return any(r.depends_on(d) for d in view.of_type(GATEWAY, PROJECT))


def direct_grants(view: StackView) -> Iterator[DirectGrant]:
    for r in view.of_type(ROLE_ASSIGNMENT):
        role = _role_guid(r.get("roleDefinitionId"))
        if role not in DATA_PLANE_ROLES or not _reaches_an_account(view, r) or _lab_identity(view, r):
            continue
        description = r.get("description")
        match = _ROLE_SET_RE.fullmatch(description) if isinstance(description, str) else None
        who = match["who"] if match else f"{r.get('principalType')} {r.get('principalId')}"
        yield DirectGrant(r, DATA_PLANE_ROLES[role], match["set"] if match else None, who)


def _not_opted_in(view: StackView) -> Iterator[Finding]:
    for g in direct_grants(view):
        if g.role_set in DIRECT_ACCESS_ROLE_SETS:
            continue
        origin = (
            f"role set {g.role_set}" if g.role_set else f"description {show(g.assignment.get('description'))}"
        )
        yield Finding(
            g.assignment.urn,
            f"grants {g.role} on {g.assignment.get('scope')} to {g.who} ({origin}): they can call the models "
            "directly, past the gateway's keys, token limits, class window and logs",
        )


def _opted_in(view: StackView) -> Iterator[Finding]:
    for g in direct_grants(view):
        if g.role_set in PARTICIPANT_OPT_IN_ROLE_SETS:
            yield Finding(
                g.assignment.urn,
                f"{g.role_set}: {g.who} holds {g.role} on the account and calls the models directly, outside the "
                "gateway's token limits, class window and per-student logs, until `labctl down` removes the grant",
            )


ACCESS_RULES: tuple[Rule, ...] = (
    Rule(
        id="no-direct-model-access",
        severity="mandatory",
        scope="stack",
        title="No participant holds a data-plane role on an account unless the stack opts in",
        rationale="A student with Cognitive Services OpenAI User (or any role that calls or lists keys) on the account "
        "calls it with `az login`: no token limit, no class window, no per-student log, every deployment.",
        fix="Give students the `student` role set (gateway keys only); for the RBAC/playground activity, name the "
        "opt-in role set `playground` in aoai-lab:people (stacks/catalog.py ROLE_SETS).",
        check_stack=_not_opted_in,
    ),
    Rule(
        id="direct-model-access-opt-in",
        severity="advisory",
        scope="stack",
        title="Participants with direct model access (playground, fine-tuner) bypass the gateway",
        rationale="The opt-in role sets grant Entra ID access to the account: the gateway's limits and class window do "
        "not apply to those calls. Advisory: the stack asked for it.",
        fix="Keep the opt-in only for the activity's duration: move those people back to `student` (then `pulumi up`), "
        "or `labctl down` when the class ends.",
        check_stack=_opted_in,
    ),
)
