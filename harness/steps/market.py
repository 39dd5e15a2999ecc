"""Steps for the markets domain (Y.2072 7.5-01, 7.5-02): products, bids, clearing, contracts
and the notifications they cause."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pytest_bdd import given, parsers, then, when

from .. import measurements as m
from ..errors import HarnessError
from .session import MarketSession, require_ok

PRODUCT_ACCEPTED = m.declare("product_accepted", unit=None,
                             description="the SUT accepted a valid product registration")
PRODUCT_DETAIL = m.declare("product_detail", unit=None,
                           description="a product attribute reported on enquiry equals what was registered")
PRODUCT_FOUND = m.declare("product_enquiry_status", unit=None,
                          description="status of an enquiry for a product")
NOTIFIED = m.declare("notification_received", unit=None,
                     description="the participant received the notification the requirement calls for")
CONTRACT_TERMS = m.declare("contract_terms", unit=None,
                           description="contracts formed by clearing (seller, buyer, kWh, EUR/kWh)")
CONTRACT_STATE = m.declare("contract_state", unit=None, description="state of a contract")
CONTRACT_ENERGY = m.declare("contract_energy", unit="kWh", description="energy a contract binds")
TERMS_VERSION = m.declare("contract_terms_version", unit="count",
                          description="version of a contract's terms after an amendment")
BID_STATE = m.declare("bid_state", unit=None, description="state of a bid")
BID_STATUS = m.declare("bid_lookup_status", unit=None, description="status of a lookup for a bid")

# Vertical-table fields that are lists or numbers in the request.
_LIST_FIELDS = {"resource_ids"}
_NUMBER_FIELDS = {"max_power_kw", "voltage_v", "baseline_kw", "energy_kwh"}


def _typed(key: str, value: str):
    if key.split(".")[-1] in _LIST_FIELDS:
        return [v.strip() for v in value.split(",")]
    if key.split(".")[-1] in _NUMBER_FIELDS:
        try:
            return float(value)
        except ValueError:
            return value  # deliberately malformed input is sent as written
    return value


def _set(request: dict, dotted: str, value: str) -> None:
    """Set ``price.currency``-style paths; the value ``(absent)`` removes the field."""
    *parents, leaf = dotted.split(".")
    target = request
    for key in parents:
        target = target.setdefault(key, {})
    if value == "(absent)":
        target.pop(leaf, None)
    else:
        target[leaf] = _typed(dotted, value)


# -- products (7.5-01) -------------------------------------------------------------------------
def _product_request(owner: str, product_id: str, product_type: str, resources: str, kw: float,
                     volts: float, start: str, end: str) -> dict:
    return {"product_id": product_id, "owner_id": owner, "name": f"{product_type} from {resources}",
            "product_type": product_type, "resource_ids": [r.strip() for r in resources.split(",")],
            "max_power_kw": kw, "voltage_v": volts, "available_from": start, "available_until": end}


@when(parsers.parse('"{owner}" registers the product:'))
def _(sut, market: MarketSession, owner: str, datatable):
    request = {"owner_id": owner}
    for key, value in datatable:  # later rows override earlier ones (scenario outlines)
        _set(request, key, value)
    market.products[request.get("product_id", "")] = request
    market.last = sut.register_product(request)


@then("the product is accepted")
def _(market: MarketSession, evidence):
    evidence.measure(PRODUCT_ACCEPTED, market.last.status, m.equals("ok"), field="/status",
                     subject=str(list(market.last.errors)) if market.last.errors else "")


@then(parsers.parse('an enquiry for product "{product_id}" returns the details as registered'))
def _(sut, market: MarketSession, evidence, product_id: str):
    sent = market.products[product_id]
    answer = sut.get_product(product_id)
    evidence.measure(PRODUCT_FOUND, answer.status, m.equals("ok"), subject=product_id)
    got = answer.body
    for key in ("owner_id", "product_type", "max_power_kw", "voltage_v"):
        evidence.measure(PRODUCT_DETAIL, got.get(key), m.equals(sent[key]), field=f"/{key}", subject=key)
    evidence.measure(PRODUCT_DETAIL, sorted(got.get("resource_ids", [])), m.equals(sorted(sent["resource_ids"])),
                     field="/resource_ids", subject="resource_ids")
    for key in ("available_from", "available_until"):
        shown = got.get(key)
        evidence.measure(PRODUCT_DETAIL, shown and datetime.fromisoformat(shown),
                         m.equals(datetime.fromisoformat(sent[key])), field=f"/{key}", subject=key)


@then(parsers.parse('an enquiry for product "{product_id}" finds nothing'))
def _(sut, evidence, product_id: str):
    evidence.measure(PRODUCT_FOUND, sut.get_product(product_id).status, m.equals("not-found"), subject=product_id)


@then(parsers.parse('the market\'s product list includes "{product_id}"'))
def _(sut, evidence, product_id: str):
    listed = [p.get("product_id") for p in require_ok(sut.list_products(), "the product list")]
    evidence.measure(PRODUCT_FOUND, product_id in listed, m.is_true(), subject=f"{product_id} listed")


def _notified(sut, participant: str, kind: str, subject: str) -> list[dict]:
    notes = require_ok(sut.notifications(participant), f"notifications of {participant}")
    return [n for n in notes if n.get("kind") == kind and n.get("subject_id") == subject]


@then(parsers.parse('"{participant}" has been notified of product "{product_id}"'))
def _(sut, evidence, participant: str, product_id: str):
    found = bool(_notified(sut, participant, "product-advertised", product_id))
    evidence.measure(NOTIFIED, found, m.is_true(), subject=f"{participant}: product-advertised {product_id}")


_REGISTERED = ('"{owner}" has registered {product_type} product "{product_id}" from "{resources}" with '
               '{kw:g} kW at {volts:g} V')
_WINDOW = ", available {start} to {end}"


def _given_product(sut, market: MarketSession, request: dict) -> None:
    market.products[request["product_id"]] = request
    require_ok(sut.register_product(request), f"product {request['product_id']}")


@given(parsers.parse(_REGISTERED + _WINDOW))
def _(sut, market: MarketSession, owner, product_type, product_id, resources, kw, volts, start, end):
    _given_product(sut, market, _product_request(owner, product_id, product_type, resources, kw, volts, start, end))


@given(parsers.parse(_REGISTERED + " and a baseline of {baseline:g} kW" + _WINDOW))
def _(sut, market: MarketSession, owner, product_type, product_id, resources, kw, volts, baseline, start, end):
    request = _product_request(owner, product_id, product_type, resources, kw, volts, start, end)
    request["baseline_kw"] = baseline
    _given_product(sut, market, request)


@given(parsers.parse(_REGISTERED + ' and the "{method}" baseline' + _WINDOW))
def _(sut, market: MarketSession, owner, product_type, product_id, resources, kw, volts, method, start, end):
    request = _product_request(owner, product_id, product_type, resources, kw, volts, start, end)
    request["baseline_method"] = method
    _given_product(sut, market, request)


@given(parsers.parse(_REGISTERED + _WINDOW + ", with settlement rules: tolerance {tolerance:g} %, "
                     "incentive {incentive:g} %, penalty {penalty} EUR/kWh"))
def _(sut, market: MarketSession, owner, product_type, product_id, resources, kw, volts, start, end,
      tolerance, incentive, penalty):
    request = _product_request(owner, product_id, product_type, resources, kw, volts, start, end)
    request["settlement_rules"] = {"tolerance_pct": tolerance, "incentive_pct": incentive,
                                   "penalty_per_kwh": penalty}
    _given_product(sut, market, request)


# -- bids (7.5-02) ---------------------------------------------------------------------------
def _bid_request(market: MarketSession, side, bidder, bid_id, product_id, kwh, price, start, end, expiry) -> dict:
    return {"bid_id": bid_id, "product_id": product_id, "bidder_id": bidder, "side": side,
            "price": {"amount": price, "currency": "EUR"}, "energy_kwh": kwh,
            "delivery_start": market.at(start), "delivery_end": market.at(end),
            "expires_at": market.at(expiry), "quality": "non-firm"}


_SCHEDULE = " for {start} to {end}, expiring {expiry}"


@given(parsers.parse('"{bidder}" offers {kwh:g} kWh of "{product_id}" at {price} EUR/kWh' + _SCHEDULE
                     + ', as bid "{bid_id}"'))
def _(sut, market: MarketSession, bidder, kwh, product_id, price, start, end, expiry, bid_id):
    market.bidders[bid_id] = bidder
    require_ok(sut.submit_bid(_bid_request(market, "sell", bidder, bid_id, product_id, kwh, price,
                                           start, end, expiry)), f"sell bid {bid_id}")


@given(parsers.parse('"{bidder}" bids for {kwh:g} kWh of "{product_id}" at up to {price} EUR/kWh' + _SCHEDULE
                     + ', as bid "{bid_id}"'))
def _(sut, market: MarketSession, bidder, kwh, product_id, price, start, end, expiry, bid_id):
    market.bidders[bid_id] = bidder
    require_ok(sut.submit_bid(_bid_request(market, "buy", bidder, bid_id, product_id, kwh, price,
                                           start, end, expiry)), f"buy bid {bid_id}")


@when(parsers.parse('"{bidder}" submits bid "{bid_id}" for {kwh:g} kWh of "{product_id}" at up to {price} '
                    'EUR/kWh' + _SCHEDULE + ", with {field} set to {value}"))
def _(sut, market: MarketSession, bidder, bid_id, kwh, product_id, price, start, end, expiry, field, value):
    request = _bid_request(market, "buy", bidder, bid_id, product_id, kwh, price, start, end, expiry)
    _set(request, field, value)
    market.last = sut.submit_bid(request)


@then(parsers.parse('bid "{bid_id}" is not stored'))
def _(sut, evidence, bid_id: str):
    evidence.measure(BID_STATUS, sut.get_bid(bid_id).status, m.equals("not-found"), subject=bid_id)


@then(parsers.parse('bid "{bid_id}" is in state "{state}"'))
def _(sut, evidence, bid_id: str, state: str):
    bid = require_ok(sut.get_bid(bid_id), f"lookup of bid {bid_id}")
    evidence.measure(BID_STATE, bid.get("state"), m.equals(state), field="/state", subject=bid_id)


# -- clearing and contracts (7.5-02) ----------------------------------------------------------------
@given(parsers.parse('the market clears product "{product_id}"'))
@when(parsers.parse('the market clears product "{product_id}"'))
def _(sut, market: MarketSession, product_id: str):
    market.clearings[product_id] = require_ok(sut.clear_market(product_id), f"clearing of {product_id}")


def _terms(contract: dict) -> tuple:
    return (contract.get("seller_id"), contract.get("buyer_id"), round(float(contract.get("energy_kwh", 0)), 3),
            Decimal(str(contract.get("price", {}).get("amount"))).normalize())


@then("the contracts are:")
def _(market: MarketSession, evidence, datatable):
    header, *rows = datatable
    expected = sorted((r["seller"], r["buyer"], round(float(r["energy_kwh"]), 3),
                       Decimal(r["price_eur_per_kwh"]).normalize())
                      for r in (dict(zip(header, row)) for row in rows))
    got = sorted(_terms(c) for c in market.contracts())
    evidence.measure(CONTRACT_TERMS, str(got), m.equals(str(expected)), field="/contracts")


@then("no contract is formed")
def _(market: MarketSession, evidence):
    evidence.measure(CONTRACT_TERMS, len(market.contracts()), m.equals(0), field="/contracts")


@then(parsers.parse('every bidder on "{product_id}" is notified of the result: {names}'))
def _(sut, evidence, product_id: str, names: str):
    for name in (n.strip().strip('"') for n in names.split(",")):
        found = bool(_notified(sut, name, "bid-result", product_id))
        evidence.measure(NOTIFIED, found, m.is_true(), subject=f"{name}: bid-result {product_id}")


@then(parsers.parse('the result notified to "{participant}" shows bid "{bid_id}" was not awarded'))
def _(sut, market: MarketSession, evidence, participant: str, bid_id: str):
    product_id = next(iter(market.clearings))
    notes = _notified(sut, participant, "bid-result", product_id)
    states = [r.get("state") for n in notes for r in n.get("body", {}).get("results", [])
              if r.get("bid_id") == bid_id]
    evidence.measure(BID_STATE, states[-1] if states else None, m.equals("not-awarded"),
                     field="/body/results", subject=f"{bid_id} as notified to {participant}")


@then("both parties of each contract are notified of it")
def _(sut, market: MarketSession, evidence):
    for contract in market.contracts():
        for party in (contract["seller_id"], contract["buyer_id"]):
            found = bool(_notified(sut, party, "contract-signed", contract["contract_id"]))
            evidence.measure(NOTIFIED, found, m.is_true(), subject=f"{party}: contract-signed {contract['contract_id']}")


_EVENTS = {"amends": "amend", "cancels": "cancel", "asks to rebid": "rebid"}


@when(parsers.parse('"{party}" amends the contract of bid "{bid_id}" to {kwh:g} kWh'))
def _(sut, market: MarketSession, party: str, bid_id: str, kwh: float):
    contract_id = market.contract_of_bid(bid_id)["contract_id"]
    market.last = sut.contract_event(contract_id, "amend", party, {"energy_kwh": kwh})


@when(parsers.parse('"{party}" {action} the contract of bid "{bid_id}"'))
def _(sut, market: MarketSession, party: str, action: str, bid_id: str):
    if action not in _EVENTS:
        raise HarnessError(f"unknown contract action {action!r}", code="feature-error",
                           expected=sorted(_EVENTS), actual=action)
    contract_id = market.contract_of_bid(bid_id)["contract_id"]
    market.last = sut.contract_event(contract_id, _EVENTS[action], party)


def _contract_now(sut, market: MarketSession, bid_id: str) -> dict:
    contract_id = market.contract_of_bid(bid_id)["contract_id"]
    return require_ok(sut.get_contract(contract_id), f"lookup of contract {contract_id}")


@then(parsers.parse('the contract of bid "{bid_id}" is in state "{state}" with {kwh:g} kWh at terms version {version:d}'))
def _(sut, market: MarketSession, evidence, bid_id: str, state: str, kwh: float, version: int):
    contract = _contract_now(sut, market, bid_id)
    evidence.measure(CONTRACT_STATE, contract.get("state"), m.equals(state), field="/state", subject=bid_id)
    evidence.measure(CONTRACT_ENERGY, contract.get("energy_kwh"), m.within(kwh, 5e-4), field="/energy_kwh",
                     subject=bid_id)
    evidence.measure(TERMS_VERSION, contract.get("terms_version"), m.equals(version), field="/terms_version",
                     subject=bid_id)


@then(parsers.parse('the contract of bid "{bid_id}" is in state "{state}"'))
def _(sut, market: MarketSession, evidence, bid_id: str, state: str):
    contract = _contract_now(sut, market, bid_id)
    evidence.measure(CONTRACT_STATE, contract.get("state"), m.equals(state), field="/state", subject=bid_id)


@then(parsers.parse('"{participant}" is notified that the contract of bid "{bid_id}" was {event}'))
def _(sut, market: MarketSession, evidence, participant: str, bid_id: str, event: str):
    contract_id = market.contract_of_bid(bid_id)["contract_id"]
    found = bool(_notified(sut, participant, f"contract-{event}", contract_id))
    evidence.measure(NOTIFIED, found, m.is_true(), subject=f"{participant}: contract-{event} {contract_id}")
