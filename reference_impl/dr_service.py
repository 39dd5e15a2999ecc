"""Demand response in the reference broker: the broker's side of OpenADR 2.0b (the VTN; in
ITU-T Y.2072 Appendix I terms the energy trading server side, the VENs the client side).

What this module owns: `DemandResponseMixin`, the broker operations behind the VTN adapter
(`adapters/openadr_vtn.py`) and the JSON routes ``/dr-events``: VEN registration, DR events
(create, modify, cancel, list for a VEN, track which version each VEN was sent), opt
responses and metering reports. `ReferenceBroker` inherits it, so it shares the broker's
repository, clock and rules: one transaction per operation, refusals are
`core.errors.MarketError`s naming the field, and nothing is stored when one is raised.

Rules:
- Plain data in and out (dicts, or the core's report dataclasses); no XML here.
- New IDs are deterministic (``REG-<n>``, ``VEN-<n>``, the first free n; cancelled
  registrations are kept, so no ID is ever reused), so a test-mode run is reproducible.
- Metering report data is turned into readings by `core.dr_reports` and stored only through
  ``submit_readings``: the same checks as every other meter reading (registered meter,
  overlaps, conflicting duplicates). One ``oadrUpdateReport`` is all or nothing. Every report
  is logged in ``dr_report_log`` with its outcome, a refused one included.
"""
from __future__ import annotations

import json

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import timedelta

from .core import dr_events as dr
from .core import dr_opts as opts
from .core import dr_outbox as ob
from .core.dr_reports import (DEFAULT_GRANULARITY, ReportData, ReportRegistration, locate, plan_requests,
                              readings_from_update)
from .core.errors import FieldError, MarketError, NotFound, Rejected

DR_ACTIONS = ("modify", "cancel")


class DemandResponseMixin:
    """Mixed into `ReferenceBroker`; expects ``self.repo``, ``self.clock`` and
    ``self.submit_readings``."""

    # -- lookups -------------------------------------------------------------------------------
    def _active(self, **where: str) -> dr.VenRegistration | None:
        found = [r for r in self.repo.find("ven_registrations", **where) if r.get("cancelled_at") is None]
        return dr.VenRegistration.from_record(found[0]) if found else None

    def _ven(self, ven_id: str) -> dr.VenRegistration:
        registration = self._active(ven_id=ven_id)
        if registration is None:
            raise NotFound(FieldError("unknown-ven", "/ven_id", f"VEN {ven_id!r} is not registered"))
        return registration

    def _dr_event(self, event_id: str) -> dr.DrEvent | None:
        rec = self.repo.get("dr_events", event_id)
        return dr.DrEvent.from_record(rec) if rec else None

    def _event_record(self, event: dr.DrEvent) -> dict:
        return {**event.to_record(), "status": event.status(self.clock.now())}

    def _new_ids(self) -> tuple[str, str]:
        n = len(self.repo.find("ven_registrations")) + 1
        while self.repo.get("ven_registrations", f"REG-{n}") or self.repo.find("ven_registrations",
                                                                                ven_id=f"VEN-{n}"):
            n += 1
        return f"REG-{n}", f"VEN-{n}"

    # -- registration (EiRegisterParty) -------------------------------------------------------
    def register_ven(self, ven_name: str | None, *, ven_id: str | None = None,
                     registration_id: str | None = None, http_pull_model: bool = True,
                     report_only: bool = False) -> dict:
        """Register a VEN, or re-register it (same name, or its registration ID).

        Raises:
            NotFound: ``unknown-registration`` for a registration ID this VTN never issued.
            Rejected, Conflict: see `core.dr_events.register_ven`.
        """
        now = self.clock.now()
        with self.repo.transaction():
            existing = None
            if registration_id is not None:
                rec = self.repo.get("ven_registrations", registration_id)
                if rec is None or rec.get("cancelled_at") is not None:
                    raise NotFound(FieldError("unknown-registration", "/registration_id",
                                              f"no registration {registration_id!r}"))
                existing = dr.VenRegistration.from_record(rec)
                ven_name = ven_name or existing.ven_name
            elif ven_name is not None:
                existing = self._active(ven_name=ven_name)
            holder = self.repo.find("ven_registrations", ven_id=ven_id) if ven_id is not None else []
            registration = dr.register_ven(
                ven_name, existing, now, new_ids=self._new_ids(), ven_id=ven_id,
                ven_id_holder=dr.VenRegistration.from_record(holder[0]) if holder else None,
                http_pull_model=http_pull_model, report_only=report_only)
            self.repo.put("ven_registrations", registration.to_record())
        return registration.to_record()

    def cancel_ven_registration(self, registration_id: str, ven_id: str | None = None) -> dict:
        """End a registration; it is kept (marked cancelled) with its opts and reports."""
        now = self.clock.now()
        with self.repo.transaction():
            rec = self.repo.get("ven_registrations", registration_id)
            if (rec is None or rec.get("cancelled_at") is not None
                    or (ven_id is not None and rec["ven_id"] != ven_id)):
                raise NotFound(FieldError("unknown-registration", "/registration_id",
                                          f"no active registration {registration_id!r} for this VEN"))
            registration = replace(dr.VenRegistration.from_record(rec), cancelled_at=now)
            self.repo.put("ven_registrations", registration.to_record())
        return registration.to_record()

    def ven_registrations(self) -> list[dict]:
        """The active registrations."""
        return [r for r in self.repo.find("ven_registrations") if r.get("cancelled_at") is None]

    # -- events (EiEvent) ----------------------------------------------------------------------
    def create_dr_event(self, raw: Mapping) -> dict:
        event = dr.parse_dr_event(raw, self.clock.now())
        with self.repo.transaction():
            self._store_new("dr_events", "event_id", event.to_record(), "/event_id")
        return self._event_record(event)

    def get_dr_event(self, event_id: str) -> dict:
        """The event with its current status and every VEN's opt response."""
        event = self._dr_event(event_id)
        if event is None:
            raise NotFound(FieldError("unknown-event", "/event_id", f"no DR event {event_id!r}"))
        return {**self._event_record(event), "opts": self.repo.find("dr_opts", event_id=event_id)}

    def dr_event_action(self, event_id: str, action: str, changes: Mapping | None = None) -> dict:
        """``modify`` (with ``changes``) or ``cancel``; the modification number grows by one."""
        if action not in DR_ACTIONS:
            raise Rejected(FieldError("invalid-value", "/event", f"expected one of {', '.join(DR_ACTIONS)}"))
        now = self.clock.now()
        with self.repo.transaction():
            event = self._dr_event(event_id)
            if event is None:
                raise NotFound(FieldError("unknown-event", "/event_id", f"no DR event {event_id!r}"))
            event = dr.modify_event(event, changes, now) if action == "modify" else dr.cancel_event(event, now)
            self.repo.put("dr_events", event.to_record())
        return self._event_record(event)

    def _ven_events(self, registration: dr.VenRegistration) -> list[dr.DrEvent]:
        # Every poll asks this: each stored event is decoded (and validated) once per version
        # of its record, then kept by the record's exact JSON text (issue 8 load).
        decoded = self.__dict__.setdefault("_decoded_dr_events", {})
        if len(decoded) > 4096:
            decoded.clear()
        events = []
        for text in self.repo.find_text("dr_events"):
            event = decoded.get(text)
            if event is None:
                event = decoded[text] = dr.DrEvent.from_record(json.loads(text))
            events.append(event)
        return dr.events_for(events, registration, self.clock.now())

    def dr_events_for_ven(self, ven_id: str, reply_limit: int | None = None) -> list[dict]:
        """The VEN's current events (with status), recorded as sent at their current version.

        Raises:
            NotFound: ``unknown-ven``.
        """
        with self.repo.transaction():
            registration = self._ven(ven_id)
            events = self._ven_events(registration)
            if reply_limit:
                events = events[:reply_limit]
            for event in events:
                self.repo.put("dr_deliveries", {"delivery_key": f"{event.event_id}|{ven_id}",
                                                "ven_id": ven_id, "event_id": event.event_id,
                                                "modification_number": event.modification_number})
        return [self._event_record(e) for e in events]

    def has_unsent_dr_events(self, ven_id: str) -> bool:
        """Whether the VEN has an event it was not yet sent at its current modification number."""
        registration = self._ven(ven_id)
        for event in self._ven_events(registration):
            sent = self.repo.get("dr_deliveries", f"{event.event_id}|{ven_id}")
            if sent is None or sent["modification_number"] != event.modification_number:
                return True
        return False

    def record_opt(self, ven_id: str, event_id: str, modification_number: int, opt_type: str, *,
                   source: str, opt_id: str | None = None, reason: str | None = None) -> dict:
        """Store a VEN's opt-in/opt-out for one event version (see `core.dr_events.record_opt`)."""
        now = self.clock.now()
        with self.repo.transaction():
            registration = self._ven(ven_id)
            previous = self.repo.get("dr_opts", f"{event_id}|{ven_id}")
            opt = opts.record_opt(self._dr_event(event_id), registration,
                                opts.OptResponse.from_record(previous) if previous else None,
                                opt_type, modification_number, now, event_id=event_id,
                                source=source, opt_id=opt_id, reason=reason)
            self.repo.put("dr_opts", opt.to_record())
        return opt.to_record()

    # -- reports (EiReport) --------------------------------------------------------------------
    def register_ven_reports(self, ven_id: str, registrations: Sequence[ReportRegistration],
                             granularity: timedelta = DEFAULT_GRANULARITY) -> list[dict]:
        """Store the VEN's report registrations with what the VTN requests of each (energy
        data points, at ``granularity`` where their sampling rates allow it).

        Returns:
            the stored registrations; those with a ``report_request_id`` are to be requested.
        """
        now = self.clock.now()
        with self.repo.transaction():
            self._ven(ven_id)
            planned = [plan_requests(replace(r, ven_id=ven_id, registered_at=now), granularity)
                       for r in registrations]
            for registration in planned:
                self.repo.put("dr_report_registrations", registration.to_record())
        return [r.to_record() for r in planned]

    def store_ven_report(self, ven_id: str, request_id: str, reports: Sequence[ReportData]) -> dict:
        """Store an ``oadrUpdateReport``'s energy data as meter readings (all or nothing).

        Returns:
            ``{"meters": {meter_id: {"stored", "duplicates"}}, "ignored": n}``.
        Raises:
            MarketError: refused (already logged in ``dr_report_log``), with pointers into the
                update (``/reports/0/intervals/2/payloads/0/value``).
        """
        now = self.clock.now()
        log = {"log_id": f"{ven_id}|{request_id}", "ven_id": ven_id, "request_id": request_id,
               "received_at": now.isoformat()}
        try:
            with self.repo.transaction():
                self._ven(ven_id)
                registrations = {r["report_specifier_id"]: ReportRegistration.from_record(r)
                                 for r in self.repo.find("dr_report_registrations", ven_id=ven_id)}
                batches, ignored = readings_from_update(ven_id, registrations, reports)
                meters = {}
                for batch in batches:
                    try:
                        result = self.submit_readings(batch.meter_id, batch.readings)
                    except MarketError as refusal:
                        raise type(refusal)(*(locate(e, batch) for e in refusal.errors)) from None
                    meters[batch.meter_id] = {"stored": result["stored"], "duplicates": result["duplicates"]}
                outcome = {"meters": meters, "ignored": ignored}
                self.repo.put("dr_report_log", {**log, "outcome": "stored", **outcome})
        except MarketError as refusal:
            with self.repo.transaction():
                self.repo.put("dr_report_log", {**log, "outcome": "refused",
                                                "errors": [e.to_record() for e in refusal.errors]})
            raise
        return outcome

    def dr_report_log(self, ven_id: str) -> list[dict]:
        return self.repo.find("dr_report_log", ven_id=ven_id)

    # -- what the VTN asks on its own initiative (core.dr_outbox) --------------------------------
    def _registrations_of(self, ven_id: str) -> dict[str, dict]:
        return {r["report_specifier_id"]: r for r in self.repo.find("dr_report_registrations", ven_id=ven_id)}

    def _queue(self, ven_id: str, kind: str, registration: Mapping, **fields) -> dict:
        outbox_id = f"OUT-{len(self.repo.find('dr_outbox')) + 1}"
        entry = ob.OutboundRequest(outbox_id=outbox_id, ven_id=ven_id, kind=kind,
                                   report_request_id=registration["report_request_id"],
                                   report_specifier_id=registration["report_specifier_id"],
                                   created_at=self.clock.now(), **fields)
        self.repo.put("dr_outbox", entry.to_record())
        return entry.to_record()

    def request_ven_report(self, ven_id: str, report_specifier_id: str, report_back_duration_s: int = 0) -> dict:
        """Queue an ``oadrCreateReport`` re-requesting a report the VEN registered.

        Raises:
            NotFound: ``unknown-ven``; ``unknown-report`` (not registered, or nothing requested of it).
        """
        with self.repo.transaction():
            self._ven(ven_id)
            registration = ob.requested(self._registrations_of(ven_id), report_specifier_id=report_specifier_id)
            return self._queue(ven_id, "create-report", registration, r_ids=tuple(registration["requested_r_ids"]),
                               granularity_s=registration["granularity_s"],
                               report_back_duration_s=report_back_duration_s)

    def cancel_ven_report(self, ven_id: str, report_request_id: str, report_to_follow: bool = False) -> dict:
        """Queue an ``oadrCancelReport`` for a report request the VTN made of the VEN."""
        with self.repo.transaction():
            self._ven(ven_id)
            registration = ob.requested(self._registrations_of(ven_id), report_request_id=report_request_id)
            return self._queue(ven_id, "cancel-report", registration, report_to_follow=report_to_follow)

    def next_outbound(self, ven_id: str) -> dict | None:
        """The VEN's oldest queued request, now marked delivered; None when there is none.

        Called on every poll: when nothing is queued it only reads (no write transaction);
        callers hold the service lock, so nothing can be queued between the look and the write.
        """
        if not any(r["state"] == "queued" for r in self.repo.find("dr_outbox", ven_id=ven_id)):
            if not any(r.get("cancelled_at") is None for r in self.repo.find("ven_registrations", ven_id=ven_id)):
                self._ven(ven_id)  # raises unknown-ven
            return None
        with self.repo.transaction():
            self._ven(ven_id)
            queued = [ob.OutboundRequest.from_record(r) for r in self.repo.find("dr_outbox", ven_id=ven_id)
                      if r["state"] == "queued"]
            if not queued:
                return None
            entry = min(queued, key=lambda e: (e.created_at, int(e.outbox_id.split("-")[1]))).move("deliver")
            self.repo.put("dr_outbox", entry.to_record())
        return entry.to_record()

    def acknowledge_outbound(self, ven_id: str, kind: str, code: str) -> dict | None:
        """The VEN's answer to the delivered request of ``kind`` (oldest first); None if none waits."""
        with self.repo.transaction():
            self._ven(ven_id)
            delivered = [ob.OutboundRequest.from_record(r) for r in self.repo.find("dr_outbox", ven_id=ven_id)
                         if r["state"] == "delivered" and r["kind"] == kind]
            if not delivered:
                return None
            entry = delivered[0].move("acknowledge" if code == "200" else "refuse", code)
            self.repo.put("dr_outbox", entry.to_record())
        return entry.to_record()

    def outbox(self, ven_id: str) -> list[dict]:
        return self.repo.find("dr_outbox", ven_id=ven_id)

    def cancel_opt(self, ven_id: str, opt_id: str) -> dict:
        """``oadrCancelOpt``: the VEN's opt ``opt_id`` goes back to pending (core.dr_outbox.cancel_opt)."""
        now = self.clock.now()
        with self.repo.transaction():
            self._ven(ven_id)
            found = [r for r in self.repo.find("dr_opts", ven_id=ven_id) if r.get("opt_id") == opt_id]
            opt = ob.cancel_opt(opts.OptResponse.from_record(found[0]) if found else None, opt_id, now)
            self.repo.put("dr_opts", opt.to_record())
        return opt.to_record()
