"""The project folder as the offline tools see it: Pulumi.yaml, the stack files, a stack's flat config.

The Pulumi CLI is not needed (and never run) here. This module imports nothing from stacks/ at import time:
`labctl diff` plans older revisions with today's labctl and that revision's stacks/ (see
labctl/review/revisions.py), so the planner's own imports must not depend on today's stacks/.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from labctl.stackfile import StackConfig
    from stacks.config.sections import LabSettings
    from stacks.naming import LabIdentity

PROJECT_DIR = Path(__file__).resolve().parent.parent
SECRET = "[secret]"


def project_name(project_dir: Path = PROJECT_DIR) -> str:
    """`name:` from Pulumi.yaml (a StackFileError, exit 3, when it is missing or broken)."""
    from labctl.stackfile import read_project_name

    return read_project_name(project_dir)


def stack_file(stack: str, project_dir: Path = PROJECT_DIR) -> Path:
    return project_dir / f"Pulumi.{stack}.yaml"


def stack_names(project_dir: Path = PROJECT_DIR) -> list[str]:
    """The stacks that have a stack file in the project folder, sorted."""
    return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in project_dir.glob("Pulumi.*.yaml"))


def read_stack(stack: str, project_dir: Path = PROJECT_DIR) -> StackConfig:
    """The stack file as the Pulumi CLI reads it (labctl/stackfile): FileNotFoundError when it is not there,
    StackFileError (a ConfigError, exit 3) naming file, line, column and fix when it cannot be used."""
    from labctl.stackfile import read_stack_file

    path = stack_file(stack, project_dir)
    if not path.exists():
        raise FileNotFoundError(
            f"{path.name} not found in {project_dir}. Fix: create it (copy Pulumi.dev.yaml), or pick one of the "
            f"stacks there: {', '.join(stack_names(project_dir)) or 'none'}"
        )
    return read_stack_file(path, project=project_name(project_dir))


def read_stack_config(stack: str, project_dir: Path = PROJECT_DIR) -> tuple[dict[str, str], list[str]]:
    """Flat config map (values as the CLI passes them: scalars as their text, JSON for structures, SECRET for
    encrypted values) and the keys holding encrypted values."""
    config = read_stack(stack, project_dir)
    return config.flat(), config.secret_keys()


def load_stack_settings(stack: str, project_dir: Path = PROJECT_DIR) -> LabSettings:
    """The stack file, validated as the program validates it (raises FileNotFoundError or ConfigError)."""
    from stacks.config.source import settings_from_flat_config

    flat, secret_keys = read_stack_config(stack, project_dir)
    return settings_from_flat_config(
        flat, project=project_name(project_dir), stack=stack, encrypted_keys=secret_keys
    )


def lab_identity(stack: str, project_dir: Path = PROJECT_DIR) -> LabIdentity:
    """The project from Pulumi.yaml; the cloud from the stack file when it is still there (it may be gone)."""
    from stacks.naming import LabIdentity

    environment = "public"
    if stack_file(stack, project_dir).exists():
        # Not the settings: purge and down find a lab whose stack file no longer validates.
        environment = str(read_stack(stack, project_dir).values.get("azure-native:environment") or "public")
    return LabIdentity(project=project_name(project_dir), stack=stack, environment=environment)
