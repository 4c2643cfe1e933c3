"""The gateway's API surface: the operations declared in components/openapi/azure-openai-lab.json.

The lab declares the operations the openai SDK calls instead of importing Azure's inference spec: the spec of
every version that GPT-5 and o-series models answer on (2025-04-01-preview) is OpenAPI 3.1, which API Management
does not fully import (learn.microsoft.com/azure/ai-foundry/openai/api-version-lifecycle), and the v1 API
(/openai/v1/...) has no dated spec at all. docs/gateway.md explains the choice.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

SPEC_FILE = Path(__file__).parent / "openapi" / "azure-openai-lab.json"
# What the Api resource's `format` says about `value`: an OpenAPI 3.0 document inline, as JSON.
SPEC_FORMAT = "openapi+json"
_METHODS = ("get", "put", "post", "delete", "patch")


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str  # upper case
    template: str  # relative to the API's path, e.g. /deployments/{deployment-id}/chat/completions
    query: tuple[str, ...]  # required query parameters

    def matches(self, method: str, path: str) -> bool:
        """Whether a request (method, path relative to the API's path) is this operation, the way API Management
        matches URL templates: literal segments equal, each {param} one non-empty segment."""
        if method.upper() != self.method:
            return False
        pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(self.template))
        return re.fullmatch(pattern, path) is not None


@cache
def spec_text(path: Path = SPEC_FILE) -> str:
    """The document exactly as the Api resource sends it (compact JSON)."""
    return json.dumps(json.loads(path.read_text(encoding="utf-8")), separators=(",", ":"))


def operations(spec: str | dict[str, Any]) -> list[Operation]:
    doc = json.loads(spec) if isinstance(spec, str) else spec
    ops: list[Operation] = []
    for template, item in doc["paths"].items():
        for method in _METHODS:
            if method not in item:
                continue
            op = item[method]
            params = [*item.get("parameters", []), *op.get("parameters", [])]
            ops.append(
                Operation(
                    operation_id=op["operationId"],
                    method=method.upper(),
                    template=template,
                    query=tuple(p["name"] for p in params if p.get("in") == "query" and p.get("required")),
                )
            )
    return ops


def match(ops: list[Operation], method: str, path: str) -> Operation | None:
    """The one operation a request lands on, or None (API Management answers 404 there)."""
    found = [op for op in ops if op.matches(method, path)]
    if len(found) > 1:
        raise ValueError(f"{method} {path} matches several operations: {[op.operation_id for op in found]}")
    return found[0] if found else None
