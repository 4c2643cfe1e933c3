"""The price table: every entry sourced, model names from logs matched to the right entry, overrides."""

from __future__ import annotations

import pytest

from stacks.facts.prices import PriceError, load_prices, parse_prices


def test_every_price_has_a_source_and_the_table_a_date() -> None:
    table = load_prices()
    assert table.currency == "USD" and table.unit_tokens == 1_000_000
    assert table.checked == "2026-12-01"
    assert table.source.startswith("https://azure.microsoft.com/pricing/")
    assert {"gpt-5-mini", "gpt-4.1-mini", "text-embedding-3-small"} <= set(table.models)
    for price in table.models.values():
        assert price.source and price.input >= 0 and price.output >= 0


@pytest.mark.parametrize(
    ("logged", "entry"),
    [
        ("gpt-5-mini-2025-08-07", "gpt-5-mini"),
        ("gpt-5-2025-08-07", "gpt-5"),
        ("GPT-4.1-MINI", "gpt-4.1-mini"),
        ("gpt-4.1-2025-04-14", "gpt-4.1"),
        ("text-embedding-3-small", "text-embedding-3-small"),
        ("gpt-50", None),
        ("o3", None),
        ("", None),
    ],
)
def test_logged_model_names_match_the_longest_entry(logged: str, entry: str | None) -> None:
    price = load_prices().for_model(logged)
    assert (price.model if price else None) == entry


def test_cost_is_per_million_tokens() -> None:
    table = load_prices()
    price = table.for_model("gpt-5-mini")
    assert price is not None
    assert price.cost(1_000_000, 500_000, table.unit_tokens) == pytest.approx(0.25 + 1.00)


def test_stack_overrides_replace_and_add_entries() -> None:
    table = load_prices().with_overrides({"gpt-5-mini": {"input": 0.3, "output": 2.4}, "my-ft": {"input": 1}})
    assert table.for_model("gpt-5-mini-2025-08-07").input == 0.3  # type: ignore[union-attr]
    assert table.for_model("my-ft").output == 0  # type: ignore[union-attr]
    assert table.for_model("my-ft").source == "aoai-lab:prices"  # type: ignore[union-attr]
    with pytest.raises(PriceError, match=r"aoai-lab:prices.gpt-5.input: 'cheap' is not a price"):
        load_prices().with_overrides({"gpt-5": {"input": "cheap"}})
    with pytest.raises(PriceError, match="no source"):
        parse_prices(
            {
                "currency": "USD",
                "unit_tokens": 1,
                "checked": "x",
                "source": "y",
                "models": {"m": {"input": 1}},
            }
        )
