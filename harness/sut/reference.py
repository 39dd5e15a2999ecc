"""The in-process adapter around the bundled reference broker. Besides `harness serve` (which
hosts the broker), the only harness module that imports `reference_impl`; steps reach the
broker through it like any other SUT.

Each `reset()` starts a fresh SQLite database file in the run's work directory, so scenarios
are independent and the data of the last scenario is left for inspection.
"""
from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path

from reference_impl.adapters.sqlite_repository import SqliteRepository
from reference_impl.broker import ReferenceBroker
from reference_impl.clock import SettableClock
from reference_impl.core.errors import MarketError

from . import Response, SUTDescription
from .domains import ReferenceDomainOps
from .reference_parties import ReferencePartyViews
from .reference_vtn import ReferenceVtnHost

_EPOCH = datetime(2000, 1, 1, tzinfo=timezone.utc)


class ReferenceSUT(ReferenceDomainOps, ReferenceVtnHost, ReferencePartyViews):
    description = SUTDescription(name="reference broker", adapter="reference", endpoint="in-process")
    broker_class = ReferenceBroker  # tests swap in deliberately faulty brokers

    def __init__(self, workdir: str):
        self._dir = Path(workdir)
        self._dir.mkdir(parents=True, exist_ok=True)
        self._counter = itertools.count(1)
        self._repo: SqliteRepository | None = None
        self.broker: ReferenceBroker | None = None
        self.reset()

    def reset(self) -> None:
        self.close()
        path = self._dir / f"reference-{next(self._counter):04d}.sqlite3"
        path.unlink(missing_ok=True)
        self._repo = SqliteRepository(path)
        self.clock = SettableClock(_EPOCH)
        self.broker = self.broker_class(self._repo, self.clock)

    def close(self) -> None:
        self.stop_vtn()  # the OpenADR VTN (harness.sut.reference_vtn), if a scenario started it
        if self._repo is not None:
            self._repo.close()
            self._repo = None

    def set_clock(self, now: datetime) -> None:
        self.clock.set(now)
        self.set_vtn_clock(now)

    @staticmethod
    def _call(operation: Callable, *args) -> Response:
        try:
            return Response("ok", operation(*args))
        except MarketError as refusal:
            return Response(refusal.status, None, tuple(e.to_record() for e in refusal.errors))

    def register_participant(self, participant: Mapping) -> Response:
        return self._call(self.broker.register_participant, participant)

    def register_resource(self, resource: Mapping) -> Response:
        return self._call(self.broker.register_resource, resource)

    def register_product(self, product: Mapping) -> Response:
        return self._call(self.broker.register_product, product)

    def get_product(self, product_id: str) -> Response:
        return self._call(self.broker.get_product, product_id)

    def list_products(self) -> Response:
        return self._call(self.broker.list_products)

    def submit_bid(self, bid: Mapping) -> Response:
        return self._call(self.broker.submit_bid, bid)

    def get_bid(self, bid_id: str) -> Response:
        return self._call(self.broker.get_bid, bid_id)

    def clear_market(self, product_id: str) -> Response:
        return self._call(self.broker.clear_product, product_id)

    def get_contract(self, contract_id: str) -> Response:
        return self._call(self.broker.get_contract, contract_id)

    def contract_event(self, contract_id: str, event: str, by: str, changes: Mapping | None = None) -> Response:
        return self._call(self.broker.contract_event, contract_id, event, by, changes)

    def notifications(self, participant_id: str) -> Response:
        return self._call(self.broker.notifications, participant_id)

    def submit_readings(self, meter_id: str, readings: Sequence[Mapping]) -> Response:
        return self._call(self.broker.submit_readings, meter_id, readings)

    def verify_delivery(self, contract_id: str) -> Response:
        return self._call(self.broker.verify_delivery, contract_id)

    def settle_contract(self, contract_id: str) -> Response:
        return self._call(self.broker.settle_contract, contract_id)

    # demand response (harness.sut.demand_response.DemandResponseSUT; issue 6, signal to bill)
    def create_dr_event(self, event: Mapping) -> Response:
        return self._call(self.broker.create_dr_event, event)

    def get_dr_event(self, event_id: str) -> Response:
        return self._call(self.broker.get_dr_event, event_id)

    def ledger(self) -> Response:
        return self._call(self.broker.ledger_entries)

    # -- BillingSUT (harness/sut/billing.py) ------------------------------------------------------
    def register_tariff(self, tariff: Mapping) -> Response:
        return self._call(self.broker.register_tariff, tariff)

    def list_tariffs(self) -> Response:
        return self._call(self.broker.list_tariffs)

    def register_supply(self, supply: Mapping) -> Response:
        return self._call(self.broker.register_supply, supply)

    def issue_bill(self, request: Mapping) -> Response:
        return self._call(self.broker.issue_bill, request)

    def get_bill(self, bill_id: str) -> Response:
        return self._call(self.broker.get_bill, bill_id)

    def signer_key(self) -> Response:
        return self._call(self.broker.signer_key)

    def meter_readings(self, meter_id: str) -> Response:
        return self._call(self.broker.meter_readings, meter_id)

    # -- decision services (harness.sut.decisions.DecisionSUT; issue 7) ------------------------
    def clear_trading(self, instance: Mapping) -> Response:
        return self._call(self.broker.clear_trading, instance)

    def assign_ev(self, instance: Mapping) -> Response:
        return self._call(self.broker.assign_ev, instance)

    def select_retailers(self, request: Mapping) -> Response:
        return self._call(self.broker.select_retailers, request)

    def trade_signing_key(self) -> Response:
        return self._call(self.broker.trade_signing_key)


def factory(workdir: str) -> ReferenceSUT:
    """`--sut harness.sut.reference:factory` is the same as `--sut reference`."""
    return ReferenceSUT(workdir=workdir)
