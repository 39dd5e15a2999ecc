"""Bill lines, tax and totals of many customers at once (rules 2, 3 and 5 of `billing`), as
integer columns, for billing runs of thousands of supply points (bench/billing.py).

`billing.price_lines` states the rules in `Decimal`; this module computes the very same numbers
over all customers with numpy, and writes them as `str(Decimal)` would:
- a decimal number is an integer count of ``10**exponent`` (``DecimalColumn``); a product of
  such numbers is exact in integers, and rounding to the tariff's quantum is one integer
  division with the rule's tie-breaking (half-even, half-up: away from zero), on the magnitude;
- exponents follow Decimal's: a quantity of Wh / 1000 has exponent -3, a rounded amount the
  quantum's, a sum the smallest of its terms' (the subtotal starts at ``Decimal("0.00")``);
- signs follow Decimal's too, zero included: a product or quotient carries the XOR of its
  operands' signs, ``quantize`` keeps it (a tiny negative amount becomes ``-0.00``), negating a
  zero gives ``+0``, and a sum that is zero is ``+0``;
- int64 is used while the magnitudes stay below 2**59; beyond that the column holds Python
  integers (numpy object arrays), exact at any size, so no result ever wraps around.
What is not here: DR credits (rule 4) and interval curves, which are per contract and per
consent; such bills are made one at a time by `billing.compose_bill`. The lines and their order
are `price_lines`'s; tests/reference_impl/core/test_bulk_pricing.py checks every number and text
against it on random totals and tariffs (flat, time-of-use, dynamic, subscription, feed-in,
standing charge, tax, both rounding modes, quanta from 1 to 0.000001).
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from .billing import TAXABLE
from .bulk_billing import MeteredColumns
from .errors import FieldError, Rejected
from .tariffs import Tariff

_SAFE = 1 << 59          # magnitudes below this keep int64 sums of a few terms from overflowing


def _exact(values: np.ndarray, factor: int) -> np.ndarray:
    """values × factor, in int64 while that is safe, else in Python integers."""
    peak = int(np.abs(values).max(initial=0)) if values.dtype != object else max(map(abs, values), default=0)
    if peak * abs(factor) >= _SAFE or values.dtype == object:
        return values.astype(object) * factor
    return values * factor


def _split(value: Decimal) -> tuple[int, int, bool]:
    """(integer units, exponent, sign bit) of a finite Decimal."""
    sign, digits, exponent = value.as_tuple()
    units = int("".join(map(str, digits)) or "0")
    return (-units if sign else units), exponent, bool(sign)


@dataclass(frozen=True)
class DecimalColumn:
    """One decimal number per customer: ``units × 10**exponent``; ``negative``: Decimal's sign bit
    (set on a rounded ``-0.00``); ``bare``: rows Decimal writes as a plain ``0`` (an average price
    of nothing); ``constant``: the same for every customer (a bill template may keep it fixed);
    ``text``: a tariff constant's own text (``1E-7`` stays as Decimal writes it)."""

    units: np.ndarray
    exponent: int
    negative: np.ndarray
    constant: bool = False
    bare: np.ndarray | None = None
    text: str | None = None             # a constant's own `str(Decimal)`, whatever its exponent

    def texts(self) -> list[str]:
        """`str(Decimal)` of every row (computed rows: plain notation, exponents from -6 to 0)."""
        if self.text is not None:
            return [self.text] * len(self.units)
        places = -self.exponent
        magnitude = np.abs(self.units)
        if places:
            whole, fraction = magnitude // 10 ** places, magnitude % 10 ** places
            out = [f"{'-' if n else ''}{w}.{f:0{places}d}"
                   for n, w, f in zip(self.negative.tolist(), whole.tolist(), fraction.tolist())]
        else:
            out = [f"{'-' if n else ''}{m}" for n, m in zip(self.negative.tolist(), magnitude.tolist())]
        if self.bare is not None:
            for row in np.flatnonzero(self.bare).tolist():
                out[row] = "0"
        return out

    def aligned(self, exponent: int) -> np.ndarray:
        return _exact(self.units, 10 ** (self.exponent - exponent))


def _constant(value: Decimal, customers: int) -> DecimalColumn:
    units, exponent, sign = _split(value)
    return DecimalColumn(np.full(customers, units, dtype=object if abs(units) >= _SAFE else np.int64), exponent,
                         np.full(customers, sign), constant=True, text=str(value))


def _divide(numerator: np.ndarray, divisor, mode: str) -> np.ndarray:
    """numerator / divisor rounded to an integer under ``mode`` (on the magnitude, so half-up
    rounds ties away from zero as ROUND_HALF_UP does); divisor > 0."""
    magnitude = np.abs(numerator)
    quotient, remainder = magnitude // divisor, magnitude % divisor   # (np.divmod has no object loop)
    twice = remainder * 2
    if mode == "half-up":
        quotient = quotient + (twice >= divisor)
    else:
        quotient = quotient + ((twice > divisor) | ((twice == divisor) & (quotient % 2 == 1)))
    return np.where(numerator < 0, -quotient, quotient)


def _rounded(numerator: np.ndarray, exponent: int, negative: np.ndarray, tariff: Tariff, quantum: int,
             constant: bool = False) -> DecimalColumn:
    """Quantize ``numerator × 10**exponent`` to ``10**quantum`` (the tariff's money rule)."""
    shift = quantum - exponent
    units = _exact(numerator, 10 ** -shift) if shift <= 0 else _divide(numerator, 10 ** shift, tariff.rounding.mode)
    return DecimalColumn(units, quantum, negative, constant)


def _negated(column: DecimalColumn) -> DecimalColumn:
    return DecimalColumn(-column.units, column.exponent, (column.units != 0) & ~column.negative, column.constant)


def _summed(columns: list[DecimalColumn], start_exponent: int, customers: int) -> DecimalColumn:
    exponent = min([start_exponent] + [c.exponent for c in columns])
    units = np.zeros(customers, dtype=np.int64)
    for column in columns:
        units = units + column.aligned(exponent)
    return DecimalColumn(units, exponent, units < 0, all(c.constant for c in columns))


@dataclass(frozen=True)
class LineColumns:
    kind: str
    period: str
    unit: str
    quantity: DecimalColumn
    unit_price: DecimalColumn
    amount: DecimalColumn


@dataclass(frozen=True)
class PricedColumns:
    lines: tuple[LineColumns, ...]
    subtotal: DecimalColumn
    tax: DecimalColumn
    total: DecimalColumn


def _quantum_exponent(tariff: Tariff) -> int:
    exponent = tariff.rounding.quantum.as_tuple().exponent
    if not -6 <= exponent <= 0:
        raise Rejected(FieldError("rounding-unsupported", "/rounding/quantum",
                                  f"bulk billing writes amounts to between 1 and 0.000001; the tariff rounds to "
                                  f"{tariff.rounding.quantum}"))
    return exponent


def price_columns(tariff: Tariff, metered: MeteredColumns, days: int) -> PricedColumns:
    """Rules 2, 3, 5 of `billing` (as `price_lines` without DR credits) for every customer.

    Raises:
        Rejected: ``rounding-unsupported`` (``/rounding/quantum``) for a quantum outside 1..0.000001.
    """
    quantum = _quantum_exponent(tariff)
    customers = metered.export_wh.shape[0]
    lines: list[LineColumns] = []

    def energy_quantity(wh: np.ndarray) -> DecimalColumn:
        return DecimalColumn(wh, -3, wh < 0)

    def charge(kind: str, period: str, wh: np.ndarray, price: Decimal, credit: bool = False) -> None:
        units, exponent, sign = _split(price)
        amount = _rounded(_exact(wh, units), exponent - 3, (wh < 0) ^ sign, tariff, quantum)
        lines.append(LineColumns(kind, period, "kWh", energy_quantity(wh), _constant(price, customers),
                                 _negated(amount) if credit else amount))

    if tariff.energy_kind == "dynamic":
        wh, micro = metered.import_wh[:, 0], metered.dynamic_micro
        amount = _rounded(micro, -9, micro < 0, tariff, quantum)
        nothing = wh == 0
        average = _divide(micro, np.where(nothing, 1, np.abs(wh)), "half-even") * np.where(wh < 0, -1, 1)
        price = DecimalColumn(np.where(nothing, 0, average), -6, ~nothing & ((micro < 0) ^ (wh < 0)), bare=nothing)
        lines.append(LineColumns("energy", "dynamic", "kWh", energy_quantity(wh), price, amount))
    else:
        for index, name in enumerate(tariff.period_names()):
            charge("energy", name, metered.import_wh[:, index], tariff.unit_price(index))
    if tariff.feed_in_price_per_kwh is not None:
        charge("feed-in", "all-hours", metered.export_wh, tariff.feed_in_price_per_kwh, credit=True)
    for kind, price in (("subscription", tariff.subscription_per_day),
                        ("standing-charge", tariff.standing_charge_per_day or None)):
        if price is not None:
            units, exponent, sign = _split(price)
            amount = _rounded(np.full(customers, days * units), exponent, np.full(customers, sign), tariff, quantum,
                              constant=True)
            lines.append(LineColumns(kind, "period", "day", _constant(Decimal(days), customers),
                                     _constant(price, customers), amount))
    subtotal = _summed([line.amount for line in lines], -2, customers)
    base = _summed([line.amount for line in lines if line.kind in TAXABLE], -2, customers)
    rate, rate_exponent, rate_sign = _split(tariff.tax_rate_pct)
    tax = _rounded(_exact(base.units, rate), base.exponent + rate_exponent - 2, (base.units < 0) ^ rate_sign,
                   tariff, quantum)
    total = _summed([subtotal, tax], subtotal.exponent, customers)
    return PricedColumns(tuple(lines), subtotal, tax, total)


def actual_share_pct(metered: MeteredColumns) -> DecimalColumn:
    """`Bill.to_record`'s share of actual readings: 100 × (actual − estimated) / actual, quantized to
    0.01 half-even (Decimal's default; the 28-digit quotient cannot sit on a tie it is not on)."""
    customers = metered.estimated.shape[0]
    if not metered.intervals:
        return _constant(Decimal("0"), customers)
    units = _divide((metered.intervals - metered.estimated) * 10_000, metered.intervals, "half-even")
    return DecimalColumn(units, -2, np.zeros(customers, dtype=bool))
