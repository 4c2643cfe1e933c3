"""Who a lab is, without its state: the names and tags `stacks/lab.py` gives its resources, from project and stack.

`labctl purge` must recognise a lab's soft-deleted resources after `pulumi destroy` has thrown the state (and the
random name suffix) away, so it rebuilds the naming rules here; `labctl preflight` uses them too, to find a deployed
lab's own account. tests/labctl/test_lifecycle_plan.py checks them against the plan of the real program, so the two
cannot drift apart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from stacks.config_source import PROJECT_DIR, project_name, read_stack_config, stack_file

# stacks/lab.py: RandomString(length=5, upper=False, special=False) -> lowercase letters and digits.
SUFFIX_RE = "[a-z0-9]{5}"


@dataclass(frozen=True)
class LabIdentity:
    project: str
    stack: str
    environment: str = "public"

    @property
    def resource_group(self) -> str:
        return f"rg-{self.project}-{self.stack}"

    @property
    def account_name_re(self) -> re.Pattern[str]:
        # Anchored and with an exact suffix, so stack "dev" never matches stack "dev-2"'s account.
        return re.compile(rf"^{re.escape(self.project)}-{re.escape(self.stack)}-{SUFFIX_RE}$")

    @property
    def gateway_name_re(self) -> re.Pattern[str]:
        return re.compile(rf"^apim-{re.escape(self.project)}-{re.escape(self.stack)}-{SUFFIX_RE}$")

    @property
    def tags(self) -> dict[str, str]:
        """The tags every lab resource carries that say which stack it belongs to."""
        return {"pulumi-project": self.project, "pulumi-stack": self.stack}


def lab_identity(stack: str, project_dir: Path = PROJECT_DIR) -> LabIdentity:
    """The project from Pulumi.yaml; the cloud from the stack file when it is still there (it may be gone)."""
    environment = "public"
    if stack_file(stack, project_dir).exists():
        flat, _ = read_stack_config(stack, project_dir)
        environment = flat.get("azure-native:environment") or "public"
    return LabIdentity(project=project_name(project_dir), stack=stack, environment=environment)
