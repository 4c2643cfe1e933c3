"""The spread lab's routing expression reads the deployment where clients really put it: the `deployment-id` path
parameter of the API document's dated operations, else the `model` field of the body the openai SDK sends (v1 and
Responses). The expression is C# the gateway runs; here its reads are taken from its syntax tree and checked
against the API document and against requests the real SDK makes on loopback."""

from __future__ import annotations

import contextlib
import json
import ssl
from typing import Any

import openai
import tree_sitter_c_sharp
from tree_sitter import Language, Parser
from werkzeug import Request, Response

from components.gateway_api import SPEC_FILE
from labctl.guardrails.policy_expressions import policy_expressions
from labctl.guardrails.policy_xml import policy_root
from tests.support.plans import API_POLICY, inputs

KEY = "k1-0123456789abcdef0123456789abcdef"
SPREAD = [
    {"region": "eastus2", "capacity": {"chat": 60, "embeddings": 50}},
    {"region": "swedencentral", "capacity": {"chat": 90}},
]


def _walk(node: Any):
    yield node
    for child in node.children:
        yield from _walk(child)


def _literal(node: Any) -> str | None:
    if node.type != "string_literal":
        return None
    return "".join(c.text.decode() for c in node.named_children if c.type == "string_literal_content")


def _reads(expression: str) -> tuple[set[str], set[str]]:
    """(names read with MatchedParameters.GetValueOrDefault, keys read from a JSON body by indexer)."""
    assert expression.startswith("@{") and expression.endswith("}")
    source = "class P { object E(IContext context) {" + expression[2:-1] + "} }"
    tree = Parser(Language(tree_sitter_c_sharp.language())).parse(source.encode())
    assert not tree.root_node.has_error
    parameters, body_keys = set(), set()
    for node in _walk(tree.root_node):
        if node.type == "invocation_expression":
            function = node.child_by_field_name("function")
            if function is not None and function.text.decode().endswith(
                "MatchedParameters.GetValueOrDefault"
            ):
                first = node.child_by_field_name("arguments").named_children[0].named_children[0]
                parameters.add(_literal(first))
        elif node.type in ("element_access_expression", "element_binding_expression"):
            # body["model"] and body?["model"]: the indexer's one argument
            brackets = node.child_by_field_name("subscript") or node  # a binding holds its argument itself
            argument = next(c for c in brackets.named_children if c.type == "argument")
            key = _literal(argument.named_children[0])
            if key is not None:
                body_keys.add(key)
    return parameters, body_keys


def _routing_expression(plan_with) -> str:
    """The expression of the planned spread policy that reads the deployment a call is for (from the path, else
    from the body)."""
    policy = inputs(plan_with(location=SPREAD), API_POLICY)["value"]
    found = [
        e
        for _, e in policy_expressions(policy_root(policy))
        if "MatchedParameters.GetValueOrDefault" in e and "Request.Body" in e
    ]
    assert len(found) == 1, found
    return found[0]


def test_routing_reads_the_deployment_where_the_api_and_the_sdk_put_it(plan_with, fake_azure):
    parameters, body_keys = _reads(_routing_expression(plan_with))
    document = json.loads(SPEC_FILE.read_text(encoding="utf-8"))
    names = {
        p["name"]
        for path, item in document["paths"].items()
        if path.startswith("/deployments/")
        for p in item["post"].get("parameters", [])
        if p["in"] == "path"
    }
    assert parameters == names == {"deployment-id"}
    assert len(body_keys) == 1
    (key,) = body_keys
    bodies: list[dict[str, Any]] = []

    def capture(request: Request) -> Response:
        bodies.append(json.loads(request.get_data()))
        return Response(
            json.dumps({"id": "x", "object": "response", "created_at": 0, "model": "m", "output": []})
        )

    for path in (
        "/openai/v1/chat/completions",
        "/openai/v1/embeddings",
        "/openai/v1/responses",
        "/openai/responses",
    ):
        fake_azure.server.expect_request(path, method="POST").respond_with_handler(capture)
    http = openai.DefaultHttpxClient(verify=ssl.create_default_context(cafile=str(fake_azure.ca_file)))
    v1 = openai.OpenAI(
        base_url=f"{fake_azure.base_url}/openai/v1/", api_key=KEY, http_client=http, max_retries=0
    )
    dated = openai.AzureOpenAI(
        azure_endpoint=fake_azure.base_url,
        api_key=KEY,
        api_version="2025-04-01-preview",
        http_client=http,
        max_retries=0,
    )
    for call in (
        lambda: v1.chat.completions.create(model="chat", messages=[{"role": "user", "content": "hola"}]),
        lambda: v1.embeddings.create(model="embeddings", input="hola"),
        lambda: v1.responses.create(model="chat", input="hola"),
        lambda: dated.responses.create(model="chat", input="hola"),
    ):
        # The answer is not the point: the request the SDK sent is.
        with contextlib.suppress(openai.APIError, TypeError, ValueError, KeyError):
            call()
    assert [b.get(key) for b in bodies] == ["chat", "embeddings", "chat", "chat"]
