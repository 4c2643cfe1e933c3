"""Model facts: the data file's shape and sources, and the checks a stack's deployments go through."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from stacks.facts.models import (
    FACTS_FILE,
    DeploymentFacts,
    ModelFactsError,
    api_version_key,
    check_deployments,
    load_facts,
    model_facts,
)

TODAY = dt.date(2026, 12, 1)
KEY = "aoai-lab:inferenceApiVersion"


def _check(
    model: str, version: str = "2025-08-07", sku: str = "GlobalStandard", *, api: str, expires="2026-12-18"
):
    d = DeploymentFacts(key="aoai-lab:deployments[0]", name="chat", model=model, version=version, sku=sku)
    return check_deployments(
        [d],
        api_version=api,
        api_version_key_path=KEY,
        expires_on=dt.date.fromisoformat(expires),
        today=TODAY,
    )


def test_every_family_names_its_sources():
    raw = yaml.safe_load(FACTS_FILE.read_text(encoding="utf-8"))
    for name, spec in raw["families"].items():
        assert spec["source"].strip() and spec["skus_source"].strip(), name
        for version, info in (spec.get("versions") or {}).items():
            if info and "retires" in info:
                assert info["source"], (name, version)
    assert raw["api_versions"]["source"] and raw["api_versions"]["default_source"]


def test_default_api_version_is_one_every_chat_model_accepts():
    facts = model_facts()
    chat = [f for f in facts.families.values() if f.is_chat and not f.retired]
    assert all(api_version_key(facts.default_api_version) >= api_version_key(f.min_api_version) for f in chat)
    assert facts.default_api_version == "2025-04-01-preview"
    assert facts.api_version_for(["gpt-4.1-mini", "text-embedding-3-small"]) == "2025-04-01-preview"


def test_gpt5_on_an_old_api_version_is_an_error_naming_the_key_and_the_fix():
    findings = _check("gpt-5-mini", api="2024-10-21")
    errors = [f for f in findings if f.severity == "error"]
    assert len(errors) == 1
    assert errors[0].key == "aoai-lab:deployments[0].model"
    assert "2025-04-01-preview" in errors[0].message and KEY in errors[0].message
    assert f"Fix: set {KEY} to 2025-04-01-preview" in errors[0].message


def test_gpt5_on_the_handed_out_version_is_clean():
    assert _check("gpt-5-mini", api="2025-04-01-preview") == []


def test_older_chat_models_and_embeddings_accept_the_ga_version():
    assert [f for f in _check("gpt-4.1-mini", "2025-04-14", api="2024-10-21") if f.severity == "error"] == []
    assert _check("text-embedding-3-small", "1", api="2024-10-21") == []


def test_unknown_model_is_a_warning_with_did_you_mean():
    (finding,) = _check("gpt5-mini", api="2025-04-01-preview")
    assert finding.severity == "warning"
    assert "Did you mean 'gpt-5-mini'?" in finding.message


def test_retirement_before_expires_on_warns():
    # gpt-4.1-mini 2025-04-14 retires 2026-10-14 (retirement table): before a lab that ends in December.
    findings = _check("gpt-4.1-mini", "2025-04-14", api="2025-04-01-preview")
    (warning,) = [f for f in findings if f.key.endswith(".version")]
    assert "retired on 2026-10-14" in warning.message and "2026-12-18" in warning.message
    # gpt-5-mini retires 2027-02-06: a lab ending in March meets it, one ending in December does not.
    assert (
        _check("gpt-5-mini", api="2025-04-01-preview", expires="2027-03-01")[0].message.count("2027-02-06")
        == 1
    )
    assert _check("gpt-5-mini", api="2025-04-01-preview", expires="2026-12-18") == []


def test_retired_family_is_an_error():
    (error,) = _check("gpt-35-turbo", "0125", sku="Standard", api="2024-10-21")
    assert error.severity == "error" and "ServiceModelDeprecated" in error.message


def test_developer_tier_fine_tune_warns_about_24_hours():
    findings = _check(
        "gpt-4.1-mini-2025-04-14.ft-0123456789abcdef", "1", sku="DeveloperTier", api="2025-04-01-preview"
    )
    assert [f.key for f in findings] == ["aoai-lab:deployments[0].sku"]
    assert "24 hours" in findings[0].message


def test_fine_tuned_model_inherits_its_base_family():
    facts = model_facts()
    fam, fine_tuned = facts.family("gpt-4.1-mini-2025-04-14.ft-0123456789abcdef")
    assert fam is not None and fam.name == "gpt-4.1-mini" and fine_tuned


def test_responses_only_model_needs_the_new_version_too():
    errors = [f for f in _check("o3-pro", "2025-06-10", api="2024-10-21") if f.severity == "error"]
    assert len(errors) == 1


def test_a_retirement_without_source_is_refused(tmp_path: Path):
    raw = yaml.safe_load(FACTS_FILE.read_text(encoding="utf-8"))
    raw["families"]["gpt-5-mini"]["versions"]["2025-08-07"].pop("source")
    bad = tmp_path / "models.yaml"
    bad.write_text(yaml.safe_dump(raw), encoding="utf-8")
    with pytest.raises(ModelFactsError, match="needs a source"):
        load_facts(bad)
