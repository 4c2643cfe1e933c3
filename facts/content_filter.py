"""The content filter's harm categories, each as every Azure surface spells it, and Microsoft's default threshold.

Sources:
- RAI policy filter names (`contentFilters[].name`: Hate, Sexual, Violence, Selfharm, self-harm in one word):
  Azure/azure-rest-api-specs specification/cognitiveservices/resource-manager/Microsoft.CognitiveServices/stable/
  2025-06-01/examples/PutRaiPolicy.json.
- Keys of a response's `content_filter_result` / `content_filter_results` (hate, sexual, violence, self_harm):
  learn.microsoft.com/azure/ai-foundry/openai/concepts/content-filter (annotations and the 400 body of a blocked
  prompt).
- Severity thresholds (`severityThreshold`: Low, Medium, High): pulumi_azure_native/cognitiveservices/_enums.py
  ContentLevel; learn.microsoft.com/azure/ai-foundry/openai/concepts/content-filter-severity-levels.
- Microsoft.DefaultV2 filters every category at Medium on prompts and completions:
  learn.microsoft.com/azure/ai-foundry/openai/concepts/default-safety-policies; Microsoft.Default is the older
  built-in policy a deployment may still name (same page).
- Streaming modes (`mode`): pulumi_azure_native/cognitiveservices/_enums.py RaiPolicyMode (Default,
  Asynchronous_filter; Deferred is the older name of the asynchronous filter, use Asynchronous_filter from API
  2025-06-01).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class HarmCategory:
    policy_name: str  # the RAI policy's filter name
    result_key: str  # the key in a response's content filter results; the lab's config key is its camelCase


HARM_CATEGORIES: tuple[HarmCategory, ...] = (
    HarmCategory("Hate", "hate"),
    HarmCategory("Sexual", "sexual"),
    HarmCategory("Violence", "violence"),
    HarmCategory("Selfharm", "self_harm"),
)
POLICY_NAMES: tuple[str, ...] = tuple(c.policy_name for c in HARM_CATEGORIES)
RESULT_KEYS: tuple[str, ...] = tuple(c.result_key for c in HARM_CATEGORIES)
# A category's threshold: the lowest severity that is filtered. Low is the strictest (low, medium and high are
# blocked), High the most permissive (only high is blocked); turning a category off needs Microsoft's approval.
SEVERITIES: tuple[str, ...] = ("Low", "Medium", "High")
# Microsoft.DefaultV2's threshold for every category.
DEFAULT_SEVERITY = "Medium"
# The built-in content filter policies a deployment may name without declaring one; the first is the base of the
# lab's own policy.
BUILT_IN_POLICIES: tuple[str, ...] = ("Microsoft.DefaultV2", "Microsoft.Default")
# How completions stream: Default filters before content streams back; Asynchronous_filter streams first and
# filters after.
STREAMING_MODES: tuple[str, ...] = ("Default", "Asynchronous_filter")
