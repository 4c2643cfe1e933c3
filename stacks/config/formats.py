"""The formats of single config values: ids, e-mail addresses, names that end up in Azure, api versions.

Checked with `fullmatch` everywhere (tests/test_fullmatch.py)."""

from __future__ import annotations

import re

# An Entra object id, tenant id or subscription id.
GUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
EMAIL_RE = re.compile(r"^[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
# Deployment names become URL path segments (/openai/deployments/{name}).
DEPLOYMENT_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,63}$")
# Participant names become APIM subscription ids and resource names.
PARTICIPANT_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
PARTICIPANT_NAME_MAX = 40
# The stack name goes into every resource name; APIM names allow 50 characters and must start with a letter.
STACK_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,19}$")
API_VERSION_RE = re.compile(r"^\d{4}-\d{2}-\d{2}(-preview)?$")


def email_value(v: str) -> str:
    if not EMAIL_RE.fullmatch(v):
        raise ValueError(f"'{v}' is not an e-mail address. Fix: use name@domain, e.g. ana@contoso.edu")
    return v


def is_int(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)
