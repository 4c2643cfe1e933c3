"""Reading a stack's config: from the running Pulumi program, or from `Pulumi.<stack>.yaml` for offline tools."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import yaml

from stacks.settings import NAMESPACE, LabSettings, load_settings

PROJECT_DIR = Path(__file__).resolve().parent.parent


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


def settings_from_flat_config(flat: dict[str, Any], *, project: str, stack: str) -> LabSettings:
    lab, other = split_config(flat)
    return load_settings(
        lab,
        project=project,
        stack=stack,
        resource_group_location=str(other.get("azure-native:location") or ""),
        environment=str(other.get("azure-native:environment") or "public"),
    )


def settings_from_pulumi() -> LabSettings:
    """The running program's config (what `pulumi up` or the mock runtime set)."""
    import pulumi
    from pulumi.runtime import config as runtime_config

    flat = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    return settings_from_flat_config(flat, project=pulumi.get_project(), stack=pulumi.get_stack())


# ---- offline: the stack file as the Pulumi CLI would pass it to the program ----


def project_name(project_dir: Path = PROJECT_DIR) -> str:
    return str(yaml.safe_load((project_dir / "Pulumi.yaml").read_text(encoding="utf-8"))["name"])


def stack_file(stack: str, project_dir: Path = PROJECT_DIR) -> Path:
    return project_dir / f"Pulumi.{stack}.yaml"


def read_stack_config(stack: str, project_dir: Path = PROJECT_DIR) -> tuple[dict[str, str], list[str]]:
    """Flat config map (values as the CLI passes them: strings, JSON for structures) and the secret keys."""
    path = stack_file(stack, project_dir)
    if not path.exists():
        raise FileNotFoundError(
            f"{path.name} not found in {project_dir}. Fix: create it (copy Pulumi.dev.yaml)"
        )
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    raw = doc.get("config") or {}
    project = project_name(project_dir)
    flat: dict[str, str] = {}
    secret_keys: list[str] = []
    for key, value in raw.items():
        full = key if ":" in key else f"{project}:{key}"
        if isinstance(value, dict) and set(value) == {"secure"}:
            # Encrypted with the stack's secrets provider; offline tools never decrypt it.
            secret_keys.append(full)
            flat[full] = "[secret]"
        elif isinstance(value, str):
            flat[full] = value
        elif isinstance(value, dt.date):
            flat[full] = value.isoformat()
        elif isinstance(value, bool):
            flat[full] = "true" if value else "false"
        elif isinstance(value, int | float):
            flat[full] = str(value)
        else:
            flat[full] = json.dumps(value, default=str)
    return flat, secret_keys
