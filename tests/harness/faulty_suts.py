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


# -- billing certification (SC38-*, GDPR-*): one realistic billing bug each -------------------------
import hashlib  # noqa: E402
import time  # noqa: E402
from decimal import Decimal  # noqa: E402

from reference_impl.core.errors import Conflict, FieldError  # noqa: E402


class _DeclaresHourlyGranularity(ReferenceBroker):
    """SC38-GRANULARITY: states the contract's nominal hourly granularity, not the data's."""

    def _bill_record(self, bill, supply):
        return {**super()._bill_record(bill, supply), "granularity_minutes": 60}


class _WhBilledAsKwh(ReferenceBroker):
    """SC38-UNIT: shows the meter's Wh figures under the declared kWh unit."""

    def _bill_record(self, bill, supply):
        record = super()._bill_record(bill, supply)
        record["lines"] = [{**x, "quantity": str(Decimal(x["quantity"]) * 1000)} if x["unit"] == "kWh" else x
                           for x in record["lines"]]
        return record


class _DeclaresUsageBased(ReferenceBroker):
    """SC38-MODE: every bill says usage-based, whatever the tariff."""

    def _bill_record(self, bill, supply):
        return {**super()._bill_record(bill, supply), "billing_mode": "usage-based"}


class _OffByACent(ReferenceBroker):
    """SC38-ACCURACY: the first energy line rounded up a cent (sums kept consistent)."""

    def _bill_record(self, bill, supply):
        record = super()._bill_record(bill, supply)
        cent = Decimal("0.01")
        record["lines"][0] = {**record["lines"][0], "amount": str(Decimal(record["lines"][0]["amount"]) + cent)}
        record["subtotal"] = str(Decimal(record["subtotal"]) + cent)
        record["total"] = str(Decimal(record["total"]) + cent)
        return record


class _HidesEstimates(ReferenceBroker):
    """SC38-COMPLETENESS: reports every reading as actual."""

    def _bill_record(self, bill, supply):
        record = super()._bill_record(bill, supply)
        record["metering"] = {**record["metering"], "intervals_estimated": 0, "actual_share_pct": "100.00"}
        return record


class _AllowsOverlappingBills(ReferenceBroker):
    """SC38-PERIOD: bills any period asked for, even one already billed."""

    def _check_continuity(self, supply_point, start, end):
        return None


class _FlakyMetering(ReferenceBroker):
    """SC38-AVAILABILITY: the metering service drops every fourth request."""

    calls = 0

    def meter_readings(self, meter_id):
        type(self).calls += 1
        if self.calls % 4 == 0:
            raise Conflict(FieldError("service-unavailable", "/meter_id", "metering service busy, try later"))
        return super().meter_readings(meter_id)


class _SlowMetering(ReferenceBroker):
    """SC38-RESPONSE-TIME: the metering service takes 300 ms per request."""

    def meter_readings(self, meter_id):
        time.sleep(0.3)
        return super().meter_readings(meter_id)


class _BareHashPseudonym(ReferenceBroker):
    """GDPR-PSEUDONYM: the customer reference is a bare SHA-256 of the customer id."""

    def _bill_record(self, bill, supply):
        digest = hashlib.sha256(supply["customer_id"].encode()).hexdigest()
        return {**super()._bill_record(bill, supply), "customer_ref": "hmac-sha256:" + digest}


class _CurveForEveryone(ReferenceBroker):
    """GDPR-CURVE-CONSENT: puts the interval load curve on every bill."""

    def _curve_consent(self, supply):
        return True


class _CounterpartyInClear(ReferenceBroker):
    """GDPR-COUNTERPARTY: names the DR buyer by its participant id."""

    def _counterparty_ref(self, key, domain, participant_id):
        return participant_id


class _NoRetentionRule(ReferenceBroker):
    """GDPR-RETENTION: no retention rule on the bill."""

    def _bill_record(self, bill, supply):
        record = super()._bill_record(bill, supply)
        return {**record, "retention": {**record["retention"], "rule": " "}}


class _BrokenSignature(ReferenceBroker):
    """GDPR-SIGNATURE: the document changes after signing (one byte of the supplier's name, so
    every figure still recomputes and only the signature can tell)."""

    def _sign_bill(self, record, key):
        document = super()._sign_bill(record, key)
        return document.replace("Reference Retailer<", "Reference Retailes<", 1)


class _FlatBaselineForDr(ReferenceBroker):
    """SC38-DR-CBL: credits demand response against the resource's capacity, not the tariff's CBL."""

    def _product(self, product_id):
        product = super()._product(product_id)
        if product is not None and product.baseline_method:
            product = replace(product, baseline_method=None, baseline_kw=product.max_power_kw)
        return product


declares_hourly_granularity = _factory(_DeclaresHourlyGranularity, "declares hourly granularity")
wh_billed_as_kwh = _factory(_WhBilledAsKwh, "Wh billed as kWh")
declares_usage_based = _factory(_DeclaresUsageBased, "declares usage-based")
off_by_a_cent = _factory(_OffByACent, "off by a cent")
hides_estimates = _factory(_HidesEstimates, "hides estimates")
allows_overlapping_bills = _factory(_AllowsOverlappingBills, "allows overlapping bills")
flaky_metering = _factory(_FlakyMetering, "flaky metering")
slow_metering = _factory(_SlowMetering, "slow metering")
bare_hash_pseudonym = _factory(_BareHashPseudonym, "bare hash pseudonym")
curve_for_everyone = _factory(_CurveForEveryone, "curve for everyone")
counterparty_in_clear = _factory(_CounterpartyInClear, "counterparty in clear")
no_retention_rule = _factory(_NoRetentionRule, "no retention rule")
broken_signature = _factory(_BrokenSignature, "broken signature")
flat_baseline_for_dr = _factory(_FlatBaselineForDr, "flat baseline for DR")


class _MarketOnly:
    """A platform with the market operations only: every attribute but the BillingSUT ones."""

    _BILLING = {"register_tariff", "list_tariffs", "register_supply", "issue_bill", "get_bill", "signer_key",
                "meter_readings"}

    def __init__(self, inner):
        self._inner = inner
        self.description = inner.description.__class__(name="market-only platform", adapter="faulty_suts",
                                                       endpoint="in-process")

    def __getattr__(self, name):
        if name in self._BILLING:
            raise AttributeError(name)
        return getattr(self._inner, name)


def market_only(workdir):
    return _MarketOnly(ReferenceSUT(workdir=workdir))


# -- security (Y.2072 clause 10, SEC-*): one access-control bug each ---------------------------------
class _NoAuthentication(ReferenceBroker):
    """SEC-AUTHN: a caller without credentials is served as if it were the operator."""

    def authorise(self, principal, operation, ids, body):
        from reference_impl.access import Principal
        super().authorise(principal or Principal("operator", "operator"), operation, ids, body)


class _LeaksOthersBills(ReferenceBroker):
    """SEC-ISOLATION-READ: any authenticated party may read any bill (the owner check forgotten)."""

    def authorise(self, principal, operation, ids, body):
        if operation == "get_bill" and principal is not None:
            return
        super().authorise(principal, operation, ids, body)


no_authentication = _factory(_NoAuthentication, "no authentication")
leaks_others_bills = _factory(_LeaksOthersBills, "leaks other parties' bills")


class _AcceptsReplays(ReferenceBroker):
    """SEC-REPLAY: checks the signature but never remembers a nonce, so a captured request works twice."""

    def spend_nonce(self, party_id, nonce, created):
        pass


class _IgnoresSignatures(ReferenceBroker):
    """SEC-SIGNED-INTEGRITY: reads the signature headers but never checks the signature itself."""

    def verify_signature(self, public_key, method, path, body, headers, now_s):
        return int(headers.get("Signature-Created") or now_s), headers.get("Signature-Nonce") or ""


accepts_replays = _factory(_AcceptsReplays, "accepts replayed requests")
ignores_signatures = _factory(_IgnoresSignatures, "ignores request signatures")


class _CustomersIssueBills(ReferenceBroker):
    """SEC-OPERATOR-SERVICES: the billing service is open to any authenticated party."""

    def authorise(self, principal, operation, ids, body):
        if operation == "issue_bill" and principal is not None:
            return
        super().authorise(principal, operation, ids, body)


customers_issue_bills = _factory(_CustomersIssueBills, "customers issue bills")
