"""A stack's config as the program sees it: the flat `ns:key` map Pulumi passes, split and validated.

The running program reads it from the Pulumi runtime; offline tools read the stack file with
`labctl.project.read_stack_config` and pass the same flat map to `settings_from_flat_config`."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from stacks.config.load import load_settings
from stacks.config.section_base import NAMESPACE
from stacks.config.sections import LabSettings


def _decode(value: Any) -> Any:
    """Pulumi hands structured values (lists, objects) to the program as JSON strings."""
    if isinstance(value, str) and value[:1] in ("[", "{"):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def split_config(flat: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """`{"aoai-lab:owner": ..., "azure-native:location": ...}` -> (lab keys without namespace, provider keys)."""
    lab: dict[str, Any] = {}
    other: dict[str, Any] = {}
    for key, value in flat.items():
        ns, _, name = key.partition(":")
        if ns == NAMESPACE:
            lab[name] = _decode(value)
        else:
            other[key] = _decode(value)
    return lab, other


def settings_from_flat_config(
    flat: dict[str, Any],
    *,
    project: str,
    stack: str,
    encrypted_keys: Iterable[str] = (),
    secret_keys: Iterable[str] | None = None,
) -> LabSettings:
    """`encrypted_keys`: `ns:key` names whose values are ciphertext offline (they read "[secret]"); `secret_keys`:
    the names the stack marks secret when the values arrive decrypted (`pulumi up`), default `encrypted_keys`."""
    lab, other = split_config(flat)
    return load_settings(
        lab,
        project=project,
        stack=stack,
        resource_group_location=str(other.get("azure-native:location") or ""),
        environment=str(other.get("azure-native:environment") or "public"),
        encrypted=[k.partition(":")[2] for k in encrypted_keys if k.partition(":")[0] == NAMESPACE],
        secret_keys=None
        if secret_keys is None
        else [k.partition(":")[2] for k in secret_keys if k.partition(":")[0] == NAMESPACE],
    )


def settings_from_pulumi() -> LabSettings:
    """The running program's config (what `pulumi up` or the mock runtime set)."""
    import pulumi
    from pulumi.runtime import config as runtime_config

    flat = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    # Only the offline planner (the mock runtime) hands the program "[secret]" for encrypted keys; under
    # `pulumi up` every value arrives decrypted and is checked in full.
    secret = [k for k in flat if runtime_config.is_config_secret(k)]
    encrypted = secret if _under_mocks() else []
    # Secret keys are checked under `pulumi up` too: a value that would reach Azure in clear is refused.
    settings = settings_from_flat_config(
        flat,
        project=pulumi.get_project(),
        stack=pulumi.get_stack(),
        encrypted_keys=encrypted,
        secret_keys=secret,
    )
    for note in settings.skipped_checks:
        pulumi.log.warn(note)
    return settings


def _under_mocks() -> bool:
    from pulumi.runtime import settings as runtime_settings
    from pulumi.runtime.mocks import MockMonitor

    return isinstance(getattr(runtime_settings.SETTINGS, "monitor", None), MockMonitor)
