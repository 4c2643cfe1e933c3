"""Token prices from `prices.yaml` (each with its source and the date it was checked), with per-stack overrides.

Used only for an estimate (`labctl usage`): the bill is Azure Cost Management's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

PRICES_FILE = Path(__file__).with_name("prices.yaml")


class PriceError(Exception):
    """A price table or override is malformed; the message names the entry and the fix."""


@dataclass(frozen=True)
class Price:
    model: str
    input: float  # per `unit_tokens` prompt tokens
    output: float  # per `unit_tokens` completion tokens
    source: str

    def cost(self, prompt_tokens: int, completion_tokens: int, unit_tokens: int) -> float:
        return (prompt_tokens * self.input + completion_tokens * self.output) / unit_tokens


@dataclass(frozen=True)
class PriceTable:
    currency: str
    unit_tokens: int
    checked: str
    source: str
    models: Mapping[str, Price]

    def for_model(self, model: str | None) -> Price | None:
        """The entry whose name is the longest '-'-bounded prefix of `model` (logs carry a version suffix)."""
        if not model:
            return None
        name = model.lower()
        best: Price | None = None
        for key, price in self.models.items():
            if (name == key or name.startswith(key + "-")) and (best is None or len(key) > len(best.model)):
                best = price
        return best

    def with_overrides(
        self, overrides: Mapping[str, Any] | None, origin: str = "aoai-lab:prices"
    ) -> PriceTable:
        """Stack config replaces or adds entries: `{model: {input: N, output: N}}` in this table's units."""
        if not overrides:
            return self
        models = dict(self.models)
        models.update(_models(overrides, origin, default_source=origin))
        return PriceTable(self.currency, self.unit_tokens, self.checked, self.source, models)


def _models(raw: Any, origin: str, default_source: str | None = None) -> dict[str, Price]:
    if not isinstance(raw, Mapping):
        raise PriceError(f"{origin}: expected a mapping of model name -> {{input, output}}")
    out: dict[str, Price] = {}
    for name, entry in raw.items():
        where = f"{origin}.{name}"
        if not isinstance(entry, Mapping):
            raise PriceError(f"{where}: expected {{input: <price>, output: <price>}}")
        values = {}
        for field in ("input", "output"):
            value = entry.get(field, 0 if field == "output" else None)
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise PriceError(
                    f"{where}.{field}: {value!r} is not a price. Fix: a number >= 0, per 1,000,000 tokens"
                )
            values[field] = float(value)
        source = entry.get("source") or default_source
        if not source:
            raise PriceError(f"{where}: no source. Fix: say where the price comes from (a URL) and when")
        out[str(name).lower()] = Price(str(name).lower(), values["input"], values["output"], str(source))
    return out


def parse_prices(data: Any, origin: str = "prices.yaml") -> PriceTable:
    if not isinstance(data, Mapping):
        raise PriceError(f"{origin}: expected a mapping with currency, unit_tokens, checked, source, models")
    missing = [k for k in ("currency", "unit_tokens", "checked", "source", "models") if k not in data]
    if missing:
        raise PriceError(f"{origin}: missing {', '.join(missing)}")
    return PriceTable(
        currency=str(data["currency"]),
        unit_tokens=int(data["unit_tokens"]),
        checked=str(data["checked"]),
        source=str(data["source"]),
        models=_models(data["models"], f"{origin}: models"),
    )


@lru_cache(maxsize=4)
def load_prices(path: Path = PRICES_FILE) -> PriceTable:
    return parse_prices(yaml.safe_load(path.read_text(encoding="utf-8")), path.name)
