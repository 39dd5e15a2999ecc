"""IEC 62056-21 mode C messages, bytes only (the sans-IO half of the meter driver)."""
from decimal import Decimal

import pytest

from bench_rigs import iec62056 as iec
from bench_rigs.errors import ReadoutError


def test_request_identification_and_option_select():
    assert iec.sign_on() == b"/?!\r\n"
    assert iec.sign_on("12345678") == b"/?12345678!\r\n"
    ident = iec.parse_identification(b"/ISK5MT174-0001\r\n")
    assert (ident.manufacturer, ident.baud_code, ident.identification, ident.max_baud) == ("ISK", "5", "MT174-0001", 9600)
    assert iec.acknowledge("5") == b"\x06050\r\n"
    assert iec.parse_acknowledge(b"\x06050\r\n") == ("5", "0")


@pytest.mark.parametrize("line", [b"/ISK5MT174", b"ISK5MT174\r\n", b"/IS5MT174\r\n", b"/ISK9MT174\r\n"])
def test_bad_identification_is_refused(line):
    with pytest.raises(ReadoutError) as caught:
        iec.parse_identification(line)
    assert caught.value.field.startswith("/identification")


def test_bcc_is_the_xor_after_stx_through_etx():
    frame = iec.frame_readout(["1.8.0(000001.000*kWh)"])
    body = b"1.8.0(000001.000*kWh)\r\n!\r\n\x03"
    expected = 0
    for byte in body:
        expected ^= byte
    assert frame == b"\x02" + body + bytes([expected])
    assert iec.bcc(b"\x01\x02\x03") == 0


def test_readout_round_trip_and_units():
    frame = iec.frame_readout(["0.0.0(12345678)", iec.format_energy_line("1.8.0", 1234.5671),
                               "2.8.0(000012.500*kWh)", "1.8.1(500*Wh)", "F.F(00000000)"])
    readout = iec.parse_readout(frame)
    assert readout.registers["1.8.0"].text == "1.8.0(001234.567*kWh)"
    assert readout.energy_kwh("1.8.0") == Decimal("1234.567")
    assert readout.energy_kwh("2.8.0") == Decimal("12.5")
    assert readout.energy_kwh("1.8.1") == Decimal("0.5")
    with pytest.raises(ReadoutError) as caught:
        readout.energy_kwh("0.0.0")
    assert caught.value.code == "register-unit"
    with pytest.raises(ReadoutError) as caught:
        readout.energy_kwh("3.8.0")
    assert caught.value.code == "register-missing"


def test_a_wrong_bcc_is_caught():
    frame = iec.frame_readout(["1.8.0(000001.000*kWh)"])
    with pytest.raises(ReadoutError) as caught:
        iec.parse_readout(frame[:-1] + bytes([frame[-1] ^ 1]))
    assert (caught.value.code, caught.value.field) == ("bcc-mismatch", "/readout/bcc")


def test_a_malformed_register_line_is_named():
    frame = iec.frame_readout(["1.8.0(000001.000*kWh)", "1.8.0 000001.000 kWh"])
    with pytest.raises(ReadoutError) as caught:
        iec.parse_readout(frame)
    assert (caught.value.code, caught.value.field) == ("register-format", "/readout/lines/2")
    bad_value = iec.parse_readout(iec.frame_readout(["1.8.0(00x001.000*kWh)"]))
    with pytest.raises(ReadoutError) as caught:
        bad_value.energy_kwh("1.8.0")
    assert caught.value.code == "register-format"


def test_framing_errors():
    with pytest.raises(ReadoutError) as caught:
        iec.parse_readout(b"1.8.0(1*kWh)\r\n!\r\n\x03\x00")
    assert caught.value.code == "framing"
