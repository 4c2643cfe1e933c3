"""`load_settings`: a stack's config as plain data in, `LabSettings` out, or `ConfigError` with every problem.

Runs, in this order, and collects everything: the stack name and cloud, the section models (one value at a time,
stacks/config/sections.py), then the rules that span keys (stacks/config/rules.py). Nothing here touches Pulumi, so
the same checks run under `pulumi up`, `labctl plan` and the tests.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError

import stacks.config.foundry_rules  # noqa: F401  (registers the Foundry track's rules)
from stacks.config import limits as _limits  # noqa: F401  (registers the Azure length rules)
from stacks.config.encrypted import (
    encrypted_problem,
    is_encrypted_input,
    refused_secrets,
    restore,
    stand_in,
)
from stacks.config.formats import STACK_NAME_RE
from stacks.config.messages import describe, key_path
from stacks.config.rules import RuleContext, run_rules
from stacks.config.sections import LabSettings
from stacks.facts.clouds import CLOUDS, unknown_cloud_message

# Filled by the loader; a stack file that sets them is wrong.
_LOADER_FIELDS = ("project", "stack", "resourceGroupLocation", "environment", "resource_group_location")


class ConfigError(Exception):
    """Every problem in a stack's config, each as `key path: problem. Fix: ...`."""

    def __init__(self, stack: str, problems: list[str]):
        self.stack = stack
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(
            f"Pulumi.{stack}.yaml has {len(problems)} config problem(s); nothing was deployed:\n{lines}"
        )


def load_settings(
    raw: dict[str, Any],
    *,
    project: str = "aoai-lab",
    stack: str = "dev",
    resource_group_location: str = "",
    environment: str = "public",
    encrypted: Iterable[str] = (),
    secret_keys: Iterable[str] | None = None,
) -> LabSettings:
    """Validate a stack's config; raise ConfigError with every problem found. `encrypted`: keys (without the
    namespace) the stack file holds as `secure:` ciphertext, seen here as "[secret]" (stacks/config/encrypted.py);
    the checks skipped for them are in the result's `skipped_checks`."""
    encrypted = [k.removeprefix(f"{project}:").removeprefix("aoai-lab:") for k in encrypted]
    # Keys the stack marks secret: offline the encrypted ones; under `pulumi up` (values decrypted) the runtime's.
    secrets = (
        encrypted
        if secret_keys is None
        else [k.removeprefix(f"{project}:").removeprefix("aoai-lab:") for k in secret_keys]
    )
    problems: list[str] = []
    if not STACK_NAME_RE.fullmatch(stack):
        problems.append(
            f"stack name '{stack}': it goes into every resource name. Fix: 1-20 lowercase letters, digits or '-'"
        )
    if environment not in CLOUDS:
        problems.append(unknown_cloud_message(environment))
    # The Pulumi CLI passes a declared default of "" for optional keys the stack leaves unset.
    raw = {k: v for k, v in raw.items() if v != ""}
    for internal in _LOADER_FIELDS:
        if internal in raw:
            problems.append(f"{key_path((internal,))}: unknown key. Fix: remove it; it is set by the program")
            raw.pop(internal)
    problems.extend(refused_secrets(raw, secrets))
    checked, replaced, skipped = stand_in(raw, encrypted)
    settings: LabSettings | None = None
    try:
        settings = LabSettings.model_validate(
            {
                **checked,
                "project": project,
                "stack": stack,
                "resource_group_location": resource_group_location,
                "environment": environment,
            }
        )
    except ValidationError as exc:
        errors = exc.errors()
        item_errors = {
            tuple(e["loc"][:i]) for e in errors for i, p in enumerate(e["loc"]) if isinstance(p, int)
        }
        # A list whose entries all failed also reads as "too short": the entries' own errors say it better.
        problems.extend(
            encrypted_problem(e) if is_encrypted_input(e, encrypted) else describe(e, stack, LabSettings)
            for e in errors
            if not (e["type"] == "too_short" and tuple(e["loc"]) in item_errors)
        )
    problems.extend(run_rules(raw, RuleContext(stack, environment, resource_group_location)))
    if settings is not None and not problems:
        problems.extend(_cost_cap_problems(settings))
    if problems or settings is None:
        raise ConfigError(stack, list(dict.fromkeys(problems)))
    settings = restore(settings, replaced)  # type: ignore[assignment]
    settings._skipped_checks = tuple(skipped)
    return settings


def _cost_cap_problems(settings: LabSettings) -> list[str]:
    """A costCap needs a price for every deployed model and must buy at least one token (stacks/cost_cap.py)."""
    from stacks.cost_cap import CostCapError, cost_caps
    from stacks.facts.prices import PriceError

    try:
        cost_caps(settings)
    except (CostCapError, PriceError) as exc:
        return [f"aoai-lab:participantLimits.costCap: {exc}"]
    return []
