"""The official OpenADR 2.0b schema, as the independent check on every message.

This module owns locating, compiling and applying the OpenADR 2.0b XSDs (``oadr_20b.xsd`` and
the EI, EMIX, WS-Calendar, power, SI-scale, xmldsig, ... schemas it imports). They come from
the installed ``openleadr`` wheel (``openleadr/schema/``), found without importing openleadr,
and are never copied into this repository.

Rules:

- Two validators, each compiled once per process, lazily, and cached:
  lxml's ``XMLSchema`` (libxml2, in C) for the hot path, `is_valid`; and ``xmlschema``'s
  ``XMLSchema10`` (the OpenADR schemas are XSD 1.0) for readable errors, `validate`, which
  names the failing element by XPath and says why.
- No network, ever. lxml compiles the XSDs with a parser that has ``no_network=True`` and a
  resolver that refuses every location outside the schema folder. xmlschema runs with
  ``allow="sandbox"`` and ``base_url`` set to the schema folder (only files under it may be
  opened, any remote URL raises ``XMLResourceBlocked``), ``defuse="always"``, and location
  hints in instance documents (``xsi:schemaLocation``) are ignored.
- Instances are parsed only by `harness.protocols.xml_safety.parse_xml`; bytes passed to
  `validate` go through it first, so xmlschema never parses untrusted input itself.
- `stats` counts every message validated and every one that failed, so a test (or a run) can
  assert "validated > 0, failed = 0".
"""
from __future__ import annotations

import importlib.resources
import importlib.util
import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

import xmlschema
from lxml import etree

from harness.errors import HarnessError

from .xml_safety import XmlRejected, parse_xml

SCHEMA_FILE = "oadr_20b.xsd"

# Prefixes used in error paths, whatever prefixes the document itself chose.
PREFIXES = {
    "oadr": "http://openadr.org/oadr-2.0b/2012/07",
    "ei": "http://docs.oasis-open.org/ns/energyinterop/201110",
    "pyld": "http://docs.oasis-open.org/ns/energyinterop/201110/payloads",
    "emix": "http://docs.oasis-open.org/ns/emix/2011/06",
    "xcal": "urn:ietf:params:xml:ns:icalendar-2.0",
    "strm": "urn:ietf:params:xml:ns:icalendar-2.0:stream",
    "power": "http://docs.oasis-open.org/ns/emix/2011/06/power",
    "scale": "http://docs.oasis-open.org/ns/emix/2011/06/siscale",
}


@dataclass(frozen=True)
class SchemaError:
    """One schema violation: the XPath of the failing element and the validator's reason."""

    path: str
    reason: str
    code: str = "schema-invalid"


class SchemaViolation(XmlRejected):
    """A message the official schema refuses; ``errors`` lists every violation (path, reason).

    ``field`` is the path of the first violation and ``code`` is ``schema-invalid``.
    """

    def __init__(self, errors: list[SchemaError] | tuple[SchemaError, ...]):
        self.errors = tuple(errors)
        first = self.errors[0] if self.errors else SchemaError("/", "invalid")
        more = f" (and {len(self.errors) - 1} more)" if len(self.errors) > 1 else ""
        super().__init__("schema-invalid", first.path,
                         f"not valid against the OpenADR 2.0b schema: {first.reason}{more}")


class ValidationStats:
    """Thread-safe counters of schema validations in this process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.validated = 0
        self.failed = 0

    def record(self, ok: bool) -> None:
        """Count one validated message, and one failure when ``ok`` is false.

        Args:
            ok: whether the message was schema-valid.
        """
        with self._lock:
            self.validated += 1
            if not ok:
                self.failed += 1

    def reset(self) -> None:
        """Set both counters back to zero."""
        with self._lock:
            self.validated = 0
            self.failed = 0

    def snapshot(self) -> dict[str, int]:
        """The counters as ``{"validated": n, "failed": m}``."""
        with self._lock:
            return {"validated": self.validated, "failed": self.failed}


stats = ValidationStats()


def schema_dir() -> Path:
    """The folder holding the official XSDs inside the installed openleadr package.

    The package is located with ``importlib.util.find_spec``, which does not execute it
    (importing openleadr pulls in aiohttp, signxml and cryptography: ~0.4 s); when that finds
    no schema folder (e.g. a zipped install), ``importlib.resources.files`` is asked instead.

    Returns:
        The folder's path.

    Raises:
        HarnessError: ``oadr-schema-missing`` when openleadr or its schema folder is absent.
    """
    candidates = []
    try:
        spec = importlib.util.find_spec("openleadr")
    except (ImportError, ValueError):
        spec = None
    if spec is not None:
        candidates += [Path(p) / "schema" for p in spec.submodule_search_locations or ()]
        if not any((c / SCHEMA_FILE).is_file() for c in candidates):
            try:
                candidates.append(Path(str(importlib.resources.files("openleadr") / "schema")))
            except (ImportError, TypeError):
                pass
    for folder in candidates:
        if (folder / SCHEMA_FILE).is_file():
            return folder
    raise HarnessError(
        "the official OpenADR 2.0b XSDs were not found; they ship in the openleadr wheel: "
        "reinstall the harness (pip install -e .) or run `pip install 'openleadr>=0.5.34,<0.6'`",
        code="oadr-schema-missing", field=f"openleadr/schema/{SCHEMA_FILE}")


class _LocalOnly(etree.Resolver):
    """lxml resolver for xs:import / xs:include: files under one folder, nothing else."""

    def __init__(self, root: Path):
        super().__init__()
        self._root = root.resolve()

    def resolve(self, system_url, public_id, context):
        if system_url.startswith("file:"):
            path = Path(url2pathname(urlsplit(system_url).path))
        elif re.match(r"[A-Za-z][A-Za-z0-9+.\-]*://", system_url):
            path = None  # http:, ftp:, ... never
        else:
            path = Path(system_url)
        if path is None or not path.resolve().is_relative_to(self._root):
            raise OSError(f"schema location {system_url!r} is outside {self._root}; refused")
        return None  # a local file under the folder: libxml2 loads it as usual


def compile_fast(xsd: Path) -> etree.XMLSchema:
    """Compile an XSD with lxml, opening only files in the XSD's own folder, never the network.

    Args:
        xsd: path of the main schema document.

    Returns:
        The compiled schema.

    Raises:
        HarnessError: ``oadr-schema-broken`` when the XSD (or an import) cannot be loaded.
    """
    parser = etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False)
    parser.resolvers.add(_LocalOnly(xsd.parent))
    try:
        return etree.XMLSchema(etree.parse(str(xsd), parser))
    except (etree.XMLSchemaParseError, etree.XMLSyntaxError, OSError) as exc:
        raise HarnessError(f"cannot compile {xsd.name}: {exc}",
                           code="oadr-schema-broken", field=str(xsd)) from exc


def compile_readable(xsd: Path) -> xmlschema.XMLSchema10:
    """Compile an XSD with xmlschema, sandboxed to the XSD's folder (no remote fetches).

    An import whose location is remote is blocked (xmlschema reports it as an import warning
    and leaves that namespace out); nothing is fetched.

    Args:
        xsd: path of the main schema document.

    Returns:
        The compiled XSD 1.0 schema.

    Raises:
        HarnessError: ``oadr-schema-broken`` when the XSD cannot be built.
    """
    try:
        return xmlschema.XMLSchema10(str(xsd), base_url=str(xsd.parent), allow="sandbox",
                                     defuse="always")
    except (xmlschema.XMLSchemaException, OSError) as exc:
        raise HarnessError(f"cannot compile {xsd.name}: {exc}",
                           code="oadr-schema-broken", field=str(xsd)) from exc


@lru_cache(maxsize=1)
def fast_schema() -> etree.XMLSchema:
    """The official schema compiled by lxml (cached).

    Returns:
        The compiled ``oadr_20b.xsd``.

    Raises:
        HarnessError: the XSDs are missing or broken.
    """
    return compile_fast(schema_dir() / SCHEMA_FILE)


@lru_cache(maxsize=1)
def readable_schema() -> xmlschema.XMLSchema10:
    """The official schema compiled by xmlschema (cached; about a second the first time).

    Returns:
        The compiled ``oadr_20b.xsd``.

    Raises:
        HarnessError: the XSDs are missing or broken.
    """
    return compile_readable(schema_dir() / SCHEMA_FILE)


def is_valid(element: etree._Element) -> bool:
    """Whether an element (normally an ``oadrPayload``) is valid, by the fast validator.

    Args:
        element: the parsed message.

    Returns:
        True when schema-valid. The outcome is counted in `stats`.

    Raises:
        HarnessError: the XSDs are missing or broken.
    """
    ok = fast_schema().validate(element)
    stats.record(ok)
    return ok


def validate(message: etree._Element | bytes) -> list[SchemaError]:
    """Every schema violation in a message, readably, by xmlschema.

    Args:
        message: a parsed element, or bytes (parsed with `parse_xml` first).

    Returns:
        The violations, in document order; empty when the message is valid. The outcome is
        counted in `stats`.

    Raises:
        XmlRejected: bytes that `parse_xml` refuses.
        HarnessError: the XSDs are missing or broken.
    """
    errors = _readable_errors(parse_xml(message) if isinstance(message, bytes) else message)
    stats.record(not errors)
    return errors


def check(element: etree._Element) -> list[SchemaError]:
    """Fast validation, with readable errors only when the message is invalid.

    Counts as one validation in `stats`.

    Args:
        element: the parsed message.

    Returns:
        The violations; empty when the message is valid.

    Raises:
        HarnessError: the XSDs are missing or broken.
    """
    if fast_schema().validate(element):
        stats.record(True)
        return []
    errors = _readable_errors(element)
    if not errors:  # the two validators disagree: report lxml's view rather than pass it
        errors = [SchemaError(path=f"line {e.line}", reason=e.message)
                  for e in fast_schema().error_log]
    stats.record(False)
    return errors


def require_valid(element: etree._Element) -> None:
    """Like `check`, but raising on an invalid message.

    Args:
        element: the parsed message.

    Raises:
        SchemaViolation: the message is not schema-valid (every violation in ``errors``).
        HarnessError: the XSDs are missing or broken.
    """
    errors = check(element)
    if errors:
        raise SchemaViolation(errors)


def _readable_errors(element: etree._Element) -> list[SchemaError]:
    schema = readable_schema()
    errors = []
    try:
        for error in schema.iter_errors(element, namespaces=PREFIXES, use_location_hints=False):
            reason = error.reason or error.message
            if isinstance(error.obj, str):  # a simple value: say which one
                reason = f"{error.obj[:80]!r}: {reason}"
            errors.append(SchemaError(path=error.path or "/", reason=reason))
    except xmlschema.XMLSchemaException as exc:
        # xmlschema gives up on some invalid documents instead of reporting them (found by
        # fuzzing: an xsi:type naming no type raises XMLSchemaKeyError). The document is still
        # invalid, so say so with what xmlschema did report; the caller falls back on lxml's log.
        errors.append(SchemaError(path="/", reason=f"cannot be checked against the schema: {exc}"))
    return errors
