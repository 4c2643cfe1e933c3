"""The Foundry track's settings turned into component arguments (shared by the primary and regional accounts)."""

from __future__ import annotations

from components.content_filter import ContentFilterPolicy
from stacks.config.foundry import ContentFilterSettings


def filter_policy(cf: ContentFilterSettings | None) -> ContentFilterPolicy | None:
    if cf is None:
        return None
    return ContentFilterPolicy(
        policy_name=cf.name,
        prompt_thresholds=cf.prompt.azure(),
        completion_thresholds=cf.completion.azure(),
        jailbreak_shield=cf.prompt_shields,
        indirect_attack_shield=cf.prompt_shields,
        protected_material_text=cf.protected_material,
        block_protected_code=cf.block_protected_code,
        profanity=cf.profanity,
        blocklist_terms=cf.blocked_terms,
        mode=cf.streaming,
    )
