"""A custom content filter (RAI policy) on the account, with an optional blocklist of terms.

Facts and sources: stacks/facts/foundry.yaml (content_filters). Filter names and the request shape follow
Azure/azure-rest-api-specs .../stable/2025-06-01/examples/PutRaiPolicy.json, the API version pulumi-azure-native
3.29 uses for RaiPolicy, RaiBlocklist and RaiBlocklistItem.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
from pulumi_azure_native import cognitiveservices

from facts.content_filter import (
    BUILT_IN_POLICIES,
    DEFAULT_SEVERITY,
    POLICY_NAMES,
    SEVERITIES,
    STREAMING_MODES,
)

BASE_POLICY = BUILT_IN_POLICIES[0]  # Microsoft.DefaultV2
# Microsoft.DefaultV2's thresholds: the same for every category.
DEFAULT_THRESHOLDS: Mapping[str, str] = dict.fromkeys(POLICY_NAMES, DEFAULT_SEVERITY)


def blocklist_item_name(term: str) -> str:
    """A stable name per term, so reordering or adding terms never replaces the others."""
    return "term-" + hashlib.sha256(term.encode("utf-8")).hexdigest()[:12]


@dataclass(frozen=True)
class ContentFilterPolicy:
    """What the filter does (no placement): what the account component takes."""

    # The policy's Azure name, which deployments reference as `raiPolicyName`.
    policy_name: str
    prompt_thresholds: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_THRESHOLDS))
    completion_thresholds: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_THRESHOLDS))
    # Prompt shields: jailbreak attempts in the user prompt, and attacks hidden in documents/tool results.
    jailbreak_shield: bool = True
    indirect_attack_shield: bool = True
    # Completions that reproduce known text are blocked; matching public code is only annotated, so a coding
    # exercise is not refused because its answer resembles a public repository.
    protected_material_text: bool = True
    block_protected_code: bool = False
    profanity: bool = False
    # Exact terms (not regular expressions) blocked in prompts and completions.
    blocklist_terms: Sequence[str] = ()
    mode: str = "Default"
    base_policy_name: str = BASE_POLICY


@dataclass(frozen=True)
class ContentFilterArgs:
    resource_group_name: pulumi.Input[str]
    account_name: pulumi.Input[str]
    policy: ContentFilterPolicy
    tags: Mapping[str, str] = field(default_factory=dict)
    # The account child created before this one, if any: the first resource here waits for it.
    after: pulumi.Resource | None = None


def content_filters(args: ContentFilterPolicy) -> list[cognitiveservices.RaiPolicyContentFilterArgs]:
    """The policy's filter list exactly as Azure receives it (pure: tested without the runtime)."""
    for label, thresholds in (("prompt", args.prompt_thresholds), ("completion", args.completion_thresholds)):
        if set(thresholds) != set(POLICY_NAMES):
            raise ValueError(f"{label} thresholds must name exactly {POLICY_NAMES}, got {sorted(thresholds)}")
        bad = {k: v for k, v in thresholds.items() if v not in SEVERITIES}
        if bad:
            raise ValueError(f"{label} thresholds must be one of {SEVERITIES}: {bad}")
    if args.mode not in STREAMING_MODES:
        raise ValueError(f"mode must be one of {STREAMING_MODES}, got {args.mode!r}")

    def flt(name: str, source: str, *, enabled: bool, blocking: bool, severity: str | None = None):
        return cognitiveservices.RaiPolicyContentFilterArgs(
            name=name, source=source, enabled=enabled, blocking=blocking, severity_threshold=severity
        )

    filters = []
    for category in POLICY_NAMES:
        filters.append(
            flt(category, "Prompt", enabled=True, blocking=True, severity=args.prompt_thresholds[category])
        )
        filters.append(
            flt(
                category,
                "Completion",
                enabled=True,
                blocking=True,
                severity=args.completion_thresholds[category],
            )
        )
    filters += [
        flt("Jailbreak", "Prompt", enabled=args.jailbreak_shield, blocking=args.jailbreak_shield),
        flt(
            "Indirect Attack",
            "Prompt",
            enabled=args.indirect_attack_shield,
            blocking=args.indirect_attack_shield,
        ),
        flt(
            "Protected Material Text",
            "Completion",
            enabled=args.protected_material_text,
            blocking=args.protected_material_text,
        ),
        flt("Protected Material Code", "Completion", enabled=True, blocking=args.block_protected_code),
        flt("Profanity", "Prompt", enabled=args.profanity, blocking=args.profanity),
    ]
    return filters


class ContentFilter(pulumi.ComponentResource):
    """The RAI policy (and its blocklist) on one account.

    Azure refuses concurrent operations on one account's children (409 RequestConflict), so everything here is
    created one after another, starting after `args.after`, and `last` is what the next child (the first
    deployment) must wait for.
    """

    policy: cognitiveservices.RaiPolicy
    blocklist: cognitiveservices.RaiBlocklist | None
    items: list[cognitiveservices.RaiBlocklistItem]
    policy_name: pulumi.Output[str]
    last: pulumi.Resource

    def __init__(
        self, name: str, args: ContentFilterArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("aoai-lab:components:ContentFilter", name, None, opts)
        policy = args.policy
        filters = content_filters(policy)
        terms = list(dict.fromkeys(t.strip() for t in policy.blocklist_terms if t.strip()))
        self.blocklist = None
        self.items = []
        previous, custom_blocklists = args.after, None
        if terms:
            previous = self._blocklist(name, args, terms)
            custom_blocklists = [
                cognitiveservices.CustomBlocklistConfigArgs(
                    blocklist_name=_blocklist_name(policy), source=src, blocking=True
                )
                for src in ("Prompt", "Completion")
            ]
        self.policy = cognitiveservices.RaiPolicy(
            f"{name}-policy",
            account_name=args.account_name,
            resource_group_name=args.resource_group_name,
            rai_policy_name=policy.policy_name,
            properties=cognitiveservices.RaiPolicyPropertiesArgs(
                base_policy_name=policy.base_policy_name,
                mode=policy.mode,
                content_filters=filters,
                custom_blocklists=custom_blocklists,
            ),
            tags=dict(args.tags),
            opts=self._after(previous),
        )
        self.last = self.policy
        # The name deployments reference, resolved only once the policy exists (so they wait for it).
        self.policy_name = self.policy.id.apply(lambda _: policy.policy_name)
        self.register_outputs(
            {
                "policyName": self.policy_name,
                "blocklistName": _blocklist_name(policy) if terms else None,
                "blockedTerms": len(terms),
            }
        )

    def _after(self, previous: pulumi.Resource | None) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, depends_on=[previous] if previous else None)

    def _blocklist(self, name: str, args: ContentFilterArgs, terms: list[str]) -> pulumi.Resource:
        """The blocklist, then its terms one after another; returns the last, which the policy waits for."""
        blocklist_name = _blocklist_name(args.policy)
        self.blocklist = cognitiveservices.RaiBlocklist(
            f"{name}-blocklist",
            account_name=args.account_name,
            resource_group_name=args.resource_group_name,
            rai_blocklist_name=blocklist_name,
            properties=cognitiveservices.RaiBlocklistPropertiesArgs(
                description="Terms the lab blocks in prompts and completions (aoai-lab:contentFilter)."
            ),
            tags=dict(args.tags),
            opts=self._after(args.after),
        )
        previous: pulumi.Resource = self.blocklist
        for term in terms:
            item = cognitiveservices.RaiBlocklistItem(
                f"{name}-{blocklist_item_name(term)}",
                account_name=args.account_name,
                resource_group_name=args.resource_group_name,
                # The known name (the dependency on the blocklist is explicit, via `after`).
                rai_blocklist_name=blocklist_name,
                rai_blocklist_item_name=blocklist_item_name(term),
                properties=cognitiveservices.RaiBlocklistItemPropertiesArgs(pattern=term, is_regex=False),
                tags=dict(args.tags),
                opts=self._after(previous),
            )
            self.items.append(item)
            previous = item
        return previous


def _blocklist_name(policy: ContentFilterPolicy) -> str:
    return f"{policy.policy_name}-blocklist"
