"""Reading an API Management policy document in either spelling: `rawxml` as the program sends it (policy
expressions unescaped, so not always well-formed XML) and `xml` as Azure returns it. No third-party imports."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator

from labctl.guardrails.model import Resource, StackView, known, show
from labctl.snapshot import SECRET
from labctl.type_tokens import API_POLICY

_EXPRESSION_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;"}


def _skip_literal(text: str, i: int) -> int:
    """The index just past the C# string or char literal that starts at text[i] (a quote)."""
    quote = text[i]
    verbatim = quote == '"' and (text[i - 1 : i] == "@" or text[i - 2 : i] in ("@$", "$@"))
    j = i + 1
    while j < len(text):
        if verbatim and text[j] == '"':
            if text[j + 1 : j + 2] == '"':  # "" is a quote inside a verbatim string
                j += 2
                continue
            return j + 1
        if not verbatim and text[j] == "\\":
            j += 2
            continue
        if text[j] == quote:
            return j + 1
        j += 1
    return j


def _expression_end(text: str, start: int) -> int:
    """The index of the bracket closing the policy expression whose opening bracket is text[start]; -1 if none."""
    opening = text[start]
    closing = ")" if opening == "(" else "}"
    depth = 0
    i = start
    while i < len(text):
        char = text[i]
        if char in "\"'":
            i = _skip_literal(text, i)
            continue
        if char == opening:
            depth += 1
        elif char == closing:
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


def raw_policy_to_xml(text: str) -> str:
    """A `rawxml` policy as well-formed XML. In `rawxml`, what the program sends, policy expressions (`@(...)`,
    `@{...}`) are C# left unescaped: quotes inside an attribute, `<` in a generic or a comparison. Azure returns
    the same policy in `xml` format, with those characters escaped as entities; this does the same."""
    out: list[str] = []
    i = 0
    while True:
        at = min((k for k in (text.find("@(", i), text.find("@{", i)) if k != -1), default=-1)
        if at == -1:
            out.append(text[i:])
            return "".join(out)
        end = _expression_end(text, at + 1)
        if end == -1:
            out.append(text[i:])
            return "".join(out)
        out.append(text[i : at + 1])
        out.append("".join(_EXPRESSION_ESCAPES.get(c, c) for c in text[at + 1 : end + 1]))
        i = end + 1


def policy_root(value: str, fmt: str | None = None) -> ET.Element:
    """The policy document, whichever way it is spelled: `rawxml` (the program's input) or `xml` (what Azure
    returns in the resource's outputs, entities escaped). Raises ET.ParseError if it is neither."""
    if (fmt or "").lower() == "rawxml":
        return ET.fromstring(raw_policy_to_xml(value))
    try:
        return ET.fromstring(value)
    except ET.ParseError:
        # No format, or a provider that returns the raw text: try it as rawxml before calling it broken.
        return ET.fromstring(raw_policy_to_xml(value))


def parsed_api_policies(view: StackView) -> Iterator[tuple[Resource, ET.Element]]:
    """Each API policy of the plan whose document is known, parsed in either format. Policies that are unknown
    (a preview), secret or not well-formed are skipped: api-policy-managed-identity reports the unparsable ones."""
    for policy in view.of_type(API_POLICY):
        value = policy.get("value")
        if not known(value) or value == SECRET:
            continue
        try:
            yield policy, policy_root(str(value), str(policy.get("format") or "xml"))
        except ET.ParseError:
            continue


def policy_problems(xml_text: str, fmt: str | None = None) -> list[str]:
    """What an API policy lacks to authenticate with the gateway's identity and keep the caller's key."""
    try:
        root = policy_root(xml_text, fmt)
    except ET.ParseError as exc:
        return [f"the policy is not well-formed XML ({exc})"]
    inbound = root.find("inbound")
    if inbound is None:
        return ["the policy has no <inbound> section"]
    problems = []
    # Direct children of <inbound> only: a step inside <choose> runs for some requests, not all.
    identity = next((e for e in inbound if e.tag == "authentication-managed-identity"), None)
    if identity is None:
        problems.append("<inbound> does not authenticate with <authentication-managed-identity>")
    else:
        audience = identity.get("resource", "")
        if not _COGNITIVE_AUDIENCE_RE.fullmatch(audience):
            problems.append(
                f"<authentication-managed-identity> asks a token for {show(audience)}, not https://cognitiveservices.azure.com"
            )
        variable = identity.get("output-token-variable-name")
        if variable and not any(
            e.tag == "set-header"
            and e.get("name", "").lower() == "authorization"
            and variable in "".join(e.itertext())
            for e in inbound
        ):
            problems.append(f"the token in '{variable}' is never sent as the Authorization header")
    strips_key = any(
        e.tag == "set-header"
        and e.get("name", "").lower() == "api-key"
        and e.get("exists-action", "").lower() == "delete"
        for e in inbound
    )
    if not strips_key:
        problems.append("<inbound> forwards the caller's api-key header to Azure OpenAI")
    return problems


# Token audience of Azure OpenAI / Cognitive Services in every Azure cloud (.com, .us, .cn).
_COGNITIVE_AUDIENCE_RE = re.compile(r"^https://cognitiveservices\.azure\.[a-z.]+/?$", re.IGNORECASE)
