"""The harness's own recomputation of a bill, written from the published rules
(docs/billing.md, "Bill computation" rules 1-6) and not from the reference broker's code.

A conformance oracle that shares code with the implementation it judges cannot catch that
implementation's bugs: both would agree on the same wrong figure. So the bill checks
(`harness.billing.checks`) recompute every figure here, with a different construction:
- a tariff is read straight from its JSON record (no compiled week table): an interval's
  time-of-use period is found by testing the windows themselves, the last period listed whose
  window holds the interval's local start winning, the windowless period otherwise;
- dynamic prices are used exactly as the tariff states them (any number of decimals);
- interval data is gathered per direction with duplicates refused, not overwritten.
`tests/harness/test_billing_oracle.py` runs this oracle and the reference's rules side by side
on generated tariffs and meter data (differential testing) and on the documented examples.

Pure: records in, figures out. Refusals are `OracleRefusal` with the reason.
"""
from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from functools import cached_property
from zoneinfo import ZoneInfo

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
TAXABLE = {"energy", "standing-charge", "subscription"}
ROUNDING = {"half-even": ROUND_HALF_EVEN, "half-up": ROUND_HALF_UP}
DEFAULT_ROUNDING = {"quantum": "0.01", "mode": "half-even", "scope": "line"}
KWH = Decimal("0.001")


class OracleRefusal(Exception):
    """The data cannot be billed under the rules (an interval without a reading, a period that is
    not whole local days, a dynamic price missing...): the message says which and where."""


def _minute_of_day(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


@dataclass(frozen=True)
class OracleTariff:
    """The parts of a tariff record a bill follows from (docs/billing.md, "Tariffs")."""

    record: Mapping

    @property
    def tariff_id(self) -> str:
        return self.record["tariff_id"]

    @property
    def billing_mode(self) -> str:
        return self.record["billing_mode"]

    @property
    def energy(self) -> Mapping:
        return self.record["energy"]

    @property
    def energy_kind(self) -> str:
        return self.energy["kind"]

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.record.get("local_tz") or "Europe/Luxembourg")

    @property
    def rounding(self) -> dict:
        stated = self.record.get("rounding") or {}
        return {key: str(stated.get(key, default)) for key, default in DEFAULT_ROUNDING.items()}

    @property
    def cbl_method(self) -> str | None:
        return (self.record.get("dr") or {}).get("cbl_method")

    def decimal(self, *path: str, default: str | None = None) -> Decimal | None:
        node = self.record
        for key in path:
            if not isinstance(node, Mapping) or node.get(key) is None:
                return None if default is None else Decimal(default)
            node = node[key]
        return Decimal(str(node))

    def money(self, amount: Decimal) -> Decimal:
        rule = self.rounding
        return amount.quantize(Decimal(rule["quantum"]), rounding=ROUNDING[rule["mode"]])

    def period_names(self) -> list[str]:
        if self.energy_kind == "time-of-use":
            return [period["name"] for period in self.energy["periods"]]
        return ["all-hours" if self.energy_kind == "flat" else self.energy_kind]

    def period_at(self, start: datetime) -> str:
        """The period an interval is billed in, by its local start (rule 2)."""
        if self.energy_kind != "time-of-use":
            return self.period_names()[0]
        local = start.astimezone(self.zone)
        day, minute = WEEKDAYS[local.weekday()], local.hour * 60 + local.minute
        chosen = next(p["name"] for p in self.energy["periods"] if not p.get("windows"))
        for period in self.energy["periods"]:
            for window in period.get("windows") or ():
                end = _minute_of_day(window["to"]) or 24 * 60
                if day in window["days"] and _minute_of_day(window["from"]) <= minute < end:
                    chosen = period["name"]
        return chosen

    def price_of(self, name: str) -> Decimal:
        if self.energy_kind == "flat":
            return Decimal(str(self.energy["price_per_kwh"]))
        if self.energy_kind == "time-of-use":
            return Decimal(str(next(p for p in self.energy["periods"] if p["name"] == name)["price_per_kwh"]))
        return Decimal("0")

    @cached_property
    def _dynamic(self) -> tuple[list[datetime], list[tuple[datetime, datetime, Decimal]], bool]:
        """The price intervals read once: (starts, intervals, whether they are listed in order
        without overlap, so that a bisection finds the same interval as a scan would)."""
        items = [(datetime.fromisoformat(x["start"]), datetime.fromisoformat(x["end"]),
                  Decimal(str(x["price_per_kwh"]))) for x in self.energy["prices"]]
        ordered = all(before[1] <= after[0] for before, after in zip(items, items[1:]))
        return [x[0] for x in items], items, ordered

    def dynamic_price(self, start: datetime) -> Decimal:
        """The price of the first listed interval holding ``start``."""
        starts, items, ordered = self._dynamic
        if ordered:
            position = bisect_right(starts, start) - 1
            candidates = items[position:position + 1] if position >= 0 else []
        else:
            candidates = items
        for first, end, price in candidates:
            if first <= start < end:
                return price
        raise OracleRefusal(f"tariff {self.tariff_id} states no dynamic price for the interval starting "
                            f"{start.isoformat()}")


@dataclass
class Metered:
    """What the meter data gives for one bill period (rules 1, 2, 6)."""

    import_wh: dict[str, int]
    export_wh: int
    dynamic_amount: Decimal
    intervals_expected: int
    intervals_actual: int
    intervals_estimated: int
    granularity_minutes: int


@dataclass
class OracleBill:
    metered: Metered | None = None
    lines: list[dict] = field(default_factory=list)
    subtotal: Decimal | None = None
    tax: Decimal | None = None
    total: Decimal | None = None
    problem: str | None = None


def watt_hours(kwh: float) -> int:
    """Rule 1: a reading in whole Wh, binary floating point rounded half to even."""
    return round(float(kwh) * 1000)


def metered(tariff: OracleTariff, readings: Sequence, start: datetime, end: datetime) -> Metered:
    """Rules 1, 2 and 6 over the readings (objects with interval_start, interval_end,
    energy_kwh, direction, quality) inside [start, end)."""
    inside = [r for r in readings if start <= r.interval_start and r.interval_end <= end]
    lengths = {r.interval_end - r.interval_start for r in inside}
    if len(lengths) != 1:
        raise OracleRefusal(f"one interval length is needed over the period; the data holds "
                            f"{sorted(int(x.total_seconds() // 60) for x in lengths) or 'no readings'} min")
    step = lengths.pop()
    if (end - start) % step:
        raise OracleRefusal("the period is not a whole number of metering intervals")
    grid = [start + k * step for k in range(int((end - start) / step))]
    series: dict[str, dict[datetime, object]] = {"import": {}, "export": {}}
    for r in inside:
        seen = series[r.direction]
        if r.interval_start in seen:
            raise OracleRefusal(f"two {r.direction} readings for the interval starting {r.interval_start.isoformat()}")
        seen[r.interval_start] = r
    for direction in ("import", "export"):
        held = series[direction]
        if direction == "export" and not held:
            continue
        gaps = [t for t in grid if t not in held]
        if gaps:
            raise OracleRefusal(f"no {direction} reading for the interval starting {gaps[0].isoformat()} "
                                f"({len(grid) - len(gaps)} of {len(grid)} intervals)")
    per_period = dict.fromkeys(tariff.period_names(), 0)
    dynamic = Decimal(0)
    for instant, reading in series["import"].items():
        wh = watt_hours(reading.energy_kwh)
        per_period[tariff.period_at(instant)] += wh
        if tariff.energy_kind == "dynamic":
            dynamic += Decimal(wh) * tariff.dynamic_price(instant) / 1000
    return Metered(import_wh=per_period, export_wh=sum(watt_hours(r.energy_kwh) for r in series["export"].values()),
                   dynamic_amount=dynamic, intervals_expected=len(grid), intervals_actual=len(series["import"]),
                   intervals_estimated=sum(r.quality == "estimated" for r in series["import"].values()),
                   granularity_minutes=int(step.total_seconds() // 60))


def local_days(tariff: OracleTariff, start: datetime, end: datetime) -> int:
    """Rule 3: whole local days, the period running from local midnight to local midnight."""
    for name, instant in (("start", start), ("end", end)):
        local = instant.astimezone(tariff.zone)
        if local.time() != local.time().min:
            raise OracleRefusal(f"the period {name} {local.isoformat()} is not a local midnight in {tariff.zone.key}")
    return (end.astimezone(tariff.zone).date() - start.astimezone(tariff.zone).date()).days


def _line(kind: str, period: str, quantity: Decimal, unit: str, price: Decimal, amount: Decimal) -> dict:
    return {"kind": kind, "period": period, "quantity": str(quantity), "unit": unit,
            "unit_price": str(price), "amount": str(amount)}


def bill_lines(tariff: OracleTariff, m: Metered, days: int, credits: Sequence[Mapping]) -> list[dict]:
    """Rules 2-4: the lines, DR credits taken as the bill states their settlement."""
    lines = []
    if tariff.energy_kind == "dynamic":
        quantity = Decimal(m.import_wh["dynamic"]) * KWH
        average = (m.dynamic_amount / quantity).quantize(Decimal("0.000001"), ROUND_HALF_EVEN) if quantity else Decimal(0)
        lines.append(_line("energy", "dynamic", quantity, "kWh", average, tariff.money(m.dynamic_amount)))
    else:
        for name, wh in m.import_wh.items():
            quantity, price = Decimal(wh) * KWH, tariff.price_of(name)
            lines.append(_line("energy", name, quantity, "kWh", price, tariff.money(quantity * price)))
    feed_in = tariff.decimal("feed_in_price_per_kwh")
    if feed_in is not None:
        quantity = Decimal(m.export_wh) * KWH
        lines.append(_line("feed-in", "all-hours", quantity, "kWh", feed_in, -tariff.money(quantity * feed_in)))
    if tariff.energy_kind == "subscription":
        fee = tariff.decimal("energy", "fee_per_day")
        lines.append(_line("subscription", "period", Decimal(days), "day", fee, tariff.money(days * fee)))
    standing = tariff.decimal("standing_charge_per_day", default="0")
    if standing:
        lines.append(_line("standing-charge", "period", Decimal(days), "day", standing, tariff.money(days * standing)))
    incentive = tariff.decimal("dr", "incentive_per_kwh", default="0")
    penalty = tariff.decimal("dr", "penalty_per_kwh", default="0")
    for credit in credits:
        delivered = Decimal(str(credit["delivered_kwh"]))
        lines.append(_line("dr-credit", credit["contract_id"], delivered, "kWh",
                           Decimal(str(credit["price_per_kwh"])), -Decimal(str(credit["amount"]))))
        if incentive:
            lines.append(_line("dr-incentive", credit["contract_id"], delivered, "kWh", incentive,
                               -tariff.money(delivered * incentive)))
        shortfall = max(Decimal(str(credit["contracted_kwh"])) - delivered, Decimal(0))
        if penalty and shortfall:
            lines.append(_line("dr-penalty", credit["contract_id"], shortfall, "kWh", penalty,
                               tariff.money(shortfall * penalty)))
    return lines


def recompute_bill(bill: Mapping, tariff: OracleTariff, readings: Sequence) -> OracleBill:
    """The whole bill from the data (rules 1-6); ``problem`` says why it cannot be billed."""
    start, end = datetime.fromisoformat(bill["period_start"]), datetime.fromisoformat(bill["period_end"])
    out = OracleBill()
    try:
        out.metered = metered(tariff, readings, start, end)
        days = local_days(tariff, start, end)
    except OracleRefusal as refusal:
        out.metered, out.problem = None, str(refusal)
        return out
    out.lines = bill_lines(tariff, out.metered, days, bill.get("dr_credits") or [])
    out.subtotal = sum((Decimal(x["amount"]) for x in out.lines), Decimal("0.00"))
    base = sum((Decimal(x["amount"]) for x in out.lines if x["kind"] in TAXABLE), Decimal("0.00"))
    out.tax = tariff.money(base * tariff.decimal("tax", "rate_pct", default="0") / 100)
    out.total = out.subtotal + out.tax
    return out
