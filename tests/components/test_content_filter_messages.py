"""The student-facing rewrite of Azure's content-filter answers (the Python twin of the gateway policy)."""

from __future__ import annotations

import json

from tests.support.content_filter import completion_filtered, prompt_filtered
from tests.support.content_filter_messages import (
    HEADER,
    blocked_categories,
    completion_block_header,
    rewrite_prompt_block,
)


def test_prompt_block_keeps_status_code_and_details_with_a_short_message():
    body = prompt_filtered("self_harm", "violence")
    new, headers = rewrite_prompt_block(400, body)
    assert headers == {HEADER: "prompt"}
    assert new["error"]["code"] == "content_filter"
    assert new["error"]["innererror"] == body["error"]["innererror"]
    assert new["error"]["message"] == (
        "The lab's content filter blocked this prompt (self-harm, violence). Rephrase it and try again; if it is "
        "harmless, tell your instructor: it may be a false positive, and the filter's thresholds are set in "
        "aoai-lab:contentFilter."
    )
    # Azure's own body is untouched.
    assert body["error"]["message"].startswith("The response was filtered")


def test_jailbreak_and_unknown_details():
    assert blocked_categories(prompt_filtered(jailbreak=True)["error"]) == ["jailbreak"]
    bare = {"error": {"code": "content_filter", "message": "The response was filtered", "status": 400}}
    new, _ = rewrite_prompt_block(400, bare)
    assert "(unsafe content)" in new["error"]["message"]


def test_other_answers_pass_through():
    assert rewrite_prompt_block(400, {"error": {"code": "OperationNotSupported", "message": "x"}}) is None
    assert rewrite_prompt_block(429, prompt_filtered("hate")) is None
    assert rewrite_prompt_block(400, "not json") is None


def test_completion_block_is_flagged_only_for_non_streamed_chat():
    chat = {
        "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "ok"}}],
    }
    cut = json.dumps(completion_filtered(chat))
    assert completion_block_header(200, "/openai/v1/chat/completions", "application/json", cut) == {
        HEADER: "completion"
    }
    path = "/openai/deployments/chat/chat/completions"
    assert completion_block_header(200, path, "application/json; charset=utf-8", cut) == {
        HEADER: "completion"
    }
    assert completion_block_header(200, path, "application/json", json.dumps(chat)) == {}
    assert completion_block_header(200, path, "text/event-stream", cut) == {}
    assert completion_block_header(200, "/openai/v1/embeddings", "application/json", cut) == {}
