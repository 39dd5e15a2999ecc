"""The bill document: schema-checked both ways, tagged fields, and enveloped ECDSA P-256
signatures that the independent `xmlsec1` tool (Debian package) verifies."""
from __future__ import annotations

import shutil
import subprocess
from datetime import datetime, timedelta, timezone

import pytest
from lxml import etree

from harness.protocols import bill_signature as bs
from harness.protocols import bill_canonical, bill_xml
from reference_impl.core.billing import Supplier, compose_bill, meter_totals
from reference_impl.core.delivery import MeterReading
from reference_impl.core.tariffs import parse_tariff

DAY = datetime(2026, 3, 1, 23, 0, tzinfo=timezone.utc)
Q = timedelta(minutes=15)
TARIFF = {"tariff_id": "TOU-1", "currency": "EUR", "billing_mode": "time-of-use",
          "energy": {"kind": "time-of-use", "periods": [
              {"name": "off-peak", "price_per_kwh": "0.18"},
              {"name": "peak", "price_per_kwh": "0.30",
               "windows": [{"days": ["mon", "tue", "wed", "thu", "fri"], "from": "08:00", "to": "20:00"}]}]},
          "standing_charge_per_day": "0.50", "feed_in_price_per_kwh": "0.08", "tax": {"name": "VAT", "rate_pct": "8"}}


def _bill(consent: bool) -> dict:
    tariff = parse_tariff(TARIFF)
    readings = [MeterReading(meter_id="M1", interval_start=DAY + i * Q, interval_end=DAY + (i + 1) * Q,
                             energy_kwh=kwh, direction=d) for d, kwh in (("import", 0.25), ("export", 0.1))
                for i in range(96)]
    totals = meter_totals(tariff, readings, DAY, DAY + timedelta(days=1))
    return compose_bill(bill_id="B-1", supplier=Supplier(domain="r.example", name="R", contact="billing@r.example"),
                        customer_ref="hmac-sha256:" + "a" * 64, supply_point_id="M1", tariff=tariff,
                        period_start=DAY, period_end=DAY + timedelta(days=1), totals=totals, dr_credits=(),
                        now=DAY + timedelta(days=2), curve_consent=consent, curve=readings).to_record()


@pytest.mark.parametrize("consent", [False, True])
def test_round_trip_is_exact_and_every_field_is_tagged(consent):
    record = _bill(consent)
    back = bill_xml.from_bytes(bill_xml.to_bytes(record))
    tags, signed = back.pop("tags"), back.pop("signed")
    assert back == record and signed is False
    assert ("interval_curve" in back) is consent
    assert tags["/bill:bill/bill:customer/bill:customerRef"] == ("account-data", "pseudonymized")
    assert tags["/bill:bill/bill:customer/bill:supplyPoint"] == ("account-data", "identified")
    root = etree.fromstring(bill_xml.to_bytes(record))
    leaves = [e for e in root.iter() if len(e) == 0 and e.text is not None and e.getparent().tag != f"{{{bill_xml.POWER}}}energyReal"
              and e.tag.startswith(f"{{{bill_xml.NS}}}")]
    assert leaves and all(e.get("category") and e.get("qualifier") for e in leaves)


@pytest.mark.parametrize("consent", [False, True])
def test_the_canonical_writer_gives_lxml_s_exclusive_c14n_bytes(consent):
    record = _bill(consent)
    record["supplier"] = {**record["supplier"], "name": 'R & "S" <tab>\there\r\n'}
    record["dr_credits"] = [{"contract_id": "C-1", "counterparty_ref": "hmac-sha256:" + "b" * 64,
                             "window_start": "2026-03-02T10:00:00+00:00", "window_end": "2026-03-02T11:00:00+00:00",
                             "cbl_method": "high-4-of-5", "baseline_kwh": 6.0, "delivered_kwh": 2.0,
                             "contracted_kwh": 2.0, "price_per_kwh": "0.11", "tolerance_pct": 5.0,
                             "incentive_pct": 2.0, "penalty_per_kwh": "0.05", "amount": "0.22"}]
    expected = etree.tostring(bill_xml.to_element(record), method="c14n", exclusive=True)
    assert bill_canonical.to_canonical_bytes(record) == expected


def test_an_untagged_field_is_refused_by_the_schema_naming_it():
    root = etree.fromstring(bill_xml.to_bytes(_bill(False)))
    del root.find("bill:total", bill_xml.NSMAP).attrib["qualifier"]
    with pytest.raises(bill_xml.BillDocumentError) as refusal:
        bill_xml.from_element(root)
    assert refusal.value.code == "bill-schema-invalid" and "total" in refusal.value.field


def test_a_doctype_is_refused_before_the_schema():
    data = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "boom">]><bill:bill xmlns:bill="urn:x">&e;</bill:bill>'
    with pytest.raises(bill_xml.BillDocumentError) as refusal:
        bill_xml.from_bytes(data)
    assert refusal.value.code == "xml-doctype-forbidden"


@pytest.fixture(params=["signxml", "sign_many", "sign_canonical"])
def signed(tmp_path, request):
    """Every signing path: signxml's, and the two direct ones of bulk billing runs."""
    key = bs.new_key()
    if request.param == "sign_canonical":
        data = bs.sign_canonical(bill_canonical.to_canonical_bytes(_bill(False)), key)
    else:
        data = (bs.sign if request.param == "signxml" else bs.sign_many)(bill_xml.to_element(_bill(False)), key)
    (tmp_path / "bill.xml").write_bytes(data)
    (tmp_path / "signer.pem").write_text(bs.public_pem(key))
    return tmp_path, data, key


def test_signature_verifies_and_names_what_was_signed(signed):
    _, data, key = signed
    covered = bill_xml.from_element(bs.verify(data, key.public_key()))   # the signature itself removed
    assert covered["signed"] is False and covered["total"] == _bill(False)["total"] == "5.99"
    assert bill_xml.from_bytes(data)["signed"] is True


def test_one_changed_byte_or_another_key_fails(signed):
    _, data, key = signed
    tampered = data.replace(b">5.99<", b">5.98<", 1)
    assert tampered != data and len(tampered) == len(data)
    with pytest.raises(bs.SignatureInvalid):
        bs.verify(tampered, key.public_key())
    with pytest.raises(bs.SignatureInvalid) as other:
        bs.verify(data, bs.new_key().public_key())
    assert other.value.code == "signature-wrong-key"


XMLSEC1 = shutil.which("xmlsec1")


@pytest.mark.skipif(XMLSEC1 is None, reason="xmlsec1 is installed by `make` (Debian package xmlsec1)")
def test_xmlsec1_verifies_our_signed_bill_and_refuses_a_one_byte_change(signed):
    folder, data, _ = signed
    ok = subprocess.run([XMLSEC1, "--verify", "--pubkey-pem", str(folder / "signer.pem"), str(folder / "bill.xml")],
                        capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0, ok.stderr
    assert "OK" in ok.stdout + ok.stderr
    tampered = bytearray(data)
    position = data.index(b"<bill:total")
    position = data.index(b">", position) + 1          # first digit of the total
    tampered[position] = ord("9") if tampered[position] != ord("9") else ord("8")
    (folder / "tampered.xml").write_bytes(bytes(tampered))
    bad = subprocess.run([XMLSEC1, "--verify", "--pubkey-pem", str(folder / "signer.pem"), str(folder / "tampered.xml")],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode != 0
    assert "FAIL" in bad.stdout + bad.stderr


def test_validate_refuses_a_written_document_that_breaks_the_schema():
    data = bill_canonical.to_canonical_bytes(_bill(False))
    bill_xml.validate(data)
    with pytest.raises(bill_xml.BillDocumentError) as refusal:
        bill_xml.validate(data.replace(b">time-of-use<", b">pay-as-you-like<", 1))
    assert refusal.value.code == "bill-schema-invalid"
