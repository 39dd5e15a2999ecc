"""Fuzzing the message decoder (issue 8, part 6): whatever bytes arrive, `from_xml` returns a
message or refuses with `XmlRejected` (code, field, message); nothing else escapes."""
from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from harness.protocols.oadr_codec import from_xml, to_xml
from harness.protocols.xml_safety import XmlRejected, parse_xml
from test_oadr_codec import MESSAGES  # the reference messages of every type

DOCUMENTS = {name: to_xml(message) for name, message in MESSAGES.items()}
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _decode_or_refuse(document: bytes) -> None:
    try:
        from_xml(document)
    except XmlRejected as refusal:
        assert refusal.code and isinstance(refusal.field, str) and refusal.message


def _mutate_tree(document: bytes, rng: random.Random, action: str, text: str) -> bytes:
    root = parse_xml(document)
    elements = list(root.iter(etree.Element))
    victim = rng.choice(elements[1:]) if len(elements) > 1 else root
    if action == "delete" and victim.getparent() is not None:
        victim.getparent().remove(victim)
    elif action == "duplicate" and victim.getparent() is not None:
        victim.addnext(etree.fromstring(etree.tostring(victim)))
    elif action == "retext":
        victim.text = text
    elif action == "rename":
        victim.tag = etree.QName(victim).namespace and f"{{{etree.QName(victim).namespace}}}x{rng.randrange(99)}" or "x"
    elif action == "attribute":
        victim.set("{http://www.w3.org/2001/XMLSchema-instance}type", text or "x")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


@FUZZ
@given(name=st.sampled_from(sorted(DOCUMENTS)), seed=st.integers(0, 2**32 - 1),
       flips=st.integers(1, 8))
def test_flipped_bytes_decode_or_are_refused(name, seed, flips):
    rng, data = random.Random(seed), bytearray(DOCUMENTS[name])
    for _ in range(flips):
        data[rng.randrange(len(data))] = rng.randrange(256)
    _decode_or_refuse(bytes(data))


@FUZZ
@given(name=st.sampled_from(sorted(DOCUMENTS)), cut=st.floats(0, 1, exclude_max=True))
def test_truncated_documents_are_refused(name, cut):
    document = DOCUMENTS[name]
    _decode_or_refuse(document[: int(len(document) * cut)])


@FUZZ
@given(name=st.sampled_from(sorted(DOCUMENTS)), seed=st.integers(0, 2**32 - 1),
       action=st.sampled_from(["delete", "duplicate", "retext", "rename", "attribute"]),
       text=st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=40))
def test_structurally_mutated_messages_decode_or_are_refused(name, seed, action, text):
    _decode_or_refuse(_mutate_tree(DOCUMENTS[name], random.Random(seed), action, text))


@FUZZ
@given(st.binary(max_size=2048))
def test_arbitrary_bytes_are_refused(data):
    _decode_or_refuse(data)


def test_an_xsi_type_naming_no_type_is_a_schema_violation_not_a_crash():
    # found by the fuzzer above: xmlschema raised XMLSchemaKeyError instead of reporting
    document = DOCUMENTS["Poll"].replace(b"<oadr:oadrPoll", b'<oadr:oadrPoll xsi:type="nothing" '
                                         b'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"', 1)
    assert document != DOCUMENTS["Poll"]
    try:
        from_xml(document)
    except XmlRejected as refusal:
        assert refusal.code == "schema-invalid"
    else:
        raise AssertionError("a message with an unknown xsi:type was accepted")
