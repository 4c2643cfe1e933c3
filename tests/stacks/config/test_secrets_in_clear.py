"""`secure:` values never reach Azure in clear: a secret that would become a tag, a publisher e-mail, a budget contact
or a role assignment's principal is refused, offline (ciphertext reads "[secret]") and under `pulumi up` (decrypted,
known only as a secret key), with the key and the fix."""

from __future__ import annotations

from typing import Any

import pytest

from stacks.config.encrypted import SECRET
from stacks.config.load import load_settings
from tests.support.config_load import config_problems


@pytest.fixture
def raw(dev_config: dict[str, Any]) -> dict[str, Any]:
    lab = {k.split(":", 1)[1]: v for k, v in dev_config.items() if k.startswith("aoai-lab:")}
    lab["expiresOn"] = str(lab["expiresOn"])
    return lab


def test_decrypted_secret_owner_under_pulumi_up_is_refused(raw):
    # What `pulumi up` hands the program: the plain address, and the key in the runtime's secret keys.
    problems = config_problems(raw, secret_keys=["aoai-lab:owner"])
    assert len(problems) == 1
    assert problems[0].startswith(
        "aoai-lab:owner: is encrypted (secure:), but it reaches Azure in clear as the `owner` tag on every resource"
    )
    assert "Fix: set it without --secret (`pulumi config set aoai-lab:owner <value>`)" in problems[0]
    assert "ana.garcia@contoso.edu" not in problems[0]  # the error never prints the secret it refuses


def test_offline_names_each_encrypted_budget_contact(raw):
    budget = {"amount": 50, "contactEmails": ["ta@contoso.edu", SECRET]}
    problems = config_problems({**raw, "budget": budget}, encrypted=["budget"])
    assert problems == [
        "aoai-lab:budget.contactEmails[1]: is encrypted (secure:), but it reaches Azure in clear as the budget's "
        "notification contacts: anyone who can read the lab's resources sees it, and Pulumi keeps it in plain text "
        "in the state. Fix: set it without --secret (`pulumi config set --path aoai-lab:budget.contactEmails[1] "
        "<value>`), using a non-secret alias (a team mailbox) if the real address must stay private"
    ]


def test_publisher_email_and_people(raw):
    found = config_problems(
        {**raw, "publisherEmail": "ops@contoso.edu"}, secret_keys=["publisherEmail", "people"]
    )
    assert [p.split(":")[1] for p in found] == ["publisherEmail", "people"]
    assert "the API Management service's publisherEmail property" in found[0]
    assert "the role assignments' principal ids and descriptions" in found[1]


def test_participant_e_mails_may_stay_secret(raw):
    # They reach handouts, never Azure: a secret participants key passes, under `pulumi up` and offline.
    assert load_settings(raw, resource_group_location="eastus2", secret_keys=["participants"]).participants
    participants = [dict(raw["participants"][0], email=SECRET), *raw["participants"][1:]]
    settings = load_settings(
        {**raw, "participants": participants}, resource_group_location="eastus2", encrypted=["participants"]
    )
    assert settings.participants[0].email == SECRET


def test_a_plain_stack_is_not_refused(raw):
    assert (
        load_settings(raw, resource_group_location="eastus2", secret_keys=[]).owner
        == "ana.garcia@contoso.edu"
    )
