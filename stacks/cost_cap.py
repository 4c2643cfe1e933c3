"""A participant's money cap (`costCap`, in the price table's currency) as the token quota the gateway enforces.

Conservative on purpose: every token is priced at the dearest per-token price among the lab's deployments (input or
output, whichever is higher), so no mix of models and prompt/completion tokens can spend more than the cap. The
prices are `stacks/facts/prices.yaml` with `aoai-lab:prices` on top, the same table `labctl usage` estimates with.
The quota counts over a Yearly period (components/policies/cost-cap.xml): a class that crosses 1 January may see the
counter start again, so plan and check warn.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from components.cost_cap import CostCaps
from stacks.config.sections import LabSettings, TokenLimitSettings
from stacks.facts.prices import PriceTable, load_prices


class CostCapError(ValueError):
    """A cap cannot be turned into tokens (no price for a deployed model, a cap that buys nothing)."""


@dataclass(frozen=True)
class Dearest:
    deployment: str
    model: str
    side: str  # "input" or "output"
    price: float  # per `unit_tokens`
    unit_tokens: int
    currency: str


@dataclass(frozen=True)
class CapArithmetic:
    cap: float
    dearest: Dearest

    @property
    def tokens(self) -> int:
        return math.floor(self.cap * self.dearest.unit_tokens / self.dearest.price)

    def explain(self) -> str:
        d = self.dearest
        return (
            f"costCap {self.cap:,.2f} {d.currency} / {d.price:,.2f} {d.currency} per {d.unit_tokens:,} tokens "
            f"({d.model} {d.side}, deployment {d.deployment}: the dearest token the lab serves) = {self.tokens:,} "
            "tokens over the class (quota period Yearly)"
        )


def price_table(settings: LabSettings) -> PriceTable:
    return load_prices().with_overrides(
        {k: v.model_dump(exclude_none=True) for k, v in settings.prices.items()}
    )


def dearest_token(settings: LabSettings, prices: PriceTable | None = None) -> Dearest:
    prices = prices or price_table(settings)
    best: Dearest | None = None
    for d in settings.deployments:
        price = prices.for_model(d.model)
        if price is None:
            raise CostCapError(
                f"no price for model '{d.model}' (deployment {d.name}), so a cost cap cannot bound its tokens. "
                f"Fix: add it under aoai-lab:prices, e.g. {{{d.model}: {{input: 1.0, output: 4.0}}}} per "
                f"{prices.unit_tokens:,} tokens"
            )
        for side, value in (("output", price.output), ("input", price.input)):
            if best is None or value > best.price:
                best = Dearest(d.name, d.model, side, value, prices.unit_tokens, prices.currency)
    if best is None or best.price <= 0:
        raise CostCapError(
            "every deployed model is priced 0, so a cost cap bounds nothing. Fix: set the prices"
        )
    return best


def arithmetic(limits: TokenLimitSettings | None, dearest: Dearest) -> CapArithmetic | None:
    if limits is None or limits.cost_cap is None:
        return None
    result = CapArithmetic(limits.cost_cap, dearest)
    if result.tokens < 1:
        raise CostCapError(
            f"costCap {limits.cost_cap} {dearest.currency} buys no token at {dearest.price} per "
            f"{dearest.unit_tokens:,}. Fix: raise it"
        )
    return result


def cost_caps(settings: LabSettings) -> tuple[CostCaps | None, list[str]]:
    """The policy's caps and the lines plan/check print (the arithmetic, and the year-boundary caveat)."""
    has_caps = (settings.participant_limits and settings.participant_limits.cost_cap is not None) or any(
        p.limits and p.limits.cost_cap is not None for p in settings.participants
    )
    if not has_caps:
        return None, []
    dearest = dearest_token(settings)
    everyone = arithmetic(settings.participant_limits, dearest)
    lines = [f"participant budget: {everyone.explain()}"] if everyone else []
    per: dict[str, int] = {}
    for p in settings.participants:
        mine = arithmetic(settings.limits_of(p), dearest)
        if mine is not None:
            per[p.name] = mine.tokens
            if everyone is None or mine.tokens != everyone.tokens:
                lines.append(f"participant budget of {p.name}: {mine.explain()}")
    times = settings.class_times
    first = (times.opens_utc or dt.datetime.now(dt.UTC)).year
    last = times.closes_utc.year if times.closes_utc else first
    if last > first and not (times.closes_utc and times.closes_utc == dt.datetime(last, 1, 1, tzinfo=dt.UTC)):
        lines.append(
            "participant budget: the class crosses 1 January (UTC) and the Yearly quota's window may start again "
            "then, so a participant could spend their costCap once in each year. Fix: halve costCap, or end the "
            "class by 31 December"
        )
    return CostCaps(everyone.tokens if everyone else None, per), lines
