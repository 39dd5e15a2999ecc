"""The reference broker's retail billing (Y.2072 8.2.1 "billing"): tariffs, supply agreements,
and signed, GDPR-minimised bills computed from the repository's meter readings and DR
settlements; one data path, meter -> repository -> settlement -> bill.

Rules:
- A supply agreement ties a supply point (a registered meter) to a customer (a registered
  participant), a tariff, a retailer pseudonym domain and the customer's consent (or not) to an
  interval load curve on bills.
- Bills of one supply point follow each other without gap or overlap: the first may start at any
  local midnight, each later one must start where the last ended (``bill-period-gap`` /
  ``bill-period-overlap``, 409). Incomplete metered data refuses the bill (409), never filled.
- The customer and DR counterparties are named by HMAC-SHA256 pseudonyms under a key per
  retailer domain, derived from the broker's master secret ``pseudonym-master``; bills are signed
  with its ECDSA P-256 key ``bill-signing`` (`signer_key` publishes its public half). Both come
  from the broker's key store, so they outlive restarts (adapters/key_store.py).
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import timezone

from harness.protocols import bill_signature, bill_xml

from .core import parsing as p
from .core.billing import Supplier, compose_bill, dr_credit_from_records, meter_totals
from .core.delivery import MeterReading
from .core.errors import Conflict, FieldError, NotFound, Rejected
from .core.pseudonyms import domain_key, pseudonym
from .core.tariffs import parse_tariff

DEFAULT_DOMAIN = "reference-retailer.example"
SUPPLIER_NAME = "Reference Retailer"
SUPPLIER_CONTACT = "billing@reference-retailer.example, +352 20 00 00 00"


class BillingMixin:
    """Mixed into `ReferenceBroker` (uses its ``repo``, ``clock``)."""

    def _billing_secrets(self) -> tuple[bytes, object]:
        return self.keys.secret("pseudonym-master"), self.keys.ecdsa_p256("bill-signing")

    # -- tariffs and supply agreements -------------------------------------------------------
    def register_tariff(self, raw: Mapping) -> dict:
        tariff = parse_tariff(raw)
        with self.repo.transaction():
            if self.repo.get("tariffs", tariff.tariff_id) is not None:
                raise Rejected(FieldError("duplicate-id", "/tariff_id", f"{tariff.tariff_id!r} is already registered"))
            self.repo.put("tariffs", tariff.to_record())
        return tariff.to_record()

    def list_tariffs(self) -> list[dict]:
        return self.repo.find("tariffs")

    def register_supply(self, raw: Mapping) -> dict:
        record = {"supply_point_id": p.text(raw, "supply_point_id"), "customer_id": p.text(raw, "customer_id"),
                  "tariff_id": p.text(raw, "tariff_id"),
                  "retailer_domain": p.text(raw, "retailer_domain", required=False, default=DEFAULT_DOMAIN),
                  "interval_curve_consent": bool(raw.get("interval_curve_consent", False))}
        if not isinstance(raw.get("interval_curve_consent", False), bool):
            raise Rejected(FieldError("invalid-type", "/interval_curve_consent", "expected true or false"))
        with self.repo.transaction():
            if self.repo.get("tariffs", record["tariff_id"]) is None:
                raise Rejected(FieldError("unknown-tariff", "/tariff_id", f"no tariff {record['tariff_id']!r}"))
            if self.repo.get("participants", record["customer_id"]) is None:
                raise Rejected(FieldError("unknown-participant", "/customer_id",
                                          f"participant {record['customer_id']!r} is not registered"))
            if not self.repo.find("resources", meter_id=record["supply_point_id"]):
                raise Rejected(FieldError("unknown-meter", "/supply_point_id",
                                          f"meter {record['supply_point_id']!r} belongs to no registered resource"))
            self.repo.put("supplies", record)
        return record

    # -- bills -------------------------------------------------------------------------------
    def _check_continuity(self, supply_point: str, start, end) -> None:
        held = sorted(((r["period_start"], r["period_end"]) for r in
                       self.repo.find("bills", supply_point_id=supply_point)), key=lambda x: x[0])
        for other_start, other_end in held:
            if p.instant({"v": other_start}, "v") < end and start < p.instant({"v": other_end}, "v"):
                raise Conflict(FieldError("bill-period-overlap", "/period_start",
                                          f"supply point {supply_point} is already billed {other_start} .. {other_end}"))
        if held and p.instant({"v": held[-1][1]}, "v") != start:
            raise Conflict(FieldError("bill-period-gap", "/period_start",
                                      f"the next bill of {supply_point} starts at {held[-1][1]}"))

    def _dr_credits(self, customer_id: str, supply_point: str, key: bytes, domain: str) -> list:
        credits = []
        for contract in self.repo.find("contracts"):
            if contract["seller_id"] != customer_id or contract["product_type"] == "generation" \
                    or contract["state"] != "settled":
                continue
            report = self.repo.get("deliveries", contract["contract_id"])
            settlement = self.repo.get("settlements", contract["contract_id"])
            if report and settlement and supply_point in report["meters"]:
                credits.append(dr_credit_from_records(
                    contract, report, settlement, self._counterparty_ref(key, domain, contract["buyer_id"])))
        return credits

    # Hooks, one per rule a bill must keep; the fault tests override them one at a time.
    def _counterparty_ref(self, key: bytes, domain: str, participant_id: str) -> str:
        return pseudonym(key, domain, "counterparty", participant_id)

    def _curve_consent(self, supply: Mapping) -> bool:
        return supply["interval_curve_consent"]

    def _bill_record(self, bill, supply: Mapping) -> dict:
        return bill.to_record()

    def _sign_bill(self, record: dict, key) -> str:
        return bill_signature.sign(bill_xml.to_element(record), key).decode("utf-8")

    def issue_bill(self, raw: Mapping) -> dict:
        now = self.clock.now()
        supply_point = p.text(raw, "supply_point_id")
        start = p.instant(raw, "period_start").astimezone(timezone.utc)
        end = p.instant(raw, "period_end").astimezone(timezone.utc)
        if end <= start:
            raise Rejected(FieldError("invalid-interval", "/period_end", "a billing period ends after it starts"))
        master, signing_key = self._billing_secrets()
        with self.repo.transaction():
            supply = self.repo.get("supplies", supply_point)
            if supply is None:
                raise NotFound(FieldError("unknown-supply-point", "/supply_point_id",
                                          f"no supply agreement for {supply_point!r}"))
            if now < end:
                raise Conflict(FieldError("period-not-over", "/period_end", f"the period runs until {p.fmt_instant(end)}"))
            self._check_continuity(supply_point, start, end)
            tariff = parse_tariff(self.repo.get("tariffs", supply["tariff_id"]))
            readings = [MeterReading.from_record(r) for r in self.repo.readings([supply_point])]
            totals = meter_totals(tariff, readings, start, end)
            domain = supply["retailer_domain"]
            key = domain_key(master, domain)
            count = len(self.repo.find("bills")) + 1
            bill = compose_bill(
                bill_id=f"BILL-{count:06d}", supplier=Supplier(domain=domain, name=SUPPLIER_NAME, contact=SUPPLIER_CONTACT),
                customer_ref=pseudonym(key, domain, "customer", supply["customer_id"]), supply_point_id=supply_point,
                tariff=tariff, period_start=start, period_end=end, totals=totals,
                dr_credits=self._dr_credits(supply["customer_id"], supply_point, key, domain), now=now,
                curve_consent=self._curve_consent(supply), curve=readings)
            document = self._sign_bill(self._bill_record(bill, supply), signing_key)
            record = {"bill_id": bill.bill_id, "supply_point_id": supply_point, "period_start": p.fmt_instant(start),
                      "period_end": p.fmt_instant(end), "total": str(bill.total), "currency": tariff.currency,
                      "document": document}
            self.repo.put("bills", record)
        return record

    def get_bill(self, bill_id: str) -> dict:
        record = self.repo.get("bills", bill_id)
        if record is None:
            raise NotFound(FieldError("unknown-bill", "/bill_id", f"no bill {bill_id!r}"))
        return record

    def signer_key(self) -> dict:
        _, key = self._billing_secrets()
        return {"algorithm": bill_signature.ALGORITHM, "public_key_pem": bill_signature.public_pem(key)}

    # -- the metering service (read side) ----------------------------------------------------
    def meter_readings(self, meter_id: str) -> dict:
        if not self.repo.find("resources", meter_id=meter_id):
            raise NotFound(FieldError("unknown-meter", "/meter_id", f"meter {meter_id!r} belongs to no registered resource"))
        return {"meter_id": meter_id, "readings": self.repo.readings([meter_id])}
