"""The bulk billing run gives, for every customer, the very document the per-customer path gives
(`meter_totals` + `compose_bill` + the canonical writer), byte for byte, under flat, time-of-use
(with feed-in), dynamic and subscription tariffs with tax and standing charges, across a
daylight-saving change; its signatures verify (signxml, and xmlsec1 on the bulk output); its
sample check catches a bill that differs or breaks the schema; bad caller text is refused naming
the field and the customer."""
from __future__ import annotations

import base64
import hashlib
import re
import shutil
import subprocess
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from harness.protocols import bill_signature as bs
from harness.protocols import bill_xml
from harness.protocols.bill_xml import BillDocumentError
from reference_impl import billing_run
from reference_impl.core.billing import Supplier, meter_totals
from reference_impl.core.bulk_billing import ReadingColumns, metered_columns
from reference_impl.core.delivery import MeterReading
from reference_impl.core.errors import Rejected
from reference_impl.core.tariffs import parse_tariff

START = datetime(2026, 3, 26, 23, tzinfo=timezone.utc)   # 2026-03-27 local; DST starts 2026-03-29
END = datetime(2026, 3, 31, 22, tzinfo=timezone.utc)     # 2026-04-01 local
STEP = timedelta(minutes=15)
SUPPLIER = Supplier(domain="r.example", name="R & Sons <retail>", contact="billing@r.example")
CUSTOMERS = 5
_BASE = {"currency": "EUR", "local_tz": "Europe/Luxembourg", "tax": {"name": "VAT", "rate_pct": "17"},
         "standing_charge_per_day": "0.4567"}
TARIFFS = {
    "flat": {**_BASE, "tariff_id": "FLAT", "billing_mode": "usage-based",
             "energy": {"kind": "flat", "price_per_kwh": "0.2113"}},
    "time-of-use": {**_BASE, "tariff_id": "TOU", "billing_mode": "time-of-use", "feed_in_price_per_kwh": "0.0713",
                    "rounding": {"quantum": "0.01", "mode": "half-up"},
                    "energy": {"kind": "time-of-use", "periods": [
                        {"name": "off-peak", "price_per_kwh": "0.1834"},
                        {"name": "peak", "price_per_kwh": "0.3011",
                         "windows": [{"days": ["mon", "tue", "wed", "thu", "fri"], "from": "07:15", "to": "21:45"}]}]}},
    "dynamic": {**_BASE, "tariff_id": "DYN", "billing_mode": "time-of-use",
                "energy": {"kind": "dynamic", "prices": [
                    {"start": (START + timedelta(hours=h)).isoformat(), "end": (START + timedelta(hours=h + 1)).isoformat(),
                     "price_per_kwh": str(round(0.05 + 0.013 * (h % 17) - 0.06 * (h % 5 == 0), 4))}
                    for h in range(int((END - START) / timedelta(hours=1)))]}},
    "subscription": {**_BASE, "tariff_id": "SUB", "billing_mode": "subscription", "tax": {"name": "VAT", "rate_pct": "5.5"},
                     "energy": {"kind": "subscription", "fee_per_day": "1.2345"}},
}


def _readings(seed: int):
    rng = np.random.default_rng(seed)
    slots = (END - START) // STEP
    customer = np.repeat(np.arange(CUSTOMERS, dtype=np.int32), slots)
    slot = np.tile(np.arange(slots, dtype=np.int32), CUSTOMERS)
    kwh = np.round(rng.gamma(2.0, 0.08, customer.size), 4)
    kwh[rng.random(customer.size) < 0.02] = 0.0125                 # exact half-Wh ties
    return (ReadingColumns(customer, slot, kwh, rng.random(customer.size) < 0.01),
            ReadingColumns(customer, slot, np.round(rng.random(customer.size) * 0.2, 4), np.zeros(customer.size, bool)))


def _meter_readings(imports: ReadingColumns, exports: ReadingColumns, c: int) -> list[MeterReading]:
    mine = imports.customer == c
    out = []
    for columns, direction in ((imports, "import"), (exports, "export")):
        out += [MeterReading(meter_id=f"M{c}", interval_start=START + int(s) * STEP, interval_end=START + (int(s) + 1) * STEP,
                             energy_kwh=float(v), direction=direction, quality="estimated" if e else "actual")
                for s, v, e in zip(columns.slot[mine], columns.energy_kwh[mine], columns.estimated[mine])]
    return out


def _run(name: str, seed: int = 7, bill_ids=None):
    tariff = parse_tariff(TARIFFS[name])
    imports, exports = _readings(seed)
    metered = metered_columns(tariff, imports, CUSTOMERS, START, END, STEP, exports=exports)
    run = billing_run.prepare(tariff=tariff, supplier=SUPPLIER, metered=metered, period_start=START, period_end=END,
                              now=END + timedelta(days=1),
                              bill_ids=bill_ids or [f"B-{c}" for c in range(CUSTOMERS)],
                              customer_refs=[f"hmac-sha256:{c:064x}" for c in range(CUSTOMERS)],
                              supply_points=[f"M{c}" for c in range(CUSTOMERS)])
    return run, imports, exports


def _signed_info(document: bytes) -> bytes:
    return re.search(rb"<ds:SignedInfo>.*</ds:SignedInfo>", document, re.S).group()


@pytest.mark.parametrize("name", list(TARIFFS))
def test_every_bulk_bill_is_the_per_customer_document_byte_for_byte(name):
    run, imports, exports = _run(name)
    key = bs.new_key()
    signed = list(run.signed(key))
    for c in range(CUSTOMERS):
        totals = meter_totals(run.tariff, _meter_readings(imports, exports, c), START, END)
        theirs = run.reference(c, totals)                         # compose_bill + canonical writer
        assert run.canonical(c) == theirs
        assert billing_run.unsigned(signed[c]) == theirs
        # apart from ECDSA's random nonce, the signatures are the same: same SignedInfo, same digest
        own = bs.sign_canonical(theirs, key)
        assert _signed_info(own) == _signed_info(signed[c])
        assert b"<ds:DigestValue>" + base64.b64encode(hashlib.sha256(theirs).digest()) in signed[c]
        for document in (own, signed[c]):
            covered = bill_xml.from_element(bs.verify(document, key.public_key()))
            assert covered["total"] == bill_xml.from_bytes(theirs)["total"]
    assert len({run.canonical(c) for c in range(CUSTOMERS)}) == CUSTOMERS


def test_the_sample_check_passes_good_bills_and_names_a_bill_that_differs():
    run, imports, exports = _run("time-of-use")
    key = bs.new_key()
    signed = dict(enumerate(run.signed(key)))
    line = billing_run.check_sample(run, signed, key, verify=2,
                                    totals_of=lambda c: meter_totals(run.tariff, _meter_readings(imports, exports, c),
                                                                     START, END))
    assert line.startswith("5 sampled bills") and "2 signatures verified" in line
    total = bill_xml.from_bytes(run.canonical(3))["total"]
    cent_off = str(round(float(total) + 0.01, 2)).encode()
    wrong = run.canonical(3).replace(f">{total}<".encode(), b">" + cent_off + b"<")
    with pytest.raises(BillDocumentError) as refusal:
        billing_run.check_sample(run, {**signed, 3: bs.sign_canonical(wrong, key)}, key)
    assert refusal.value.code == "bulk-bill-differs" and refusal.value.field == "/bills/3"
    broken = run.canonical(1).replace(b">time-of-use<", b">pay-as-you-like<")
    with pytest.raises(BillDocumentError) as invalid:
        billing_run.check_sample(run, {1: bs.sign_canonical(broken, key)}, key)
    assert invalid.value.code == "bill-schema-invalid"


def test_caller_text_is_escaped_or_refused_naming_field_and_customer():
    ids = ["B-0", 'B-1 & <"x">\t', "B-2", "B-3", "B-4"]
    run, _, _ = _run("flat", bill_ids=ids)
    assert bill_xml.from_bytes(run.canonical(1))["bill_id"] == ids[1]
    assert run.canonical(1) == run.reference(1)
    with pytest.raises(BillDocumentError) as refusal:
        _run("flat", bill_ids=["B-0", "B-1", "B-2", "B\x01-3", "B-4"])
    assert refusal.value.field == "/bill_id" and "customer #3" in refusal.value.message and "U+0001" in refusal.value.message


def test_id_lists_must_match_the_metered_customers():
    tariff = parse_tariff(TARIFFS["flat"])
    imports, exports = _readings(1)
    metered = metered_columns(tariff, imports, CUSTOMERS, START, END, STEP)
    with pytest.raises(Rejected) as refusal:
        billing_run.prepare(tariff=tariff, supplier=SUPPLIER, metered=metered, period_start=START, period_end=END,
                            now=END, bill_ids=["B"], customer_refs=["r"] * CUSTOMERS, supply_points=["M"] * CUSTOMERS)
    assert refusal.value.errors[0].field == "/bill_ids"


XMLSEC1 = shutil.which("xmlsec1")


@pytest.mark.skipif(XMLSEC1 is None, reason="xmlsec1 is installed by `make` (Debian package xmlsec1)")
def test_xmlsec1_verifies_bulk_bills_and_refuses_a_one_byte_change(tmp_path):
    run, _, _ = _run("time-of-use")
    key = bs.new_key()
    (tmp_path / "signer.pem").write_text(bs.public_pem(key))
    for c, data in list(enumerate(run.signed(key)))[:2]:
        (tmp_path / f"bill{c}.xml").write_bytes(data)
        ok = subprocess.run([XMLSEC1, "--verify", "--pubkey-pem", str(tmp_path / "signer.pem"), str(tmp_path / f"bill{c}.xml")],
                            capture_output=True, text=True, timeout=60)
        assert ok.returncode == 0 and "OK" in ok.stdout + ok.stderr, ok.stderr
        tampered = bytearray(data)
        position = data.index(b">", data.index(b"<bill:total")) + 1          # first digit of the total
        tampered[position] = ord("9") if tampered[position] != ord("9") else ord("8")
        (tmp_path / "tampered.xml").write_bytes(bytes(tampered))
        bad = subprocess.run([XMLSEC1, "--verify", "--pubkey-pem", str(tmp_path / "signer.pem"), str(tmp_path / "tampered.xml")],
                             capture_output=True, text=True, timeout=60)
        assert bad.returncode != 0 and "FAIL" in bad.stdout + bad.stderr
