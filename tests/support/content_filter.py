"""What Azure OpenAI answers when its content filter blocks a call (bodies as recorded in public reports).

Sources (stacks/facts/foundry.yaml, blocked_call_shapes): MicrosoftDocs/azure-docs
articles/ai-services/openai/concepts/content-filter.md (scenarios), openai/openai-dotnet#55 and Mirascope/mirascope
e2e snapshots (recorded 400 bodies with innererror).
"""

from __future__ import annotations

import copy
from typing import Any

from facts.content_filter import RESULT_KEYS

AZURE_PROMPT_MESSAGE = (
    "The response was filtered due to the prompt triggering Azure OpenAI's content management policy. Please "
    "modify your prompt and retry. To learn more about our content filtering policies please read our "
    "documentation: https://go.microsoft.com/fwlink/?linkid=2198766"
)


def prompt_filtered(*filtered: str, jailbreak: bool = False) -> dict[str, Any]:
    """The 400 body for a prompt blocked in the given categories (hate, sexual, violence, self_harm)."""
    result: dict[str, Any] = {
        c: {"filtered": c in filtered, "severity": "medium" if c in filtered else "safe"}
        for c in sorted(RESULT_KEYS)  # Azure lists them alphabetically
    }
    result["jailbreak"] = {"filtered": jailbreak, "detected": jailbreak}
    return {
        "error": {
            "message": AZURE_PROMPT_MESSAGE,
            "type": None,
            "param": "prompt",
            "code": "content_filter",
            "status": 400,
            "innererror": {"code": "ResponsibleAIPolicyViolation", "content_filter_result": result},
        }
    }


def completion_filtered(chat_body: dict[str, Any], category: str = "violence") -> dict[str, Any]:
    """A 200 chat completion whose only choice was cut by the filter (no content, finish_reason content_filter)."""
    body = copy.deepcopy(chat_body)
    choice = body["choices"][0]
    choice["finish_reason"] = "content_filter"
    choice["message"]["content"] = None
    choice["content_filter_results"] = {
        **choice.get("content_filter_results", {}),
        category: {"filtered": True, "severity": "high"},
    }
    return body
