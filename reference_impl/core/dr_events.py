"""Demand response on the broker's side of OpenADR 2.0b: VEN registrations, DR events and the
VENs' opt responses (ITU-T Y.2072 Appendix I: the broker is the VTN, on the energy trading
server (ETS) side; each customer's client is a VEN, on the energy trading client (ETC) side).

What this module owns: the plain-data model and its rules, with no XML and no I/O (the sans-IO
rules of `reference_impl.core`; the caller passes ``now`` and every new identifier in). The
OpenADR wire form is the VTN adapter's business (`adapters/openadr_vtn.py`).

Rules:
- A registration names one VEN (``ven_name``) and gets a ``ven_id`` and ``registration_id``
  from the caller. Registering an already registered name again is a re-registration: the
  same IDs come back. A cancelled registration is kept, marked ``cancelled_at``, so its IDs
  (and the opts and reports filed under them) are never handed to another VEN. Only the
  Simple HTTP *pull* model is served (OpenADR 2.0b profile, Simple HTTP transport: the VTN
  cannot reach a pull VEN, so every exchange is a VEN request).
- An event carries one signal (name, type, back-to-back intervals from ``dtstart``) and its
  targets (VEN IDs and/or VEN names; at least one). OpenADR 2.0b profile, conformance rule 9:
  a SIMPLE signal's values are the levels 0-3. ``modification_number`` starts at 0 and grows
  by one on every change the VTN makes, cancellation included (EI event model).
- A price signal (type ``price`` or ``priceRelative``) states money, so it names its currency
  (ISO 4217, e.g. ``EUR``); the VTN sends it as the EMIX currency unit that suits the signal name
  (`currency_unit`: per kWh for energy prices, per kW for demand charges). Other signals carry none.
- ``status`` is derived from ``now``, never stored: ``far`` until `NEAR_WINDOW` before
  dtstart, then ``near``, ``active`` from dtstart, ``completed`` from its end; a cancelled
  event is ``cancelled``. Only far, near and active events may change (`EVENT_TRANSITIONS`).
- The VENs' opt responses are `dr_opts`'s.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from . import parsing as p
from .errors import Conflict, FieldError, Rejected
from .states import next_state

NEAR_WINDOW = timedelta(hours=1)  # program-specific in OpenADR; this broker's choice
SIGNAL_NAMES = ("SIMPLE", "simple", "ELECTRICITY_PRICE", "ENERGY_PRICE", "DEMAND_CHARGE",
                "BID_PRICE", "BID_LOAD", "BID_ENERGY", "CHARGE_STATE", "LOAD_DISPATCH",
                "LOAD_CONTROL")  # ei:SignalNameEnumeratedType; x-... extensions also allowed
SIGNAL_TYPES = ("delta", "level", "multiplier", "price", "priceMultiplier", "priceRelative",
                "setpoint", "x-loadControlCapacity", "x-loadControlLevelOffset",
                "x-loadControlPercentOffset", "x-loadControlSetpoint")
SIMPLE_LEVELS = (0.0, 1.0, 2.0, 3.0)
RESPONSE_REQUIRED = ("always", "never")
MODIFIABLE = ("dtstart", "intervals", "priority")
UINT_MAX = 2**32 - 1
PRICE_TYPES = ("price", "priceRelative")
# OpenADR 2.0b profile, signal names with their units: the currency unit each price signal uses
CURRENCY_UNIT_BY_SIGNAL = {"ELECTRICITY_PRICE": "currencyPerKWh", "ENERGY_PRICE": "currencyPerKWh",
                           "DEMAND_CHARGE": "currencyPerKW", "BID_PRICE": "currencyPerKWh"}
_CURRENCY = re.compile(r"[A-Z]{3}")

# Legal event changes, by derived status; the target is the stored lifecycle state.
EVENT_TRANSITIONS: dict[tuple[str, str], str] = {
    ("far", "modify"): "scheduled", ("near", "modify"): "scheduled",
    ("active", "modify"): "scheduled",
    ("far", "cancel"): "cancelled", ("near", "cancel"): "cancelled",
    ("active", "cancel"): "cancelled",
}
_XML_UNSAFE = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:\S+")


def _fail(code: str, field: str, message: str) -> Rejected:
    return Rejected(FieldError(code, field, message))


def _identifier(value, field: str) -> None:
    if not isinstance(value, str) or not value.strip() or _XML_UNSAFE.search(value):
        raise _fail("invalid-type", field, f"expected a non-empty identifier XML can carry, got {value!r}")


def _aware(value, field: str) -> None:
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise _fail("invalid-value", field, f"expected a timestamp with a UTC offset, got {value!r}")


# -- registrations ---------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class VenRegistration:
    registration_id: str
    ven_id: str
    ven_name: str
    registered_at: datetime
    http_pull_model: bool = True
    report_only: bool = False
    cancelled_at: datetime | None = None   # kept, not deleted: IDs are never reused

    def __post_init__(self) -> None:
        for name in ("registration_id", "ven_id", "ven_name"):
            _identifier(getattr(self, name), f"/{name}")
        _aware(self.registered_at, "/registered_at")
        if self.cancelled_at is not None:
            _aware(self.cancelled_at, "/cancelled_at")
        if self.http_pull_model is not True:
            raise _fail("push-not-supported", "/http_pull_model",
                        "this VTN serves the Simple HTTP pull model only")
        if not isinstance(self.report_only, bool):
            raise _fail("invalid-type", "/report_only", "expected true or false")

    def to_record(self) -> dict:
        return {"registration_id": self.registration_id, "ven_id": self.ven_id,
                "ven_name": self.ven_name, "registered_at": p.fmt_instant(self.registered_at),
                "http_pull_model": self.http_pull_model, "report_only": self.report_only,
                "cancelled_at": None if self.cancelled_at is None else p.fmt_instant(self.cancelled_at)}

    @classmethod
    def from_record(cls, rec: Mapping) -> VenRegistration:
        cancelled = rec.get("cancelled_at")
        return cls(**{**rec, "registered_at": datetime.fromisoformat(rec["registered_at"]),
                      "cancelled_at": None if cancelled is None else datetime.fromisoformat(cancelled)})


def register_ven(ven_name: str | None, existing: VenRegistration | None, now: datetime, *,
                 new_ids: tuple[str, str], ven_id: str | None = None,
                 ven_id_holder: VenRegistration | None = None,
                 http_pull_model: bool = True, report_only: bool = False) -> VenRegistration:
    """Register a VEN, or re-register it.

    Args:
        existing: the active registration already held for ``ven_name``, if any.
        new_ids: ``(registration_id, ven_id)`` to use for a new registration.
        ven_id: the venID the VEN asked for (pre-provisioned), if any.
        ven_id_holder: a registration (active or cancelled) already holding ``ven_id``, if any.
    Raises:
        Rejected: no VEN name; push model asked for.
        Conflict: ``ven_id`` belongs to another VEN (``ven-id-taken``).
    """
    if ven_name is None:
        raise _fail("missing-field", "/ven_name", "a VEN registers under its oadrVenName")
    if ven_id is not None and ven_id_holder is not None and ven_id_holder.ven_name != ven_name:
        raise Conflict(FieldError("ven-id-taken", "/ven_id", f"venID {ven_id!r} is registered to another VEN"))
    if existing is not None:
        if ven_id is not None and ven_id != existing.ven_id:
            raise Conflict(FieldError("ven-id-mismatch", "/ven_id",
                                      f"VEN {ven_name!r} is registered as {existing.ven_id!r}"))
        return replace(existing, report_only=report_only, http_pull_model=http_pull_model)
    registration_id, assigned = new_ids
    return VenRegistration(registration_id=registration_id, ven_id=ven_id or assigned,
                           ven_name=ven_name, registered_at=now, http_pull_model=http_pull_model,
                           report_only=report_only)


# -- events ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class EventInterval:
    duration: timedelta
    value: float


@dataclass(frozen=True, kw_only=True)
class DrEvent:
    event_id: str
    market_context: str
    dtstart: datetime
    intervals: tuple[EventInterval, ...]
    created_at: datetime
    modified_at: datetime
    signal_name: str = "SIMPLE"
    signal_type: str = "level"
    ven_ids: tuple[str, ...] = ()
    ven_names: tuple[str, ...] = ()
    modification_number: int = 0
    state: str = "scheduled"
    priority: int | None = None
    test_event: bool = False
    response_required: str = "always"
    currency: str | None = None

    def __post_init__(self) -> None:
        _identifier(self.event_id, "/event_id")
        if self.signal_type in PRICE_TYPES and self.currency is None:
            raise _fail("missing-field", "/currency", f"a {self.signal_type} signal states money: name "
                        "its ISO 4217 currency (e.g. EUR)")
        if self.currency is not None and (not isinstance(self.currency, str)
                                          or not _CURRENCY.fullmatch(self.currency)):
            raise _fail("invalid-value", "/currency",
                        f"expected an ISO 4217 alphabetic code such as EUR, got {self.currency!r}")
        if not isinstance(self.market_context, str) or not _URI.fullmatch(self.market_context):
            raise _fail("invalid-value", "/market_context", f"expected an absolute URI, got {self.market_context!r}")
        for name in ("dtstart", "created_at", "modified_at"):
            _aware(getattr(self, name), f"/{name}")
        if self.signal_name not in SIGNAL_NAMES and not str(self.signal_name).startswith("x-"):
            raise _fail("invalid-value", "/signal_name", f"expected one of {', '.join(SIGNAL_NAMES)} "
                        f"or an x-... name, got {self.signal_name!r}")
        if self.signal_type not in SIGNAL_TYPES:
            raise _fail("invalid-value", "/signal_type",
                        f"expected one of {', '.join(SIGNAL_TYPES)}, got {self.signal_type!r}")
        if not self.intervals:
            raise _fail("invalid-type", "/intervals", "an event needs at least one interval")
        for index, interval in enumerate(self.intervals):
            seconds = interval.duration.total_seconds()
            if seconds <= 0 or seconds != int(seconds):
                raise _fail("out-of-range", f"/intervals/{index}/duration_s",
                            f"must be a positive whole number of seconds, got {seconds:g}")
            if self.signal_name in ("SIMPLE", "simple") and interval.value not in SIMPLE_LEVELS:
                raise _fail("simple-signal-level", f"/intervals/{index}/value",
                            f"a SIMPLE signal's levels are 0, 1, 2 or 3 (OpenADR 2.0b conformance rule 9); "
                            f"got {interval.value:g}")
        if not self.ven_ids and not self.ven_names:
            raise _fail("no-target", "/ven_ids", "name at least one target VEN (ven_ids or ven_names)")
        for name in ("ven_ids", "ven_names"):
            for index, value in enumerate(getattr(self, name)):
                _identifier(value, f"/{name}/{index}")
        if isinstance(self.modification_number, bool) or not 0 <= self.modification_number <= UINT_MAX:
            raise _fail("out-of-range", "/modification_number", "must be 0 to 4294967295")
        if self.state not in ("scheduled", "cancelled"):
            raise _fail("invalid-value", "/state", f"unknown event state {self.state!r}")
        if self.priority is not None and (isinstance(self.priority, bool) or not 0 <= self.priority <= UINT_MAX):
            raise _fail("out-of-range", "/priority", "must be 0 to 4294967295")
        if self.response_required not in RESPONSE_REQUIRED:
            raise _fail("invalid-value", "/response_required", "expected always or never")

    @property
    def duration(self) -> timedelta:
        return sum((i.duration for i in self.intervals), timedelta(0))

    @property
    def currency_unit(self) -> str | None:
        """The EMIX currency unit of the signal (``currencyPerKWh``...), None without a currency."""
        if self.currency is None:
            return None
        return CURRENCY_UNIT_BY_SIGNAL.get(self.signal_name, "currencyPerKWh")

    @property
    def end(self) -> datetime:
        return self.dtstart + self.duration

    def status(self, now: datetime) -> str:
        """far, near, active, completed or cancelled at ``now`` (see the module rules)."""
        if self.state == "cancelled":
            return "cancelled"
        if now >= self.end:
            return "completed"
        if now >= self.dtstart:
            return "active"
        return "near" if now >= self.dtstart - NEAR_WINDOW else "far"

    def targets(self, registration: VenRegistration) -> bool:
        return registration.ven_id in self.ven_ids or registration.ven_name in self.ven_names

    def apply(self, event: str, now: datetime, **changes) -> DrEvent:
        """Move along EVENT_TRANSITIONS (Conflict without a row), one modification further."""
        state = next_state(EVENT_TRANSITIONS, self.status(now), event, f"DR event {self.event_id}")
        return replace(self, state=state, modification_number=self.modification_number + 1,
                       modified_at=now, **changes)

    def to_record(self) -> dict:
        return {"event_id": self.event_id, "modification_number": self.modification_number,
                "market_context": self.market_context, "dtstart": p.fmt_instant(self.dtstart),
                "signal_name": self.signal_name, "signal_type": self.signal_type,
                "intervals": [{"duration_s": int(i.duration.total_seconds()), "value": i.value}
                              for i in self.intervals],
                "ven_ids": list(self.ven_ids), "ven_names": list(self.ven_names),
                "state": self.state, "priority": self.priority, "test_event": self.test_event,
                "response_required": self.response_required, "currency": self.currency,
                "created_at": p.fmt_instant(self.created_at),
                "modified_at": p.fmt_instant(self.modified_at)}

    @classmethod
    def from_record(cls, rec: Mapping) -> DrEvent:
        return cls(event_id=rec["event_id"], modification_number=rec["modification_number"],
                   market_context=rec["market_context"],
                   dtstart=datetime.fromisoformat(rec["dtstart"]), signal_name=rec["signal_name"],
                   signal_type=rec["signal_type"], intervals=_intervals_from(rec["intervals"]),
                   ven_ids=tuple(rec["ven_ids"]), ven_names=tuple(rec["ven_names"]),
                   state=rec["state"], priority=rec["priority"], test_event=rec["test_event"],
                   response_required=rec["response_required"], currency=rec.get("currency"),
                   created_at=datetime.fromisoformat(rec["created_at"]),
                   modified_at=datetime.fromisoformat(rec["modified_at"]))


def _intervals_from(items) -> tuple[EventInterval, ...]:
    return tuple(EventInterval(timedelta(seconds=i["duration_s"]), float(i["value"])) for i in items)


def _parse_intervals(raw: Mapping) -> tuple[EventInterval, ...]:
    items = raw.get("intervals") if isinstance(raw, Mapping) else None
    if not isinstance(items, list) or not items:
        raise _fail("invalid-type", "/intervals", "expected a non-empty list of {duration_s, value}")
    result = []
    for index, item in enumerate(items):
        prefix = f"/intervals/{index}"
        seconds = p.number(item, "duration_s", prefix, positive=True)
        if seconds != int(seconds) or seconds > 10 * 366 * 86400:
            raise _fail("out-of-range", f"{prefix}/duration_s",
                        f"expected whole seconds up to ten years, got {seconds:g}")
        value = p.number(item, "value", prefix)
        if abs(value) > 3.4e38:  # xs:float
            raise _fail("out-of-range", f"{prefix}/value", "must be within xs:float range")
        result.append(EventInterval(timedelta(seconds=int(seconds)), value))
    return tuple(result)


def _optional_uint(raw: Mapping, key: str) -> int | None:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= UINT_MAX:
        raise _fail("invalid-type", f"/{key}", f"expected an integer from 0 to {UINT_MAX}, got {value!r}")
    return value


def parse_dr_event(raw: Mapping, now: datetime) -> DrEvent:
    """A new event from the market side's JSON request (README, "HTTP binding": /dr-events).

    Raises:
        Rejected: a field is missing or wrong (named by JSON pointer), or the event is over.
    """
    if not isinstance(raw, Mapping):
        raise _fail("malformed", "", "expected a JSON object")
    test_event = raw.get("test_event", False)
    if not isinstance(test_event, bool):
        raise _fail("invalid-type", "/test_event", "expected true or false")
    event = DrEvent(
        event_id=p.text(raw, "event_id"), market_context=p.text(raw, "market_context"),
        dtstart=p.instant(raw, "dtstart"), intervals=_parse_intervals(raw),
        signal_name=p.text(raw, "signal_name", required=False, default="SIMPLE"),
        signal_type=p.text(raw, "signal_type", required=False, default="level"),
        ven_ids=p.string_list(raw, "ven_ids", required=False),
        ven_names=p.string_list(raw, "ven_names", required=False),
        priority=_optional_uint(raw, "priority"), test_event=test_event,
        response_required=p.text(raw, "response_required", required=False, default="always",
                                 choices=RESPONSE_REQUIRED),
        currency=raw.get("currency"), created_at=now, modified_at=now)
    if event.end <= now:
        raise _fail("event-over", "/dtstart", f"the event would end at {p.fmt_instant(event.end)}, "
                    f"before market time {p.fmt_instant(now)}")
    return event


def modify_event(event: DrEvent, changes: Mapping | None, now: datetime) -> DrEvent:
    """Change dtstart, intervals and/or priority; the modification number grows by one.

    Raises:
        Rejected: an unknown or bad field under ``/changes``, or no change at all.
        Conflict: the event is completed or cancelled.
    """
    if not isinstance(changes, Mapping) or not changes:
        raise _fail("no-change", "/changes", f"name what changes: {', '.join(MODIFIABLE)}")
    for key in changes:
        if key not in MODIFIABLE:
            raise _fail("not-modifiable", f"/changes/{key}", f"only {', '.join(MODIFIABLE)} can change")
    fields = {}
    if "dtstart" in changes:
        fields["dtstart"] = p.instant(changes, "dtstart", "/changes")
    if "intervals" in changes:
        try:
            fields["intervals"] = _parse_intervals(changes)
        except Rejected as exc:
            raise Rejected(*(replace(e, field="/changes" + e.field) for e in exc.errors)) from None
    if "priority" in changes:
        fields["priority"] = _optional_uint(changes, "priority")
    if all(getattr(event, k) == v for k, v in fields.items()):
        raise _fail("no-change", "/changes", "the modification changes nothing")
    try:
        return event.apply("modify", now, **fields)
    except Rejected as exc:  # the changed event broke a rule (e.g. a SIMPLE level)
        raise Rejected(*(replace(e, field="/changes" + e.field) for e in exc.errors)) from None


def cancel_event(event: DrEvent, now: datetime) -> DrEvent:
    """Raises: Conflict: the event is completed or already cancelled."""
    return event.apply("cancel", now)


def events_for(events: list[DrEvent], registration: VenRegistration, now: datetime) -> list[DrEvent]:
    """The events a VEN is told about: its targets that have not yet ended (a cancelled one
    stays until its original end, so the VEN learns of the cancellation)."""
    return [e for e in events if e.targets(registration) and now < e.end]
