"""The SUT seen by one party at a time (Y.2072 clause 10: identity, authorisation, privacy).

The `sut` fixture is the harness acting as the platform's operator (test mode). The security
features also need the platform as a given participant sees it, and as someone who proved no
identity at all: a `PartySUT` gives those views. Each view offers the operations a participant
uses on its own records (`PartyView`); the platform must answer ``unauthenticated`` or
``forbidden`` (`Response.status`) where the caller may not act.

Implemented by the in-process reference (harness/sut/reference_parties.py: the broker's own
access rules, no transport) and by `HttpSUT` with ``--credentials DIR`` (harness/sut/http.py:
one client certificate per party, over TLS). A SUT without party credentials reports
``authenticates_parties`` False, and the security scenarios are not tested (never passed).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol, runtime_checkable

from . import Response


@runtime_checkable
class PartyView(Protocol):
    """The platform as one caller sees it (a participant, or an anonymous client)."""

    def register_resource(self, resource: Mapping) -> Response: ...
    def list_products(self) -> Response: ...
    def submit_bid(self, bid: Mapping) -> Response: ...
    def get_bid(self, bid_id: str) -> Response: ...
    def get_contract(self, contract_id: str) -> Response: ...
    def contract_event(self, contract_id: str, event: str, by: str,
                       changes: Mapping | None = None) -> Response: ...
    def notifications(self, participant_id: str) -> Response: ...
    def submit_readings(self, meter_id: str, readings: Sequence[Mapping]) -> Response: ...
    def meter_readings(self, meter_id: str) -> Response: ...
    def get_bill(self, bill_id: str) -> Response: ...
    def issue_bill(self, request: Mapping) -> Response: ...   # an operator's service
    # a participant's changes (the POST operations) are signed (README, "Signed requests")
    def replay_last(self) -> Response: ...
    def alter_next(self) -> None: ...
    def sign_next_at(self, offset_s: int) -> None: ...   # date the next signature (Y2072-10-02)


@runtime_checkable
class PartySUT(Protocol):
    """A SUT that can act as a named participant or as nobody."""

    @property
    def authenticates_parties(self) -> bool: ...
    def as_party(self, party_id: str) -> PartyView: ...
    def anonymous(self) -> PartyView: ...


SIGNED = frozenset({"register_resource", "submit_bid", "contract_event", "submit_readings", "issue_bill"})

# method -> (operation of the binding, how its arguments become (path ids, body))
OPERATIONS = {
    "register_resource": ("register_resource", lambda resource: ((), resource)),
    "list_products": ("list_products", lambda: ((), None)),
    "submit_bid": ("submit_bid", lambda bid: ((), bid)),
    "get_bid": ("get_bid", lambda bid_id: ((bid_id,), None)),
    "get_contract": ("get_contract", lambda contract_id: ((contract_id,), None)),
    "contract_event": ("contract_event", lambda contract_id, event, by, changes=None:
                       ((contract_id,), {"event": event, "by": by, "changes": changes})),
    "notifications": ("notifications", lambda participant_id: ((participant_id,), None)),
    "submit_readings": ("submit_readings", lambda meter_id, readings: ((meter_id,), {"readings": readings})),
    "meter_readings": ("meter_readings", lambda meter_id: ((meter_id,), None)),
    "get_bill": ("get_bill", lambda bill_id: ((bill_id,), None)),
    "issue_bill": ("issue_bill", lambda request: ((), request)),
}
