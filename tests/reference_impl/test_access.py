"""The access rules (reference_impl/access.py) on plain records: no I/O."""
from __future__ import annotations

import pytest

from reference_impl.access import AccessDenied, Principal, authorise


class Records:
    def __init__(self, **tables):
        self.tables = tables

    def get(self, table, key):
        return self.tables.get(table, {}).get(key)

    def find(self, table, **where):
        return [r for r in self.tables.get(table, {}).values() if all(r.get(k) == v for k, v in where.items())]


RECORDS = Records(
    resources={"r-a": {"resource_id": "r-a", "owner_id": "alice", "meter_id": "M-A"}},
    bids={"B-1": {"bid_id": "B-1", "bidder_id": "bob"}},
    contracts={"C-1": {"contract_id": "C-1", "seller_id": "alice", "buyer_id": "bob"}},
    bills={"BILL-1": {"bill_id": "BILL-1", "supply_point_id": "M-A"}},
    supplies={"M-A": {"supply_point_id": "M-A", "customer_id": "alice"}},
)
ALICE, BOB, CAROL = Principal("alice"), Principal("bob"), Principal("carol")


def denied(principal, operation, ids=(), body=None) -> str:
    with pytest.raises(AccessDenied) as caught:
        authorise(principal, operation, ids, body, RECORDS)
    return caught.value.status


def test_nobody_is_refused_everything_and_the_operator_nothing():
    assert denied(None, "list_products") == "unauthenticated"
    authorise(Principal("ops", "operator"), "issue_bill", (), {}, RECORDS)


@pytest.mark.parametrize("operation, ids, owner, stranger", [
    ("get_bill", ("BILL-1",), ALICE, BOB),
    ("meter_readings", ("M-A",), ALICE, BOB),
    ("submit_readings", ("M-A",), ALICE, BOB),
    ("get_bid", ("B-1",), BOB, ALICE),
    ("get_contract", ("C-1",), BOB, CAROL),
    ("notifications", ("bob",), BOB, ALICE),
])
def test_a_party_reaches_its_own_records_only(operation, ids, owner, stranger):
    authorise(owner, operation, ids, None, RECORDS)
    assert denied(stranger, operation, ids) == "forbidden"


def test_acting_in_another_partys_name_is_refused():
    assert denied(BOB, "register_resource", body={"owner_id": "alice"}) == "forbidden"
    assert denied(BOB, "submit_bid", body={"bidder_id": "alice"}) == "forbidden"
    assert denied(CAROL, "contract_event", ("C-1",), {"event": "cancel", "by": "bob"}) == "forbidden"
    assert denied(BOB, "contract_event", ("C-1",), {"event": "cancel", "by": "alice"}) == "forbidden"
    authorise(BOB, "contract_event", ("C-1",), {"event": "cancel", "by": "bob"}, RECORDS)


def test_operator_services_and_unknown_records():
    assert denied(ALICE, "issue_bill") == "forbidden"
    assert denied(ALICE, "reset") == "forbidden"
    authorise(ALICE, "get_bill", ("BILL-404",), None, RECORDS)  # the broker answers its own 404


def test_a_principal_needs_an_id_and_a_known_role():
    with pytest.raises(ValueError):
        Principal("")
    with pytest.raises(ValueError):
        Principal("x", "admin")
