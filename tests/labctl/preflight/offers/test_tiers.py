"""The gateway tier in a region: API Management's SKU list through the real azure-mgmt-apimanagement client."""

from __future__ import annotations

import pytest

from labctl.azure.signin import arm_target, client_kwargs
from labctl.azure.transport import shared_tls_transport
from labctl.preflight.offers.tiers import TierVerdict, catalog_from_entries, read_tier_catalog
from tests.support.fake_arm import SUBSCRIPTION
from tests.support.fake_arm_validation import FakeArmValidation, apim_sku


@pytest.fixture
def catalog(fake_azure, fake_credential):
    from azure.mgmt.apimanagement import ApiManagementClient

    arm = FakeArmValidation(fake_azure.server)
    arm.apim_skus = [
        apim_sku("Developer", ["East US", "East US 2", "Sweden Central", "Canada East"]),
        apim_sku("BasicV2", ["East US 2", "Sweden Central"], restricted=["swedencentral"]),
        {**apim_sku("StandardV2", ["East US 2"]), "resourceType": "Microsoft.ApiManagement/gateways"},
    ]
    options = {**client_kwargs(arm_target("public", arm.base_url)), "retry_total": 0}
    with shared_tls_transport() as transport:
        client = ApiManagementClient(fake_credential, SUBSCRIPTION, transport=transport, **options)
        yield read_tier_catalog(client)
    assert arm.count("apim-skus") == 1


def test_tier_offered_where_listed(catalog):
    assert catalog.verdict("BasicV2", "eastus2")[0] is TierVerdict.OFFERED
    assert catalog.verdict("Developer", "canadaeast")[0] is TierVerdict.OFFERED


def test_tier_not_offered_where_not_listed(catalog):
    verdict, text = catalog.verdict("BasicV2", "canadaeast")
    assert verdict is TierVerdict.NOT_OFFERED
    assert text == "API Management BasicV2 is not offered in canadaeast"


def test_restriction_for_this_subscription(catalog):
    verdict, text = catalog.verdict("BasicV2", "swedencentral")
    assert verdict is TierVerdict.RESTRICTED
    assert "NotAvailableForSubscription" in text
    assert catalog.regions_for("BasicV2") == ["eastus2"]


def test_a_tier_missing_from_the_list_is_unknown_not_refused(catalog):
    # StandardV2 is listed only for another resource type here.
    assert catalog.verdict("StandardV2", "eastus2")[0] is TierVerdict.UNKNOWN


def test_rest_json_entries_work_too():
    c = catalog_from_entries([apim_sku("Consumption", ["West Europe"])])
    assert c.verdict("Consumption", "westeurope")[0] is TierVerdict.OFFERED
