"""Content-filter blocks through the gateway, seen by the real openai SDK (dated API and v1), and catalog models
of other publishers through the v1 API (`model` = deployment name).

The fake gateway applies the rendered policy's <outbound> rule only when the policy has it, through the rule's
Python twin (tests/support/content_filter_messages.py); the policy XML tests below pin the twin to the template.
"""

from __future__ import annotations

import ssl
import xml.etree.ElementTree as ET

import openai
import pytest

from stacks.facts.models import model_facts
from tests.support.content_filter import completion_filtered, prompt_filtered
from tests.support.content_filter_messages import HEADER, MESSAGE_END, MESSAGE_START, UNKNOWN_CATEGORY
from tests.support.fake_gateway import FakeGateway, Scripted, _chat
from tests.support.gateway_plans import plan_gateway
from tests.support.plans import API_POLICY, inputs

KEY = "k1-0123456789abcdef0123456789abcdef"
DEPLOYMENTS = {"chat": "gpt-5-mini", "deepseek": "DeepSeek-R1", "phi": "Phi-4-mini-instruct"}
MESSAGES = [{"role": "user", "content": "Tell me a story."}]


@pytest.fixture(scope="module")
def policy_xml() -> str:
    return inputs(plan_gateway(), API_POLICY)["value"]


@pytest.fixture
def gateway(fake_azure, policy_xml) -> FakeGateway:
    return (
        FakeGateway(server=fake_azure.server, keys={KEY: "student01"}, deployments=dict(DEPLOYMENTS))
        .install()
        .enforce_policy(policy_xml)
    )


def _clients(fake_azure) -> tuple[openai.AzureOpenAI, openai.OpenAI]:
    http = openai.DefaultHttpxClient(verify=ssl.create_default_context(cafile=str(fake_azure.ca_file)))
    azure = openai.AzureOpenAI(
        azure_endpoint=fake_azure.base_url,
        api_key=KEY,
        api_version=model_facts().default_api_version,
        http_client=http,
        max_retries=0,
    )
    v1 = openai.OpenAI(
        base_url=f"{fake_azure.base_url}/openai/v1/",
        api_key=KEY,
        default_headers={"api-key": KEY},
        http_client=http,
        max_retries=0,
    )
    return azure, v1


def test_the_policy_rewrites_blocked_prompts_and_marks_cut_completions(policy_xml):
    outbound = ET.fromstring(policy_xml).find("outbound")
    assert outbound is not None
    whens = outbound.findall("choose/when")
    assert len(whens) == 2
    prompt, completion = whens
    # Same status, exact code check (not any 400), the twin's sentences, the header usage counts.
    assert "StatusCode == 400" in prompt.get("condition", "")
    assert 'SelectToken("error.code") == "content_filter"' in prompt.get("condition", "")
    body = prompt.find("set-body")
    assert body is not None and body.text is not None
    assert f'"{MESSAGE_START}" + what + "{MESSAGE_END}"' in body.text
    assert f': "{UNKNOWN_CATEGORY}";' in body.text
    assert 'error.SelectToken("innererror.content_filter_result")' in body.text
    assert [(h.get("name"), h.findtext("value")) for h in prompt.findall("set-header")] == [
        (HEADER, "prompt")
    ]
    assert "StatusCode == 200" in completion.get("condition", "")
    assert 'EndsWith("/chat/completions")' in completion.get("condition", "")
    assert "application/json" in completion.get("condition", "")  # never a stream
    assert [(h.get("name"), h.findtext("value")) for h in completion.findall("set-header")] == [
        (HEADER, "completion")
    ]
    assert completion.find("set-body") is None  # the cut completion reaches the student as Azure sent it


@pytest.mark.parametrize("api", ["dated", "v1"])
def test_a_blocked_prompt_is_a_400_the_student_understands(fake_azure, gateway, api):
    azure, v1 = _clients(fake_azure)
    client = azure if api == "dated" else v1
    gateway.fail_next(Scripted(400, prompt_filtered("violence", "self_harm")))
    with pytest.raises(openai.BadRequestError) as err:
        client.chat.completions.create(model="chat", messages=MESSAGES)  # type: ignore[arg-type]
    e = err.value
    assert e.status_code == 400
    assert e.code == "content_filter"  # programs that check the code keep working
    # What the student reads: the SDK prints "Error code: 400 - " and the body's message.
    assert e.body["message"] == (
        "The lab's content filter blocked this prompt (self-harm, violence). Rephrase it and try again; if it is "
        "harmless, tell your instructor: it may be a false positive, and the filter's thresholds are set in "
        "aoai-lab:contentFilter."
    )
    assert str(e) == "Error code: 400 - " + e.body["message"]
    assert e.body["innererror"]["code"] == "ResponsibleAIPolicyViolation"
    assert e.response.headers[HEADER] == "prompt"


def test_a_jailbreak_block_names_the_prompt_shield_category(fake_azure, gateway):
    _, v1 = _clients(fake_azure)
    gateway.fail_next(Scripted(400, prompt_filtered(jailbreak=True)))
    with pytest.raises(openai.BadRequestError) as err:
        v1.chat.completions.create(model="chat", messages=MESSAGES)  # type: ignore[arg-type]
    assert "blocked this prompt (jailbreak)" in err.value.message


def test_a_cut_completion_is_marked_and_left_as_azure_sent_it(fake_azure, gateway):
    azure, _ = _clients(fake_azure)
    gateway.fail_next(Scripted(200, completion_filtered(_chat("gpt-5-mini", {}))))
    raw = azure.chat.completions.with_raw_response.create(model="chat", messages=MESSAGES)  # type: ignore[arg-type]
    assert raw.headers[HEADER] == "completion"
    completion = raw.parse()
    assert completion.choices[0].finish_reason == "content_filter"
    assert completion.choices[0].message.content is None


def test_ordinary_answers_and_other_errors_are_not_marked(fake_azure, gateway):
    azure, v1 = _clients(fake_azure)
    raw = v1.chat.completions.with_raw_response.create(model="chat", messages=MESSAGES)  # type: ignore[arg-type]
    assert HEADER not in raw.headers
    with pytest.raises(openai.NotFoundError) as err:
        azure.chat.completions.create(model="missing", messages=MESSAGES)  # type: ignore[arg-type]
    assert err.value.code == "DeploymentNotFound" and HEADER not in err.value.response.headers


def test_without_the_rule_azure_message_passes_through(fake_azure):
    """The fake only rewrites when the policy says so: the rewrite tested above comes from the policy."""
    bare = FakeGateway(
        server=fake_azure.server, keys={KEY: "student01"}, deployments=dict(DEPLOYMENTS)
    ).install()
    bare.fail_next(Scripted(400, prompt_filtered("hate")))
    _, v1 = _clients(fake_azure)
    with pytest.raises(openai.BadRequestError) as err:
        v1.chat.completions.create(model="chat", messages=MESSAGES)  # type: ignore[arg-type]
    assert err.value.body["message"].startswith("The response was filtered due to the prompt triggering")


@pytest.mark.parametrize("deployment", ["deepseek", "phi"])
def test_catalog_models_answer_on_the_v1_api_by_deployment_name(fake_azure, gateway, deployment):
    _, v1 = _clients(fake_azure)
    chat = v1.chat.completions.create(model=deployment, messages=MESSAGES)  # type: ignore[arg-type]
    assert chat.choices[0].message.content == "ok"
    call = gateway.calls[-1]
    assert (call.path, call.deployment, call.api_version) == ("/openai/v1/chat/completions", deployment, None)


def test_the_header_is_logged_and_counted_under_the_same_name():
    """The gateway's API diagnostic logs the header and `labctl usage` reads it: one name everywhere."""
    from components.gateway_logging import FRONTEND_RESPONSE_HEADERS
    from labctl.project import PROJECT_DIR

    assert HEADER in FRONTEND_RESPONSE_HEADERS
    usage = (PROJECT_DIR / "labctl" / "classroom" / "queries" / "usage.kql").read_text(encoding="utf-8")
    assert f'ResponseHeaders["{HEADER}"]' in usage
