"""Steps for the energy balancing mechanisms of Y.2072 clause 9.4: the DR manager's purchase
decision (DR target against the predicted maximum DR capacity) and the DR event flow judged end
to end (achieved against contracted reduction, from the sites' meters)."""
from __future__ import annotations

from datetime import datetime

from pytest_bdd import parsers, then, when

from .. import measurements as m
from . import site_history
from .session import MarketSession, require_ok
from .sites import SiteBook, domain

DECISION = m.declare("dr_purchase_decision", unit=None,
                     description="whether the DR manager decided to buy energy for a DR shortfall")
CAPACITY_ERROR = m.declare("dr_capacity_forecast_wape", unit="%",
                           description="error of the predicted maximum DR capacity against what could be shed")
PURCHASE = m.declare("dr_purchase_energy", unit="kWh",
                     description="energy the DR manager decided to buy for the shortfall")


@when(parsers.parse('"{aggregator}" weighs a DR target of {kw:g} kW for group "{group}" from {start} to {end}'))
def _(sut, market: MarketSession, aggregator, kw, group, start, end):
    market.last = domain(sut).dr_balance(aggregator, {"group_id": group, "target_kw": kw,
                                                      "start": market.at(start), "end": market.at(end)})


def _available(book: SiteBook, resources: list[str], hours: list[datetime]) -> list[float]:
    """What the named loads could actually shed each hour (the generated actual draw above their
    reduced mode)."""
    total = [0.0] * len(hours)
    for site, rows in book.tables.items():
        for row in rows:
            if row["resource_id"] in resources:
                actual = book.histories[site].actual[row["meter_id"]]
                total = [t + max(actual[h.hour] - row["reduced_kw"], 0.0) for t, h in zip(total, hours)]
    return total


@then(parsers.parse('the aggregator decides to buy the shortfall of its predicted capacity, which is within '
                    '{pct:g} % weighted absolute error of what "{first}" and "{second}" could shed'))
def _(market: MarketSession, site_book: SiteBook, evidence, pct, first, second):
    answer = require_ok(market.last, "the balancing decision")
    hours = [datetime.fromisoformat(h) for h in answer.get("hours", [])]
    target = answer.get("target_kw", 0.0)
    predicted = answer.get("predicted_capacity_kw", [])
    evidence.measure(DECISION, answer.get("decision"), m.equals("buy"), field="/decision")
    owed = round(sum(max(target - c, 0.0) for c in predicted), 4)
    evidence.measure(PURCHASE, answer.get("purchase_kwh"), m.within(owed, 1e-3), field="/purchase_kwh",
                     subject="shortfall of the predicted capacity")
    actual = _available(site_book, [first, second], hours)
    value = site_history.wape_pct(actual, predicted) if len(predicted) == len(actual) and actual else None
    evidence.measure(CAPACITY_ERROR, value, m.Validator(f"<= {pct:g}", lambda v: isinstance(v, float) and v <= pct),
                     field="/predicted_capacity_kw", subject="predicted maximum DR capacity")


@then("the aggregator decides to buy nothing")
def _(market: MarketSession, evidence):
    answer = require_ok(market.last, "the balancing decision")
    evidence.measure(DECISION, answer.get("decision"), m.equals("no-purchase"), field="/decision")
    evidence.measure(PURCHASE, answer.get("purchase_kwh"), m.within(0.0, 1e-6), field="/purchase_kwh")
