"""Pulumi policy pack of aoai-lab: `pulumi preview --policy-pack policy` (or `pulumi up --policy-pack policy`).

Starting the pack serves it to the Pulumi CLI until the CLI stops it; everything testable is in
aoai_lab_guardrails.py beside this file.
"""

import sys
from pathlib import Path

# The CLI runs this file by path: make its sibling module importable however it was started.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from aoai_lab_guardrails import PACK_NAME, policies
from pulumi_policy import PolicyPack

PolicyPack(name=PACK_NAME, policies=policies())
