"""Steps of the signal-to-bill scenario from the settlement on (features/hil/signal_to_bill.feature;
the chain up to the meter's readings is in signal_to_settlement.py): the customer's supply
agreement on the meter under test, the load restored after the event, and the checks of the
customer's signed bill for the day against what the harness itself saw — the platform's published
signer key, the bill schema, the settlement answer and the readings the meter under test gave.

The chain's verdicts are all taken at the end, the bill first: a stuck relay then shows on the
bill (no credit, or a penalty) before the link that broke is named.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pytest_bdd import given, parsers, then, when

from .. import measurements as m
from ..billing.checks import BillContext, sc38_findings
from ..errors import HarnessError
from ..protocols import bill_signature, bill_xml
from .billing import BillingSession, _billing_sut
from .delivery import FULFILLED, SETTLED_AMOUNT
from .session import MarketSession, require_ok
from .signal_to_settlement import DR_STATUS

BILL_SIGNATURE = m.declare("bill_signature_valid", unit=None,
                           description="the bill's XML signature verifies under the platform's published signer key")
BILL_SCHEMA = m.declare("bill_schema_valid", unit=None, description="the bill document is valid against schemas/bill.xsd")
BILL_RECOMPUTED = m.declare("bill_recomputed", unit=None,
                            description="bill lines, subtotal, tax and total equal their recomputation from the readings")
BILL_METERED_KWH = m.declare("bill_metered_energy_kwh", unit="kWh",
                             description="energy the bill charges, against what the meter under test registered")
BILL_INTERVALS = m.declare("bill_metered_intervals", unit="count",
                           description="intervals of the period the bill counts as metered")
BILL_DR_CREDIT = m.declare("bill_dr_credit_eur", unit="EUR",
                           description="DR credit the bill carries for the contract (negative: a charge)")
LOAD_RESTORED = m.declare("load_current_restored_a", unit="A",
                          description="load current the reference standard measures after the event ended")


@given(parsers.parse('customer "{customer}" is supplied at the meter under test on tariff "{tariff_id}" in retailer '
                     'domain "{domain}" without consent to an interval curve'))
def _(sut, billing: BillingSession, customer: str, tariff_id: str, domain: str):
    supply = {"supply_point_id": sut.meter_id, "customer_id": customer, "tariff_id": tariff_id,
              "retailer_domain": domain, "interval_curve_consent": False}
    require_ok(_billing_sut(sut).register_supply(supply), f"supply agreement of {sut.meter_id}")
    billing.supplies[sut.meter_id] = supply


@when(parsers.parse('the load of "{name}" draws {kw:g} kW through the closed load relay as the event begins'))
def _(sut, site: dict, name: str, kw: float):
    # Metering gates the supply off between intervals (procedures.metered_interval): switch it
    # back on, so the relay has a load to shed and the standard a current to see drop.
    site["load_a"] = sut.run_load(kw * 1000)["current_a"]
    site["load_w"] = kw * 1000


@when(parsers.parse('the site restores the load when DR event "{event_id}" has ended'))
def _(sut, site: dict, evidence: m.ScenarioEvidence, event_id: str):
    event = require_ok(sut.get_dr_event(event_id), f"DR event {event_id}")
    evidence.measure(DR_STATUS, event.get("status"), m.equals("completed"), field="/status", subject=event_id)
    sut.energise(site["load_w"])               # supply live behind the open relay: closing it restores the load
    site["restored"] = sut.command_relay("close", site["load_a"])


@when(parsers.parse('delivery of the contract of bid "{bid_id}" is verified and the contract is settled'))
def _(sut, market: MarketSession, site: dict, bid_id: str):
    contract_id = market.contract_of_bid(bid_id)["contract_id"]
    site["delivery"] = require_ok(sut.verify_delivery(contract_id), "delivery verification")
    site["settlement"] = require_ok(sut.settle_contract(contract_id), "settlement")


@when(parsers.parse("the bill of the meter under test for {start} to {end} is issued"))
def _(sut, site: dict, start: str, end: str):
    answer = _billing_sut(sut).issue_bill({"supply_point_id": sut.meter_id, "period_start": start, "period_end": end})
    site["bill_document"] = str(require_ok(answer, "the bill").get("document", "")).encode("utf-8")


def _bill(site: dict) -> dict:
    if "bill" not in site:
        raise HarnessError("the bill was not checked against its schema yet", code="feature-error")
    return site["bill"]


@then("the bill is signed under the platform's published signer key and valid against the bill schema")
def _(sut, site: dict, evidence: m.ScenarioEvidence):
    document = site["bill_document"]
    key = bill_signature.load_public_key(require_ok(sut.signer_key(), "the signer key")["public_key_pem"])
    try:
        bill_signature.verify(document, key)
        problem = "valid"
    except bill_signature.SignatureInvalid as exc:
        problem = exc.reason
    evidence.measure(BILL_SIGNATURE, problem, m.equals("valid"), field="/bill/ds:Signature", subject="published key")
    try:
        site["bill"] = bill_xml.from_bytes(document)
        problem = "valid"
    except bill_xml.BillDocumentError as exc:
        problem = f"{exc} at {getattr(exc, 'field', '/')}"
    evidence.measure(BILL_SCHEMA, problem, m.equals("valid"), field="/bill", subject="schemas/bill.xsd")


@then(parsers.parse("the bill charges the energy the meter under test registered in the {count:d} intervals of "
                    "the day, and its lines and total recompute"))
def _(sut, site: dict, billing: BillingSession, evidence: m.ScenarioEvidence, count: int):
    bill = _bill(site)
    shown = bill["metering"]
    evidence.measure(BILL_INTERVALS, shown["intervals_actual"], m.equals(count), field="/bill/metering/intervalsActual",
                     subject=f"{shown['intervals_expected']} expected")
    # What the site submitted, counted as billing counts it: whole Wh per reading (docs/billing.md rule 1).
    begin, end = _instant(bill["period_start"]), _instant(bill["period_end"])
    metered_wh = sum(round(r["energy_kwh"] * 1000) for r in site.get("submitted", [])
                     if begin <= _instant(r["interval_start"]) and _instant(r["interval_end"]) <= end)
    charged = sum(Decimal(line["quantity"]) for line in bill["lines"] if line["kind"] == "energy")
    standard = sum(r["standard_kwh"] for r in site["intervals"])
    evidence.measure(BILL_METERED_KWH, float(charged), m.within(metered_wh / 1000, 5e-4), field="/bill/lines",
                     subject=f"the reference standard measured {standard:.3f} kWh over the same intervals, "
                             f"{sum(r['duration_s'] for r in site['intervals']):.0f} s on its clock")
    tariffs = {t["tariff_id"]: t for t in require_ok(sut.list_tariffs(), "the tariff list")}
    readings = require_ok(sut.meter_readings(sut.meter_id), "the meter readings")["readings"]
    context = BillContext(tariff=tariffs[bill["tariff_id"]], readings=readings, consent=False, signature_checked=False)
    for finding in (f for f in sc38_findings(bill, context) if f.requirement in ("SC38-ACCURACY", "SC38-COMPLETENESS")):
        evidence.measure(BILL_RECOMPUTED, str(finding.actual),
                         m.Validator(f"== {finding.expected}", lambda v, ok=finding.passed: ok),
                         field=finding.field, subject=finding.check)


@then(parsers.parse('the bill credits the settlement of the contract of bid "{bid_id}": {amount} EUR'))
def _(market: MarketSession, site: dict, evidence: m.ScenarioEvidence, bid_id: str, amount: str):
    bill, settlement = _bill(site), site["settlement"]
    contract_id = market.contract_of_bid(bid_id)["contract_id"]
    lines = [line for line in bill["lines"] if line["kind"] == "dr-credit" and line["period"] == contract_id]
    credits = [c for c in bill.get("dr_credits", []) if c["contract_id"] == contract_id]
    settled = Decimal(str(settlement["total"]))
    # The bill carries the settlement as it is (a penalty too): the line is minus the settled total.
    on_bill = -Decimal(lines[0]["amount"]) if len(lines) == 1 else None
    evidence.measure(BILL_DR_CREDIT, on_bill, m.equals(settled), field="/bill/lines/line[@kind='dr-credit']",
                     subject=f"{len(lines)} DR credit line(s) for {contract_id}, settled total {settled}")
    evidence.measure(BILL_DR_CREDIT, Decimal(credits[0]["amount"]) if len(credits) == 1 else None, m.equals(settled),
                     field="/bill/drCredits/drCredit/amount", subject=f"the DR credit's terms for {contract_id}")
    evidence.measure(BILL_DR_CREDIT, on_bill, m.equals(Decimal(amount)), field="/bill/lines/line[@kind='dr-credit']",
                     subject=f"delivered {site['delivery'].get('delivered_kwh')} of "
                             f"{site['delivery'].get('contracted_kwh')} kWh against the baseline")


@then(parsers.parse("the delivery was reported as fulfilled and settled, in EUR: energy {energy}, incentive "
                    "{incentive}, penalty {penalty}, total {total}"))
def _(site: dict, evidence: m.ScenarioEvidence, energy: str, incentive: str, penalty: str, total: str):
    evidence.measure(FULFILLED, site["delivery"].get("fulfilled"), m.equals(True), field="/fulfilled")
    for key, expected in (("energy_charge", energy), ("incentive", incentive), ("penalty", penalty), ("total", total)):
        shown = site["settlement"].get(key)
        evidence.measure(SETTLED_AMOUNT, None if shown is None else Decimal(str(shown)), m.equals(Decimal(expected)),
                         field=f"/{key}", subject=key)


@then("the load current came back when the event ended")
def _(site: dict, evidence: m.ScenarioEvidence):
    restored = site["restored"]
    evidence.measure(LOAD_RESTORED, round(restored["current_after_a"], 4),
                     m.within(restored["test_current_a"], 0.02 * restored["test_current_a"]),
                     field="/relay/current_a", subject="relay closed after the event")


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(str(text).replace("Z", "+00:00"))
