"""Routing in the API policy of a lab spread over regions, added to the rendered policy as parsed XML.

After the policy's default `<set-backend-service>`, the deployment a call is for (the `deployment-id` of the
/deployments/{deployment-id}/... operations, else the `model` of a v1 or responses request body) picks its backend:
a pool over the regions that hold it, or the one region that does. In `<backend>`, calls that get 429 or 503 from a
region are retried at once on the next backend of the pool (count = pool size - 1), as the Azure-Samples/AI-Gateway
backend-pool load-balancing lab does; a 503 the pool itself answers (every member's breaker open) is not retried.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping

DEPLOYMENT_VARIABLE = "lab-deployment"
DEPLOYMENT_EXPRESSION = (
    '@{ var d = context.Request.MatchedParameters.GetValueOrDefault("deployment-id", ""); '
    'if (string.IsNullOrEmpty(d) && context.Request.Method == "POST") { '
    "var body = context.Request.Body?.As<JObject>(preserveContent: true); "
    'd = body?["model"]?.ToString() ?? ""; } '
    "return d; }"
)
RETRY_CONDITION = (
    "@(context.Response.StatusCode == 429 || (context.Response.StatusCode == 503 "
    '&& !context.Response.StatusReason.Contains("Backend pool") '
    '&& !context.Response.StatusReason.Contains("is temporarily unavailable")))'
)


def add_routing(policy_xml: str, routes: Mapping[str, str], retries: int) -> str:
    """The policy with per-deployment routing (`routes`: deployment -> backend id) and `retries` retries on 429/503.
    Deployment names only ever appear as quoted string literals compared for equality."""
    if not routes and retries <= 0:
        return policy_xml
    root = ET.fromstring(policy_xml)
    inbound = root.find("./inbound")
    default = root.find("./inbound/set-backend-service")
    if inbound is None or default is None:
        raise ValueError("the API policy must route with <set-backend-service> in <inbound>")
    index = list(inbound).index(default) + 1
    if routes:
        variable = ET.Element("set-variable", {"name": DEPLOYMENT_VARIABLE, "value": DEPLOYMENT_EXPRESSION})
        choose = ET.Element("choose")
        for deployment, backend in routes.items():
            if '"' in deployment or "\\" in deployment:
                raise ValueError(f"deployment name {deployment!r} cannot be routed")
            when = ET.SubElement(
                choose,
                "when",
                {"condition": f'@((string)context.Variables["{DEPLOYMENT_VARIABLE}"] == "{deployment}")'},
            )
            ET.SubElement(when, "set-backend-service", {"backend-id": backend})
        inbound.insert(index, variable)
        inbound.insert(index + 1, choose)
    if retries > 0:
        backend = root.find("./backend")
        if backend is None:
            backend = ET.SubElement(root, "backend")
        # The retry goes inside the per-key concurrency bound when the policy has one (components/gateway_guards.py).
        bound = backend.find("./limit-concurrency")
        if bound is not None:
            backend = bound
        for child in list(backend):
            backend.remove(child)
        retry = ET.SubElement(
            backend,
            "retry",
            {
                "condition": RETRY_CONDITION,
                "count": str(retries),
                "interval": "0",
                "first-fast-retry": "true",
            },
        )
        ET.SubElement(retry, "forward-request", {"buffer-request-body": "true"})
    ET.indent(root, space="  ")
    return ET.tostring(root, encoding="unicode")
