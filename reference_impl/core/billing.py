"""Bills from metered intervals, a tariff and DR settlements (Y.2072 8.2.1 "billing"; ISO/IEC
TR 23613 billing modes). Pure: readings, tariff, settlements, pseudonyms and ``now`` come in;
a `Bill` comes out. The repository, XML and signatures are the adapters' business.

Rules (the per-customer path here and the vectorised path in `bulk_billing` share them):
1. Energy is counted in whole watt-hours: each reading's kWh is turned into Wh by
   ``round(kwh * 1000)`` in binary floating point, half to even (numpy's ``rint`` is the same
   operation), and Wh are summed as integers, so sums do not depend on their order.
2. Import intervals are assigned to a tariff period by their local start (`Tariff.period_of`).
   Per period: quantity = Wh / 1000 kWh (exact), amount = quantity × unit price, rounded by the
   tariff's rule. A dynamic tariff has one line: amount = Σ Wh_i × price_i / 1000, rounded once;
   its unit price shown is that amount's unrounded value over the quantity, to 6 decimals.
3. Export is credited at the feed-in price (one line, negative amount). Standing charge and
   subscription fee: per whole local day of the period.
4. DR credits: each settled demand-reduction contract whose window lies in the period is one
   negative line of its settlement total; its terms ride along so the credit can be recomputed.
   The tariff's own DR programme adds an incentive line (delivered kWh × incentive, credited)
   and, on a shortfall against the contracted reduction, a penalty line (shortfall × penalty).
5. Tax (if the tariff has one) = rate × (energy + standing + subscription lines), rounded;
   feed-in and DR lines are outside its base. Total = sum of lines + tax.
6. Completeness: every interval of the period on the meter's grid must hold an import reading
   (export too, when the meter exported at all); a missing one refuses the bill
   (``metering-incomplete``), it is never filled. Estimated readings are billed and counted.
7. Granularity: all readings of the period share one length, stated on the bill.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from . import parsing as p
from .delivery import MeterReading
from .errors import Conflict, FieldError
from .tariffs import Tariff, billing_days

RETENTION_YEARS = 10
RETENTION_RULE = (f"kept {RETENTION_YEARS} years after the end of the billing period (accounting and tax "
                  "obligations), then erased; interval data behind it is not kept with the bill")
LINE_KINDS = ("energy", "feed-in", "standing-charge", "subscription", "dr-credit", "dr-incentive", "dr-penalty")
TAXABLE = ("energy", "standing-charge", "subscription")


def to_wh(kwh: float) -> int:
    """Rule 1: one reading in whole Wh."""
    return round(kwh * 1000)


@dataclass(frozen=True, kw_only=True)
class MeteredTotals:
    """What the meter data of one supply point gives for one period (rule 1, 2, 6, 7)."""

    import_wh: tuple[int, ...]          # per tariff period, in `Tariff.period_names()` order
    export_wh: int
    dynamic_micro: int                  # Σ Wh × price in 1e-6 currency/kWh (dynamic tariffs)
    intervals_expected: int
    intervals_actual: int
    intervals_estimated: int
    granularity_minutes: int


@dataclass(frozen=True, kw_only=True)
class DrCredit:
    """A settled DR contract of the customer, with the terms its credit follows from."""

    contract_id: str
    counterparty_ref: str
    window_start: datetime
    window_end: datetime
    cbl_method: str
    baseline_kwh: float
    delivered_kwh: float
    contracted_kwh: float
    price_per_kwh: Decimal
    tolerance_pct: float
    incentive_pct: float
    penalty_per_kwh: Decimal
    amount: Decimal                     # the settlement total paid to the customer

    def to_record(self) -> dict:
        return {"contract_id": self.contract_id, "counterparty_ref": self.counterparty_ref,
                "window_start": p.fmt_instant(self.window_start), "window_end": p.fmt_instant(self.window_end),
                "cbl_method": self.cbl_method, "baseline_kwh": self.baseline_kwh,
                "delivered_kwh": self.delivered_kwh, "contracted_kwh": self.contracted_kwh,
                "price_per_kwh": str(self.price_per_kwh), "tolerance_pct": self.tolerance_pct,
                "incentive_pct": self.incentive_pct, "penalty_per_kwh": str(self.penalty_per_kwh),
                "amount": str(self.amount)}


@dataclass(frozen=True, kw_only=True)
class BillLine:
    kind: str
    period: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    amount: Decimal

    def to_record(self) -> dict:
        return {"kind": self.kind, "period": self.period, "quantity": str(self.quantity), "unit": self.unit,
                "unit_price": str(self.unit_price), "amount": str(self.amount)}


@dataclass(frozen=True, kw_only=True)
class Supplier:
    """The retailer issuing bills: its pseudonym domain and the contact a bill must name."""

    domain: str
    name: str
    contact: str


@dataclass(frozen=True, kw_only=True)
class Bill:
    bill_id: str
    supplier: Supplier
    customer_ref: str                   # keyed pseudonym (see core.pseudonyms)
    supply_point_id: str
    period_start: datetime
    period_end: datetime
    issued_at: datetime
    tariff: Tariff
    totals: MeteredTotals
    lines: tuple[BillLine, ...]
    dr_credits: tuple[DrCredit, ...]
    subtotal: Decimal
    tax: Decimal
    total: Decimal
    interval_curve: tuple[tuple[datetime, float, float], ...] | None = None
    curve_consent: bool = False
    retention_until: datetime = field(default=None)

    def to_record(self) -> dict:
        t = self.totals
        share = (Decimal(100 * (t.intervals_actual - t.intervals_estimated)) / t.intervals_actual
                 ).quantize(Decimal("0.01")) if t.intervals_actual else Decimal("0")
        record = {
            "bill_id": self.bill_id,
            "supplier": {"domain": self.supplier.domain, "name": self.supplier.name,
                         "contact": self.supplier.contact},
            "customer_ref": self.customer_ref, "pseudonym_scheme": "hmac-sha256",
            "pseudonym_domain": self.supplier.domain,
            "supply_point_id": self.supply_point_id,
            "period_start": p.fmt_instant(self.period_start), "period_end": p.fmt_instant(self.period_end),
            "issued_at": p.fmt_instant(self.issued_at),
            "tariff_id": self.tariff.tariff_id, "billing_mode": self.tariff.billing_mode,
            "currency": self.tariff.currency, "rounding": self.tariff.rounding.to_record(),
            "granularity_minutes": t.granularity_minutes, "energy_unit": "kWh",
            "metering": {"intervals_expected": t.intervals_expected, "intervals_actual": t.intervals_actual,
                         "intervals_estimated": t.intervals_estimated, "actual_share_pct": str(share)},
            "lines": [line.to_record() for line in self.lines],
            "dr_credits": [c.to_record() for c in self.dr_credits],
            "subtotal": str(self.subtotal),
            "tax": {"name": self.tariff.tax_name or "none", "rate_pct": str(self.tariff.tax_rate_pct),
                    "amount": str(self.tax)},
            "total": str(self.total),
            "consent": {"interval_curve": self.curve_consent},
            "retention": {"rule": RETENTION_RULE, "until": p.fmt_instant(self.retention_until)},
        }
        if self.interval_curve is not None:
            record["interval_curve"] = [{"start": p.fmt_instant(s), "import_kwh": i, "export_kwh": e}
                                        for s, i, e in self.interval_curve]
        return record


def _incomplete(message: str) -> Conflict:
    return Conflict(FieldError("metering-incomplete", "/readings", message))


def meter_totals(tariff: Tariff, readings: Sequence[MeterReading], start: datetime, end: datetime) -> MeteredTotals:
    """Rules 1, 2, 6, 7 for one supply point's readings (those outside [start, end) are ignored).

    Raises:
        Conflict: ``metering-grid`` (mixed or non-dividing interval lengths), ``metering-incomplete``
            (an interval of the period has no reading), ``price-missing`` (dynamic price absent).
    """
    used = [r for r in readings if r.interval_start >= start and r.interval_end <= end]
    lengths = {r.interval_end - r.interval_start for r in used}
    if len(lengths) != 1:
        raise Conflict(FieldError("metering-grid", "/readings",
                                  f"a bill needs one interval length over the period; found "
                                  f"{sorted(int(x / timedelta(minutes=1)) for x in lengths) or 'no readings'} min"))
    step = lengths.pop()
    if (end - start) % step:
        raise Conflict(FieldError("metering-grid", "/readings", "the period is not a whole number of intervals"))
    expected = (end - start) // step
    by_direction: dict[str, dict[datetime, MeterReading]] = {"import": {}, "export": {}}
    for r in used:
        by_direction[r.direction][r.interval_start] = r
    imports, exports = by_direction["import"], by_direction["export"]
    if len(imports) != expected:
        missing = next(start + i * step for i in range(expected) if start + i * step not in imports)
        raise _incomplete(f"no import reading for the interval starting {p.fmt_instant(missing)} "
                          f"({len(imports)} of {expected} intervals)")
    if exports and len(exports) != expected:
        missing = next(start + i * step for i in range(expected) if start + i * step not in exports)
        raise _incomplete(f"no export reading for the interval starting {p.fmt_instant(missing)}")
    table = tariff.week_table()
    per_period = [0] * len(tariff.period_names())
    dynamic_micro = 0
    for instant, reading in imports.items():
        wh = to_wh(reading.energy_kwh)
        per_period[tariff.period_of(instant, table)] += wh
        if tariff.energy_kind == "dynamic":
            dynamic_micro += wh * int(tariff.dynamic_price(instant) * 1_000_000)
    return MeteredTotals(
        import_wh=tuple(per_period), export_wh=sum(to_wh(r.energy_kwh) for r in exports.values()),
        dynamic_micro=dynamic_micro, intervals_expected=expected, intervals_actual=len(imports),
        intervals_estimated=sum(1 for r in imports.values() if r.quality == "estimated"),
        granularity_minutes=int(step / timedelta(minutes=1)))


def price_lines(tariff: Tariff, totals: MeteredTotals, days: int,
                dr_credits: Sequence[DrCredit] = ()) -> tuple[tuple[BillLine, ...], Decimal, Decimal, Decimal]:
    """Rules 2-5: (lines, subtotal, tax, total) from the metered totals. Both billing paths call it."""
    money = tariff.rounding.money
    kwh = Decimal("0.001")
    lines: list[BillLine] = []
    if tariff.energy_kind == "dynamic":
        quantity = Decimal(totals.import_wh[0]) * kwh
        exact = Decimal(totals.dynamic_micro) / Decimal(1_000_000_000)
        average = (exact / quantity).quantize(Decimal("0.000001")) if quantity else Decimal("0")
        lines.append(BillLine(kind="energy", period="dynamic", quantity=quantity, unit="kWh",
                              unit_price=average, amount=money(exact)))
    else:
        for index, name in enumerate(tariff.period_names()):
            quantity = Decimal(totals.import_wh[index]) * kwh
            price = tariff.unit_price(index)
            lines.append(BillLine(kind="energy", period=name, quantity=quantity, unit="kWh",
                                  unit_price=price, amount=money(quantity * price)))
    if tariff.feed_in_price_per_kwh is not None:
        quantity = Decimal(totals.export_wh) * kwh
        lines.append(BillLine(kind="feed-in", period="all-hours", quantity=quantity, unit="kWh",
                              unit_price=tariff.feed_in_price_per_kwh,
                              amount=-money(quantity * tariff.feed_in_price_per_kwh)))
    if tariff.subscription_per_day is not None:
        lines.append(BillLine(kind="subscription", period="period", quantity=Decimal(days), unit="day",
                              unit_price=tariff.subscription_per_day, amount=money(days * tariff.subscription_per_day)))
    if tariff.standing_charge_per_day:
        lines.append(BillLine(kind="standing-charge", period="period", quantity=Decimal(days), unit="day",
                              unit_price=tariff.standing_charge_per_day,
                              amount=money(days * tariff.standing_charge_per_day)))
    for credit in dr_credits:
        delivered = Decimal(str(credit.delivered_kwh))
        lines.append(BillLine(kind="dr-credit", period=credit.contract_id, quantity=delivered, unit="kWh",
                              unit_price=credit.price_per_kwh, amount=-credit.amount))
        if tariff.dr_incentive_per_kwh:
            lines.append(BillLine(kind="dr-incentive", period=credit.contract_id, quantity=delivered, unit="kWh",
                                  unit_price=tariff.dr_incentive_per_kwh,
                                  amount=-money(delivered * tariff.dr_incentive_per_kwh)))
        shortfall = max(Decimal(str(credit.contracted_kwh)) - delivered, Decimal("0"))
        if tariff.dr_penalty_per_kwh and shortfall:
            lines.append(BillLine(kind="dr-penalty", period=credit.contract_id, quantity=shortfall, unit="kWh",
                                  unit_price=tariff.dr_penalty_per_kwh, amount=money(shortfall * tariff.dr_penalty_per_kwh)))
    subtotal = sum((line.amount for line in lines), Decimal("0.00"))
    base = sum((line.amount for line in lines if line.kind in TAXABLE), Decimal("0.00"))
    tax = money(base * tariff.tax_rate_pct / 100)
    return tuple(lines), subtotal, tax, subtotal + tax


def compose_bill(*, bill_id: str, supplier: Supplier, customer_ref: str, supply_point_id: str,
                 tariff: Tariff, period_start: datetime, period_end: datetime, totals: MeteredTotals,
                 dr_credits: Sequence[DrCredit], now: datetime, curve_consent: bool = False,
                 curve: Sequence[MeterReading] = ()) -> Bill:
    """Price the totals and assemble the bill; the interval curve goes in only with consent
    (GDPR Art. 5(1)(c), 25: per-tariff-period totals are what a bill needs).

    Raises:
        Rejected: the period is not whole local days (``/period_start``, ``/period_end``).
    """
    days = billing_days(period_start, period_end, tariff.zone)
    in_period = [c for c in dr_credits if c.window_start >= period_start and c.window_end <= period_end]
    lines, subtotal, tax, total = price_lines(tariff, totals, days, in_period)
    interval_curve = None
    if curve_consent:
        points: dict[datetime, list[float]] = {}
        for r in curve:
            if period_start <= r.interval_start and r.interval_end <= period_end:
                points.setdefault(r.interval_start, [0.0, 0.0])[r.direction == "export"] = r.energy_kwh
        interval_curve = tuple((s, v[0], v[1]) for s, v in sorted(points.items()))
    end_local = period_end.astimezone(tariff.zone)
    retention = end_local.replace(year=end_local.year + RETENTION_YEARS).astimezone(timezone.utc)
    return Bill(bill_id=bill_id, supplier=supplier, customer_ref=customer_ref, supply_point_id=supply_point_id,
                period_start=period_start, period_end=period_end, issued_at=now, tariff=tariff, totals=totals,
                lines=lines, dr_credits=tuple(in_period), subtotal=subtotal, tax=tax, total=total,
                interval_curve=interval_curve, curve_consent=curve_consent, retention_until=retention)


def dr_credit_from_records(contract: Mapping, report: Mapping, settlement: Mapping, counterparty_ref: str) -> DrCredit:
    """A DR credit from the stored contract, delivery report and settlement records."""
    rules = contract["settlement_rules"]
    return DrCredit(
        contract_id=contract["contract_id"], counterparty_ref=counterparty_ref,
        window_start=datetime.fromisoformat(contract["delivery_start"]),
        window_end=datetime.fromisoformat(contract["delivery_end"]),
        cbl_method=report.get("baseline_method") or "declared-flat",
        baseline_kwh=report.get("baseline_kwh") or 0.0, delivered_kwh=report["delivered_kwh"],
        contracted_kwh=report["contracted_kwh"], price_per_kwh=Decimal(str(settlement["price_per_kwh"])),
        tolerance_pct=rules["tolerance_pct"], incentive_pct=rules["incentive_pct"],
        penalty_per_kwh=Decimal(str(rules["penalty_per_kwh"])), amount=Decimal(settlement["total"]))
