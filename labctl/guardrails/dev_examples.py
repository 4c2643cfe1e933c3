"""`labctl check` on a stack copied from Pulumi.dev.yaml: the example principal ids, owner and lab name still there.

The values live in dev_examples.yaml beside this file (their one home). Stack `dev` may keep them; in any other stack
they are a mandatory violation with the fix, found in the plan (role assignments' principalId, the resource
group's `owner` and `lab` tags), so `--snapshot` files are checked too. One finding per example value, not one per
resource that carries it.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

from labctl.guardrails.model import Finding, Rule, StackView
from labctl.type_tokens import RESOURCE_GROUP, ROLE_ASSIGNMENT

EXAMPLES_FILE = Path(__file__).with_name("dev_examples.yaml")
# The stack whose file the examples come from: it may keep them.
EXAMPLE_STACK = "dev"


@dataclass(frozen=True)
class DevExamples:
    owner: str
    lab_name: str
    principal_ids: dict[str, str]  # object id -> the example's name in Pulumi.dev.yaml


@functools.cache
def dev_examples() -> DevExamples:
    data = yaml.safe_load(EXAMPLES_FILE.read_text(encoding="utf-8"))
    return DevExamples(
        data["owner"], data["labName"], {k.lower(): v for k, v in data["principalIds"].items()}
    )


def _findings(view: StackView, examples: DevExamples) -> Iterator[Finding]:
    seen: set[str] = set()
    for assignment in view.of_type(ROLE_ASSIGNMENT):
        principal = str(assignment.get("principalId", "")).lower()
        name = examples.principal_ids.get(principal)
        if name is not None and principal not in seen:
            seen.add(principal)
            yield Finding(
                assignment.urn,
                f"aoai-lab:people: principalId {principal} is Pulumi.dev.yaml's example ({name}); `pulumi up` "
                "would fail with PrincipalNotFound",
            )
    for group in view.of_type(RESOURCE_GROUP):
        tags = group.get("tags") or {}
        if tags.get("owner") == examples.owner:
            yield Finding(group.urn, f"aoai-lab:owner is Pulumi.dev.yaml's example, {examples.owner}")
        if tags.get("lab") == examples.lab_name:
            yield Finding(group.urn, f"aoai-lab:labName is Pulumi.dev.yaml's example, {examples.lab_name}")


def dev_examples_rule(stack: str) -> Rule | None:
    """The rule for `stack`, or None for dev (its file is where the examples belong)."""
    if stack == EXAMPLE_STACK:
        return None
    examples = dev_examples()
    return Rule(
        id="no-examples-from-dev",
        severity="mandatory",
        scope="stack",
        title="No example values copied from Pulumi.dev.yaml",
        rationale="A class stack copied from Pulumi.dev.yaml keeps its made-up object ids, owner and lab name "
        "unless they are replaced; Azure has no such principals.",
        fix="Set aoai-lab:people[].principalId to each person's or group's Entra object id (`az ad user show "
        "--id <upn> --query id -o tsv`, `az ad group show -g <name> --query id -o tsv`), aoai-lab:owner to "
        "your e-mail and aoai-lab:labName to this class's name, in Pulumi.<stack>.yaml.",
        check_stack=lambda view: _findings(view, examples),
    )
