"""The official OpenADR 2.0b XSDs as the independent check: found in the openleadr wheel,
compiled once, readable errors with paths, counters, and no network access."""
from __future__ import annotations

import importlib.machinery
import subprocess
import sys
import warnings

import pytest
import xmlschema
from lxml import etree

from harness.errors import HarnessError
from harness.protocols import oadr_schema
from harness.protocols.oadr_schema import (SchemaError, SchemaViolation, check, is_valid,
                                           require_valid, stats, validate)
from harness.protocols.xml_safety import XmlRejected, parse_xml

OADR = "http://openadr.org/oadr-2.0b/2012/07"
EI = "http://docs.oasis-open.org/ns/energyinterop/201110"


def poll(body: str = "<ei:venID>ven-1</ei:venID>", extra: str = "") -> bytes:
    return (f'<oadr:oadrPayload xmlns:oadr="{OADR}" xmlns:ei="{EI}"{extra}>'
            f"<oadr:oadrSignedObject><oadr:oadrPoll>{body}</oadr:oadrPoll>"
            f"</oadr:oadrSignedObject></oadr:oadrPayload>").encode()


def test_the_xsds_come_from_the_installed_openleadr_wheel():
    folder = oadr_schema.schema_dir()
    assert folder.parent.name == "openleadr"
    assert (folder / "oadr_20b.xsd").is_file() and (folder / "oadr_ei_20b.xsd").is_file()


def test_a_missing_openleadr_is_a_harness_error_with_install_advice(monkeypatch):
    monkeypatch.setattr(oadr_schema.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(HarnessError) as failed:
        oadr_schema.schema_dir()
    assert failed.value.code == "oadr-schema-missing"
    assert "pip install" in str(failed.value)


def test_a_schema_folder_missing_from_the_package_is_a_harness_error(monkeypatch, tmp_path):
    spec = importlib.machinery.ModuleSpec("openleadr", None, is_package=True)
    spec.submodule_search_locations = [str(tmp_path)]
    monkeypatch.setattr(oadr_schema.importlib.util, "find_spec", lambda name: spec)
    monkeypatch.setattr(oadr_schema.importlib.resources, "files", lambda package: tmp_path)
    with pytest.raises(HarnessError) as failed:
        oadr_schema.schema_dir()
    assert failed.value.field == "openleadr/schema/oadr_20b.xsd"


def test_locating_the_xsds_does_not_import_openleadr():
    code = ("import sys; from harness.protocols import oadr_schema; oadr_schema.schema_dir(); "
            "oadr_schema.fast_schema(); print('openleadr' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_both_validators_are_compiled_once():
    assert oadr_schema.fast_schema() is oadr_schema.fast_schema()
    assert oadr_schema.readable_schema() is oadr_schema.readable_schema()
    assert isinstance(oadr_schema.readable_schema(), xmlschema.XMLSchema10)


def test_a_valid_message_passes_both_validators_and_is_counted():
    before = stats.snapshot()
    root = parse_xml(poll())
    assert is_valid(root)
    assert validate(root) == []
    assert validate(poll()) == []
    assert check(root) == []
    require_valid(root)
    after = stats.snapshot()
    assert after["validated"] - before["validated"] == 5
    assert after["failed"] == before["failed"]


def test_an_invalid_message_gets_readable_errors_with_paths():
    before = stats.snapshot()
    root = parse_xml(poll("<ei:vtnID>x</ei:vtnID>"))
    assert not is_valid(root)
    errors = validate(root)
    assert errors and all(isinstance(e, SchemaError) and e.code == "schema-invalid" for e in errors)
    assert errors[0].path == "/oadr:oadrPayload/oadr:oadrSignedObject/oadr:oadrPoll"
    assert "ei:venID" in errors[0].reason
    with pytest.raises(SchemaViolation) as refused:
        require_valid(root)
    assert refused.value.code == "schema-invalid"
    assert refused.value.field == errors[0].path
    assert refused.value.errors == tuple(errors)
    assert isinstance(refused.value, XmlRejected)
    assert stats.snapshot()["failed"] - before["failed"] == 3


def test_error_paths_use_the_standard_prefixes_whatever_the_document_chose():
    document = (f'<p:oadrPayload xmlns:p="{OADR}"><p:oadrSignedObject><p:oadrPoll>'
                f'<venID xmlns="{EI}">v</venID><p:junk/></p:oadrPoll></p:oadrSignedObject>'
                f"</p:oadrPayload>").encode()
    errors = validate(document)
    assert errors[0].path == "/oadr:oadrPayload/oadr:oadrSignedObject/oadr:oadrPoll"
    assert "oadr:junk" in errors[0].reason


def test_validate_parses_bytes_with_parse_xml():
    with pytest.raises(XmlRejected) as refused:
        validate(b'<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>')
    assert refused.value.code == "xml-doctype-forbidden"


def test_stats_reset():
    counters = oadr_schema.ValidationStats()
    counters.record(True)
    counters.record(False)
    assert counters.snapshot() == {"validated": 2, "failed": 1}
    counters.reset()
    assert counters.snapshot() == {"validated": 0, "failed": 0}


# ------------------------------------------------------------------------ no network, ever
def test_the_readable_validator_refuses_to_fetch_a_remote_document():
    with pytest.raises(xmlschema.XMLResourceError, match="block access to remote resource"):
        oadr_schema.readable_schema().validate("http://example.invalid/message.xml")


def test_a_schema_location_hint_to_the_network_is_ignored():
    hint = (' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
            ' xsi:schemaLocation="urn:evil http://example.invalid/evil.xsd"')
    assert validate(poll(extra=hint)) == []
    assert is_valid(parse_xml(poll(extra=hint)))


def test_readable_compilation_blocks_a_remote_import(tmp_path):
    xsd = tmp_path / "main.xsd"
    xsd.write_text(
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:a">'
        '<xs:import namespace="urn:b" schemaLocation="http://example.invalid/b.xsd"/>'
        '<xs:element name="r" type="xs:string"/></xs:schema>')
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        schema = oadr_schema.compile_readable(xsd)
    assert any("block access to remote resource http://example.invalid/b.xsd" in str(w.message)
               for w in caught)
    assert "urn:b" not in {ns for ns, found in schema.maps.namespaces.items() if found}


def test_readable_compilation_is_sandboxed_to_the_schema_folder(tmp_path):
    (tmp_path / "inner").mkdir()
    xsd = tmp_path / "inner" / "main.xsd"
    (tmp_path / "outside.xsd").write_text(
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:b"/>')
    xsd.write_text(
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:a">'
        '<xs:import namespace="urn:b" schemaLocation="../outside.xsd"/></xs:schema>')
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        oadr_schema.compile_readable(xsd)
    assert any("out of sandbox" in str(w.message) for w in caught)


@pytest.mark.parametrize("location", ["http://example.invalid/b.xsd", "/etc/passwd",
                                      "file:///etc/hostname"])
def test_fast_compilation_refuses_any_location_outside_the_schema_folder(tmp_path, location):
    xsd = tmp_path / "main.xsd"
    xsd.write_text(
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:a">'
        f'<xs:import namespace="urn:b" schemaLocation="{location}"/>'
        '<xs:element name="r" type="xs:string"/></xs:schema>')
    with pytest.raises(HarnessError) as failed:
        oadr_schema.compile_fast(xsd)
    assert failed.value.code == "oadr-schema-broken"


@pytest.mark.parametrize("as_url", [False, True], ids=["relative", "file-url"])
def test_fast_compilation_loads_imports_from_its_own_folder(tmp_path, as_url):
    folder = tmp_path / "with space"
    folder.mkdir()
    (folder / "b.xsd").write_text(
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:b" '
        'elementFormDefault="qualified"><xs:element name="c" type="xs:int"/></xs:schema>')
    location = (folder / "b.xsd").as_uri() if as_url else "b.xsd"
    xsd = folder / "main.xsd"
    xsd.write_text(
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:b="urn:b" '
        f'targetNamespace="urn:a"><xs:import namespace="urn:b" schemaLocation="{location}"/>'
        '<xs:element name="r"><xs:complexType><xs:sequence><xs:element ref="b:c"/>'
        '</xs:sequence></xs:complexType></xs:element></xs:schema>')
    schema = oadr_schema.compile_fast(xsd)
    assert schema.validate(etree.fromstring(b'<r xmlns="urn:a"><c xmlns="urn:b">1</c></r>'))
    assert not schema.validate(etree.fromstring(b'<r xmlns="urn:a"><c xmlns="urn:b">x</c></r>'))
