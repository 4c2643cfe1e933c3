"""Catalog models of other publishers and audio models go through preflight like any other deployment: matched on
name, version and format (the publisher the models API reports) in the live list, their quota read from the usage
name that list gives."""

from __future__ import annotations

from labctl.preflight.model import ModelOffer, SkuOffer, Verdict
from labctl.preflight.quota.decisions import evaluate_region
from tests.labctl.preflight.quota.test_preflight_fit import TODAY, dep, lab, region

# The usage name is whatever the live list says (never built from the model name): these are made up on purpose.
DEEPSEEK_USAGE = "AIServices.GlobalStandard.DeepSeek-R1-usage"
TTS_USAGE = "OpenAI.GlobalStandard.gpt-4o-mini-tts"


def deepseek(fmt: str = "DeepSeek", kind: str | None = "AIServices") -> ModelOffer:
    sku = SkuOffer("GlobalStandard", DEEPSEEK_USAGE, minimum=1, maximum=5000, step=1)
    return ModelOffer(name="DeepSeek-R1", version="1", format=fmt, kind=kind, skus=(sku,))


def tts() -> ModelOffer:
    sku = SkuOffer("GlobalStandard", TTS_USAGE, minimum=1, maximum=1000, step=1)
    return ModelOffer(name="gpt-4o-mini-tts", version="2025-12-15", skus=(sku,))


CATALOG = dep("deepseek", model="DeepSeek-R1", version="1", format="DeepSeek", capacity=5)
AUDIO = dep("speech", model="gpt-4o-mini-tts", version="2025-12-15", capacity=5)


def test_a_catalog_model_fits_where_the_live_list_offers_it_with_quota():
    settings = lab(CATALOG, accountKind="AIServices")
    r = region("eastus2", [deepseek()], **{DEEPSEEK_USAGE: (0, 100)})
    result = evaluate_region(settings, r, TODAY)
    assert result.verdict is Verdict.FITS
    assert result.cells["deepseek"].text.startswith("GlobalStandard")


def test_the_format_must_match_the_publisher_the_list_reports():
    settings = lab(CATALOG, accountKind="AIServices")
    r = region("eastus2", [deepseek(fmt="Microsoft")], **{DEEPSEEK_USAGE: (0, 100)})
    assert evaluate_region(settings, r, TODAY).cells["deepseek"].text == "model not offered"


def test_a_catalog_model_without_quota_does_not_fit():
    settings = lab(CATALOG, accountKind="AIServices")
    r = region("eastus2", [deepseek()], **{DEEPSEEK_USAGE: (100, 100)})
    result = evaluate_region(settings, r, TODAY)
    assert result.verdict is not Verdict.FITS
    # The quota read is the usage the list names for DeepSeek-R1's GlobalStandard SKU.
    assert result.cells["deepseek"].text == "0 of 100 left (needs 5)"


def test_text_to_speech_fits_only_where_it_is_offered():
    # gpt-4o-mini-tts is Global Standard in eastus2 only (model-matrix/standard-global-by-capability.md).
    settings = lab(AUDIO, accountKind="AIServices", regions=("swedencentral", "eastus2"))
    assert (
        evaluate_region(settings, region("swedencentral", []), TODAY).cells["speech"].text
        == "model not offered"
    )
    eastus2 = region("eastus2", [tts()], **{TTS_USAGE: (0, 100)})
    assert evaluate_region(settings, eastus2, TODAY).verdict is Verdict.FITS
