"""Routing in the API policy of a lab spread over regions: components/policies/spread-routing.xml, filled in.

What the gateway does is read in that file; this module only fills its placeholders, repeats its route prototype
once per routed deployment, and puts its two parts in the policy (after the default `<set-backend-service>`, and
as the `<backend>` section).
"""

from __future__ import annotations

import copy
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from pathlib import Path

from components.gateway_policy import POLICY_DIR
from components.policy_template import fill_placeholders

ROUTING_FRAGMENT = POLICY_DIR / "spread-routing.xml"
DEPLOYMENT_VARIABLE = "lab-deployment"
POOLED_VARIABLE = "lab-pooled"
_ROUTE = "lab-route"
_POOL_ONLY = "lab-pool-only"


def _deployment_expression() -> str:
    variable = (
        ET.parse(ROUTING_FRAGMENT).getroot().find(f"./inbound/set-variable[@name='{DEPLOYMENT_VARIABLE}']")
    )
    if variable is None:
        raise ValueError(f"{ROUTING_FRAGMENT.name} sets no <set-variable name='{DEPLOYMENT_VARIABLE}'>")
    return variable.get("value", "")


# The expression that names a call's deployment, as the fragment holds it (tests look for it in rendered policies).
DEPLOYMENT_EXPRESSION = _deployment_expression()
# A deployment name goes inside a C# string literal: Azure's deployment names are letters, digits, '.', '-', '_'.
_DEPLOYMENT_NAME = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def _route(prototype: ET.Element, deployment: str, backend: str, pooled: bool) -> ET.Element:
    if not _DEPLOYMENT_NAME.match(deployment):
        raise ValueError(f"deployment name {deployment!r} cannot be routed (letters, digits, '.', '-', '_')")
    when = copy.deepcopy(prototype)
    del when.attrib[_ROUTE]
    # The one placeholder inside an expression: the name is checked above, so it cannot leave its string literal.
    when.set("condition", when.get("condition", "").replace("${deployment}", deployment))
    fill_placeholders(when, {"backend": backend})
    for marked in [e for e in when.iter() if _POOL_ONLY in e.attrib]:
        if pooled:
            del marked.attrib[_POOL_ONLY]
        else:
            when.remove(marked)
    return when


def _section(part: ET.Element, name: str) -> ET.Element:
    found = part.find(f"./{name}")
    if found is None:
        raise ValueError(f"{ROUTING_FRAGMENT.name} has no <{name}>")
    return found


def add_routing(
    policy_xml: str,
    routes: Mapping[str, str],
    *,
    pools: frozenset[str] | set[str],
    responses_backend: str,
    retries: int,
    fragment: Path = ROUTING_FRAGMENT,
) -> str:
    """The policy with the spread lab's routing: `routes` (deployment -> backend id; those in `pools` are pools),
    every Responses call to `responses_backend`, and `retries` retries of a throttled pooled call."""
    root = ET.fromstring(policy_xml)
    inbound = root.find("./inbound")
    default = root.find("./inbound/set-backend-service")
    if inbound is None or default is None:
        raise ValueError("the API policy must route with <set-backend-service> in <inbound>")
    part = ET.fromstring(fragment.read_text(encoding="utf-8"))
    prototypes = [e for e in part.iter("when") if _ROUTE in e.attrib]
    choose = part.find("./inbound/choose")
    if len(prototypes) != 1 or choose is None or prototypes[0] not in list(choose):
        raise ValueError(f"{fragment.name} must hold one <when {_ROUTE}=''> prototype in inbound/choose")
    prototype = prototypes[0]
    index = list(choose).index(prototype)
    choose.remove(prototype)
    for offset, (deployment, backend) in enumerate(routes.items()):
        choose.insert(index + offset, _route(prototype, deployment, backend, backend in pools))
    fill_placeholders(part, {"responsesBackend": responses_backend, "retries": str(max(retries, 0))})
    at = list(inbound).index(default) + 1
    for offset, element in enumerate(list(_section(part, "inbound"))):
        inbound.insert(at + offset, element)
    backend_section = root.find("./backend")
    if backend_section is None:
        backend_section = ET.SubElement(root, "backend")
    # The call goes inside the per-key concurrency bound when the policy has one (components/gateway_guards.py), so
    # a key's retries hold its one slot.
    bound = backend_section.find("./limit-concurrency")
    target = bound if bound is not None else backend_section
    for child in list(target):
        target.remove(child)
    if retries > 0:
        target.extend(list(_section(part, "backend")))
    else:
        ET.SubElement(target, "base" if bound is None else "forward-request")
    ET.indent(root, space="  ")
    return ET.tostring(root, encoding="unicode")
