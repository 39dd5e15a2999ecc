"""The VENs' opt responses to DR events (OpenADR 2.0b oadrCreatedEvent / oadrCreateOpt), on the
broker's side; the events and registrations they answer are `dr_events`'s. Sans-IO like the
rest of `reference_impl.core`.

Rules: an opt response is kept per (event, VEN) and moves along `OPT_TRANSITIONS`; it must name
the event's current modification number (an older one is out of sequence), the VEN must be a
target, and a completed event takes no more answers.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from . import parsing as p
from .dr_events import DrEvent, VenRegistration, _fail
from .errors import Conflict, FieldError, NotFound, Rejected
from .states import next_state

OPT_TYPES = ("optIn", "optOut")
# A VEN's answer to one event: it may change its mind, and repeat itself (openleadr re-sends
# the same answer each time it is given the same event version).
OPT_TRANSITIONS: dict[tuple[str, str], str] = {
    ("pending", "optIn"): "opted-in", ("pending", "optOut"): "opted-out",
    ("opted-in", "optIn"): "opted-in", ("opted-in", "optOut"): "opted-out",
    ("opted-out", "optOut"): "opted-out", ("opted-out", "optIn"): "opted-in",
}


# -- opt responses ---------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class OptResponse:
    event_id: str
    ven_id: str
    state: str
    modification_number: int
    source: str              # oadrCreatedEvent | oadrCreateOpt
    updated_at: datetime
    opt_id: str | None = None
    reason: str | None = None

    @property
    def key(self) -> str:
        return f"{self.event_id}|{self.ven_id}"

    def to_record(self) -> dict:
        return {"opt_key": self.key, "event_id": self.event_id, "ven_id": self.ven_id,
                "state": self.state, "modification_number": self.modification_number,
                "source": self.source, "updated_at": p.fmt_instant(self.updated_at),
                "opt_id": self.opt_id, "reason": self.reason}

    @classmethod
    def from_record(cls, rec: Mapping) -> OptResponse:
        fields = {k: v for k, v in rec.items() if k != "opt_key"}
        return cls(**{**fields, "updated_at": datetime.fromisoformat(rec["updated_at"])})


def record_opt(event: DrEvent | None, registration: VenRegistration, previous: OptResponse | None,
               opt_type: str, modification_number: int, now: datetime, *, event_id: str,
               source: str, opt_id: str | None = None, reason: str | None = None) -> OptResponse:
    """A VEN's opt-in or opt-out for one event version.

    Raises:
        NotFound: no such event (``unknown-event``).
        Rejected: not a target (``not-targeted``); an unknown opt type.
        Conflict: an older or newer modification number (``stale-modification``); the event
            is completed; no row in OPT_TRANSITIONS.
    """
    if event is None:
        raise NotFound(FieldError("unknown-event", "/event_id", f"no DR event {event_id!r}"))
    if not event.targets(registration):
        raise Rejected(FieldError("not-targeted", "/ven_id",
                                  f"event {event.event_id} is not for VEN {registration.ven_id}"))
    if opt_type not in OPT_TYPES:
        raise _fail("invalid-value", "/opt_type", f"expected optIn or optOut, got {opt_type!r}")
    if modification_number != event.modification_number:
        raise Conflict(FieldError("stale-modification", "/modification_number",
                                  f"event {event.event_id} is at modification {event.modification_number}, "
                                  f"not {modification_number}"))
    if event.status(now) == "completed":
        raise Conflict(FieldError("event-completed", "/event_id", f"event {event.event_id} is over"))
    state = next_state(OPT_TRANSITIONS, previous.state if previous else "pending", opt_type,
                       f"the opt of {registration.ven_id} on {event.event_id}")
    return OptResponse(event_id=event.event_id, ven_id=registration.ven_id, state=state,
                       modification_number=modification_number, source=source, updated_at=now,
                       opt_id=opt_id, reason=reason)
