"""The reference broker as a service: the sans-IO core, a repository and a clock, wired so
that each request is one transaction (Y.2072 8.2.1 energy market functions).

Requests and answers are JSON-like dicts, the same shapes the HTTP binding carries. Refusals
are `core.errors.MarketError`s naming the field; nothing is stored when one is raised.
Demand response (the OpenADR 2.0b VTN side) is `dr_service.DemandResponseMixin`, inherited here;
retail billing is `billing_service.BillingMixin`.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from zoneinfo import ZoneInfo

from .adapters.flow_solver import solve_trading_flow
from .adapters.key_store import KeyStore
from .adapters.sqlite_repository import SqliteRepository
from .core import ledger
from .core.bids import Bid, parse_bid, validate_bid
from .core.clearing import clear_product
from .core.contracts import Contract, apply_party_event
from .core.delivery import DeliveryReport, HeldReadings, MeterReading, parse_readings, verify_delivery
from .core.errors import FieldError, NotFound, Rejected
from .core.notifications import notify
from .core.parsing import fmt_instant
from .core.products import Participant, Product, Resource, parse_product, verify_product
from .core.rules import MarketRules
from .core.settlement import settle
from .access import AccessControl
from .request_signing import NonceBook
from .billing_service import BillingMixin
from .domain_service import DomainMixin
from .decision_service import DecisionServiceMixin
from .dr_service import DemandResponseMixin
from .trade_signing import TradeSigningMixin


class ReferenceBroker(DemandResponseMixin, DomainMixin, BillingMixin, DecisionServiceMixin, TradeSigningMixin,
                      AccessControl, NonceBook):
    """Args:
        repository: where market, resource and metering information lives.
        clock: anything with ``now()`` returning an aware datetime.
        rules: market rules; defaults to EUR with 0.01 EUR/kWh between grid nodes.
        keys: where the broker's signing keys and pseudonym secret persist; in memory by default.
    """

    def __init__(self, repository: SqliteRepository, clock, rules: MarketRules | None = None,
                 keys: KeyStore | None = None):
        self.repo = repository
        self.clock = clock
        self.rules = rules or MarketRules()
        self.keys = keys or KeyStore(None)  # signing keys and pseudonym secret (adapters/key_store.py)

    # -- lookups -------------------------------------------------------------------------
    def _participant(self, participant_id: str) -> Participant | None:
        rec = self.repo.get("participants", participant_id)
        return Participant(**rec) if rec else None

    def _product(self, product_id: str) -> Product | None:
        rec = self.repo.get("products", product_id)
        return Product.from_record(rec) if rec else None

    def _contract(self, contract_id: str) -> Contract:
        rec = self.repo.get("contracts", contract_id)
        if rec is None:
            raise NotFound(FieldError("unknown-contract", "/contract_id", f"no contract {contract_id!r}"))
        return Contract.from_record(rec)

    def _store_new(self, table: str, key: str, record: dict, pointer: str) -> None:
        if self.repo.get(table, record[key]) is not None:
            raise Rejected(FieldError("duplicate-id", pointer, f"{record[key]!r} is already registered"))
        self.repo.put(table, record)

    def _append_ledger(self, payloads: Sequence[Mapping]) -> None:
        tail = self.repo.ledger_tail()
        last = ledger.LedgerEntry(**tail) if tail else None
        for entry in ledger.chain(last, payloads, self.clock.now()):
            self.repo.append_ledger(entry.to_record())

    # -- registration (7.5-01) --------------------------------------------------------------
    def register_participant(self, raw: Mapping) -> dict:
        participant = Participant.from_request(raw)
        with self.repo.transaction():
            self._store_new("participants", "participant_id", participant.to_record(), "/participant_id")
        return participant.to_record()

    def register_resource(self, raw: Mapping) -> dict:
        resource = Resource.from_request(raw)
        with self.repo.transaction():
            if self._participant(resource.owner_id) is None:
                raise Rejected(FieldError("unknown-participant", "/owner_id",
                                          f"participant {resource.owner_id!r} is not registered"))
            self._store_new("resources", "resource_id", resource.to_record(), "/resource_id")
        return resource.to_record()

    def register_product(self, raw: Mapping) -> dict:
        now = self.clock.now()
        product = parse_product(raw)
        with self.repo.transaction():
            resources = {rid: Resource(**rec) for rid in product.resource_ids
                         if (rec := self.repo.get("resources", rid))}
            product = verify_product(product, self._participant(product.owner_id), resources, now)
            self._store_new("products", "product_id", product.to_record(), "/product_id")
            others = [p["participant_id"] for p in self.repo.find("participants")
                      if p["participant_id"] != product.owner_id]
            for note in notify(others, "product-advertised", product.product_id, now, product.to_record()):
                self.repo.put("notifications", note.to_record())
        return product.to_record()

    def get_product(self, product_id: str) -> dict:
        rec = self.repo.get("products", product_id)
        if rec is None:
            raise NotFound(FieldError("unknown-product", "/product_id", f"no product {product_id!r}"))
        return rec

    def list_products(self) -> list[dict]:
        return self.repo.find("products")

    # -- bidding and contracts (7.5-02) -----------------------------------------------------
    def submit_bid(self, raw: Mapping) -> dict:
        now = self.clock.now()
        bid = parse_bid(raw, now)
        with self.repo.transaction():
            bid = validate_bid(bid, self._product(bid.product_id), self._participant(bid.bidder_id),
                               self.rules, now)
            self._store_new("bids", "bid_id", bid.to_record(), "/bid_id")
        return bid.to_record()

    def get_bid(self, bid_id: str) -> dict:
        rec = self.repo.get("bids", bid_id)
        if rec is None:
            raise NotFound(FieldError("unknown-bid", "/bid_id", f"no bid {bid_id!r}"))
        return rec

    def clear_product(self, product_id: str) -> dict:
        now = self.clock.now()
        with self.repo.transaction():
            product = self._product(product_id)
            if product is None:
                raise NotFound(FieldError("unknown-product", "/product_id", f"no product {product_id!r}"))
            bids = [Bid.from_record(r) for r in self.repo.find("bids", product_id=product_id)]
            participants = {r["participant_id"]: Participant(**r) for r in self.repo.find("participants")}
            outcome = clear_product(product, bids, participants, self.rules, now,
                                    solve=solve_trading_flow)  # min-cost flow (issue 7)
            for bid in outcome.bids:
                self.repo.put("bids", bid.to_record())
            for contract in outcome.contracts:
                self.repo.put("contracts", contract.to_record())
            for note in outcome.notifications:
                self.repo.put("notifications", note.to_record())
            record = outcome.to_record()
            record["clearing_id"] = f"{product_id}@{record['cleared_at']}"
            self.repo.put("clearings", record)
            self._append_ledger(self._signed_trades(outcome.trades))  # signed records (issue 7)
        return record

    def get_contract(self, contract_id: str) -> dict:
        return self._contract(contract_id).to_record()

    def contract_event(self, contract_id: str, event: str, by: str, changes: Mapping | None = None) -> dict:
        now = self.clock.now()
        with self.repo.transaction():
            contract = apply_party_event(self._contract(contract_id), event, by, changes, now)
            self.repo.put("contracts", contract.to_record())
            if event == "rebid":
                # The buyer's demand goes back into the market for the next clearing. The
                # seller's offer is not reopened: it may back other contracts, and reopening it
                # whole would sell that capacity twice; the seller re-offers with a new bid.
                bid = Bid.from_record(self.repo.get("bids", contract.buy_bid_id)).apply("reopen", awarded_kwh=0.0)
                self.repo.put("bids", bid.to_record())
            kind = {"amend": "contract-amended", "cancel": "contract-cancelled", "rebid": "contract-rebid"}[event]
            for note in notify({contract.seller_id, contract.buyer_id}, kind, contract_id, now,
                               {**contract.to_record(), "raised_by": by}):
                self.repo.put("notifications", note.to_record())
        return contract.to_record()

    def notifications(self, participant_id: str) -> list[dict]:
        return self.repo.find("notifications", recipient_id=participant_id)

    # -- metering, delivery, settlement (7.5-03, 7.5-04) -------------------------------------
    def submit_readings(self, meter_id: str, raw: Sequence[Mapping]) -> dict:
        readings = parse_readings(meter_id, raw)
        with self.repo.transaction():
            if not self.repo.find("resources", meter_id=meter_id) and not self.is_domain_meter(meter_id):
                raise Rejected(FieldError("unknown-meter", "/meter_id",
                                          f"meter {meter_id!r} belongs to no registered resource"))
            held = HeldReadings(self._held_near(meter_id, readings))
            stored = 0
            for index, reading in enumerate(readings):
                problem = held.overlap_error(reading, index)
                if problem is not None:
                    raise Rejected(problem)
                existing = held.same_interval(reading)
                if existing is not None and existing != reading:
                    raise Rejected(FieldError("conflicting-reading", f"/readings/{index}",
                                              f"meter {meter_id} already has a different {reading.direction} "
                                              f"reading for {fmt_instant(reading.interval_start)}"))
                if existing is None:
                    self.repo.put_reading(reading.to_record())
                    held.add(reading)
                    stored += 1
        return {"meter_id": meter_id, "stored": stored, "duplicates": len(readings) - stored}

    def _held_near(self, meter_id: str, readings: Sequence[MeterReading]) -> list[MeterReading]:
        """The held readings a batch can collide with (issue 8 load: a report must not cost a
        scan of the meter's whole history): per direction, those starting within the batch's
        span and the last one before it, which include both neighbours of every new reading."""
        held = []
        for direction in sorted({r.direction for r in readings}):
            mine = [r for r in readings if r.direction == direction]
            held += [MeterReading.from_record(rec) for rec in self.repo.readings_around(
                meter_id, direction, fmt_instant(min(r.interval_start for r in mine)),
                fmt_instant(max(r.interval_end for r in mine)))]
        return held

    def verify_delivery(self, contract_id: str) -> dict:
        now = self.clock.now()
        with self.repo.transaction():
            contract = self._contract(contract_id)
            product = self._product(contract.product_id)
            resources = {rid: Resource(**self.repo.get("resources", rid)) for rid in product.resource_ids}
            readings = [MeterReading.from_record(r)
                        for r in self.repo.readings(sorted({r.meter_id for r in resources.values()}))]
            peers = [Contract.from_record(r) for r in self.repo.find("contracts", product_id=product.product_id)
                     if r["state"] in ("signed", "delivered", "settled")
                     and r["delivery_start"] == contract.to_record()["delivery_start"]]
            contract, report = verify_delivery(contract, product, resources, readings, peers, now,
                                               local_tz=ZoneInfo(self.rules.local_tz))
            self.repo.put("contracts", contract.to_record())
            self.repo.put("deliveries", report.to_record())
            for note in notify({contract.seller_id, contract.buyer_id}, "delivery-verified", contract_id,
                               now, report.to_record()):
                self.repo.put("notifications", note.to_record())
        return report.to_record()

    def settle_contract(self, contract_id: str) -> dict:
        now = self.clock.now()
        with self.repo.transaction():
            contract = self._contract(contract_id)
            rec = self.repo.get("deliveries", contract_id)
            contract, settlement = settle(contract, DeliveryReport.from_record(rec) if rec else None, now)
            self.repo.put("contracts", contract.to_record())
            self.repo.put("settlements", settlement.to_record())
            self._append_ledger([{"kind": "settlement", **settlement.to_record()}])
            for note in notify({contract.seller_id, contract.buyer_id}, "contract-settled", contract_id,
                               now, settlement.to_record()):
                self.repo.put("notifications", note.to_record())
        return settlement.to_record()

    def ledger_entries(self) -> list[dict]:
        return self.repo.ledger()
