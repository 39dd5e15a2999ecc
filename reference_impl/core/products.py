"""Participants, their resources, and energy products (Y.2072 7.5 first bullet; 8.2.1
"energy product registration" and "advertisement").

A product is an offer of capacity made from one resource or a combination of a participant's
resources. Registration verifies it against the resources the market holds: the owner must own
every resource, the resource kinds must suit the product type, the declared capacity must not
exceed what the combined resources can deliver, every resource must run at the declared
voltage, and the availability window must be real and not already over.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from . import parsing as p
from .baseline import METHODS as _CBL_METHODS
from .errors import FieldError, Rejected

PARTICIPANT_ROLES = ("prosumer", "consumer", "aggregator", "retailer")
RESOURCE_KINDS = ("generator", "storage", "load")
PRODUCT_TYPES = ("generation", "demand-reduction")
QUALITIES = ("firm", "non-firm")
BASELINE_METHODS = tuple(_CBL_METHODS)

# Which resource kinds can back which product type: generation comes from generators and
# storage discharge; demand reduction from curtailable loads and storage (by not charging).
_KINDS_FOR_TYPE = {
    "generation": frozenset({"generator", "storage"}),
    "demand-reduction": frozenset({"load", "storage"}),
}
# Voltages are declared nominal values; a resource matches if within 1 % (e.g. 230 V vs 231 V).
_VOLTAGE_MATCH = 0.01


@dataclass(frozen=True, kw_only=True)
class Participant:
    participant_id: str
    role: str
    grid_node: str
    display_name: str

    @classmethod
    def from_request(cls, raw: Mapping) -> Participant:
        return cls(
            participant_id=p.text(raw, "participant_id"),
            role=p.text(raw, "role", choices=PARTICIPANT_ROLES),
            grid_node=p.text(raw, "grid_node"),
            display_name=p.text(raw, "display_name", required=False, default="") or "",
        )

    def to_record(self) -> dict:
        return {"participant_id": self.participant_id, "role": self.role,
                "grid_node": self.grid_node, "display_name": self.display_name}


@dataclass(frozen=True, kw_only=True)
class Resource:
    resource_id: str
    owner_id: str
    kind: str
    max_power_kw: float
    voltage_v: float
    meter_id: str

    @classmethod
    def from_request(cls, raw: Mapping) -> Resource:
        return cls(
            resource_id=p.text(raw, "resource_id"),
            owner_id=p.text(raw, "owner_id"),
            kind=p.text(raw, "kind", choices=RESOURCE_KINDS),
            max_power_kw=p.number(raw, "max_power_kw", positive=True),
            voltage_v=p.number(raw, "voltage_v", positive=True),
            meter_id=p.text(raw, "meter_id"),
        )

    def to_record(self) -> dict:
        return {"resource_id": self.resource_id, "owner_id": self.owner_id, "kind": self.kind,
                "max_power_kw": self.max_power_kw, "voltage_v": self.voltage_v,
                "meter_id": self.meter_id}


@dataclass(frozen=True, kw_only=True)
class SettlementRules:
    """The incentive and penalty terms a contract on this product carries (Y.2072 7.5-04).

    Attributes:
        tolerance_pct: a delivery counts as fulfilled when it reaches at least
            (100 - tolerance_pct) % of the contracted energy.
        incentive_pct: bonus paid to the seller on a fulfilled contract, as % of contract value.
        penalty_per_kwh: amount the seller pays per kWh of shortfall on an unfulfilled contract.
    """

    tolerance_pct: float = 5.0
    incentive_pct: float = 2.0
    penalty_per_kwh: str = "0.05"

    @classmethod
    def from_request(cls, raw: Mapping | None, prefix: str) -> SettlementRules:
        if raw is None:
            return cls()
        penalty = p.decimal(raw, "penalty_per_kwh", prefix, required=False, minimum=0)
        tolerance = p.number(raw, "tolerance_pct", prefix, required=False, minimum=0, default=5.0)
        if tolerance >= 100:
            raise Rejected(FieldError("out-of-range", f"{prefix}/tolerance_pct",
                                      f"must be below 100, got {tolerance}"))
        return cls(
            tolerance_pct=tolerance,
            incentive_pct=p.number(raw, "incentive_pct", prefix, required=False, minimum=0, default=2.0),
            penalty_per_kwh=str(penalty) if penalty is not None else cls.penalty_per_kwh,
        )

    def to_record(self) -> dict:
        return {"tolerance_pct": self.tolerance_pct, "incentive_pct": self.incentive_pct,
                "penalty_per_kwh": self.penalty_per_kwh}


@dataclass(frozen=True, kw_only=True)
class Product:
    product_id: str
    owner_id: str
    name: str
    product_type: str
    resource_ids: tuple[str, ...]
    max_power_kw: float
    voltage_v: float
    available_from: datetime
    available_until: datetime
    quality: str
    settlement_rules: SettlementRules = field(default_factory=SettlementRules)
    # A demand-reduction product states what its reduction is measured from: either a named
    # customer baseline method (core.baseline, computed from the meters' history) or a
    # declared flat baseline in kW.
    baseline_kw: float | None = None
    baseline_method: str | None = None
    status: str = "verified"

    def to_record(self) -> dict:
        return {
            "product_id": self.product_id, "owner_id": self.owner_id, "name": self.name,
            "product_type": self.product_type, "resource_ids": list(self.resource_ids),
            "max_power_kw": self.max_power_kw, "voltage_v": self.voltage_v,
            "available_from": p.fmt_instant(self.available_from),
            "available_until": p.fmt_instant(self.available_until),
            "quality": self.quality, "settlement_rules": self.settlement_rules.to_record(),
            "baseline_kw": self.baseline_kw, "baseline_method": self.baseline_method,
            "status": self.status,
        }

    @classmethod
    def from_record(cls, rec: Mapping) -> Product:
        return cls(
            product_id=rec["product_id"], owner_id=rec["owner_id"], name=rec["name"],
            product_type=rec["product_type"], resource_ids=tuple(rec["resource_ids"]),
            max_power_kw=rec["max_power_kw"], voltage_v=rec["voltage_v"],
            available_from=datetime.fromisoformat(rec["available_from"]),
            available_until=datetime.fromisoformat(rec["available_until"]),
            quality=rec["quality"], settlement_rules=SettlementRules(**rec["settlement_rules"]),
            baseline_kw=rec.get("baseline_kw"), baseline_method=rec.get("baseline_method"),
            status=rec["status"],
        )


def parse_product(raw: Mapping) -> Product:
    """Read a product registration request. Checks form only; `verify_product` checks facts.

    Raises:
        Rejected: a field is missing, of the wrong type or out of range (the error names it).
    """
    product_type = p.text(raw, "product_type", choices=PRODUCT_TYPES)
    product = Product(
        product_id=p.text(raw, "product_id"),
        owner_id=p.text(raw, "owner_id"),
        name=p.text(raw, "name", required=False, default="") or "",
        product_type=product_type,
        resource_ids=p.string_list(raw, "resource_ids"),
        max_power_kw=p.number(raw, "max_power_kw", positive=True),
        voltage_v=p.number(raw, "voltage_v", positive=True),
        available_from=p.instant(raw, "available_from"),
        available_until=p.instant(raw, "available_until"),
        quality=p.text(raw, "quality", choices=QUALITIES, required=False, default="firm"),
        settlement_rules=SettlementRules.from_request(p.mapping(raw, "settlement_rules", required=False),
                                                      "/settlement_rules"),
        baseline_kw=p.number(raw, "baseline_kw", positive=True, required=False),
        baseline_method=p.text(raw, "baseline_method", required=False, choices=BASELINE_METHODS),
    )
    if product_type == "demand-reduction" and (product.baseline_kw is None) == (product.baseline_method is None):
        raise Rejected(FieldError("baseline-required", "/baseline_method",
                                  "a demand-reduction product needs exactly one of baseline_method "
                                  f"({', '.join(BASELINE_METHODS)}) or baseline_kw"))
    if product.available_until <= product.available_from:
        raise Rejected(FieldError("invalid-window", "/available_until",
                                  "availability must end after it starts"))
    return product


def verify_product(product: Product, owner: Participant | None,
                   resources: Mapping[str, Resource], now: datetime) -> Product:
    """Verify a parsed product against the market's participants and resources.

    Args:
        product: the parsed registration.
        owner: the registered participant named as owner, or None if unknown.
        resources: the registered resources by id (at least those the product names).
        now: market time.
    Returns:
        the product, marked ``verified``.
    Raises:
        Rejected: with one FieldError per failed check, each naming the field.
    """
    errors: list[FieldError] = []
    if owner is None:
        errors.append(FieldError("unknown-participant", "/owner_id",
                                 f"participant {product.owner_id!r} is not registered"))
    allowed_kinds = _KINDS_FOR_TYPE[product.product_type]
    combined_kw = 0.0
    for index, resource_id in enumerate(product.resource_ids):
        pointer = f"/resource_ids/{index}"
        resource = resources.get(resource_id)
        if resource is None:
            errors.append(FieldError("unknown-resource", pointer, f"resource {resource_id!r} is not registered"))
            continue
        if resource.owner_id != product.owner_id:
            errors.append(FieldError("not-owner", pointer,
                                     f"resource {resource_id!r} belongs to {resource.owner_id!r}, "
                                     f"not to {product.owner_id!r}"))
        if resource.kind not in allowed_kinds:
            errors.append(FieldError("unsuitable-resource", pointer,
                                     f"a {resource.kind} cannot back a {product.product_type} product"))
        if abs(resource.voltage_v - product.voltage_v) > _VOLTAGE_MATCH * product.voltage_v + 1e-9:
            errors.append(FieldError("voltage-mismatch", pointer,
                                     f"resource runs at {resource.voltage_v:g} V, product declares "
                                     f"{product.voltage_v:g} V"))
        combined_kw += resource.max_power_kw
    if combined_kw and product.max_power_kw > combined_kw + 1e-9:
        errors.append(FieldError("capacity-exceeds-resources", "/max_power_kw",
                                 f"declared {product.max_power_kw:g} kW but its resources can deliver "
                                 f"at most {combined_kw:g} kW"))
    if product.available_until <= now:
        errors.append(FieldError("window-over", "/available_until",
                                 "the availability window has already ended"))
    if errors:
        raise Rejected(*errors)
    return product
