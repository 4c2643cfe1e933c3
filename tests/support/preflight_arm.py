"""The fake Resource Manager a preflight run talks to: four candidate regions with the catalog and quotas the dev
stack fits (`preflight_arm`), every provider registered and BasicV2 offered (`preflight_validation`), a signed-in
credential (`preflight_signed_in`); `answer_first` puts a misbehaving answer in front of one region's list. A pytest plugin (tests/conftest.py), so tests that share the fixture do not import each other."""

from __future__ import annotations

import functools

import pytest

from labctl.azure import signin
from labctl.preflight.offers.subscription import needed_providers
from labctl.preflight.verdicts.plans import region_plan
from labctl.preflight.verdicts.template import PlannedLab, RegionPlan, plan_lab
from labctl.project import PROJECT_DIR, load_stack_settings
from tests.support.fake_arm import SUBSCRIPTION, FakeArm, catalog, quotas
from tests.support.fake_arm_validation import FakeArmValidation, apim_sku

REGIONS = ("eastus2", "eastus", "canadaeast", "swedencentral")


@pytest.fixture
def preflight_validation(fake_azure) -> FakeArmValidation:
    """Deployment validation, the subscription, providers and API Management SKUs (registered before FakeArm's
    catch-all, so they answer first)."""
    validation = FakeArmValidation(fake_azure.server)
    validation.providers = {ns.lower(): "Registered" for ns in needed_providers(with_budget=True)}
    validation.apim_skus = [apim_sku("BasicV2", list(REGIONS))]
    return validation


@pytest.fixture
def preflight_signed_in(monkeypatch, fake_credential):
    monkeypatch.setattr(signin, "default_credential", lambda environment="public": fake_credential)
    return fake_credential


@pytest.fixture
def preflight_arm(preflight_validation, preflight_signed_in, fake_azure) -> FakeArm:
    fake = FakeArm(fake_azure.server)
    for region in REGIONS:
        fake.region(region, catalog(), quotas())
    return fake


def region_path(region: str, what: str) -> str:
    return f"/subscriptions/{SUBSCRIPTION}/providers/Microsoft.CognitiveServices/locations/{region}/{what}"


def answer_first(arm: FakeArm, region: str, what: str, respond, times: int = 8) -> None:
    for _ in range(times):
        arm.server.expect_oneshot_request(region_path(region, what)).respond_with_handler(respond)


@functools.cache
def dev_lab() -> PlannedLab:
    """The dev stack's lab as the program declares it (planned once per test run)."""
    return plan_lab("dev", PROJECT_DIR, load_stack_settings("dev").account_location)


def dev_region_plan(region: str, chat: int = 50) -> RegionPlan:
    """The dev lab in `region`, under a deployed lab's names, with `chat` capacity for the chat deployment."""
    return region_plan(
        load_stack_settings("dev"),
        dev_lab(),
        region,
        capacities={"chat": chat, "embeddings": 50},
        account_name="aoai-lab-dev-ab1c2",
        gateway_name="apim-aoai-lab-dev-ab1c2",
    )
