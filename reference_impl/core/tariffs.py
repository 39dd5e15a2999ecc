"""Retail tariffs as EMIX-style prices on WS-Calendar intervals, each declaring its billing mode
in the sense of ISO/IEC TR 23613 (usage-based, subscription, time-of-use).

A tariff has one energy price component and optional extras:
- ``flat``: one price per kWh imported (billing mode ``usage-based``);
- ``time-of-use``: named periods (``peak``, ``off-peak``...) each with a price and weekly windows
  in the tariff's local time; exactly one period has no windows and covers the rest of the week
  (billing mode ``time-of-use``);
- ``dynamic``: a price per interval, a WS-Calendar interval sequence whose payload is the price
  (billing mode ``time-of-use``: the price follows time, interval by interval);
- ``subscription``: a fee per day whatever the usage; energy is shown but priced at 0
  (billing mode ``subscription``);
- extras: ``standing_charge_per_day``, ``feed_in_price_per_kwh`` (export, credited),
  ``dr``: the customer baseline method demand-response credits are computed with, and the
  retailer's own DR programme terms on top of the market settlement: ``incentive_per_kwh`` of
  delivered reduction (credited) and ``penalty_per_kwh`` of shortfall against the contracted
  reduction (charged); ``tax`` (name and rate in percent of the taxable lines).

Rounding rule (declared on each tariff; the only one the reference applies): energy quantities
to 0.001 kWh, half to even; each money line to the cent, half to even, before lines are summed
("cent, half-even, per line"). Billing accuracy checks recompute under the declared rule.

Classification is one table for both billing paths: ``week_table()`` gives the period index of
every minute of the local week, and the per-customer path (``period_of``) and the vectorised
path (``reference_impl.core.bulk_billing``) both index it by the interval's local start.
Dynamic prices are looked up the same way by both paths: the price interval containing the
reading's start (``dynamic_starts`` / ``dynamic_prices``).
"""
from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from . import parsing as p
from .errors import FieldError, Rejected

BILLING_MODES = ("usage-based", "subscription", "time-of-use")
ENERGY_KINDS = {"flat": "usage-based", "time-of-use": "time-of-use", "dynamic": "time-of-use",
                "subscription": "subscription"}
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MINUTES_PER_WEEK = 7 * 24 * 60
ROUNDING_MODES = {"half-even": ROUND_HALF_EVEN, "half-up": ROUND_HALF_UP}
KWH_QUANTUM = Decimal("0.001")


def _bad(code: str, field: str, message: str) -> Rejected:
    return Rejected(FieldError(code, field, message))


@dataclass(frozen=True)
class RoundingRule:
    """How money lines are rounded: to ``quantum`` (0.01 = the cent) with ``mode``, per line."""

    quantum: Decimal = Decimal("0.01")
    mode: str = "half-even"
    scope: str = "line"

    def money(self, amount: Decimal) -> Decimal:
        return amount.quantize(self.quantum, rounding=ROUNDING_MODES[self.mode])

    def energy(self, kwh: Decimal) -> Decimal:
        return kwh.quantize(KWH_QUANTUM, rounding=ROUNDING_MODES[self.mode])

    def describe(self) -> str:
        return f"{self.quantum} {self.mode} per {self.scope}"

    def to_record(self) -> dict:
        return {"quantum": str(self.quantum), "mode": self.mode, "scope": self.scope}


@dataclass(frozen=True)
class TouWindow:
    days: tuple[int, ...]      # 0 = Monday
    start: time
    end: time                  # 00:00 means midnight at the end of the day


@dataclass(frozen=True)
class TouPeriod:
    name: str
    price_per_kwh: Decimal
    windows: tuple[TouWindow, ...] = ()


@dataclass(frozen=True)
class PriceInterval:
    """One WS-Calendar interval of a dynamic tariff: [start, end) at ``price_per_kwh``."""

    start: datetime
    end: datetime
    price_per_kwh: Decimal


@dataclass(frozen=True, kw_only=True)
class Tariff:
    tariff_id: str
    currency: str
    billing_mode: str
    energy_kind: str
    local_tz: str
    price_per_kwh: Decimal | None = None              # flat
    periods: tuple[TouPeriod, ...] = ()               # time-of-use
    dynamic: tuple[PriceInterval, ...] = ()           # dynamic
    subscription_per_day: Decimal | None = None       # subscription
    standing_charge_per_day: Decimal = Decimal("0")
    feed_in_price_per_kwh: Decimal | None = None
    cbl_method: str | None = None
    dr_incentive_per_kwh: Decimal = Decimal("0")      # the retailer's own DR programme, on top of
    dr_penalty_per_kwh: Decimal = Decimal("0")        # the market settlement of the DR contract
    tax_name: str | None = None
    tax_rate_pct: Decimal = Decimal("0")
    rounding: RoundingRule = RoundingRule()

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.local_tz)

    def period_names(self) -> tuple[str, ...]:
        if self.energy_kind == "time-of-use":
            return tuple(period.name for period in self.periods)
        return (self.energy_kind if self.energy_kind != "flat" else "all-hours",)

    def week_table(self) -> tuple[int, ...]:
        """Period index for each minute of the local week (Monday 00:00 = 0); all zeros unless
        the tariff is time-of-use. Later periods' windows win over earlier ones."""
        if self.energy_kind != "time-of-use":
            return (0,) * MINUTES_PER_WEEK
        default = next(i for i, period in enumerate(self.periods) if not period.windows)
        table = [default] * MINUTES_PER_WEEK
        for index, period in enumerate(self.periods):
            for window in period.windows:
                first = window.start.hour * 60 + window.start.minute
                last = window.end.hour * 60 + window.end.minute or 24 * 60
                for day in window.days:
                    table[day * 1440 + first:day * 1440 + last] = [index] * (last - first)
        return tuple(table)

    def period_of(self, interval_start: datetime, table: Sequence[int] | None = None) -> int:
        """The period index an interval belongs to, by its local start."""
        local = interval_start.astimezone(self.zone)
        minute = local.weekday() * 1440 + local.hour * 60 + local.minute
        return (table or self.week_table())[minute]

    def unit_price(self, period_index: int) -> Decimal:
        if self.energy_kind == "flat":
            return self.price_per_kwh
        if self.energy_kind == "time-of-use":
            return self.periods[period_index].price_per_kwh
        return Decimal("0")   # subscription: energy included; dynamic: per interval

    def dynamic_price(self, interval_start: datetime) -> Decimal:
        """The dynamic price whose interval contains ``interval_start``.

        Raises:
            Rejected: no price interval covers it (``/dynamic``), never a guessed price.
        """
        starts = [x.start for x in self.dynamic]
        position = bisect_right(starts, interval_start) - 1
        if position < 0 or self.dynamic[position].end <= interval_start:
            raise _bad("price-missing", "/energy/prices",
                       f"tariff {self.tariff_id} has no dynamic price for {p.fmt_instant(interval_start)}")
        return self.dynamic[position].price_per_kwh

    def to_record(self) -> dict:
        energy: dict = {"kind": self.energy_kind}
        if self.energy_kind == "flat":
            energy["price_per_kwh"] = str(self.price_per_kwh)
        elif self.energy_kind == "time-of-use":
            energy["periods"] = [{"name": x.name, "price_per_kwh": str(x.price_per_kwh),
                                  "windows": [{"days": [DAYS[d] for d in w.days], "from": w.start.strftime("%H:%M"),
                                               "to": w.end.strftime("%H:%M")} for w in x.windows]}
                                 for x in self.periods]
        elif self.energy_kind == "dynamic":
            energy["prices"] = [{"start": p.fmt_instant(x.start), "end": p.fmt_instant(x.end),
                                 "price_per_kwh": str(x.price_per_kwh)} for x in self.dynamic]
        else:
            energy["fee_per_day"] = str(self.subscription_per_day)
        record = {"tariff_id": self.tariff_id, "currency": self.currency, "billing_mode": self.billing_mode,
                  "local_tz": self.local_tz, "energy": energy,
                  "standing_charge_per_day": str(self.standing_charge_per_day),
                  "rounding": self.rounding.to_record()}
        if self.feed_in_price_per_kwh is not None:
            record["feed_in_price_per_kwh"] = str(self.feed_in_price_per_kwh)
        if self.cbl_method:
            record["dr"] = {"cbl_method": self.cbl_method, "incentive_per_kwh": str(self.dr_incentive_per_kwh),
                            "penalty_per_kwh": str(self.dr_penalty_per_kwh)}
        if self.tax_name:
            record["tax"] = {"name": self.tax_name, "rate_pct": str(self.tax_rate_pct)}
        return record


def _clock(raw: Mapping, key: str, prefix: str) -> time:
    value = p.text(raw, key, prefix)
    try:
        parsed = time.fromisoformat(value)
    except ValueError:
        raise _bad("invalid-value", f"{prefix}/{key}", f"expected HH:MM, got {value!r}") from None
    if parsed.second or parsed.microsecond or parsed.minute % 15:
        raise _bad("invalid-value", f"{prefix}/{key}", f"windows start and end on a quarter hour, got {value!r}")
    return parsed


def _windows(raw: Sequence, prefix: str) -> tuple[TouWindow, ...]:
    if not isinstance(raw, list):
        raise _bad("invalid-type", prefix, "expected a list of windows")
    windows = []
    for index, item in enumerate(raw):
        where = f"{prefix}/{index}"
        days = p.string_list(item, "days", where)
        for d_index, day in enumerate(days):
            if day not in DAYS:
                raise _bad("invalid-value", f"{where}/days/{d_index}", f"expected one of {', '.join(DAYS)}, got {day!r}")
        start, end = _clock(item, "from", where), _clock(item, "to", where)
        if end != time(0) and end <= start:
            raise _bad("invalid-interval", f"{where}/to", "a window ends after it starts (00:00 = midnight)")
        windows.append(TouWindow(tuple(DAYS.index(d) for d in days), start, end))
    return tuple(windows)


def _energy(raw: Mapping, tariff_id: str) -> dict:
    energy = p.mapping(raw, "energy")
    kind = p.text(energy, "kind", "/energy", choices=tuple(ENERGY_KINDS))
    out: dict = {"energy_kind": kind}
    if kind == "flat":
        out["price_per_kwh"] = p.decimal(energy, "price_per_kwh", "/energy", minimum=Decimal("0"))
    elif kind == "subscription":
        out["subscription_per_day"] = p.decimal(energy, "fee_per_day", "/energy", minimum=Decimal("0"))
    elif kind == "time-of-use":
        items = energy.get("periods")
        if not isinstance(items, list) or len(items) < 2:
            raise _bad("invalid-type", "/energy/periods", "a time-of-use tariff needs at least two periods")
        periods = []
        for index, item in enumerate(items):
            where = f"/energy/periods/{index}"
            periods.append(TouPeriod(p.text(item, "name", where),
                                     p.decimal(item, "price_per_kwh", where, minimum=Decimal("0")),
                                     _windows(item.get("windows") or [], f"{where}/windows")))
        if sum(1 for x in periods if not x.windows) != 1:
            raise _bad("invalid-value", "/energy/periods",
                       "exactly one period must have no windows (it covers the rest of the week)")
        if len({x.name for x in periods}) != len(periods):
            raise _bad("duplicate", "/energy/periods", "period names must be unique")
        out["periods"] = tuple(periods)
    else:
        items = energy.get("prices")
        if not isinstance(items, list) or not items:
            raise _bad("invalid-type", "/energy/prices", "a dynamic tariff needs a non-empty list of prices")
        prices = []
        for index, item in enumerate(items):
            where = f"/energy/prices/{index}"
            start = p.instant(item, "start", where).astimezone(timezone.utc)
            end = p.instant(item, "end", where).astimezone(timezone.utc)
            if end <= start:
                raise _bad("invalid-interval", f"{where}/end", "a price interval ends after it starts")
            if prices and start < prices[-1].end:
                raise _bad("overlapping-interval", f"{where}/start",
                           "dynamic price intervals must be sorted and must not overlap")
            price = p.decimal(item, "price_per_kwh", where)
            if price.normalize().as_tuple().exponent < -6:   # Σ Wh x price is summed in micro-units
                raise _bad("invalid-value", f"{where}/price_per_kwh",
                           f"a dynamic price has at most 6 decimals (1e-6 {raw.get('currency', '')}/kWh), got {price}")
            prices.append(PriceInterval(start, end, price))
        out["dynamic"] = tuple(prices)
    return out


def parse_tariff(raw: Mapping) -> Tariff:
    """Read a tariff from its JSON record (the shape `Tariff.to_record` writes).

    Raises:
        Rejected: naming the field (``/billing_mode``, ``/energy/periods/1/windows/0/to``...).
    """
    tariff_id = p.text(raw, "tariff_id")
    mode = p.text(raw, "billing_mode", choices=BILLING_MODES)
    energy = _energy(raw, tariff_id)
    if ENERGY_KINDS[energy["energy_kind"]] != mode:
        raise _bad("billing-mode-mismatch", "/billing_mode",
                   f"a {energy['energy_kind']} energy price is billed {ENERGY_KINDS[energy['energy_kind']]}, "
                   f"not {mode} (ISO/IEC TR 23613 billing modes)")
    local_tz = p.text(raw, "local_tz", required=False, default="Europe/Luxembourg")
    try:
        ZoneInfo(local_tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise _bad("invalid-value", "/local_tz", f"unknown IANA time zone {local_tz!r}") from None
    dr = p.mapping(raw, "dr", required=False) or {}
    tax = p.mapping(raw, "tax", required=False) or {}
    rounding = p.mapping(raw, "rounding", required=False) or {}
    rule = RoundingRule(quantum=p.decimal(rounding, "quantum", "/rounding", required=False, default=Decimal("0.01")),
                        mode=p.text(rounding, "mode", "/rounding", required=False, default="half-even",
                                    choices=tuple(ROUNDING_MODES)),
                        scope=p.text(rounding, "scope", "/rounding", required=False, default="line",
                                     choices=("line",)))
    from .baseline import METHODS  # the DR credit uses one of the named CBL methods
    return Tariff(
        tariff_id=tariff_id, currency=p.text(raw, "currency"), billing_mode=mode, local_tz=local_tz,
        **energy,
        standing_charge_per_day=p.decimal(raw, "standing_charge_per_day", required=False, default=Decimal("0"),
                                          minimum=Decimal("0")),
        feed_in_price_per_kwh=p.decimal(raw, "feed_in_price_per_kwh", required=False, minimum=Decimal("0")),
        cbl_method=p.text(dr, "cbl_method", "/dr", required=bool(dr), choices=tuple(METHODS)),
        dr_incentive_per_kwh=p.decimal(dr, "incentive_per_kwh", "/dr", required=False, default=Decimal("0"),
                                       minimum=Decimal("0")),
        dr_penalty_per_kwh=p.decimal(dr, "penalty_per_kwh", "/dr", required=False, default=Decimal("0"),
                                     minimum=Decimal("0")),
        tax_name=p.text(tax, "name", "/tax", required=False),
        tax_rate_pct=p.decimal(tax, "rate_pct", "/tax", required=False, default=Decimal("0"), minimum=Decimal("0")),
        rounding=rule)


def billing_days(start: datetime, end: datetime, zone: ZoneInfo) -> int:
    """Whole local days in [start, end) for day-based charges.

    Raises:
        Rejected: the period does not start and end at local midnight (``/period_start``...).
    """
    for key, value in (("period_start", start), ("period_end", end)):
        local = value.astimezone(zone)
        if (local.hour, local.minute, local.second) != (0, 0, 0):
            raise _bad("invalid-value", f"/{key}", f"a billing period runs from local midnight to local "
                                                   f"midnight ({zone.key}); got {local.isoformat()}")
    return (end.astimezone(zone).date() - start.astimezone(zone).date()) // timedelta(days=1)
