"""The clouds and API Management tiers the program, the components and labctl share (stacks/facts/)."""

from __future__ import annotations

import pytest

from facts.apim_tiers import APIM_TIERS, OFFERED_TIERS, family_of
from labctl.azure.signin import arm_target, cognitive_services_scope, default_credential
from labctl.errors import ConfigError
from stacks.facts.clouds import CLOUDS


@pytest.mark.parametrize(
    ("cloud", "audience", "arm"),
    [
        ("public", "https://cognitiveservices.azure.com", "https://management.azure.com"),
        ("usgovernment", "https://cognitiveservices.azure.us", "https://management.usgovcloudapi.net"),
        ("china", "https://cognitiveservices.azure.cn", "https://management.chinacloudapi.cn"),
    ],
)
def test_each_cloud_has_its_endpoints_and_audiences(cloud, audience, arm):
    facts = CLOUDS[cloud]
    assert facts.cognitive_services_audience == audience
    assert cognitive_services_scope(cloud) == audience + "/.default"
    assert arm_target(cloud).endpoint == arm and arm_target(cloud).scope == arm + "/.default"
    assert facts.regions and not (
        facts.regions & set().union(*(c.regions for c in CLOUDS.values() if c is not facts))
    )


def test_the_credential_signs_in_at_the_clouds_authority(monkeypatch):
    import azure.identity

    seen: list[str] = []
    monkeypatch.setattr(azure.identity, "DefaultAzureCredential", lambda authority: seen.append(authority))
    for cloud in CLOUDS:
        default_credential(cloud)
    assert seen == ["login.microsoftonline.com", "login.microsoftonline.us", "login.chinacloudapi.cn"]


def test_an_unknown_cloud_is_one_config_error_everywhere():
    for call in (lambda: arm_target("mars"), lambda: cognitive_services_scope("mars")):
        with pytest.raises(
            ConfigError, match=r"unknown cloud 'mars'\. Fix: use public, usgovernment or china"
        ):
            call()


def test_tiers_by_family():
    assert OFFERED_TIERS == (
        "Consumption",
        "Developer",
        "Basic",
        "Standard",
        "Premium",
        "BasicV2",
        "StandardV2",
    )
    assert {t.name for t in APIM_TIERS.values() if t.classic} == {
        "Developer",
        "Basic",
        "Standard",
        "Premium",
        "Isolated",
    }
    assert family_of("BasicV2") == family_of("StandardV2") == "v2"
    assert family_of("Gold") == "Gold"  # unknown: a family of its own
    assert APIM_TIERS["Consumption"].capacity == 0 and not APIM_TIERS["Consumption"].resource_logs
    assert not APIM_TIERS["Consumption"].llm_token_limit and APIM_TIERS["BasicV2"].llm_token_limit
    assert all(t.enable_client_certificate == t.classic for t in APIM_TIERS.values())
