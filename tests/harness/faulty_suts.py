"""Deliberately faulty platforms: the reference broker with one realistic bug each. The fault
tests run `harness run --sut faulty_suts:<name>` and expect exactly the requirement the bug
breaks to fail. Each factory is a `--sut` entry point (importable with tests/harness on
PYTHONPATH).
"""
from __future__ import annotations

from dataclasses import replace

from harness.sut.reference import ReferenceSUT
from reference_impl.broker import ReferenceBroker
from reference_impl.core.bids import parse_bid, validate_bid
from reference_impl.core.errors import Rejected
from reference_impl.core.products import parse_product


class _NoProductVerification(ReferenceBroker):
    """7.5-01: stores any well-formed product without checking it against its resources."""

    def register_product(self, raw):
        product = parse_product(raw)
        with self.repo.transaction():
            self.repo.put("products", product.to_record())
        return product.to_record()


class _AcceptsExpiredBids(ReferenceBroker):
    """7.5-02: forgets to compare a bid's expiry with market time."""

    def submit_bid(self, raw):
        now = self.clock.now()
        bid = parse_bid(raw, now)
        try:
            validate_bid(bid, self._product(bid.product_id), self._participant(bid.bidder_id), self.rules, now)
        except Rejected as refusal:
            if any(e.code != "bid-expired" for e in refusal.errors):
                raise
        with self.repo.transaction():
            self.repo.put("bids", bid.to_record())
        return bid.to_record()


class _TellsOnlyWinners(ReferenceBroker):
    """7.5-02: bid results reach only the bidders who won something."""

    def notifications(self, participant_id):
        notes = super().notifications(participant_id)
        def won(note):
            return any(r.get("state") == "awarded" and self.get_bid(r["bid_id"])["bidder_id"] == participant_id
                       for r in note["body"].get("results", []))
        return [n for n in notes if n["kind"] != "bid-result" or won(n)]


class _UnlinkedLedger(ReferenceBroker):
    """7.5-02: ledger entries are hashed but not chained to the entry before."""

    def ledger_entries(self):
        entries = super().ledger_entries()
        if len(entries) > 1:
            entries[-1] = {**entries[-1], "prev_hash": "f" * 64}
        return entries


class _NoDeliveryTolerance(ReferenceBroker):
    """7.5-03: reports every delivery as fulfilled, however short."""

    def verify_delivery(self, contract_id):
        report = super().verify_delivery(contract_id)
        return {**report, "fulfilled": True}


class _CapacityAsBaseline(ReferenceBroker):
    """7.5-03: ignores a product's named customer baseline method and measures the reduction
    from the product's rated capacity instead (a common shortcut)."""

    def _product(self, product_id):
        product = super()._product(product_id)
        if product is not None and product.baseline_method:
            product = replace(product, baseline_method=None, baseline_kw=product.max_power_kw)
        return product


class _ForgetsPenalty(ReferenceBroker):
    """7.5-04: settles an unfulfilled contract without its penalty."""

    def settle_contract(self, contract_id):
        settlement = super().settle_contract(contract_id)
        from decimal import Decimal
        penalty = Decimal(settlement["penalty"])
        return {**settlement, "penalty": "0.00", "total": str(Decimal(settlement["total"]) + penalty)}


class _CrashesOnSettlement(ReferenceBroker):
    """Not a conformance finding: the platform breaks (verdict error, not fail)."""

    def settle_contract(self, contract_id):
        raise RuntimeError("database connection lost")


def _factory(broker_class, label):
    class FaultySUT(ReferenceSUT):
        pass
    FaultySUT.broker_class = broker_class
    FaultySUT.description = ReferenceSUT.description.__class__(
        name=f"faulty broker ({label})", adapter="faulty_suts", endpoint="in-process")
    return lambda workdir: FaultySUT(workdir=workdir)


no_product_verification = _factory(_NoProductVerification, "no product verification")
accepts_expired_bids = _factory(_AcceptsExpiredBids, "accepts expired bids")
tells_only_winners = _factory(_TellsOnlyWinners, "tells only winners")
unlinked_ledger = _factory(_UnlinkedLedger, "unlinked ledger")
no_delivery_tolerance = _factory(_NoDeliveryTolerance, "no delivery tolerance")
capacity_as_baseline = _factory(_CapacityAsBaseline, "capacity as baseline")
forgets_penalty = _factory(_ForgetsPenalty, "forgets penalty")
crashes_on_settlement = _factory(_CrashesOnSettlement, "crashes on settlement")


class NotASut:
    """Something a user might wrongly point --sut at."""


def not_a_sut(workdir):
    return NotASut()
