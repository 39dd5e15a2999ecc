"""A bill document compiled once and filled per customer, already in its exclusive canonical
form (W3C exc-c14n 1.0), for billing runs of thousands of bills: no XML is built, parsed or
schema-checked per bill, and `bill_signature.sign_canonical` digests the filled bytes as they are.

How the template stays the one document description:
- it is `bill_canonical.to_canonical_bytes` (which follows `bill_xml._build`) of a real bill
  record whose per-customer fields hold numbered markers (private-use characters, refused in
  any constant text); the bytes between the markers are the template's fixed parts;
- a field is filled with text: caller strings (``text`` fields: bill id, pseudonym, supply
  point) are checked for characters XML cannot carry and escaped as exc-c14n escapes element
  text; numbers (``decimal``, ``count``) are written by the caller in their schema lexical form
  (`bulk_pricing.DecimalColumn.texts`) and must match it.
How it is proven rather than validated bill by bill: `prove` fills the template with extreme
values of every field (markup characters, non-ASCII, long and negative numbers, signed zeros),
and requires of each document that bill.xsd accepts it, that it reads back to the values put in,
that lxml's exc-c14n of it is the same bytes (so the digest signed is the reference's), and that
its signature verifies. A billing run adds a random sample of its own bills
(`reference_impl.billing_run.check_sample`).
"""
from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from lxml import etree

from . import bill_canonical, bill_signature, bill_xml
from .bill_xml import BillDocumentError

_MARK = re.compile("\ue000(\\d+)\ue001")
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_LEXICAL = {"decimal": re.compile(r"-?[0-9]+(\.[0-9]+)?"), "count": re.compile(r"[0-9]+")}   # xs:decimal, xs:nonNegativeInteger (subsets)
_LEXICAL_LINES = {kind: re.compile(f"(?:{pattern.pattern}\n)*") for kind, pattern in _LEXICAL.items()}
KINDS = ("text", "decimal", "count")
# extreme values each kind of field is proven with (one document per column)
EXTREMES = {"text": ('&<>"\'\t\n\r &amp; ]]> é € 𝄞 ' * 8, "x", "hmac-sha256:" + "f" * 64),
            "decimal": ("-123456789012345678.123456", "0", "-0.00"),
            "count": ("99999999999999999999", "0", "1")}


def _get(record, path: str):
    for step in path.split("/"):
        record = record[int(step)] if isinstance(record, list) else record[step]
    return record


def _set(record, path: str, value) -> None:
    *head, last = path.split("/")
    parent = _get(record, "/".join(head)) if head else record
    parent[int(last) if isinstance(parent, list) else last] = value


@dataclass(frozen=True)
class BillTemplate:
    """``fields``: (record path, kind) of each hole, in document order; ``fixed``: the canonical
    document's text around the holes (one more piece than holes)."""

    fields: tuple[tuple[str, str], ...]
    fixed: tuple[str, ...]

    @classmethod
    def compile(cls, prototype: Mapping, variable: Mapping[str, str]) -> BillTemplate:
        """The template of ``prototype`` (a bill record, `Bill.to_record`) whose ``variable``
        fields ({record path: kind}, paths like ``lines/0/amount``) change per customer.

        Raises:
            BillDocumentError: a path the record lacks, an unknown kind, or a constant text that
                holds the private-use characters the holes are marked with.
        """
        record = copy.deepcopy(dict(prototype))
        paths = list(variable)
        for index, path in enumerate(paths):
            if variable[path] not in KINDS:
                raise BillDocumentError(f"unknown field kind {variable[path]!r}", "template-field", path)
            try:
                _get(record, path)
            except (KeyError, IndexError, ValueError, TypeError):
                raise BillDocumentError("the prototype bill has no such field", "template-field", path) from None
            _set(record, path, f"\ue000{index}\ue001")
        text = bill_canonical.to_canonical_bytes(record).decode("utf-8")
        pieces = _MARK.split(text)
        order = [int(x) for x in pieces[1::2]]
        if text.count("\ue000") != len(paths) or sorted(order) != list(range(len(paths))):
            raise BillDocumentError("a constant field holds U+E000 or U+E001, which mark the template's holes",
                                    "template-marker", "/bill")
        return cls(tuple((paths[i], variable[paths[i]]) for i in order), tuple(pieces[0::2]))

    def column(self, path: str, values: Sequence[str], where: str = "") -> list[str]:
        """One field's values for every customer, checked and escaped for the document.

        Raises:
            BillDocumentError: ``bill-field-invalid`` naming the field and the row (``where``
                prefixes the row number, e.g. ``customer``) of a value XML cannot carry or that is
                not of its kind's lexical form.
        """
        kind = dict(self.fields)[path]
        values = list(values)
        if kind == "text":
            if _NOT_XML.search("".join(values)) or not all(values):    # one pass; find the row only on failure
                for row, value in enumerate(values):
                    bad = _NOT_XML.search(value)
                    if bad or not value:
                        raise BillDocumentError(f"{where} #{row}: " + (
                            f"character U+{ord(bad.group()):04X} cannot appear in XML" if bad else "empty text"),
                            "bill-field-invalid", f"/{path}")
            return [bill_canonical._escape_text(value) for value in values]
        lexical = _LEXICAL[kind]
        lines = "\n".join(values) + "\n"
        if lines.count("\n") != len(values) or not _LEXICAL_LINES[kind].fullmatch(lines):
            for row, value in enumerate(values):
                if not lexical.fullmatch(value):
                    raise BillDocumentError(f"{where} #{row}: {value!r} is not a {kind}", "bill-field-invalid",
                                            f"/{path}")
        return values

    def filler(self):
        """A function of a row of checked values (``fields`` order) to the document's text: the
        fixed pieces and the values interleaved and joined (str.format would rescan the 5 kB of
        fixed text for every bill, 35 times slower)."""
        holes = len(self.fields)
        if len(self.fixed) != holes + 1:
            raise BillDocumentError(f"{len(self.fixed)} fixed pieces for {holes} holes", "template-shape", "/bill")
        skeleton = [""] * (2 * holes + 1)
        skeleton[0::2] = self.fixed

        def fill(row: Sequence[str]) -> str:
            out = skeleton.copy()
            out[1::2] = row
            return "".join(out)
        return fill

    def fill(self, row: Sequence[str]) -> bytes:
        """The canonical document of one customer; ``row``: checked values in ``fields`` order."""
        return self.filler()(row).encode("utf-8")


def _read_back(document: bytes, template: BillTemplate, values: Sequence[str]) -> None:
    record = bill_xml.from_bytes(document)
    for (path, kind), put in zip(template.fields, values):
        got = _get(record, path)
        if (str(got) if kind != "text" else got) != put:
            raise BillDocumentError(f"the template wrote {put!r} but the document reads {got!r}",
                                    "template-read-back", f"/{path}")
    again = etree.tostring(etree.fromstring(document), method="c14n", exclusive=True)
    if again != document:
        raise BillDocumentError("the filled template is not in exclusive canonical form", "template-not-canonical",
                                "/bill")


def prove(template: BillTemplate, key) -> list[str]:
    """Fill the template with every column of ``EXTREMES``; each document must be schema-valid,
    read back to the values, be its own exc-c14n and carry a signature that verifies under ``key``.

    Returns:
        one line per document, saying what it held.
    Raises:
        BillDocumentError or bill_signature.SignatureInvalid: naming the first failure.
    """
    done = []
    for variant in range(len(EXTREMES["text"])):
        values = [EXTREMES[kind][variant] for _, kind in template.fields]
        checked = [template.column(path, [value])[0] for (path, _), value in zip(template.fields, values)]
        document = template.fill(checked)
        _read_back(document, template, values)
        signed = bill_signature.sign_canonical(document, key)
        bill_xml.validate(signed)
        bill_signature.verify(signed, key.public_key())
        done.append(f"extremes #{variant + 1}: " + ", ".join(
            f"{kind}={EXTREMES[kind][variant][:12]!r}{'...' if len(EXTREMES[kind][variant]) > 12 else ''}"
            for kind in KINDS))
    return done
