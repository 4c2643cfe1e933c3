"""The naming contract between the program and the tools: resource names and the tags that say whose they are.

`stacks/lab.py` names its resources with these functions; `labctl purge` and `labctl preflight` recognise a lab's
resources (even after `pulumi destroy` threw the state and the random suffix away) with the patterns below.
tests/labctl/lifecycle/test_lifecycle_plan.py checks both against a plan of the real program.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from stacks.facts.clouds import CLOUDS, cloud_named

# stacks/lab.py: RandomString(length=SUFFIX_LENGTH, upper=False, special=False, min_numeric=1) -> lowercase letters
# and digits, at least one digit (so since the first version: every lab's suffix has one). The digit is what tells a suffix
# from a word of another stack's name: stack `dev` never reads `aoai-lab-dev-teams-...` as its own.
SUFFIX_LENGTH = 5
SUFFIX_RE = f"(?=[a-z]*[0-9])[a-z0-9]{{{SUFFIX_LENGTH}}}"


def _regions_re(environment: str) -> str:
    """The regions a spread lab's extra account can name: its cloud's (every cloud's when it names none we know)."""
    cloud = cloud_named(environment)
    regions = cloud.regions if cloud is not None else frozenset().union(*(c.regions for c in CLOUDS.values()))
    return "|".join(re.escape(r) for r in sorted(regions, key=lambda r: (-len(r), r)))


@dataclass(frozen=True)
class LabIdentity:
    """Who a lab is, without its state: project, stack and cloud."""

    project: str
    stack: str
    environment: str = "public"

    @property
    def base(self) -> str:
        return f"{self.project}-{self.stack}"

    @property
    def resource_group(self) -> str:
        return f"rg-{self.base}"

    @property
    def budget(self) -> str:
        return f"budget-{self.base}"

    def account(self, suffix: str) -> str:
        return f"{self.base}-{suffix}"

    def gateway(self, suffix: str) -> str:
        return f"apim-{self.base}-{suffix}"

    def workspace(self, suffix: str) -> str:
        return f"log-{self.base}-{suffix}"

    @property
    def account_name_re(self) -> re.Pattern[str]:
        # Anchored, with an exact suffix and, for a spread lab's extra accounts, a region of the lab's cloud after
        # it (stacks/regions.py names them `<account>-<region>`): stack "dev" never matches an account of stack
        # "dev-2" or "dev-teams" (tests/stacks/test_naming.py plays the look-alikes).
        return re.compile(rf"^{re.escape(self.base)}-{SUFFIX_RE}(-(?:{_regions_re(self.environment)}))?$")

    @property
    def gateway_name_re(self) -> re.Pattern[str]:
        return re.compile(rf"^apim-{re.escape(self.base)}-{SUFFIX_RE}$")

    @property
    def tags(self) -> dict[str, str]:
        """The tags every lab resource carries that say which stack it belongs to."""
        return {"pulumi-project": self.project, "pulumi-stack": self.stack}


def lab_tags(*, identity: LabIdentity, lab_name: str, owner: str, expires_on: dt.date) -> dict[str, str]:
    """Every taggable resource's tags: the lab, its owner and expiry (guardrails require these two), its stack."""
    return {
        "lab": lab_name,
        "owner": owner,
        "expires-on": expires_on.isoformat(),
        "managed-by": "pulumi",
        **identity.tags,
    }
