"""Demand-response core (reference_impl.core.dr_events): registrations, events with their derived
status and modification numbers, and opt responses along their state table. Pure data."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from reference_impl.core import dr_events as dr
from reference_impl.core import dr_opts as opts
from reference_impl.core.errors import Conflict, NotFound, Rejected

NOW = datetime(2026, 6, 1, 8, 0, tzinfo=timezone.utc)
START = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)


def raw_event(**changes) -> dict:
    return {"event_id": "DR-1", "market_context": "http://market.example/dr",
            "dtstart": START.isoformat(), "signal_name": "SIMPLE", "signal_type": "level",
            "intervals": [{"duration_s": 900, "value": 1}, {"duration_s": 900, "value": 2}],
            "ven_names": ["ven-a"], **changes}


def registration(name="ven-a", ven_id="VEN-1") -> dr.VenRegistration:
    return dr.VenRegistration(registration_id="REG-1", ven_id=ven_id, ven_name=name, registered_at=NOW)


# -- registrations ---------------------------------------------------------------------------
def test_a_new_ven_gets_the_ids_passed_in_and_a_reregistration_keeps_them():
    first = dr.register_ven("ven-a", None, NOW, new_ids=("REG-1", "VEN-1"))
    assert (first.registration_id, first.ven_id, first.ven_name) == ("REG-1", "VEN-1", "ven-a")
    again = dr.register_ven("ven-a", first, NOW + timedelta(hours=1), new_ids=("REG-2", "VEN-2"))
    assert again == first
    provisioned = dr.register_ven("ven-b", None, NOW, new_ids=("REG-3", "VEN-3"), ven_id="B-42")
    assert provisioned.ven_id == "B-42"
    assert dr.VenRegistration.from_record(first.to_record()) == first


@pytest.mark.parametrize("call, error, code, field", [
    (lambda: dr.register_ven(None, None, NOW, new_ids=("R", "V")), Rejected, "missing-field", "/ven_name"),
    (lambda: dr.register_ven("ven-a", None, NOW, new_ids=("R", "V"), http_pull_model=False),
     Rejected, "push-not-supported", "/http_pull_model"),
    (lambda: dr.register_ven("ven-b", None, NOW, new_ids=("R", "V"), ven_id="VEN-1",
                             ven_id_holder=registration()), Conflict, "ven-id-taken", "/ven_id"),
    (lambda: dr.register_ven("ven-a", registration(), NOW, new_ids=("R", "V"), ven_id="OTHER"),
     Conflict, "ven-id-mismatch", "/ven_id"),
    (lambda: dr.VenRegistration(registration_id=" ", ven_id="V", ven_name="n", registered_at=NOW),
     Rejected, "invalid-type", "/registration_id"),
    (lambda: dr.VenRegistration(registration_id="R", ven_id="V\x00", ven_name="n", registered_at=NOW),
     Rejected, "invalid-type", "/ven_id"),
])
def test_registration_refusals_name_the_field(call, error, code, field):
    with pytest.raises(error) as refused:
        call()
    assert (refused.value.code, refused.value.errors[0].field) == (code, field)


# -- events ----------------------------------------------------------------------------------
def test_a_parsed_event_starts_at_modification_zero_and_round_trips():
    event = dr.parse_dr_event(raw_event(), NOW)
    assert event.modification_number == 0 and event.state == "scheduled"
    assert event.duration == timedelta(minutes=30) and event.end == START + timedelta(minutes=30)
    assert [i.value for i in event.intervals] == [1.0, 2.0]
    assert dr.DrEvent.from_record(event.to_record()) == event


@pytest.mark.parametrize("at, status", [
    (START - timedelta(hours=2), "far"), (START - dr.NEAR_WINDOW - timedelta(seconds=1), "far"),
    (START - dr.NEAR_WINDOW, "near"), (START - timedelta(seconds=1), "near"), (START, "active"),
    (START + timedelta(minutes=29), "active"), (START + timedelta(minutes=30), "completed")])
def test_status_is_derived_from_now(at, status):
    assert dr.parse_dr_event(raw_event(), NOW).status(at) == status


@pytest.mark.parametrize("changes, code, field", [
    ({"event_id": ""}, "invalid-type", "/event_id"),
    ({"market_context": "not a uri"}, "invalid-value", "/market_context"),
    ({"dtstart": "2026-06-01T12:00:00"}, "invalid-value", "/dtstart"),
    ({"intervals": []}, "invalid-type", "/intervals"),
    ({"intervals": [{"duration_s": 0, "value": 1}]}, "out-of-range", "/intervals/0/duration_s"),
    ({"intervals": [{"duration_s": 1.5, "value": 1}]}, "out-of-range", "/intervals/0/duration_s"),
    ({"intervals": [{"duration_s": 900}]}, "missing-field", "/intervals/0/value"),
    ({"intervals": [{"duration_s": 900, "value": 4}]}, "simple-signal-level", "/intervals/0/value"),
    ({"signal_name": "BOGUS"}, "invalid-value", "/signal_name"),
    ({"signal_type": "x-custom"}, "invalid-value", "/signal_type"),
    ({"ven_names": None}, "no-target", "/ven_ids"),
    ({"ven_ids": ["ok", ""]}, "invalid-type", "/ven_ids/1"),
    ({"priority": -1}, "invalid-type", "/priority"),
    ({"test_event": "yes"}, "invalid-type", "/test_event"),
    ({"response_required": "sometimes"}, "invalid-value", "/response_required"),
    ({"dtstart": (NOW - timedelta(hours=1)).isoformat()}, "event-over", "/dtstart"),
])
def test_bad_events_are_refused_naming_the_field(changes, code, field):
    with pytest.raises(Rejected) as refused:
        dr.parse_dr_event(raw_event(**changes), NOW)
    assert (refused.value.code, refused.value.errors[0].field) == (code, field)


def test_a_price_signal_takes_any_value():
    event = dr.parse_dr_event(raw_event(signal_name="ELECTRICITY_PRICE", signal_type="price", currency="EUR",
                                        intervals=[{"duration_s": 3600, "value": 0.31}]), NOW)
    assert event.intervals[0].value == 0.31
    assert (event.currency, event.currency_unit) == ("EUR", "currencyPerKWh")
    assert dr.DrEvent.from_record(event.to_record()) == event


def test_a_price_signal_names_its_currency():
    for currency, code in ((None, "missing-field"), ("euro", "invalid-value"), (978, "invalid-value")):
        with pytest.raises(Rejected) as refused:
            dr.parse_dr_event(raw_event(signal_name="DEMAND_CHARGE", signal_type="price", currency=currency), NOW)
        assert (refused.value.errors[0].code, refused.value.errors[0].field) == (code, "/currency")


def test_every_change_increments_the_modification_number():
    event = dr.parse_dr_event(raw_event(), NOW)
    moved = dr.modify_event(event, {"dtstart": (START + timedelta(hours=1)).isoformat()}, NOW)
    assert moved.modification_number == 1 and moved.dtstart == START + timedelta(hours=1)
    reshaped = dr.modify_event(moved, {"intervals": [{"duration_s": 3600, "value": 3}]}, NOW)
    assert reshaped.modification_number == 2 and reshaped.duration == timedelta(hours=1)
    cancelled = dr.cancel_event(reshaped, NOW)
    assert cancelled.modification_number == 3 and cancelled.status(NOW) == "cancelled"
    assert cancelled.state == "cancelled"


@pytest.mark.parametrize("changes, code, field", [
    (None, "no-change", "/changes"),
    ({"ven_names": ["x"]}, "not-modifiable", "/changes/ven_names"),
    ({"priority": None}, "no-change", "/changes"),
    ({"intervals": [{"duration_s": 900, "value": 9}]}, "simple-signal-level", "/changes/intervals/0/value"),
    ({"intervals": "soon"}, "invalid-type", "/changes/intervals"),
])
def test_bad_modifications_are_refused(changes, code, field):
    with pytest.raises(Rejected) as refused:
        dr.modify_event(dr.parse_dr_event(raw_event(), NOW), changes, NOW)
    assert (refused.value.code, refused.value.errors[0].field) == (code, field)


def test_completed_and_cancelled_events_do_not_change():
    event = dr.parse_dr_event(raw_event(), NOW)
    later = START + timedelta(hours=1)
    for action in (lambda: dr.cancel_event(event, later),
                   lambda: dr.modify_event(event, {"priority": 1}, later),
                   lambda: dr.cancel_event(dr.cancel_event(event, NOW), NOW)):
        with pytest.raises(Conflict) as refused:
            action()
        assert refused.value.code == "illegal-transition"
    assert dr.modify_event(event, {"priority": 1}, START).modification_number == 1  # active: allowed


def test_events_for_a_ven_are_its_targets_until_they_end():
    reg = registration()
    by_name = dr.parse_dr_event(raw_event(), NOW)
    by_id = dr.parse_dr_event(raw_event(event_id="DR-2", ven_names=None, ven_ids=["VEN-1"]), NOW)
    other = dr.parse_dr_event(raw_event(event_id="DR-3", ven_names=["ven-b"]), NOW)
    cancelled = dr.cancel_event(dr.parse_dr_event(raw_event(event_id="DR-4"), NOW), NOW)
    events = [by_name, by_id, other, cancelled]
    assert [e.event_id for e in dr.events_for(events, reg, NOW)] == ["DR-1", "DR-2", "DR-4"]
    assert dr.events_for(events, reg, START + timedelta(hours=1)) == []


# -- opts ------------------------------------------------------------------------------------
def opt(event, previous=None, opt_type="optIn", modification=0, at=NOW, reg=None):
    return opts.record_opt(event, reg or registration(), previous, opt_type, modification, at,
                         event_id="DR-1", source="oadrCreatedEvent")


def test_opts_follow_the_state_table():
    event = dr.parse_dr_event(raw_event(), NOW)
    first = opt(event)
    assert (first.state, first.key) == ("opted-in", "DR-1|VEN-1")
    out = opt(event, first, "optOut")
    assert out.state == "opted-out"
    assert opt(event, out, "optOut").state == "opted-out"
    assert opt(event, out, "optIn").state == "opted-in"
    assert opts.OptResponse.from_record(first.to_record()) == first
    assert set(opts.OPT_TRANSITIONS.values()) == {"opted-in", "opted-out"}


@pytest.mark.parametrize("make, error, code", [
    (lambda e: opts.record_opt(None, registration(), None, "optIn", 0, NOW, event_id="X", source="s"),
     NotFound, "unknown-event"),
    (lambda e: opt(e, reg=registration("ven-b", "VEN-9")), Rejected, "not-targeted"),
    (lambda e: opt(e, opt_type="maybe"), Rejected, "invalid-value"),
    (lambda e: opt(e, modification=1), Conflict, "stale-modification"),
    (lambda e: opt(e, at=START + timedelta(hours=1)), Conflict, "event-completed"),
    (lambda e: opt(e, previous=opts.OptResponse(event_id="DR-1", ven_id="VEN-1", state="withdrawn",
                                               modification_number=0, source="s", updated_at=NOW)),
     Conflict, "illegal-transition"),
])
def test_opt_refusals(make, error, code):
    with pytest.raises(error) as refused:
        make(dr.parse_dr_event(raw_event(), NOW))
    assert refused.value.code == code


def test_an_opt_on_a_modified_event_must_name_the_new_version():
    event = dr.modify_event(dr.parse_dr_event(raw_event(), NOW), {"priority": 3}, NOW)
    with pytest.raises(Conflict):
        opt(event, modification=0)
    assert opt(event, modification=1).modification_number == 1
