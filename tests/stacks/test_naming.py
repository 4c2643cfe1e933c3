"""stacks/naming.py's patterns are exact per stack: purge, and preflight's crediting of a deployed lab's own usage,
take a name that matches for the lab's own (then prove it by tags or resource group). Stack names may contain
hyphens and digits, so one stack's name can begin with another's: every pair below is played both ways."""

from __future__ import annotations

import itertools

import pytest

from stacks.naming import LabIdentity

# Stacks whose names begin with one another's, or look like a suffix or a region after it.
STACKS = [
    "dev",
    "dev-teams",
    "dev-2",
    "dev-a1b2c",
    "dev-eastus",
    "dev-eastus-x1y2z",
    "dev2",
    "de",
    "class-2026",
]
SUFFIXES = [
    "a1b2c",
    "9zzzz",
    "00000",
]  # a RandomString with min_numeric=1: five characters, at least one digit
REGIONS = ["eastus", "eastus2", "swedencentral"]


def names_of(stack: str) -> dict[str, set[str]]:
    """Every account and gateway name the program can give `stack` (stacks/lab.py, stacks/regions.py)."""
    lab = LabIdentity("aoai-lab", stack)
    accounts = {lab.account(s) for s in SUFFIXES}
    accounts |= {f"{lab.account(s)}-{region}" for s in SUFFIXES for region in REGIONS}
    return {"account": accounts, "gateway": {lab.gateway(s) for s in SUFFIXES}}


@pytest.mark.parametrize(("mine", "theirs"), list(itertools.permutations(STACKS, 2)))
def test_a_stack_never_takes_another_stacks_names_for_its_own(mine: str, theirs: str) -> None:
    lab = LabIdentity("aoai-lab", mine)
    other = names_of(theirs)
    assert not [n for n in other["account"] if lab.account_name_re.match(n)]
    assert not [n for n in other["gateway"] if lab.gateway_name_re.match(n)]


@pytest.mark.parametrize("stack", STACKS)
def test_a_stack_recognises_every_name_of_its_own(stack: str) -> None:
    lab = LabIdentity("aoai-lab", stack)
    own = names_of(stack)
    assert all(lab.account_name_re.match(n) for n in own["account"]), own["account"]
    assert all(lab.gateway_name_re.match(n) for n in own["gateway"]), own["gateway"]


def test_dev_does_not_match_dev_teams() -> None:
    """The look-alike issue 19 found: `teams` read as dev's suffix and the real suffix as a region."""
    dev = LabIdentity("aoai-lab", "dev")
    assert not dev.account_name_re.match("aoai-lab-dev-teams-ab1c2")
    assert not dev.account_name_re.match("aoai-lab-dev-teams-ab1c2-eastus")
    assert dev.account_name_re.match("aoai-lab-dev-ab1c2-eastus")


@pytest.mark.parametrize(
    "name",
    [
        "aoai-lab-dev-abcde",  # no digit: never a suffix the program makes
        "aoai-lab-dev-a1b2",  # four characters
        "aoai-lab-dev-a1b2c3",  # six characters
        "aoai-lab-dev-A1B2C",  # upper case
        "aoai-lab-dev-a1b2c-mars",  # not a region
        "aoai-lab-dev-a1b2c-usgovvirginia",  # a region of another cloud
        "aoai-lab-dev-a1b2c-eastus-westus",  # two regions
        "xaoai-lab-dev-a1b2c",
        "aoai-lab-dev-a1b2c-",
    ],
)
def test_names_the_program_never_gives_do_not_match(name: str) -> None:
    assert not LabIdentity("aoai-lab", "dev").account_name_re.match(name)


def test_regions_follow_the_labs_cloud() -> None:
    gov = LabIdentity("aoai-lab", "dev", environment="usgovernment")
    assert gov.account_name_re.match("aoai-lab-dev-a1b2c-usgovvirginia")
    assert not gov.account_name_re.match("aoai-lab-dev-a1b2c-eastus")
