"""The Foundry track's guardrails: projects on a Foundry account with their own identity, content filters that keep
every harm category on, deployments that name a filter the stack declares, account children created one at a time.

Part of `labctl check` and the policy pack (labctl/guardrails/rules.py adds them to RULES); standard library only.
Facts and sources: stacks/facts/foundry.yaml.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from facts.content_filter import POLICY_NAMES, SEVERITIES
from labctl.guardrails.model import Finding, Resource, Rule, StackView, known
from labctl.snapshot import UNKNOWN
from labctl.type_tokens import ACCOUNT, DEPLOYMENT, PROJECT, RAI_BLOCKLIST, RAI_BLOCKLIST_ITEM, RAI_POLICY

ACCOUNT_CHILDREN = (DEPLOYMENT, RAI_POLICY, RAI_BLOCKLIST, RAI_BLOCKLIST_ITEM, PROJECT)


def _project_identity(r: Resource, _today: dt.date) -> Iterator[str]:
    if r.type != PROJECT:
        return
    kind = r.get("identity.type")
    if kind != UNKNOWN and "SystemAssigned" not in str(kind or ""):
        yield f"identity.type is {kind!r}; the project's agents need its own system-assigned identity"


def _harm_filters(r: Resource, _today: dt.date) -> Iterator[str]:
    if r.type != RAI_POLICY:
        return
    filters = r.get("properties.contentFilters")
    if not known(filters):
        return
    by_key = {
        (f.get("name"), f.get("source")): f
        for f in (filters if isinstance(filters, list) else [])
        if isinstance(f, dict)
    }
    for category in POLICY_NAMES:
        for source in ("Prompt", "Completion"):
            f = by_key.get((category, source))
            if f is None:
                yield f"no {category} filter on {source.lower()}s (the base policy's would not apply as configured)"
            elif not (f.get("enabled") is True and f.get("blocking") is True):
                yield f"the {category} filter on {source.lower()}s is off or not blocking"
            elif f.get("severityThreshold") not in SEVERITIES:
                yield f"the {category} filter on {source.lower()}s has threshold {f.get('severityThreshold')!r}"


def _closure(view: StackView) -> dict[str, set[str]]:
    """Every resource's dependencies, direct and indirect."""
    direct = {r.urn: set(r.dependencies) for r in view.resources}
    done: dict[str, set[str]] = {}

    def visit(urn: str, path: frozenset[str]) -> set[str]:
        if urn in done:
            return done[urn]
        out: set[str] = set()
        for dep in direct.get(urn, ()):
            if dep not in path:
                out |= {dep} | visit(dep, path | {dep})
        done[urn] = out
        return out

    for r in view.resources:
        visit(r.urn, frozenset({r.urn}))
    return done


def _project_account(view: StackView) -> Iterator[Finding]:
    accounts = view.of_type(ACCOUNT)
    for project in view.of_type(PROJECT):
        parents = [a for a in accounts if project.depends_on(a)]
        for account in parents:
            kind, allowed = account.get("kind"), account.get("properties.allowProjectManagement")
            if known(kind) and kind != "AIServices":
                yield Finding(project.urn, f"its account {account.name} is kind {kind}, not AIServices")
            elif known(allowed) and allowed is not True:
                yield Finding(project.urn, f"its account {account.name} does not allow project management")


def _declared_filter(view: StackView) -> Iterator[Finding]:
    deps = _closure(view)
    policies = {p.urn: p for p in view.of_type(RAI_POLICY)}
    for d in view.of_type(DEPLOYMENT):
        name = d.get("properties.raiPolicyName")
        if not known(name) or not isinstance(name, str) or name.startswith("Microsoft."):
            continue
        names = [policies[u].get("raiPolicyName") for u in deps[d.urn] if u in policies]
        if not any(n == name or not known(n) for n in names):
            yield Finding(
                d.urn, f"raiPolicyName '{name}' is not a content filter this stack creates before it"
            )


def _one_at_a_time(view: StackView) -> Iterator[Finding]:
    deps = _closure(view)
    for account in view.of_type(ACCOUNT):
        children = [r for r in view.of_type(*ACCOUNT_CHILDREN) if account.urn in deps[r.urn]]
        for i, a in enumerate(children):
            for b in children[i + 1 :]:
                if a.urn not in deps[b.urn] and b.urn not in deps[a.urn]:
                    yield Finding(
                        b.urn,
                        f"{b.name} and {a.name} (both on {account.name}) would be created at the same time",
                    )


FOUNDRY_RULES: tuple[Rule, ...] = (
    Rule(
        id="foundry-project-identity",
        severity="mandatory",
        scope="resource",
        title="Every Foundry project has a system-assigned managed identity",
        rationale="Agents run as the project's identity; the lab grants it Azure AI User on the account.",
        fix="Keep identity SystemAssigned on the cognitiveservices.Project (components/foundry_project.py).",
        check_resource=_project_identity,
    ),
    Rule(
        id="project-on-foundry-account",
        severity="mandatory",
        scope="stack",
        title="Foundry projects live on an AIServices account that allows project management",
        rationale="Azure refuses a project on an OpenAI account or without allowProjectManagement.",
        fix="Set aoai-lab:accountKind: AIServices (the account then allows project management).",
        check_stack=_project_account,
    ),
    Rule(
        id="content-filter-keeps-harm-filters",
        severity="mandatory",
        scope="resource",
        title="A custom content filter blocks every harm category on prompts and completions",
        rationale="Turning a category off needs Microsoft's approval and leaves students unprotected.",
        fix="Set a threshold (low, medium or high) per category in aoai-lab:contentFilter; high blocks least.",
        check_resource=_harm_filters,
    ),
    Rule(
        id="deployment-filter-declared",
        severity="mandatory",
        scope="stack",
        title="A deployment's custom content filter is created by the stack, before the deployment",
        rationale="Azure rejects a deployment naming a content filter the account does not have yet.",
        fix="Name aoai-lab:contentFilter.name (or Microsoft.DefaultV2) in the deployment's raiPolicy.",
        check_stack=_declared_filter,
    ),
    Rule(
        id="account-children-one-at-a-time",
        severity="mandatory",
        scope="stack",
        title="Deployments, content filters and projects of one account are created one after another",
        rationale="Azure answers 409 RequestConflict to concurrent operations on one account's children.",
        fix="Chain them with depends_on (components/openai_account.py does: filter, deployments, projects).",
        check_stack=_one_at_a_time,
    ),
)
