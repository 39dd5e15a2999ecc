"""Who may call which broker operation on whose records (Y.2072 clause 10: identity verified
before access, authorisation per service, privacy of customer data).

What this module owns: the `Principal` (an authenticated party and its role), the rule table
that maps each operation of the binding to who may call it, and `authorise`, which the HTTP
binding (adapters/http_service.py) and the in-process party views (harness/sut/reference.py)
both call before the broker runs the operation.

Rules:
- No principal means nobody was authenticated: every operation is refused with
  `AccessDenied` ``unauthenticated`` (HTTP 401).
- Role ``operator`` (the platform's operator and the certification harness in test mode) may
  call every operation.
- Role ``party`` (a participant, authenticated as its participant id) may call only the
  operations listed in `PARTY_RULES`, and only on its own records: its notifications, its
  resources, bids and meters, contracts it is seller or buyer of, and bills of supply points it
  is the customer of. Any other operation is refused ``forbidden`` (HTTP 403).
- A record the party may not see is refused exactly like one that is not there would be shown:
  with ``forbidden`` and no part of the record, so a refusal never leaks its content.
- A record that does not exist passes through to the broker, which answers its own 404.
- Pure logic over a read-only `Records` view of the repository (``get``/``find``); no I/O.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

ROLES = ("operator", "party")


class Records(Protocol):
    """The read side of the repository the rules look owners up in."""

    def get(self, table: str, key: str) -> dict | None: ...
    def find(self, table: str, **where: Any) -> list[dict]: ...


@dataclass(frozen=True)
class Principal:
    """An authenticated caller.

    Attributes:
        party_id: the participant id it was authenticated as (the certificate's common name).
        role: ``operator`` or ``party``.
    Raises:
        ValueError: an empty id or an unknown role.
    """

    party_id: str
    role: str = "party"

    def __post_init__(self):
        if not isinstance(self.party_id, str) or not self.party_id.strip():
            raise ValueError("a principal needs a non-empty party id")
        if self.role not in ROLES:
            raise ValueError(f"role must be one of {ROLES}, not {self.role!r}")


class AccessDenied(Exception):
    """The caller may not do this. ``status`` is ``unauthenticated`` (401) or ``forbidden`` (403);
    ``field`` names what decided it (a JSON pointer of the body or a path id)."""

    HTTP = {"unauthenticated": 401, "forbidden": 403}

    def __init__(self, status: str, field: str, message: str):
        super().__init__(message)
        self.status, self.field, self.message = status, field, message
        self.http_status = self.HTTP[status]

    def to_record(self) -> dict:
        return {"code": self.status, "field": self.field, "message": self.message}


# -- owners of records ---------------------------------------------------------------------------
def _meter_owners(records: Records, meter_id: str) -> set[str] | None:
    resources = records.find("resources", meter_id=meter_id)
    return {r["owner_id"] for r in resources} if resources else None


def _bid_owners(records: Records, bid_id: str) -> set[str] | None:
    bid = records.get("bids", bid_id)
    return None if bid is None else {bid["bidder_id"]}


def _contract_owners(records: Records, contract_id: str) -> set[str] | None:
    contract = records.get("contracts", contract_id)
    return None if contract is None else {contract["seller_id"], contract["buyer_id"]}


def _bill_owners(records: Records, bill_id: str) -> set[str] | None:
    bill = records.get("bills", bill_id)
    if bill is None:
        return None
    supply = records.get("supplies", bill["supply_point_id"])
    return {supply["customer_id"]} if supply else set()


def _itself(records: Records, participant_id: str) -> set[str]:
    return {participant_id}


Owners = Callable[[Records, str], "set[str] | None"]

# operation -> (where the record id is: "path" (first path id) or a body JSON pointer, owners)
PARTY_RULES: dict[str, tuple[str, Owners | None]] = {
    "list_products": ("", None),
    "get_product": ("", None),
    "list_tariffs": ("", None),
    "signer_key": ("", None),
    "trade_signing_key": ("", None),
    "description": ("", None),
    "register_resource": ("/owner_id", _itself),
    "register_product": ("/owner_id", _itself),
    "submit_bid": ("/bidder_id", _itself),
    "get_bid": ("path", _bid_owners),
    "get_contract": ("path", _contract_owners),
    "contract_event": ("path", _contract_owners),
    "notifications": ("path", _itself),
    "submit_readings": ("path", _meter_owners),
    "meter_readings": ("path", _meter_owners),
    "get_bill": ("path", _bill_owners),
}


def authorise(principal: Principal | None, operation: str, ids: tuple[str, ...], body: Any,
              records: Records) -> None:
    """Refuse the call unless ``principal`` may run ``operation`` on these records.

    Args:
        principal: the authenticated caller, or None when nobody was authenticated.
        operation: the binding's operation name (``Route.serves``).
        ids: the path ids of the call, in order.
        body: the request body (a mapping for the POST operations).
        records: the repository's read side, for owner look-ups.
    Raises:
        AccessDenied: ``unauthenticated`` or ``forbidden``, naming the deciding field.
    """
    if principal is None:
        raise AccessDenied("unauthenticated", "", f"{operation} needs an authenticated party "
                                                  "(a client certificate of the platform's CA)")
    if principal.role == "operator":
        return
    rule = PARTY_RULES.get(operation)
    if rule is None:
        raise AccessDenied("forbidden", "", f"{operation} is for the platform operator only")
    where, owners = rule
    if owners is None:
        return
    if where == "path":
        key, field = (ids[0] if ids else ""), "/path/0"
    else:
        value = body.get(where.lstrip("/")) if isinstance(body, Mapping) else None
        key, field = (value if isinstance(value, str) else ""), where
    if operation == "contract_event" and isinstance(body, Mapping) and body.get("by") != principal.party_id:
        raise AccessDenied("forbidden", "/by", f"{principal.party_id} may act on contracts only as itself")
    found = owners(records, key)
    if found is None:
        return  # not there: the broker answers its own not-found
    if principal.party_id not in found:
        raise AccessDenied("forbidden", field,
                           f"{principal.party_id} may not {operation.replace('_', ' ')} of another party")


class AccessControl:
    """Broker mixin: `authorise` against the broker's own repository. A method of the broker so
    that a deliberately faulty broker (tests/harness/faulty_suts.py) can break one rule."""

    repo: Records

    def authorise(self, principal: Principal | None, operation: str, ids: tuple[str, ...], body: Any) -> None:
        """`authorise` on this broker's records (call inside the caller's lock).

        Raises:
            AccessDenied: as `authorise`.
        """
        authorise(principal, operation, ids, body, self.repo)
