"""What a scenario remembers between steps: the requests it sent and the SUT's answers. Steps
look things up here by the names the feature gives (participants, bid ids), never by the SUT's
own identifiers, so the same feature runs against any platform.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time

from ..errors import HarnessError
from ..sut import Response


@dataclass
class MarketSession:
    day: date | None = None
    last: Response | None = None                     # the last answer a When step got
    products: dict[str, dict] = field(default_factory=dict)   # product_id -> request sent
    bidders: dict[str, str] = field(default_factory=dict)      # bid_id -> participant
    clearings: dict[str, dict] = field(default_factory=dict)   # product_id -> clearing result

    def at(self, clock_time: str) -> str:
        """`10:00` on the scenario's market day, as an ISO-8601 UTC timestamp."""
        if self.day is None:
            raise HarnessError("a time of day was used before any market time was set",
                               code="feature-error")
        return datetime.combine(self.day, time.fromisoformat(clock_time)).isoformat() + "+00:00"

    def contracts(self) -> list[dict]:
        return [c for clearing in self.clearings.values() for c in clearing.get("contracts", [])]

    def contract_of_bid(self, bid_id: str) -> dict:
        """The contract formed from the named bid (buy or sell side).

        Raises:
            HarnessError: none, or more than one, contract came from that bid.
        """
        found = [c for c in self.contracts() if bid_id in (c.get("buy_bid_id"), c.get("sell_bid_id"))]
        if len(found) != 1:
            raise HarnessError(f"expected one contract from bid {bid_id!r}, the clearing gave {len(found)}",
                               code="precondition-failed", field="/contracts")
        return found[0]


def require_ok(response: Response, what: str) -> dict | list:
    """For Given steps: the SUT must accept a valid set-up request, or the scenario cannot
    run (verdict error, naming what the SUT said)."""
    if not response.accepted:
        raise HarnessError(f"set-up step failed: the SUT refused {what}", code="precondition-failed",
                           expected="ok", actual=f"{response.status} {list(response.errors)}")
    return response.body
