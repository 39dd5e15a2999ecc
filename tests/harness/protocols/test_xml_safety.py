"""parse_xml: the one way XML is parsed. Each hostile document is refused with its own code,
quickly, and a normal OpenADR message still parses afterwards."""
from __future__ import annotations

import time

import pytest
from lxml import etree

from harness.protocols import xml_safety
from harness.protocols.xml_safety import MAX_BYTES, XmlRejected, parse_xml

POLL = (b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<oadr:oadrPayload xmlns:oadr="http://openadr.org/oadr-2.0b/2012/07">\n'
        b'  <oadr:oadrSignedObject>\n'
        b'    <oadr:oadrPoll ei:schemaVersion="2.0b" '
        b'xmlns:ei="http://docs.oasis-open.org/ns/energyinterop/201110">\n'
        b'      <ei:venID>ven-1</ei:venID>\n'
        b'    </oadr:oadrPoll>\n'
        b'  </oadr:oadrSignedObject>\n'
        b'</oadr:oadrPayload>\n')

XXE_FILE = (b'<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
            b'<r>&xxe;</r>')
XXE_PARAMETER = (b'<!DOCTYPE r [<!ENTITY % p SYSTEM "http://example.invalid/evil.dtd"> %p;]>'
                 b'<r/>')
EXTERNAL_DTD = b'<?xml version="1.0"?>\n<!DOCTYPE r SYSTEM "http://example.invalid/r.dtd">\n<r/>'
PUBLIC_DTD = (b'<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" '
              b'"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd"><html/>')


def billion_laughs(levels: int = 10) -> bytes:
    entities = [b'<!ENTITY lol0 "lol">']
    for n in range(1, levels):
        entities.append(b'<!ENTITY lol%d "%s">' % (n, (b"&lol%d;" % (n - 1)) * 10))
    return (b'<?xml version="1.0"?>\n<!DOCTYPE lolz [' + b"".join(entities) + b']>\n'
            b'<lolz>&lol%d;</lolz>' % (levels - 1))


def nested(depth: int) -> bytes:
    return b"<a>" * depth + b"</a>" * depth


def assert_normal_message_parses() -> None:
    root = parse_xml(POLL)
    assert etree.QName(root).localname == "oadrPayload"
    assert root.findtext(".//{http://docs.oasis-open.org/ns/energyinterop/201110}venID") == "ven-1"


def test_a_normal_message_parses_without_blank_text():
    root = parse_xml(POLL)
    assert all(e.tail is None and (e.text is None or e.text.strip()) for e in root.iter())


@pytest.mark.parametrize("document", [XXE_FILE, XXE_PARAMETER, EXTERNAL_DTD, PUBLIC_DTD,
                                      billion_laughs(), b"<!DOCTYPE r><r/>"],
                         ids=["external-entity-file", "parameter-entity-http", "external-dtd",
                              "public-dtd", "billion-laughs", "bare-doctype"])
def test_any_doctype_is_refused_quickly(document):
    started = time.perf_counter()
    with pytest.raises(XmlRejected) as refused:
        parse_xml(document)
    assert refused.value.code == "xml-doctype-forbidden"
    assert refused.value.field == "/!DOCTYPE"
    assert "root:" not in str(refused.value)  # nothing of /etc/passwd leaks into the message
    assert time.perf_counter() - started < 0.5
    assert_normal_message_parses()


@pytest.mark.parametrize("document", [
    b'<?xml version="1.0"?>\n<!-- a comment -->\n<?pi data?>\n<!DOCTYPE r [<!ENTITY x "y">]><r/>',
    b"\xef\xbb\xbf<!DOCTYPE r><r/>",
    '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE r [<!ENTITY x "y">]><r>&x;</r>'.encode("utf-16"),
    '<!DOCTYPE r><r/>'.encode("utf-16-be"),
], ids=["after-comment-and-pi", "utf-8-bom", "utf-16-bom", "utf-16-be-no-bom"])
def test_a_doctype_is_found_behind_the_prolog_and_in_other_encodings(document):
    with pytest.raises(XmlRejected) as refused:
        parse_xml(document)
    assert refused.value.code == "xml-doctype-forbidden"


def test_the_parsed_tree_is_checked_for_a_doctype_too(monkeypatch):
    # second line of defence: even if the prolog scan missed it, docinfo still refuses
    monkeypatch.setattr(xml_safety, "_prolog_has_doctype", lambda data: False)
    for document in (XXE_FILE, EXTERNAL_DTD, b"<!DOCTYPE r><r/>"):
        with pytest.raises(XmlRejected) as refused:
            parse_xml(document)
        assert refused.value.code == "xml-doctype-forbidden"
    assert_normal_message_parses()


def test_a_50_mb_document_is_refused_by_size_before_any_parsing(monkeypatch):
    def no_parser(*args, **kwargs):
        raise AssertionError("a parser was built for an oversized document")

    monkeypatch.setattr(xml_safety.etree, "XMLParser", no_parser)
    monkeypatch.setattr(xml_safety, "_prolog_has_doctype", no_parser)
    document = b"<r>" + b"x" * (50 * 1024 * 1024) + b"</r>"
    started = time.perf_counter()
    with pytest.raises(XmlRejected) as refused:
        parse_xml(document)
    assert time.perf_counter() - started < 0.1
    assert refused.value.code == "xml-too-large"
    assert str(MAX_BYTES) in refused.value.message
    monkeypatch.undo()
    assert_normal_message_parses()


def test_the_size_limit_is_inclusive_and_configurable():
    assert parse_xml(b"<r/>", max_bytes=4) is not None
    with pytest.raises(XmlRejected) as refused:
        parse_xml(b"<r />", max_bytes=4)
    assert refused.value.code == "xml-too-large"


def test_10000_deep_nesting_is_refused():
    started = time.perf_counter()
    with pytest.raises(XmlRejected) as refused:
        parse_xml(nested(10_000))
    assert refused.value.code == "xml-too-deep"
    assert refused.value.line == 1 and refused.value.column
    assert time.perf_counter() - started < 0.5
    assert_normal_message_parses()


def test_the_default_depth_limit_is_256():
    assert parse_xml(nested(256)) is not None
    with pytest.raises(XmlRejected) as refused:
        parse_xml(nested(257))
    assert refused.value.code == "xml-too-deep"


def test_a_lower_depth_limit_names_the_element_that_is_too_deep():
    assert parse_xml(b"<r><a><b/></a></r>", max_depth=3) is not None
    with pytest.raises(XmlRejected) as refused:
        parse_xml(b"<r><a><b><c/></b></a></r>", max_depth=3)
    assert refused.value.code == "xml-too-deep"
    assert refused.value.field == "/r/a/b/c"
    with pytest.raises(XmlRejected) as refused:
        parse_xml(nested(40), max_depth=30)
    assert refused.value.field == "/a/a/a/…/a[depth 31]"


@pytest.mark.parametrize("document, line, column", [
    (b"<r>\n  <a></r>", 2, 10),
    (b"<r>&undefined;</r>", 1, 15),
    (b"<r a='&x;'/>", 1, 10),
    (b"<r>&#0;</r>", 1, 8),
    (b"", None, None),
    (b"just text", 1, 1),
])
def test_malformed_documents_are_refused_with_line_and_column(document, line, column):
    with pytest.raises(XmlRejected) as refused:
        parse_xml(document)
    assert refused.value.code == "xml-malformed"
    if line is not None:
        assert (refused.value.line, refused.value.column) == (line, column)
        assert f"line {line}" in refused.value.message
    assert_normal_message_parses()


def test_bytes_like_input_is_accepted_and_text_is_a_type_error():
    assert parse_xml(bytearray(POLL)) is not None
    assert parse_xml(memoryview(POLL)) is not None
    with pytest.raises(TypeError):
        parse_xml(POLL.decode())


def test_network_and_entities_stay_off_in_the_parser_options():
    options = xml_safety._PARSER_OPTIONS
    assert options["resolve_entities"] is False and options["no_network"] is True
    assert options["load_dtd"] is False and options["huge_tree"] is False
