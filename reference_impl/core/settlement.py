"""Settlement of a delivered contract (Y.2072 7.5 fourth bullet; 8.2.1 "billing").

The rules come from the contract itself (its `SettlementRules`), so what was agreed is what is
applied:
- energy charge = min(delivered, contracted) × contract price: over-delivery is not paid for;
- incentive (fulfilled contracts only) = incentive_pct % of the contract value, paid by the
  buyer to the seller (Y.2072 6, stage 4: the buyer rewards the seller);
- penalty (unfulfilled contracts only) = shortfall kWh × penalty_per_kwh, owed by the seller;
- total the buyer pays the seller = energy charge + incentive − penalty.
Each line is rounded to the cent with banker's rounding before the total is summed.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from . import parsing as p
from .contracts import Contract
from .delivery import DeliveryReport
from .errors import Conflict, FieldError
from .rules import to_cents


@dataclass(frozen=True, kw_only=True)
class Settlement:
    contract_id: str
    currency: str
    billable_kwh: float
    price_per_kwh: Decimal
    energy_charge: Decimal
    incentive: Decimal
    penalty: Decimal
    total: Decimal
    fulfilled: bool
    rules_applied: tuple[str, ...]
    settled_at: datetime

    def to_record(self) -> dict:
        return {"contract_id": self.contract_id, "currency": self.currency,
                "billable_kwh": self.billable_kwh, "price_per_kwh": str(self.price_per_kwh),
                "energy_charge": str(self.energy_charge), "incentive": str(self.incentive),
                "penalty": str(self.penalty), "total": str(self.total), "fulfilled": self.fulfilled,
                "rules_applied": list(self.rules_applied), "settled_at": p.fmt_instant(self.settled_at)}


def settle(contract: Contract, report: DeliveryReport, now: datetime) -> tuple[Contract, Settlement]:
    """Price a delivered contract with its incentive or penalty.

    Returns:
        the contract moved to ``settled`` and the settlement.
    Raises:
        Conflict: the contract's delivery has not been verified (or it is already settled).
    """
    if report is None or report.contract_id != contract.contract_id:
        raise Conflict(FieldError("delivery-not-verified", "/contract_id",
                                  f"verify delivery of {contract.contract_id} before settling it"))
    settled = contract.apply("settle")
    lines = price_delivery(energy_kwh=contract.energy_kwh, price_per_kwh=contract.price_per_kwh,
                           currency=contract.currency, delivered_kwh=report.delivered_kwh,
                           threshold_kwh=report.threshold_kwh, shortfall_kwh=report.shortfall_kwh,
                           fulfilled=report.fulfilled, incentive_pct=contract.rules.incentive_pct,
                           penalty_per_kwh=Decimal(contract.rules.penalty_per_kwh))
    return settled, Settlement(contract_id=contract.contract_id, currency=contract.currency,
                               price_per_kwh=contract.price_per_kwh, fulfilled=report.fulfilled,
                               settled_at=now, **lines)


def price_delivery(*, energy_kwh: float, price_per_kwh: Decimal, currency: str, delivered_kwh: float,
                   threshold_kwh: float, shortfall_kwh: float, fulfilled: bool, incentive_pct: float,
                   penalty_per_kwh: Decimal) -> dict:
    """The settlement rules above as one pure function of the agreed terms and the verified
    delivery, shared by `settle` and by bill checks that recompute a DR credit.

    Returns:
        ``billable_kwh``, ``energy_charge``, ``incentive``, ``penalty``, ``total`` and
        ``rules_applied``.
    """
    billable = min(delivered_kwh, energy_kwh)
    energy_charge = to_cents(Decimal(str(billable)) * price_per_kwh)
    incentive = Decimal("0.00")
    penalty = Decimal("0.00")
    rules = [f"energy: {billable:g} kWh x {price_per_kwh} {currency}/kWh"]
    if fulfilled:
        value = Decimal(str(energy_kwh)) * price_per_kwh
        incentive = to_cents(value * Decimal(str(incentive_pct)) / 100)
        rules.append(f"incentive: fulfilled (delivered {delivered_kwh:g} >= "
                     f"{threshold_kwh:g} kWh), {incentive_pct:g} % of contract value")
    else:
        penalty = to_cents(Decimal(str(shortfall_kwh)) * penalty_per_kwh)
        rules.append(f"penalty: unfulfilled (delivered {delivered_kwh:g} < "
                     f"{threshold_kwh:g} kWh), shortfall {shortfall_kwh:g} kWh x "
                     f"{penalty_per_kwh} {currency}/kWh")
    return {"billable_kwh": billable, "energy_charge": energy_charge, "incentive": incentive,
            "penalty": penalty, "total": energy_charge + incentive - penalty, "rules_applied": tuple(rules)}
