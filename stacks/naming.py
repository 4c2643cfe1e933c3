"""The naming contract between the program and the tools: resource names and the tags that say whose they are.

`stacks/lab.py` names its resources with these functions; `labctl purge` and `labctl preflight` recognise a lab's
resources (even after `pulumi destroy` threw the state and the random suffix away) with the patterns below.
tests/labctl/lifecycle/test_lifecycle_plan.py checks both against a plan of the real program.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

# stacks/lab.py: RandomString(length=5, upper=False, special=False) -> lowercase letters and digits.
SUFFIX_LENGTH = 5
SUFFIX_RE = "[a-z0-9]{5}"


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

    def regional_account(self, suffix: str, region: str) -> str:
        """The account of a region a spread lab adds (`aoai-lab:location` as a list); the primary keeps `account`."""
        return f"{self.base}-{suffix}-{region}"

    def gateway(self, suffix: str) -> str:
        return f"apim-{self.base}-{suffix}"

    def workspace(self, suffix: str) -> str:
        return f"log-{self.base}-{suffix}"

    @property
    def account_name_re(self) -> re.Pattern[str]:
        # Anchored and with an exact suffix, so stack "dev" never matches stack "dev-2"'s account.
        # A spread lab's regional accounts add `-<region>` (lowercase letters and digits) after the suffix.
        return re.compile(rf"^{re.escape(self.base)}-{SUFFIX_RE}(-[a-z0-9]+)?$")

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
