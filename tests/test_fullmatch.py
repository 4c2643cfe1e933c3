"""Name checks take the whole string: `$` also matches before a trailing newline, so `RE.match` accepts
"student01\n" where a name check must refuse it. Every validator uses `fullmatch`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from labctl.azure.signin import _check_guid
from labctl.errors import AzureError
from labctl.project import PROJECT_DIR
from stacks.config import formats, slugs

SOURCES = [
    p for folder in ("labctl", "stacks", "components", "policy") for p in (PROJECT_DIR / folder).rglob("*.py")
]
# A compiled validator (NAME_RE, _NAME_RE, name_re...) checked with match instead of fullmatch (`search` is how
# the code extracts a part of a longer text, e.g. an account name from a resource id).
PARTIAL_CHECK = re.compile(r"\b\w*(?:_RE|_re)\.match\(")


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PROJECT_DIR)))
def test_validators_use_fullmatch(path: Path):
    found = PARTIAL_CHECK.findall(path.read_text(encoding="utf-8"))
    assert not found, f"{path.relative_to(PROJECT_DIR)}: {found}: use fullmatch"


@pytest.mark.parametrize(
    ("pattern", "name"),
    [
        (formats.PARTICIPANT_NAME_RE, "student01"),
        (formats.DEPLOYMENT_NAME_RE, "chat"),
        (formats.STACK_NAME_RE, "dev"),
        (formats.GUID_RE, "7c9e6679-7425-40de-944b-e07fc1f90ae7"),
        (formats.EMAIL_RE, "ana@contoso.edu"),
        (formats.API_VERSION_RE, "2025-04-01-preview"),
    ],
)
def test_a_trailing_newline_is_not_a_valid_name(pattern: re.Pattern[str], name: str):
    assert pattern.fullmatch(name)
    assert pattern.match(name + "\n")  # why match is not enough
    assert not pattern.fullmatch(name + "\n")


def test_the_checks_refuse_it():
    with pytest.raises(ValueError, match="is not an e-mail address"):
        formats.email_value("ana@contoso.edu\n")
    with pytest.raises(AzureError, match="is not a subscription id"):
        _check_guid("7c9e6679-7425-40de-944b-e07fc1f90ae7\n", "--subscription")
    # A roster line "ana\n" as a participant name is refused with the suggestion, not taken as "ana\n".
    assert slugs.suggest_participant_name("ana\n") == "ana"
