"""What the VTN asks of a pull-model VEN on its own initiative: report requests
(``oadrCreateReport``) and report cancellations (``oadrCancelReport``), and the cancellation of
a VEN's opt (``oadrCancelOpt``).

In the Simple HTTP pull model (OpenADR 2.0b profile, transport section) the VTN cannot open a
connection to the VEN: a request it originates waits in the VEN's outbox and goes out as the
answer to the VEN's next ``oadrPoll``; the VEN's ``oadrCreatedReport`` / ``oadrCanceledReport``
acknowledges it. What this module owns: the plain-data outbox entry and its state machine
(`OUTBOX_TRANSITIONS`), and the rules for cancelling an opt (`cancel_opt`). No XML, no I/O;
``now`` and identifiers come from the caller.

Rules:
- An entry is ``queued`` until a poll delivers it, then ``delivered`` until the VEN answers:
  ``acknowledged`` with code 200, ``refused`` otherwise. Entries go out in creation order, one
  per poll, after any event the VEN has not yet been sent.
- A report can be requested again or cancelled only if the VEN registered it and the VTN
  requests it (it has a ``report_request_id``); a cancellation names that request.
- An opt created with ``oadrCreateOpt`` is cancelled by its optID: the VEN's answer to the event
  goes back to ``pending`` (`OPT_CANCEL_TRANSITIONS`); an opt that is already pending, or one
  given in ``oadrCreatedEvent`` (which has no optID), cannot be cancelled this way.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from . import parsing as p
from .dr_opts import OptResponse
from .errors import FieldError, NotFound
from .states import next_state

KINDS = ("create-report", "cancel-report")
OUTBOX_TRANSITIONS: dict[tuple[str, str], str] = {
    ("queued", "deliver"): "delivered",
    ("delivered", "acknowledge"): "acknowledged",
    ("delivered", "refuse"): "refused",
}
OPT_CANCEL_TRANSITIONS: dict[tuple[str, str], str] = {
    ("opted-in", "cancel"): "pending", ("opted-out", "cancel"): "pending",
}


@dataclass(frozen=True, kw_only=True)
class OutboundRequest:
    outbox_id: str
    ven_id: str
    kind: str
    report_request_id: str
    report_specifier_id: str
    created_at: datetime
    r_ids: tuple[str, ...] = ()
    granularity_s: int | None = None
    report_back_duration_s: int | None = None
    report_to_follow: bool = False
    state: str = "queued"
    answer_code: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown outbox kind {self.kind!r}")

    def move(self, event: str, answer_code: str | None = None) -> OutboundRequest:
        state = next_state(OUTBOX_TRANSITIONS, self.state, event, f"{self.kind} {self.report_request_id}")
        return replace(self, state=state, answer_code=answer_code or self.answer_code)

    def to_record(self) -> dict:
        return {"outbox_id": self.outbox_id, "ven_id": self.ven_id, "kind": self.kind,
                "report_request_id": self.report_request_id, "report_specifier_id": self.report_specifier_id,
                "created_at": p.fmt_instant(self.created_at), "r_ids": list(self.r_ids),
                "granularity_s": self.granularity_s, "report_back_duration_s": self.report_back_duration_s,
                "report_to_follow": self.report_to_follow, "state": self.state, "answer_code": self.answer_code}

    @classmethod
    def from_record(cls, rec: Mapping) -> OutboundRequest:
        return cls(**{**rec, "created_at": datetime.fromisoformat(rec["created_at"]), "r_ids": tuple(rec["r_ids"])})


def requested(registrations: Mapping[str, Mapping], report_request_id: str | None = None,
              report_specifier_id: str | None = None) -> Mapping:
    """The VEN's registration the VTN requests, found by request or specifier ID.

    Raises:
        NotFound: ``unknown-report`` naming the field that matched nothing.
    """
    for record in registrations.values():
        if record.get("report_request_id") and (
                record["report_request_id"] == report_request_id
                or (report_specifier_id is not None and record["report_specifier_id"] == report_specifier_id)):
            return record
    field, value = (("/report_request_id", report_request_id) if report_request_id is not None
                    else ("/report_specifier_id", report_specifier_id))
    raise NotFound(FieldError("unknown-report", field, f"no report requested as {value!r} from this VEN"))


def cancel_opt(opt: OptResponse | None, opt_id: str, now: datetime) -> OptResponse:
    """The VEN withdraws the opt it created as ``opt_id``.

    Raises:
        NotFound: no opt ``opt_id`` of this VEN (``unknown-opt``).
        Conflict: the opt is already pending (no row in OPT_CANCEL_TRANSITIONS).
    """
    if opt is None:
        raise NotFound(FieldError("unknown-opt", "/opt_id", f"no opt {opt_id!r} of this VEN"))
    state = next_state(OPT_CANCEL_TRANSITIONS, opt.state, "cancel", f"opt {opt_id}")
    return replace(opt, state=state, source="oadrCancelOpt", updated_at=now)
