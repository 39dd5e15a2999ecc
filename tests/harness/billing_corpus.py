"""Bill corpora for `harness bill verify`: the reference broker's own bills (issued from its
repository: meter -> repository -> settlement -> bill), and a faulty copy in which eight bills
carry one realistic billing fault each, re-signed with the broker's key unless the fault is the
signature itself. Written as the files a retailer would hand over: bills/*.xml, meters.csv,
tariffs.json, signer.pem.
"""
from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pandas as pd

from harness.protocols import bill_signature, bill_xml
from reference_impl.adapters.sqlite_repository import SqliteRepository
from reference_impl.broker import ReferenceBroker
from reference_impl.clock import SettableClock
from reference_impl.core.billing import Supplier, compose_bill, meter_totals, price_lines, to_wh
from reference_impl.core.delivery import MeterReading, cbl_reduction
from reference_impl.core.settlement import price_delivery
from reference_impl.core.tariffs import billing_days, parse_tariff

UTC = timezone.utc
FIRST = datetime(2026, 5, 17, 22, tzinfo=UTC)          # 2026-05-18 00:00 in Luxembourg (UTC+2)
LAST = datetime(2026, 6, 14, 22, tzinfo=UTC)           # 2026-06-15 00:00 local
PERIODS = (("2026-06-01T00:00:00+02:00", "2026-06-08T00:00:00+02:00"),
           ("2026-06-08T00:00:00+02:00", "2026-06-15T00:00:00+02:00"))
CUSTOMERS = {"alice": "M-A1", "carol": "M-C1", "erin": "M-E1", "frank": "M-F1", "dana": "M-D1"}
TARIFF = {"tariff_id": "TOU-1", "currency": "EUR", "billing_mode": "time-of-use", "local_tz": "Europe/Luxembourg",
          "energy": {"kind": "time-of-use", "periods": [
              {"name": "off-peak", "price_per_kwh": "0.18"},
              {"name": "peak", "price_per_kwh": "0.30",
               "windows": [{"days": ["mon", "tue", "wed", "thu", "fri"], "from": "08:00", "to": "20:00"}]}]},
          "standing_charge_per_day": "0.50", "feed_in_price_per_kwh": "0.08", "tax": {"name": "VAT", "rate_pct": "8"},
          "dr": {"cbl_method": "high-4-of-5", "incentive_per_kwh": "0.05", "penalty_per_kwh": "0.02"}}
EVENT = datetime(2026, 6, 3, 12, tzinfo=UTC)            # Wednesday: DR event hour of dana
RECENT = {datetime(2026, m, d).date() for m, d in ((6, 2), (6, 1), (5, 29), (5, 28), (5, 27))}


def _import_kwh(customer: str, at: datetime, index: int) -> float:
    if customer == "dana" and 8 <= at.hour <= 12 and at.weekday() < 5:
        if at.date() == EVENT.date():
            return {8: 6.0, 9: 6.0, 10: 6.0, 11: 5.0, 12: 4.0}[at.hour]
        return 5.0 if at.date() in RECENT else 3.0
    return round(0.4 + 0.05 * ((index * 7 + len(customer)) % 11), 3)


def _readings(customer: str) -> list[dict]:
    out, at, index = [], FIRST, 0
    while at < LAST:
        end = at + timedelta(hours=1)
        estimated = customer == "carol" and at.day == 3 and at.hour < 4
        out.append({"interval_start": at.isoformat(), "interval_end": end.isoformat(),
                    "energy_kwh": _import_kwh(customer, at, index), "direction": "import",
                    "quality": "estimated" if estimated else "actual"})
        out.append({"interval_start": at.isoformat(), "interval_end": end.isoformat(),
                    "energy_kwh": 0.6 if 9 <= at.hour <= 14 else 0.0, "direction": "export", "quality": "actual"})
        at, index = end, index + 1
    return out


@dataclass
class Corpus:
    folder: Path
    broker: ReferenceBroker
    bills: dict[tuple[str, int], Path]        # (customer, period index) -> bill file

    @property
    def args(self) -> list[str]:
        return ["--meter-data", str(self.folder / "meters.csv"), "--tariffs", str(self.folder / "tariffs.json"),
                "--public-key", str(self.folder / "signer.pem")]


def build_reference_corpus(folder: Path) -> Corpus:
    folder.mkdir(parents=True, exist_ok=True)
    repo = SqliteRepository(folder / "broker.sqlite3")
    clock = SettableClock(datetime(2026, 5, 1, tzinfo=UTC))
    broker = ReferenceBroker(repo, clock)
    broker.register_participant({"participant_id": "bob", "role": "consumer", "grid_node": "N2", "display_name": "Bob"})
    broker.register_tariff(TARIFF)
    rows = []
    for customer, meter in CUSTOMERS.items():
        broker.register_participant({"participant_id": customer, "role": "prosumer", "grid_node": "N1",
                                     "display_name": customer.title()})
        broker.register_resource({"resource_id": f"site-{customer}", "owner_id": customer, "kind": "load",
                                  "max_power_kw": 9.0, "voltage_v": 230.0, "meter_id": meter})
        broker.register_supply({"supply_point_id": meter, "customer_id": customer, "tariff_id": "TOU-1",
                                "retailer_domain": "retailer-a.example", "interval_curve_consent": customer == "frank"})
        readings = _readings(customer)
        broker.submit_readings(meter, readings)
        rows += [{"meter_id": meter, **r, "unit": "kWh"} for r in readings]
    pd.DataFrame(rows).to_csv(folder / "meters.csv", index=False)
    clock.set(datetime(2026, 6, 3, 7, tzinfo=UTC))
    broker.register_product({"product_id": "DR-D", "owner_id": "dana", "product_type": "demand-reduction",
                             "name": "demand reduction from site-dana",
                             "resource_ids": ["site-dana"], "max_power_kw": 4.0, "voltage_v": 230.0,
                             "baseline_method": "high-4-of-5", "available_from": EVENT.isoformat(),
                             "available_until": (EVENT + timedelta(hours=1)).isoformat()})
    window = {"delivery_start": EVENT.isoformat(), "delivery_end": (EVENT + timedelta(hours=1)).isoformat(),
              "quality": "non-firm"}
    expiry = datetime(2026, 6, 3, 9, tzinfo=UTC).isoformat()
    broker.submit_bid({"bid_id": "S-D", "product_id": "DR-D", "bidder_id": "dana", "side": "sell", "energy_kwh": 2.0,
                       "price": {"amount": "0.10", "currency": "EUR"}, "expires_at": expiry, **window})
    broker.submit_bid({"bid_id": "B-D", "product_id": "DR-D", "bidder_id": "bob", "side": "buy", "energy_kwh": 2.0,
                       "price": {"amount": "0.20", "currency": "EUR"}, "expires_at": expiry, **window})
    contract = broker.clear_product("DR-D")["contracts"][0]["contract_id"]
    clock.set(EVENT + timedelta(hours=1, minutes=5))
    broker.verify_delivery(contract)
    broker.settle_contract(contract)
    clock.set(datetime(2026, 6, 15, 6, tzinfo=UTC))
    bills = {}
    (folder / "bills").mkdir(exist_ok=True)
    for customer, meter in CUSTOMERS.items():
        for index, (start, end) in enumerate(PERIODS):
            answer = broker.issue_bill({"supply_point_id": meter, "period_start": start, "period_end": end})
            path = folder / "bills" / f"{answer['bill_id']}.xml"
            path.write_text(answer["document"], encoding="utf-8")
            bills[(customer, index)] = path
    (folder / "tariffs.json").write_text(json.dumps({
        "tariffs": broker.list_tariffs(),
        "supplies": [{k: s[k] for k in ("supply_point_id", "customer_id", "tariff_id", "interval_curve_consent")}
                     for s in repo.find("supplies")]}, indent=2), encoding="utf-8")
    (folder / "signer.pem").write_text(broker.signer_key()["public_key_pem"], encoding="utf-8")
    return Corpus(folder, broker, bills)


# -- the faulty corpus ---------------------------------------------------------------------------
FAULTS = {   # (customer, period) -> (fault, requirements it must fail)
    ("alice", 0): ("rounding off by a cent", {"SC38-ACCURACY"}),
    ("alice", 1): ("Wh billed as kWh", {"SC38-UNIT", "SC38-ACCURACY"}),
    ("carol", 0): ("one interval missing", {"SC38-COMPLETENESS", "SC38-ACCURACY"}),
    ("carol", 1): ("bare SHA-256 of the customer id as pseudonym", {"GDPR-PSEUDONYM"}),
    ("erin", 0): ("interval curve leaked without consent", {"GDPR-CURVE-CONSENT"}),
    ("erin", 1): ("signature broken by one byte", {"GDPR-SIGNATURE"}),
    ("dana", 0): ("wrong CBL method", {"SC38-DR-CBL"}),
    ("frank", 0): ("overlapping periods (the next bill starts a day early)", {"SC38-PERIOD"}),
    ("frank", 1): ("overlapping periods (starts a day before the last one ended)", {"SC38-PERIOD"}),
}


def _record(path: Path) -> dict:
    record = bill_xml.from_bytes(path.read_bytes())
    record.pop("tags"), record.pop("signed")
    return record


def _resum(record: dict) -> dict:
    lines = record["lines"]
    subtotal = sum((Decimal(x["amount"]) for x in lines), Decimal("0"))
    base = sum((Decimal(x["amount"]) for x in lines if x["kind"] in ("energy", "standing-charge", "subscription")),
               Decimal("0"))
    tax = (base * Decimal(record["tax"]["rate_pct"]) / 100).quantize(Decimal("0.01"))
    return {**record, "subtotal": str(subtotal), "tax": {**record["tax"], "amount": str(tax)},
            "total": str(subtotal + tax)}


def _write(corpus: Corpus, path: Path, record: dict) -> None:
    path.write_bytes(bill_signature.sign(bill_xml.to_element(record), corpus.broker._billing_secrets()[1]))


def _meter_readings(corpus: Corpus, meter: str) -> list[MeterReading]:
    return [MeterReading.from_record(r) for r in corpus.broker.repo.readings([meter])]


def build_faulty_corpus(reference: Corpus, folder: Path) -> Corpus:
    shutil.copytree(reference.folder, folder, ignore=shutil.ignore_patterns("broker.sqlite3*"), dirs_exist_ok=True)
    corpus = Corpus(folder, reference.broker, {k: folder / "bills" / p.name for k, p in reference.bills.items()})
    tariff = parse_tariff(TARIFF)
    # rounding off by a cent: the peak line rounded up
    path = corpus.bills[("alice", 0)]
    record = _record(path)
    peak = next(x for x in record["lines"] if x["period"] == "peak")
    peak["amount"] = str(Decimal(peak["amount"]) + Decimal("0.01"))
    _write(corpus, path, _resum(record))
    # Wh billed as kWh: the meter's Wh figures priced as kWh
    path = corpus.bills[("alice", 1)]
    record = _record(path)
    for line in record["lines"]:
        if line["unit"] == "kWh":
            line["quantity"] = str(Decimal(line["quantity"]) * 1000)
            sign = -1 if line["kind"] == "feed-in" else 1
            line["amount"] = str(sign * (Decimal(line["quantity"]) * Decimal(line["unit_price"])).quantize(Decimal("0.01")))
    _write(corpus, path, _resum(record))
    # one interval missing: billed on the data without the 14:00 UTC reading of 2 June
    path = corpus.bills[("carol", 0)]
    record = _record(path)
    start, end = datetime.fromisoformat(record["period_start"]), datetime.fromisoformat(record["period_end"])
    readings = _meter_readings(corpus, "M-C1")
    totals = meter_totals(tariff, readings, start, end)
    dropped = next(r for r in readings if r.direction == "import" and r.interval_start == datetime(2026, 6, 2, 14, tzinfo=UTC))
    wh = list(totals.import_wh)
    wh[tariff.period_of(dropped.interval_start)] -= to_wh(dropped.energy_kwh)
    short = replace(totals, import_wh=tuple(wh), intervals_actual=totals.intervals_actual - 1)
    lines, subtotal, tax, total = price_lines(tariff, short, billing_days(start, end, tariff.zone))
    share = (Decimal(100 * (short.intervals_actual - short.intervals_estimated)) / short.intervals_actual).quantize(Decimal("0.01"))
    _write(corpus, path, {**record, "lines": [x.to_record() for x in lines], "subtotal": str(subtotal),
                          "tax": {**record["tax"], "amount": str(tax)}, "total": str(total),
                          "metering": {**record["metering"], "intervals_actual": short.intervals_actual,
                                       "actual_share_pct": str(share)}})
    # bare SHA-256 of the customer id
    path = corpus.bills[("carol", 1)]
    record = _record(path)
    _write(corpus, path, {**record, "customer_ref": "hmac-sha256:" + hashlib.sha256(b"carol").hexdigest()})
    # interval curve leaked without consent
    path = corpus.bills[("erin", 0)]
    record = _record(path)
    start, end = datetime.fromisoformat(record["period_start"]), datetime.fromisoformat(record["period_end"])
    points = {}
    for r in _meter_readings(corpus, "M-E1"):
        if start <= r.interval_start < end:
            points.setdefault(r.interval_start, {"start": r.interval_start.isoformat(), "import_kwh": 0.0,
                                                 "export_kwh": 0.0})[f"{r.direction}_kwh"] = r.energy_kwh
    _write(corpus, path, {**record, "interval_curve": [points[k] for k in sorted(points)]})
    # signature broken by one byte (the supplier's name: every figure still recomputes)
    path = corpus.bills[("erin", 1)]
    data = path.read_bytes()
    path.write_bytes(data.replace(b"Reference Retailer<", b"Reference Retailes<", 1))
    # wrong CBL method: the DR credit computed with 10-of-10 instead of the tariff's high-4-of-5
    path = corpus.bills[("dana", 0)]
    record = _record(path)
    credit = record["dr_credits"][0]
    reduction, baseline, _ = cbl_reduction("10-of-10", datetime.fromisoformat(credit["window_start"]),
                                           datetime.fromisoformat(credit["window_end"]),
                                           _meter_readings(corpus, "M-D1"), tariff.zone)
    delivered = round(max(reduction, 0.0), 3)
    threshold = round(credit["contracted_kwh"] * (1 - credit["tolerance_pct"] / 100), 3)
    priced = price_delivery(energy_kwh=credit["contracted_kwh"], price_per_kwh=Decimal(credit["price_per_kwh"]),
                            currency="EUR", delivered_kwh=delivered, threshold_kwh=threshold,
                            shortfall_kwh=round(max(credit["contracted_kwh"] - delivered, 0.0), 3),
                            fulfilled=delivered >= threshold, incentive_pct=credit["incentive_pct"],
                            penalty_per_kwh=Decimal(credit["penalty_per_kwh"]))
    credit.update(cbl_method="10-of-10", baseline_kwh=round(baseline, 3), delivered_kwh=delivered,
                  amount=str(priced["total"]))
    shortfall = max(Decimal(str(credit["contracted_kwh"])) - Decimal(str(delivered)), Decimal("0"))
    record["lines"] = [x for x in record["lines"] if x["kind"] not in ("dr-incentive", "dr-penalty")]
    for line in list(record["lines"]):
        if line["kind"] == "dr-credit":
            line.update(quantity=str(Decimal(str(delivered))), amount=str(-priced["total"]))
            record["lines"].append({"kind": "dr-incentive", "period": line["period"], "quantity": line["quantity"],
                                    "unit": "kWh", "unit_price": "0.05",
                                    "amount": str(-(Decimal(str(delivered)) * Decimal("0.05")).quantize(Decimal("0.01")))})
            if shortfall:
                record["lines"].append({"kind": "dr-penalty", "period": line["period"], "quantity": str(shortfall),
                                        "unit": "kWh", "unit_price": "0.02",
                                        "amount": str((shortfall * Decimal("0.02")).quantize(Decimal("0.01")))})
    _write(corpus, path, _resum(record))
    # overlapping periods: frank's second bill starts a day before the first one ended
    path = corpus.bills[("frank", 1)]
    record = _record(path)
    start, end = datetime.fromisoformat(record["period_start"]) - timedelta(days=1), datetime.fromisoformat(record["period_end"])
    readings = _meter_readings(corpus, "M-F1")
    bill = compose_bill(bill_id=record["bill_id"], supplier=Supplier(**record["supplier"]),
                        customer_ref=record["customer_ref"], supply_point_id="M-F1", tariff=tariff, period_start=start,
                        period_end=end, totals=meter_totals(tariff, readings, start, end), dr_credits=(),
                        now=datetime.fromisoformat(record["issued_at"]), curve_consent=True, curve=readings)
    _write(corpus, path, bill.to_record())
    return corpus
