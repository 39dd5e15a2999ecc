"""The bill template: compiled from a bill record, filled to the canonical writer's bytes, its
holes' values checked against their XSD lexical forms, and `prove` failing a template that is
wrong (a hole of the wrong kind, a fixed part the schema refuses, bytes that are not canonical)."""
from __future__ import annotations

import pytest

from harness.protocols import bill_canonical
from harness.protocols import bill_signature as bs
from harness.protocols.bill_template import BillTemplate, prove
from harness.protocols.bill_xml import BillDocumentError

from test_bill_document import _bill  # the same bill record the document tests use

HOLES = {"bill_id": "text", "customer_ref": "text", "metering/intervals_estimated": "count",
         "lines/0/amount": "decimal", "total": "decimal"}


def test_filled_with_the_record_s_own_values_it_is_the_canonical_writer_s_bytes():
    record = _bill(False)
    template = BillTemplate.compile(record, HOLES)
    assert [path for path, _ in template.fields] == ["bill_id", "customer_ref", "metering/intervals_estimated",
                                                      "lines/0/amount", "total"]     # document order
    values = ["B-1", record["customer_ref"], str(record["metering"]["intervals_estimated"]),
              record["lines"][0]["amount"], record["total"]]
    assert template.fill(values) == bill_canonical.to_canonical_bytes(record)
    record["bill_id"] = "B-{0}&{x}"           # braces and markup in a value go in verbatim, escaped
    assert template.fill([template.column("bill_id", ["B-{0}&{x}"])[0]] + values[1:]) == \
        bill_canonical.to_canonical_bytes(record)


def test_prove_passes_a_right_template():
    lines = prove(BillTemplate.compile(_bill(False), HOLES), bs.new_key())
    assert len(lines) == 3 and all(line.startswith("extremes #") for line in lines)


def test_prove_fails_a_hole_of_the_wrong_kind():
    wrong = BillTemplate.compile(_bill(False), {**HOLES, "total": "text"})     # a total is a decimal
    with pytest.raises(BillDocumentError) as refusal:
        prove(wrong, bs.new_key())
    assert refusal.value.code == "bill-schema-invalid" and "total" in refusal.value.message + refusal.value.field


def test_prove_fails_a_template_whose_fixed_part_the_schema_refuses():
    right = BillTemplate.compile(_bill(False), HOLES)
    wrong = BillTemplate(right.fields, tuple(x.replace(">time-of-use<", ">pay-as-you-like<") for x in right.fixed))
    with pytest.raises(BillDocumentError) as refusal:
        prove(wrong, bs.new_key())
    assert refusal.value.code == "bill-schema-invalid"


def test_prove_fails_bytes_that_are_not_canonical():
    right = BillTemplate.compile(_bill(False), HOLES)
    wrong = BillTemplate(right.fields, (right.fixed[0].replace(' qualifier="pseudonymized">', " qualifier='pseudonymized'>"),
                                        *right.fixed[1:]))
    with pytest.raises(BillDocumentError) as refusal:
        prove(wrong, bs.new_key())
    assert refusal.value.code == "template-not-canonical"


def test_values_must_have_their_field_s_lexical_form():
    template = BillTemplate.compile(_bill(False), HOLES)
    for path, bad in (("total", "1e5"), ("total", "12,50"), ("metering/intervals_estimated", "\u0661\u0662"),
                      ("metering/intervals_estimated", "-1"), ("total", "1\n2"), ("bill_id", ""), ("bill_id", "B\ufffe")):
        with pytest.raises(BillDocumentError) as refusal:
            template.column(path, ["ok-1" if path == "bill_id" else "1", bad], "customer")
        assert refusal.value.field == f"/{path}" and "customer #1" in refusal.value.message


def test_a_constant_holding_the_marker_characters_or_a_missing_path_is_refused():
    record = _bill(False)
    record["supplier"] = {**record["supplier"], "name": "R \ue0001\ue001"}
    with pytest.raises(BillDocumentError) as marker:
        BillTemplate.compile(record, HOLES)
    assert marker.value.code == "template-marker"
    with pytest.raises(BillDocumentError) as missing:
        BillTemplate.compile(_bill(False), {"lines/9/amount": "decimal"})
    assert missing.value.field == "lines/9/amount"
