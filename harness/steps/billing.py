"""Steps for billing certification (SC38-*, GDPR-*): tariffs, supply agreements, bills the SUT
issues, and the checks of `harness.billing.checks` recorded as declared measurements. The
steps reach the SUT only through the `sut` fixture (its `BillingSUT` operations)."""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest
from pytest_bdd import given, parsers, then, when

from .. import measurements as m
from ..billing.checks import BillContext, Finding, gdpr_findings, period_findings, sc38_findings
from ..errors import HarnessError
from ..protocols import bill_signature, bill_xml
from ..sut.billing import BillingSUT
from .session import MarketSession, require_ok

_DECLARED = {rid: m.declare(rid.lower().replace("-", "_"), unit=None, description=text) for rid, text in {
    "SC38-GRANULARITY": "declared metering granularity equals the metered data's",
    "SC38-UNIT": "energy quantities are in their declared unit of measure",
    "SC38-MODE": "billing mode declared and applied (ISO/IEC TR 23613)",
    "SC38-ACCURACY": "bill lines and totals equal their recomputation under the declared rounding rule",
    "SC38-COMPLETENESS": "metered-data completeness stated on the bill, and correct",
    "SC38-DR-CBL": "DR credit recomputed against the tariff's customer baseline method",
    "SC38-PERIOD": "consecutive bills neither overlap nor leave gaps",
    "GDPR-PSEUDONYM": "customer named by a keyed pseudonym of the retailer's domain",
    "GDPR-COUNTERPARTY": "counterparties named by pseudonyms only",
    "GDPR-CURVE-CONSENT": "interval load curve only with recorded consent",
    "GDPR-RETENTION": "retention rule stated on the bill",
    "GDPR-SIGNATURE": "bill signature verifies under the signer's published key",
}.items()}
BILL_TOTAL = m.declare("bill_total", unit="EUR", description="total of the bill")
AVAILABILITY = m.declare("metering_availability", unit="%",
                         description="share of metering-service requests answered (ISO/IEC 19086-1 availability)")
RESPONSE_P95 = m.declare("metering_response_time_p95", unit="s",
                         description="95th percentile of metering-service response times (ISO/IEC 19086-1)")
PSEUDONYMS_DIFFER = m.declare("pseudonyms_per_domain", unit="count",
                              description="distinct customer pseudonyms across retailer domains")
TAMPER_DETECTED = m.declare("tampered_bill_refused", unit=None,
                            description="a bill with one byte changed no longer verifies")
_TZ = "Europe/Luxembourg"


@dataclass
class BillingSession:
    supplies: dict[str, dict] = field(default_factory=dict)     # supply point -> agreement sent
    bills: list[dict] = field(default_factory=list)             # parsed bills, in issue order
    documents: list[bytes] = field(default_factory=list)
    timings_s: list[float] = field(default_factory=list)
    answered: int = 0

    @property
    def bill(self) -> dict:
        if not self.bills:
            raise HarnessError("no bill was issued in this scenario", code="precondition-failed")
        return self.bills[-1]


@pytest.fixture
def billing() -> BillingSession:
    return BillingSession()


def _billing_sut(sut):
    """The SUT's billing capability; a platform without it cannot run these scenarios (an error
    verdict naming what is missing, not a finding)."""
    if not isinstance(sut, BillingSUT):
        missing = [name for name in ("register_tariff", "list_tariffs", "register_supply", "issue_bill", "get_bill",
                                     "signer_key", "meter_readings") if not hasattr(sut, name)]
        raise HarnessError("the SUT does not implement harness.sut.billing.BillingSUT", code="sut-no-billing",
                           field="--sut", expected="BillingSUT", actual=f"missing {missing}")
    return sut


def _record(evidence: m.ScenarioEvidence, findings: list[Finding], requirement: str) -> None:
    mine = [f for f in findings if f.requirement == requirement]
    if not mine:
        raise HarnessError(f"no {requirement} check applied to this bill", code="feature-error")
    for f in sorted(mine, key=lambda f: f.passed, reverse=True):   # passes first, then the finding
        evidence.measure(_DECLARED[requirement], str(f.actual), m.Validator(f"== {f.expected}", lambda v, ok=f.passed: ok),
                         field=f.field, subject=f.check)


def _context(sut, market: MarketSession, billing: BillingSession, bill: dict, *, signature: bool = True) -> BillContext:
    tariffs = {t["tariff_id"]: t for t in require_ok(sut.list_tariffs(), "the tariff list")}
    if bill["tariff_id"] not in tariffs:
        raise HarnessError(f"the SUT lists no tariff {bill['tariff_id']!r}", code="precondition-failed")
    # The data behind the checks, not a measurement of the metering service (SC38-AVAILABILITY
    # measures that): a refused request is asked again, up to three times.
    answer = sut.meter_readings(bill["supply_point_id"])
    for _ in range(2):
        if answer.accepted:
            break
        answer = sut.meter_readings(bill["supply_point_id"])
    readings = require_ok(answer, "the meter readings")["readings"]
    supply = billing.supplies.get(bill["supply_point_id"], {})
    error = None
    if signature:
        key = bill_signature.load_public_key(require_ok(sut.signer_key(), "the signer key")["public_key_pem"])
        index = next(i for i, b in enumerate(billing.bills) if b is bill)
        try:
            bill_signature.verify(billing.documents[index], key)
        except bill_signature.SignatureInvalid as exc:
            error = exc.reason
    known = {supply.get("customer_id")} | {b for b in market.bidders.values()}
    return BillContext(tariff=tariffs[bill["tariff_id"]], readings=readings,
                       consent=bool(supply.get("interval_curve_consent")), known_ids=known,
                       customer_id=supply.get("customer_id"), signature_error=error, signature_checked=signature)


def _register_tariff(sut, tariff: dict) -> None:
    require_ok(_billing_sut(sut).register_tariff(tariff), f"tariff {tariff['tariff_id']}")


def _tariff(tariff_id: str, mode: str, energy: dict, **extras) -> dict:
    return {"tariff_id": tariff_id, "currency": "EUR", "billing_mode": mode, "local_tz": _TZ, "energy": energy,
            **{k: v for k, v in extras.items() if v is not None}}


def _tou(peak: str, days_from: str, days_to: str, off: str) -> dict:
    return {"kind": "time-of-use", "periods": [
        {"name": "off-peak", "price_per_kwh": off},
        {"name": "peak", "price_per_kwh": peak,
         "windows": [{"days": ["mon", "tue", "wed", "thu", "fri"], "from": days_from, "to": days_to}]}]}


@given(parsers.parse('the retailer offers a time-of-use tariff "{tariff_id}": peak {peak} EUR/kWh on weekdays '
                     '{start} to {end}, off-peak {off} EUR/kWh, standing charge {standing} EUR/day, feed-in {feed} '
                     'EUR/kWh, VAT {vat} %'))
def _(sut, tariff_id, peak, start, end, off, standing, feed, vat):
    _register_tariff(sut, _tariff(tariff_id, "time-of-use", _tou(peak, start, end, off),
                                           standing_charge_per_day=standing, feed_in_price_per_kwh=feed,
                                           tax={"name": "VAT", "rate_pct": vat}))


@given(parsers.parse('the retailer offers a time-of-use tariff "{tariff_id}" crediting demand response against '
                     'the "{method}" baseline: peak {peak} EUR/kWh on weekdays {start} to {end}, off-peak {off} EUR/kWh'))
def _(sut, tariff_id, method, peak, start, end, off):
    _register_tariff(sut, _tariff(tariff_id, "time-of-use", _tou(peak, start, end, off),
                                           dr={"cbl_method": method}))


@given(parsers.parse('the retailer offers a flat tariff "{tariff_id}" at {price} EUR/kWh'))
def _(sut, tariff_id, price):
    _register_tariff(sut, _tariff(tariff_id, "usage-based", {"kind": "flat", "price_per_kwh": price}))


@given(parsers.parse('the retailer offers a subscription tariff "{tariff_id}" at {fee} EUR/day'))
def _(sut, tariff_id, fee):
    _register_tariff(sut, _tariff(tariff_id, "subscription", {"kind": "subscription", "fee_per_day": fee}))


@given(parsers.parse('customer "{customer}" is supplied at "{meter}" on tariff "{tariff_id}" in retailer domain '
                     '"{domain}" {consent} to an interval curve'))
def _(sut, billing: BillingSession, customer, meter, tariff_id, domain, consent):
    if consent not in ("with consent", "without consent"):
        raise HarnessError(f"say 'with consent' or 'without consent', not {consent!r}", code="feature-error")
    supply = {"supply_point_id": meter, "customer_id": customer, "tariff_id": tariff_id, "retailer_domain": domain,
              "interval_curve_consent": consent == "with consent"}
    require_ok(sut.register_supply(supply), f"supply agreement of {meter}")
    billing.supplies[meter] = supply


def _quarters(meter: str, direction: str, kwh: float, start: str, end: str, *, skip: str | None = None,
              estimated_last: int = 0) -> list[dict]:
    begin, finish = datetime.fromisoformat(start), datetime.fromisoformat(end)
    step = timedelta(minutes=15)
    count = int((finish - begin) / step)
    out = []
    for i in range(count):
        at = begin + i * step
        if skip is not None and at == datetime.fromisoformat(skip):
            continue
        out.append({"interval_start": at.isoformat(), "interval_end": (at + step).isoformat(), "energy_kwh": kwh,
                    "direction": direction, "quality": "estimated" if i >= count - estimated_last else "actual"})
    return out


@given(parsers.parse('meter "{meter}" reports import of {imp:g} kWh and export of {exp:g} kWh every 15 minutes '
                     'from {start} to {end}'))
def _(sut, meter, imp, exp, start, end):
    readings = _quarters(meter, "import", imp, start, end) + _quarters(meter, "export", exp, start, end)
    require_ok(sut.submit_readings(meter, readings), f"readings of meter {meter}")


@given(parsers.parse('meter "{meter}" reports import of {imp:g} kWh every 15 minutes from {start} to {end}, '
                     'the last {n:d} of them estimated'))
def _(sut, meter, imp, start, end, n):
    require_ok(sut.submit_readings(meter, _quarters(meter, "import", imp, start, end, estimated_last=n)),
               f"readings of meter {meter}")


@given(parsers.parse('meter "{meter}" reports import of {imp:g} kWh every 15 minutes from {start} to {end} except '
                     'the interval starting {gap}'))
def _(sut, meter, imp, start, end, gap):
    require_ok(sut.submit_readings(meter, _quarters(meter, "import", imp, start, end, skip=gap)),
               f"readings of meter {meter}")


def _issue(sut, market: MarketSession, billing: BillingSession, meter: str, start: str, end: str):
    answer = _billing_sut(sut).issue_bill({"supply_point_id": meter, "period_start": start, "period_end": end})
    market.last = answer
    if answer.accepted:
        document = str(answer.body.get("document", "")).encode("utf-8")
        billing.documents.append(document)
        billing.bills.append(bill_xml.from_bytes(document))
    return answer


@when(parsers.parse('the bill of "{meter}" for {start} to {end} is issued'))
def _(sut, market, billing, meter, start, end):
    _issue(sut, market, billing, meter, start, end)


@given(parsers.parse('the bill of "{meter}" for {start} to {end} has been issued'))
def _(sut, market, billing, meter, start, end):
    require_ok(_issue(sut, market, billing, meter, start, end), f"the bill of {meter}")


def _bill_checks(sut, market, billing, requirement: str) -> list[Finding]:
    bill = billing.bill
    require_ok(market.last, "the bill")
    ctx = _context(sut, market, billing, bill, signature=requirement == "GDPR-SIGNATURE")
    return sc38_findings(bill, ctx) if requirement.startswith("SC38") else gdpr_findings(bill, ctx)


@then(parsers.parse("the bill declares the metered granularity of {minutes:d} minutes"))
def _(sut, market, billing, evidence, minutes):
    _record(evidence, _bill_checks(sut, market, billing, "SC38-GRANULARITY"), "SC38-GRANULARITY")
    evidence.measure(_DECLARED["SC38-GRANULARITY"], billing.bill["granularity_minutes"], m.equals(minutes),
                     field="/bill/metering/granularity", subject="as the feature states")


@then("the bill states its energy in the unit it declares")
def _(sut, market, billing, evidence):
    _record(evidence, _bill_checks(sut, market, billing, "SC38-UNIT"), "SC38-UNIT")


@then(parsers.parse('the bill declares billing mode "{mode}" and applies it'))
def _(sut, market, billing, evidence, mode):
    evidence.measure(_DECLARED["SC38-MODE"], billing.bill["billing_mode"], m.equals(mode),
                     field="/bill/tariff/billingMode", subject="as the feature states")
    _record(evidence, _bill_checks(sut, market, billing, "SC38-MODE"), "SC38-MODE")


@then(parsers.parse("the bill recomputes exactly under its declared rounding rule, to a total of {total} EUR"))
def _(sut, market, billing, evidence, total):
    _record(evidence, _bill_checks(sut, market, billing, "SC38-ACCURACY"), "SC38-ACCURACY")
    evidence.measure(BILL_TOTAL, billing.bill["total"], m.equals(total), field="/bill/total")


@then(parsers.parse("the bill states {actual:d} readings of {expected:d} intervals, {estimated:d} of them "
                    "estimated: {share} % actual"))
def _(sut, market, billing, evidence, actual, expected, estimated, share):
    _record(evidence, _bill_checks(sut, market, billing, "SC38-COMPLETENESS"), "SC38-COMPLETENESS")
    shown = billing.bill["metering"]
    evidence.measure(_DECLARED["SC38-COMPLETENESS"], f"{shown['intervals_actual']}/{shown['intervals_expected']}/"
                     f"{shown['intervals_estimated']}/{shown['actual_share_pct']}",
                     m.equals(f"{actual}/{expected}/{estimated}/{share}"), field="/bill/metering",
                     subject="as the feature states")


@then(parsers.parse('the bill credits {amount} EUR of demand response, recomputed against the "{method}" baseline'))
def _(sut, market, billing, evidence, amount, method):
    credits = billing.bill.get("dr_credits", [])
    evidence.measure(_DECLARED["SC38-DR-CBL"], len(credits), m.equals(1), field="/bill/drCredits",
                     subject="DR credits on the bill")
    _record(evidence, _bill_checks(sut, market, billing, "SC38-DR-CBL"), "SC38-DR-CBL")
    evidence.measure(_DECLARED["SC38-DR-CBL"], credits[0]["amount"], m.equals(amount), field="/bill/drCredits",
                     subject=f"credit against {method}")


@then(parsers.parse('the bills of "{meter}" follow each other without gap or overlap'))
def _(billing, evidence, meter):
    mine = [b for b in billing.bills if b["supply_point_id"] == meter]
    evidence.measure(_DECLARED["SC38-PERIOD"], len(mine), m.at_least(2), subject="bills issued")
    _record(evidence, [f for found in period_findings(mine).values() for f in found], "SC38-PERIOD")


@when(parsers.parse('the metering service is asked {count:d} times for the readings of "{meter}"'))
def _(sut, billing, count, meter):
    for _ in range(count):
        started = time.perf_counter()
        answer = sut.meter_readings(meter)
        billing.timings_s.append(time.perf_counter() - started)
        billing.answered += bool(answer.accepted and isinstance(answer.body, dict)
                                 and isinstance(answer.body.get("readings"), list))


@then(parsers.parse("at least {pct:g} % of the requests were answered"))
def _(billing, evidence, pct):
    share = 100.0 * billing.answered / len(billing.timings_s)
    evidence.measure(AVAILABILITY, round(share, 2), m.at_least(pct), field="/meters/{id}/readings")


@then(parsers.parse("95 % of the answers arrived within {limit_ms:d} ms"))
def _(billing, evidence, limit_ms):
    ordered = sorted(billing.timings_s)
    p95 = ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]
    evidence.measure(RESPONSE_P95, round(p95, 4), m.Validator(f"<= {limit_ms / 1000:g}", lambda v: v <= limit_ms / 1000),
                     field="/meters/{id}/readings")


@then("the bill names the customer only by a keyed pseudonym of its retailer domain")
def _(sut, market, billing, evidence):
    _record(evidence, _bill_checks(sut, market, billing, "GDPR-PSEUDONYM"), "GDPR-PSEUDONYM")


@then("the two bills name the customer by different pseudonyms")
def _(billing, evidence):
    refs = {b["customer_ref"] for b in billing.bills}
    evidence.measure(PSEUDONYMS_DIFFER, len(refs), m.equals(len(billing.bills)), field="/bill/customer/customerRef")


@then("the bill names its DR counterparty only by a keyed pseudonym")
def _(sut, market, billing, evidence):
    evidence.measure(_DECLARED["GDPR-COUNTERPARTY"], len(billing.bill.get("dr_credits", [])), m.at_least(1),
                     field="/bill/drCredits", subject="counterparties on the bill")
    _record(evidence, _bill_checks(sut, market, billing, "GDPR-COUNTERPARTY"), "GDPR-COUNTERPARTY")


@then(parsers.parse("the bill carries {what} interval load curve"))
def _(sut, market, billing, evidence, what):
    _record(evidence, _bill_checks(sut, market, billing, "GDPR-CURVE-CONSENT"), "GDPR-CURVE-CONSENT")
    evidence.measure(_DECLARED["GDPR-CURVE-CONSENT"], "interval_curve" in billing.bill, m.equals(what == "its"),
                     field="/bill/intervalCurve", subject="as the feature states")


@then("the bill states how long it is kept")
def _(sut, market, billing, evidence):
    _record(evidence, _bill_checks(sut, market, billing, "GDPR-RETENTION"), "GDPR-RETENTION")


@then("the bill's signature verifies under the SUT's published signer key, and fails with one byte changed")
def _(sut, market, billing, evidence):
    _record(evidence, _bill_checks(sut, market, billing, "GDPR-SIGNATURE"), "GDPR-SIGNATURE")
    key = bill_signature.load_public_key(require_ok(sut.signer_key(), "the signer key")["public_key_pem"])
    document = bytearray(billing.documents[-1])
    spot = document.index(b"<bill:total")
    spot = document.index(b">", spot) + 1
    document[spot] = ord("8") if document[spot] == ord("9") else ord("9")
    try:
        bill_signature.verify(bytes(document), key)
        refused = False
    except bill_signature.SignatureInvalid:
        refused = True
    evidence.measure(TAMPER_DETECTED, refused, m.is_true(), field="/bill/total", subject="one byte changed")


@given(parsers.parse('the contract of bid "{bid_id}" has been settled'))
def _(sut, market: MarketSession, bid_id):
    require_ok(sut.settle_contract(market.contract_of_bid(bid_id)["contract_id"]), "settlement")
