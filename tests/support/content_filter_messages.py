"""What the gateway tells a student whose call Azure's content filter blocked.

The gateway policy (components/policies/openai-gateway.xml, <outbound>) does this in a C# policy expression; this
module is the same rule in Python, used by the fake gateway in tests. A test checks that the template holds the
same sentences, so the two cannot drift apart.

Azure's shapes (stacks/facts/foundry.yaml, blocked_call_shapes): a blocked prompt is HTTP 400 with
`error.code == "content_filter"` and `error.innererror.content_filter_result.<category>.filtered == true`; a blocked
completion is HTTP 200 with a choice whose `finish_reason` is `content_filter`.
"""

from __future__ import annotations

import copy
import re
from typing import Any

HEADER = "x-aoai-lab-content-filter"
PROMPT_BLOCKED = "prompt"
COMPLETION_BLOCKED = "completion"
CONTENT_FILTER_CODE = "content_filter"
# The sentences around the category list, as they appear in the policy template.
MESSAGE_START = "The lab's content filter blocked this prompt ("
MESSAGE_END = (
    "). Rephrase it and try again; if it is harmless, tell your instructor: it may be a false positive, and the "
    "filter's thresholds are set in aoai-lab:contentFilter."
)
UNKNOWN_CATEGORY = "unsafe content"
_FINISH_FILTERED = re.compile(r'"finish_reason"\s*:\s*"content_filter"')


def blocked_categories(error: dict[str, Any]) -> list[str]:
    """The categories Azure marked `filtered`, in the order it listed them (self_harm -> self-harm)."""
    result = (error.get("innererror") or {}).get("content_filter_result") or {}
    return [
        name.replace("_", "-")
        for name, value in result.items()
        if isinstance(value, dict) and value.get("filtered") is True
    ]


def student_message(error: dict[str, Any]) -> str:
    what = ", ".join(blocked_categories(error)) or UNKNOWN_CATEGORY
    return MESSAGE_START + what + MESSAGE_END


def rewrite_prompt_block(status: int, body: Any) -> tuple[dict[str, Any], dict[str, str]] | None:
    """(new body, extra headers) for a blocked prompt; None for any other answer. Same status, same code and
    innererror (the SDK still raises BadRequestError with `.code == "content_filter"`), a short message."""
    if status != 400 or not isinstance(body, dict):
        return None
    error = body.get("error")
    if not isinstance(error, dict) or error.get("code") != CONTENT_FILTER_CODE:
        return None
    new = copy.deepcopy(body)
    new["error"]["message"] = student_message(error)
    return new, {HEADER: PROMPT_BLOCKED}


def completion_block_header(status: int, path: str, content_type: str, text: str) -> dict[str, str]:
    """The header for a non-streamed chat completion cut by the filter (its body is left as Azure sent it)."""
    if (
        status == 200
        and path.endswith("/chat/completions")
        and content_type.startswith("application/json")
        and _FINISH_FILTERED.search(text)
    ):
        return {HEADER: COMPLETION_BLOCKED}
    return {}
