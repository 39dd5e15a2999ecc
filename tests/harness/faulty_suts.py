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


class _MeritOrderClearing(ReferenceBroker):
    """MKT-TRADE-OPTIMAL: clears by generation price alone (a merit order), as if moving
    energy cost nothing: the flows are feasible, but not the least-cost ones."""

    def clear_trading(self, raw):
        import numpy as np
        from reference_impl.adapters.flow_solver import solve_trading_flow
        from reference_impl.core.decision_codec import parse_trading, trading_answer
        from reference_impl.core.trading import Objective
        arrays, objective = parse_trading(raw)
        free = replace(arrays, transfer_cost_per_kwh=np.zeros_like(arrays.transfer_cost_per_kwh))
        answer = trading_answer(solve_trading_flow(free, Objective.STANDARD))
        flows, gen = answer["flows"], dict(zip(answer["generation"]["node_id"],
                                               answer["generation"]["energy_kwh"]))
        ids = arrays.node_ids
        tc = {(ids[s], ids[t]): c for s, t, c in zip(arrays.source, arrays.target,
                                                     arrays.transfer_cost_per_kwh)}
        gc = dict(zip(ids, arrays.generation_cost_per_kwh))
        pairs = list(zip(flows["source"], flows["target"], flows["energy_kwh"]))
        if objective is Objective.SEED:
            cost = sum(x * tc[s, t] * gc[s] for s, t, x in pairs)
        else:
            cost = sum(x * tc[s, t] for s, t, x in pairs) + sum(g * gc[n] for n, g in gen.items())
        return {**answer, "objective": objective.value, "objective_value": float(cost)}


class _DropsAFlow(ReferenceBroker):
    """MKT-TRADE-FEASIBLE: loses the largest flow of its plan when answering, so the node at its
    end no longer gets its demand."""

    def clear_trading(self, raw):
        answer = super().clear_trading(raw)
        flows = answer["flows"]
        if flows["energy_kwh"]:
            k = max(range(len(flows["energy_kwh"])), key=flows["energy_kwh"].__getitem__)
            answer["flows"] = {key: values[:k] + values[k + 1:] for key, values in flows.items()}
        return answer


class _NearestStation(ReferenceBroker):
    """MKT-EV-OPTIMAL: sends vehicles by travel cost alone, ignoring the stations' distribution
    cost (every vehicle placed legally, at a higher total)."""

    def assign_ev(self, raw):
        import numpy as np
        from scipy.optimize import linear_sum_assignment
        from reference_impl.core.decision_codec import parse_ev
        instance = parse_ev(raw)
        cost, allowed = instance.arrays()
        dc = np.array([s.distribution_cost for s in instance.stations])
        try:
            rows, cols = linear_sum_assignment(np.where(allowed, cost - dc[None, :], np.inf))
        except ValueError:  # no complete assignment: answered as the reference does
            return super().assign_ev(raw)
        return {"status": "optimal", "total_cost": float(cost[rows, cols].sum()),
                "assignment": {"vehicle_id": [instance.vehicles[i].vehicle_id for i in rows],
                               "station_id": [instance.stations[j].station_id for j in cols]},
                "reason": "", "solver": "nearest station"}


class _DoubleBooksAStation(ReferenceBroker):
    """MKT-EV-FEASIBLE: sends the last vehicle to the first vehicle's station as well."""

    def assign_ev(self, raw):
        answer = super().assign_ev(raw)
        stations = answer["assignment"]["station_id"]
        if len(stations) > 1:
            stations[-1] = stations[0]
        return answer


class _AltersTradeRecords(ReferenceBroker):
    """MKT-TRADE-RECORD: raises each trade record's amount after signing it (the ledger's hash
    chain is intact: the record was altered before it was appended)."""

    def _signed_trades(self, payloads):
        signed = super()._signed_trades(payloads)
        for payload in signed:
            if "record" in payload:
                record = payload["record"]["record"]
                record["amount_kwh"] = str(float(record["amount_kwh"]) + 1)
        return signed


class _CheapestSingleRetailer(ReferenceBroker):
    """MKT-RETAIL-CHOICE: answers with the cheapest single eligible retailer, whatever the
    customer's renewable minimum (a price-comparison shortcut)."""

    def select_retailers(self, raw):
        answer = super().select_retailers(raw)
        if answer["status"] == "ok":
            answer["chosen"] = answer["baselines"]["cheapest_single"]
        return answer


class _GreenestSingleRetailer(ReferenceBroker):
    """MKT-RETAIL-CHOICE: always picks the greenest single retailer: it meets every renewable
    minimum and sits on the front, but costs more than the customer's rule allows."""

    def select_retailers(self, raw):
        answer = super().select_retailers(raw)
        if answer["status"] == "ok":
            answer["chosen"] = max(answer["front"], key=lambda m: (m["renewable_share"], -m["cost"]))
        return answer


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
merit_order_clearing = _factory(_MeritOrderClearing, "merit-order clearing")
drops_a_flow = _factory(_DropsAFlow, "drops a flow")
nearest_station = _factory(_NearestStation, "nearest station")
double_books_a_station = _factory(_DoubleBooksAStation, "double-books a station")
alters_trade_records = _factory(_AltersTradeRecords, "alters trade records")
cheapest_single_retailer = _factory(_CheapestSingleRetailer, "cheapest single retailer")
greenest_single_retailer = _factory(_GreenestSingleRetailer, "greenest single retailer")


class NotASut:
    """Something a user might wrongly point --sut at."""


def not_a_sut(workdir):
    return NotASut()
