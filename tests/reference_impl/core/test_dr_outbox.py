"""The VTN's outbox for pull VENs and opt cancellation (reference_impl.core.dr_outbox): pure data."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from reference_impl.core import dr_outbox as ob
from reference_impl.core.dr_opts import OptResponse
from reference_impl.core.errors import Conflict, NotFound

NOW = datetime(2026, 6, 1, 8, tzinfo=timezone.utc)


def entry(**changes) -> ob.OutboundRequest:
    return ob.OutboundRequest(**{"outbox_id": "OUT-1", "ven_id": "VEN-1", "kind": "create-report",
                                 "report_request_id": "VEN-1:spec", "report_specifier_id": "spec",
                                 "created_at": NOW, **changes})


def test_an_outbound_request_is_delivered_then_answered_and_nothing_else():
    delivered = entry().move("deliver")
    assert delivered.state == "delivered"
    assert delivered.move("acknowledge", "200").state == "acknowledged"
    assert delivered.move("refuse", "452").answer_code == "452"
    for illegal in ((entry(), "acknowledge"), (delivered.move("acknowledge", "200"), "deliver")):
        with pytest.raises(Conflict):
            illegal[0].move(illegal[1])
    assert ob.OutboundRequest.from_record(delivered.to_record()) == delivered
    with pytest.raises(ValueError):
        entry(kind="create-event")


def test_only_a_requested_report_can_be_found_for_a_request():
    registrations = {"spec": {"report_specifier_id": "spec", "report_request_id": "VEN-1:spec"},
                     "other": {"report_specifier_id": "other", "report_request_id": None}}
    assert ob.requested(registrations, report_specifier_id="spec")["report_request_id"] == "VEN-1:spec"
    assert ob.requested(registrations, report_request_id="VEN-1:spec")["report_specifier_id"] == "spec"
    for kwargs, field in (({"report_specifier_id": "other"}, "/report_specifier_id"),
                          ({"report_request_id": "nope"}, "/report_request_id")):
        with pytest.raises(NotFound) as missing:
            ob.requested(registrations, **kwargs)
        assert (missing.value.errors[0].code, missing.value.errors[0].field) == ("unknown-report", field)


def test_an_opt_cancelled_goes_back_to_pending_once():
    opt = OptResponse(event_id="DR-1", ven_id="VEN-1", state="opted-out", modification_number=0,
                      source="oadrCreateOpt", updated_at=NOW, opt_id="opt-1")
    cancelled = ob.cancel_opt(opt, "opt-1", NOW)
    assert (cancelled.state, cancelled.source, cancelled.opt_id) == ("pending", "oadrCancelOpt", "opt-1")
    with pytest.raises(Conflict):
        ob.cancel_opt(cancelled, "opt-1", NOW)
    with pytest.raises(NotFound):
        ob.cancel_opt(None, "opt-2", NOW)
