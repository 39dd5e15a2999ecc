"""The one way any XML is parsed in this project: `parse_xml`.

This module owns the hardening rules for XML that arrives from outside (a SUT, a peer, a file).
Everything else in the project that needs a tree from bytes calls `parse_xml`; nothing else
constructs an lxml parser for untrusted input.

Rules, in the order they are applied:

1. **Size first.** A document longer than ``max_bytes`` (4 MiB by default) is refused before a
   single byte is parsed, so an oversized body costs nothing but a length check.
2. **No DOCTYPE at all.** OpenADR 2.0b messages are schema-described and never need a DTD, and a
   DTD is what entity expansion (billion laughs), external entities (XXE, ``file:///...``) and
   external DTD fetches hang on. The prolog is scanned for ``<!DOCTYPE`` before parsing (so an
   entity bomb is refused without libxml2 ever reading its declarations), and the parsed tree's
   ``docinfo`` is checked again afterwards as a second line of defence.
3. **A locked-down parser.** lxml with ``resolve_entities=False``, ``no_network=True``,
   ``load_dtd=False``, ``dtd_validation=False``, ``huge_tree=False`` (libxml2 keeps its own
   resource limits) and ``remove_blank_text=True``. A fresh parser per call: lxml parsers are
   not safe to share between threads.
4. **Depth.** Elements nested deeper than ``max_depth`` (256) are refused. libxml2 without
   ``huge_tree`` stops at 256 levels by itself, so ``max_depth`` can lower that limit but never
   raise it; either way the refusal has the code ``xml-too-deep``.

Refusals raise `XmlRejected` with a stable ``code`` (``xml-too-large``,
``xml-doctype-forbidden``, ``xml-too-deep``, ``xml-malformed``), the ``field`` concerned (an
XPath-ish location, or ``""`` for the document as a whole) and, for syntax errors, the line and
column libxml2 reported.
"""
from __future__ import annotations

import codecs
from functools import lru_cache

from lxml import etree

MAX_BYTES = 4 * 1024 * 1024
MAX_DEPTH = 256
# libxml2's nesting limit when XML_PARSE_HUGE (lxml's huge_tree) is off.
LIBXML2_MAX_DEPTH = 256

_PARSER_OPTIONS = dict(resolve_entities=False, no_network=True, load_dtd=False,
                       dtd_validation=False, huge_tree=False, remove_blank_text=True)


class XmlRejected(ValueError):
    """An XML document (or message) was refused.

    Attributes:
        code: stable machine-readable reason, e.g. ``xml-doctype-forbidden``.
        field: where: an XPath-ish location, or ``""`` for the whole document.
        message: human-readable explanation.
        line, column: position reported by the XML parser, when there is one.
    """

    def __init__(self, code: str, field: str, message: str, *,
                 line: int | None = None, column: int | None = None):
        self.code = code
        self.field = field
        self.message = message
        self.line = line
        self.column = column
        where = f" at {field}" if field else ""
        super().__init__(f"{message} [{code}]{where}")


def parse_xml(data: bytes, *, max_bytes: int = MAX_BYTES, max_depth: int = MAX_DEPTH) -> etree._Element:
    """Parse untrusted XML bytes into an lxml element, applying the module's rules.

    Args:
        data: the document, as bytes (``bytearray`` and ``memoryview`` are accepted too); the
            encoding comes from the document itself (BOM / XML declaration), UTF-8 by default.
        max_bytes: largest accepted document, checked before parsing.
        max_depth: deepest accepted element nesting (the root is depth 1); values above
            libxml2's own limit (256) are capped by libxml2.

    Returns:
        The root element.

    Raises:
        TypeError: ``data`` is not bytes-like (a programming error, not a refusal).
        XmlRejected: ``xml-too-large``, ``xml-doctype-forbidden``, ``xml-too-deep`` or
            ``xml-malformed``.
    """
    if isinstance(data, (bytearray, memoryview)):
        data = bytes(data)
    if not isinstance(data, bytes):
        raise TypeError(f"parse_xml takes bytes, not {type(data).__name__}")
    if len(data) > max_bytes:
        raise XmlRejected("xml-too-large", "",
                          f"document is {len(data)} bytes; the limit is {max_bytes}")
    if _prolog_has_doctype(data):
        raise _doctype_refusal()
    parser = etree.XMLParser(**_PARSER_OPTIONS)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise _syntax_refusal(exc) from None
    if root is None:  # lxml returns None for some recovered empty documents
        raise XmlRejected("xml-malformed", "", "document has no root element")
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.system_url or docinfo.public_id:
        raise _doctype_refusal()
    too_deep = _first_too_deep(root, max_depth)
    if too_deep is not None:
        raise XmlRejected("xml-too-deep", _short_path(too_deep),
                          f"elements are nested deeper than {max_depth} levels")
    return root


def _doctype_refusal() -> XmlRejected:
    return XmlRejected("xml-doctype-forbidden", "/!DOCTYPE",
                       "a DOCTYPE declaration is not allowed (OpenADR messages never need one)")


def _syntax_refusal(exc: etree.XMLSyntaxError) -> XmlRejected:
    line, column = (exc.position if exc.position else (exc.lineno, None))
    text = exc.msg or str(exc)
    where = f"line {line}, column {column}" if column is not None else f"line {line}"
    if "Excessive depth" in text:
        # libxml2's own nesting limit (XML_ERR_RESOURCE_LIMIT), hit before we see a tree.
        return XmlRejected("xml-too-deep", "",
                           f"elements are nested deeper than {LIBXML2_MAX_DEPTH} levels ({where})",
                           line=line, column=column)
    if "DOCTYPE" in text:
        return _doctype_refusal()
    return XmlRejected("xml-malformed", "", f"not well-formed XML: {text}", line=line, column=column)


def _detect_text(data: bytes) -> str:
    """The document as text good enough to scan its prolog (XML 1.0 Appendix F autodetection).

    ASCII-compatible encodings (UTF-8, ISO-8859-x, ...) are mapped byte-for-byte through
    latin-1, which keeps every markup character where it was; UTF-16/32 are decoded.
    """
    for bom, codec in ((codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
                       (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            return data[len(bom):].decode(codec, errors="replace")
    for head, codec in ((b"<\x00\x00\x00", "utf-32-le"), (b"\x00\x00\x00<", "utf-32-be"),
                        (b"<\x00?\x00", "utf-16-le"), (b"\x00<\x00?", "utf-16-be"),
                        (b"<\x00!\x00", "utf-16-le"), (b"\x00<\x00!", "utf-16-be")):
        if data.startswith(head):
            usable = len(data) - len(data) % (4 if "32" in codec else 2)
            return data[:usable].decode(codec, errors="replace")
    return data.decode("latin-1")


def _prolog_has_doctype(data: bytes) -> bool:
    """Whether a DOCTYPE appears before the root element (XML 1.0 production [22] prolog).

    Skips the XML declaration, processing instructions, comments and white space; stops at
    the first thing that is none of them (normally the root element). Anything malformed is
    left to the parser.
    """
    text = _detect_text(data)
    i, n = 0, len(text)
    if text.startswith("\ufeff"):
        i = 1
    while i < n:
        while i < n and text[i] in " \t\r\n":
            i += 1
        if text.startswith("<?", i):
            end = text.find("?>", i + 2)
        elif text.startswith("<!--", i):
            end = text.find("-->", i + 4)
        else:
            return text[i:i + 9].upper() == "<!DOCTYPE"
        if end < 0:
            return False
        i = end + 2 if text[end] == "?" else end + 3
    return False


@lru_cache(maxsize=8)
def _depth_probe(max_depth: int) -> etree.XPath:
    # Any element at depth max_depth + 1, evaluated in C by libxml2's XPath engine.
    return etree.XPath("/" + "/".join(["*"] * (max_depth + 1)) + "[1]")


def _first_too_deep(root: etree._Element, max_depth: int) -> etree._Element | None:
    if max_depth >= LIBXML2_MAX_DEPTH:
        # libxml2 already refused anything deeper while parsing (huge_tree=False).
        return None
    found = _depth_probe(max_depth)(root)
    return found[0] if found else None


def _short_path(element: etree._Element) -> str:
    names = [etree.QName(e).localname for e in reversed([element, *element.iterancestors()])]
    if len(names) <= 6:
        return "/" + "/".join(names)
    return "/" + "/".join(names[:3]) + f"/…/{names[-1]}[depth {len(names)}]"
