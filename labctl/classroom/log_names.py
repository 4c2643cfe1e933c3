"""Names read back from the gateway's logs, kept to the character set they really have.

A log row's deployment comes from the path a caller sent (`/openai/deployments/<anything>/...`, or a v1 body's
`model`), so a student can make it any text: a formula for the usage CSV, markup, a very long string, control
characters. Real deployment names follow the rule stacks/config/formats.py DEPLOYMENT_NAME_RE applies to the
lab's own (2-64 letters, digits, '.', '_' or '-', starting with a letter or digit: the pattern the Cognitive
Services REST API declares for account names, azure-mgmt-cognitiveservices 14.1.0 `_deployments_operations.py`),
so anything else is shown as one bucket, `(other)`.
"""

from __future__ import annotations

from typing import Any

from stacks.config.formats import DEPLOYMENT_NAME_RE

UNKNOWN_DEPLOYMENT = "(unknown)"
OTHER_DEPLOYMENT = "(other)"


def log_deployment_name(value: Any) -> str:
    if value is None or value == "":
        return UNKNOWN_DEPLOYMENT
    text = str(value)
    return text if DEPLOYMENT_NAME_RE.fullmatch(text) else OTHER_DEPLOYMENT
