"""The VTN's poll hot path (issue 8, load): a poll with nothing pending writes nothing and is
answered with the same bytes each time; anything that becomes pending still goes out on the
next poll, and an unknown VEN is still refused."""
from __future__ import annotations

from harness.protocols import oadr_codec as oc
from harness.protocols.oadr_codec import EiResponse

from test_openadr_vtn import create_event, register, register_report, send, vtn  # noqa: F401


def statements(vtn, action) -> list[str]:
    seen: list[str] = []
    db = vtn.service.repository._db
    db.set_trace_callback(seen.append)
    try:
        action()
    finally:
        db.set_trace_callback(None)
    return seen


def test_an_idle_poll_opens_no_write_transaction_and_gets_the_same_answer_bytes(vtn):
    ven_id = register(vtn)
    first = vtn.handle("OadrPoll", oc.to_xml(oc.Poll(ven_id)))
    answers: list[bytes] = []
    seen = statements(vtn, lambda: answers.append(vtn.handle("OadrPoll", oc.to_xml(oc.Poll(ven_id)))))
    assert seen and not [s for s in seen if s.split()[0].upper() in ("BEGIN", "INSERT", "UPDATE", "DELETE")]
    assert answers == [first]
    assert oc.from_xml(first) == oc.Response(EiResponse("", "200", "OK"), ven_id=ven_id)
    other = register(vtn, "ven-b")
    assert oc.from_xml(vtn.handle("OadrPoll", oc.to_xml(oc.Poll(other)))).ven_id == other  # per VEN


def test_after_idle_polls_a_new_event_and_a_queued_request_still_go_out(vtn):
    ven_id = register(vtn)
    register_report(vtn, ven_id)
    assert send(vtn, "OadrPoll", oc.Poll(ven_id)).response.code == "200"
    create_event(vtn)
    assert isinstance(send(vtn, "OadrPoll", oc.Poll(ven_id)), oc.DistributeEvent)
    with vtn.service.lock:
        queued = vtn.service.broker.request_ven_report(ven_id, "spec-1")
    answer = send(vtn, "OadrPoll", oc.Poll(ven_id))
    assert isinstance(answer, oc.CreateReport) and answer.request_id == queued["outbox_id"]
    assert send(vtn, "OadrPoll", oc.Poll(ven_id)) == oc.Response(EiResponse("", "200", "OK"), ven_id=ven_id)


def test_a_poll_from_an_unknown_or_cancelled_ven_is_still_refused(vtn):
    assert send(vtn, "OadrPoll", oc.Poll("VEN-404")).response.code == "463"
    ven_id = register(vtn)
    registration = vtn.service.broker.ven_registrations()[0]["registration_id"]
    send(vtn, "OadrPoll", oc.Poll(ven_id))  # its idle answer is now kept
    cancelled = send(vtn, "EiRegisterParty", oc.CancelPartyRegistration("c-1", registration, ven_id))
    assert cancelled.response.code == "200"
    assert send(vtn, "OadrPoll", oc.Poll(ven_id)).response.code == "463"
