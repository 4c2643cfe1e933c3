"""The project folder as the offline tools see it: Pulumi.yaml, the stack files, a stack's flat config.

The Pulumi CLI is not needed (and never run) here. This module imports nothing from stacks/ at import time:
`labctl diff` plans older revisions with today's labctl and that revision's stacks/ (see
labctl/review/revisions.py), so the planner's own imports must not depend on today's stacks/.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

if TYPE_CHECKING:
    from stacks.config.sections import LabSettings
    from stacks.naming import LabIdentity

PROJECT_DIR = Path(__file__).resolve().parent.parent
SECRET = "[secret]"


def project_name(project_dir: Path = PROJECT_DIR) -> str:
    return str(yaml.safe_load((project_dir / "Pulumi.yaml").read_text(encoding="utf-8"))["name"])


def stack_file(stack: str, project_dir: Path = PROJECT_DIR) -> Path:
    return project_dir / f"Pulumi.{stack}.yaml"


def stack_names(project_dir: Path = PROJECT_DIR) -> list[str]:
    """The stacks that have a stack file in the project folder, sorted."""
    return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in project_dir.glob("Pulumi.*.yaml"))


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
            flat[full] = SECRET
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


def load_stack_settings(stack: str, project_dir: Path = PROJECT_DIR) -> LabSettings:
    """The stack file, validated as the program validates it (raises FileNotFoundError or ConfigError)."""
    from stacks.config.source import settings_from_flat_config

    flat, _ = read_stack_config(stack, project_dir)
    return settings_from_flat_config(flat, project=project_name(project_dir), stack=stack)


def lab_identity(stack: str, project_dir: Path = PROJECT_DIR) -> LabIdentity:
    """The project from Pulumi.yaml; the cloud from the stack file when it is still there (it may be gone)."""
    from stacks.naming import LabIdentity

    environment = "public"
    if stack_file(stack, project_dir).exists():
        flat, _ = read_stack_config(stack, project_dir)
        environment = flat.get("azure-native:environment") or "public"
    return LabIdentity(project=project_name(project_dir), stack=stack, environment=environment)
