"""The bill document written directly in its exclusive XML canonical form (W3C Exclusive XML
Canonicalization 1.0), for billing runs of thousands of bills: an enveloped signature digests
exactly these bytes (`bill_signature.sign_canonical`), so nothing is parsed or rebuilt to sign.

The document's structure comes from `bill_xml._build`, the one description both writers follow;
tests/harness/protocols/test_bill_document.py checks the bytes equal lxml's exc-c14n of
`bill_xml.to_element`'s document, escapes included.
"""
from __future__ import annotations

import re

from .bill_xml import _PREFIX, _UNTAGGED, NS, TAGS, _build

_TEXT_SPECIAL = re.compile(r"[&<>\r]")
_ATTR_SPECIAL = re.compile(r'[&<"\t\n\r]')


def _escape_text(value: str) -> str:
    if not _TEXT_SPECIAL.search(value):
        return value
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#xD;")


def _escape_attr(value: str) -> str:
    if not _ATTR_SPECIAL.search(value):
        return value
    return (value.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")
            .replace("\t", "&#x9;").replace("\n", "&#xA;").replace("\r", "&#xD;"))


_TAG_ATTRS = {name: f' category="{c}" qualifier="{q}"' for name, (c, q) in TAGS.items()}


class _CanonicalBuilder:
    """Writes the document directly in its exclusive XML canonical form (W3C exc-c14n 1.0:
    namespace declarations only where first used, attributes sorted, empty elements as a start
    and an end tag, the c14n escapes), without lxml, for billing runs of thousands of bills.
    `_build` creates elements in document order, so a stack of open elements is enough: a new
    child of ``parent`` first closes whatever is open below ``parent``. Tests check the bytes
    equal lxml's exc-c14n of `to_element`'s document."""

    def __init__(self):
        self.out: list[str] = []
        self.stack: list[tuple[int, str, frozenset]] = []      # (handle, qname, prefixes declared)
        self.count = 0

    def _open(self, ns: str, name: str, attrs: dict, text, declared: frozenset) -> int:
        prefix = _PREFIX[ns]
        qname = f"{prefix}:{name}"
        out = self.out
        out.append("<" + qname)
        if prefix not in declared:
            out.append(f' xmlns:{prefix}="{ns}"')
            declared = declared | {prefix}
        for key in sorted(attrs):
            out.append(f' {key}="{_escape_attr(attrs[key])}"')
        out.append(">")
        if text is not None:
            out.append(_escape_text(text))
        self.count += 1
        self.stack.append((self.count, qname, declared))
        return self.count

    def root(self) -> int:
        return self._open(NS, "bill", {"version": "1"}, None, frozenset())

    def sub(self, parent: int, name: str, text=None, tags=None, ns: str = NS, **attrs) -> int:
        stack, out = self.stack, self.out
        while stack[-1][0] != parent:
            out.append(f"</{stack.pop()[1]}>")
        if text is not None and not attrs and tags is None and ns == NS:   # most fields: one string
            self.count += 1
            out.append(f"<bill:{name}{_TAG_ATTRS[name]}>{_escape_text(str(text))}")
            stack.append((self.count, "bill:" + name, stack[-1][2]))
            return self.count
        if attrs:
            attrs = {k: str(v) for k, v in attrs.items()}
        if text is not None:
            text = str(text)
            if tags != _UNTAGGED:
                attrs = {**attrs, **dict(zip(("category", "qualifier"), tags or TAGS[name]))}
        return self._open(ns, name, attrs, text, stack[-1][2])

    def finish(self) -> str:
        while self.stack:
            self.out.append(f"</{self.stack.pop()[1]}>")
        return "".join(self.out)


def to_canonical_bytes(bill: dict) -> bytes:
    """The document's exclusive canonical form, built without lxml; equal to
    ``etree.tostring(bill_xml.to_element(bill), method="c14n", exclusive=True)``. Not
    schema-checked here: check the signed result with `bill_xml.validate`."""
    builder = _CanonicalBuilder()
    _build(bill, builder)
    return builder.finish().encode("utf-8")
