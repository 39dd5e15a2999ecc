"""The IEC 62056-21 meter driver through pyserial, against the simulated meter on a pty."""
import time
from decimal import Decimal

import pytest
import serial

from bench_rigs.errors import InstrumentTimeout, ReadoutError
from bench_rigs.instruments import ReadoutMeter
from bench_rigs.serial_meter import IecMeter
from bench_rigs.simulators.iec_meter import SimulatedIecMeter
from bench_rigs.simulators.physics import MeterModel
from bench_helpers import make_physics


def test_readout_session_at_300_baud_then_the_agreed_rate(pty_factory):
    physics = make_physics(MeterModel(error_pct=1.0))
    simulated = SimulatedIecMeter(physics, baud_code="5")
    meter = IecMeter(pty_factory("meter", simulated.on_bytes), max_baud=19200)
    assert isinstance(meter, ReadoutMeter)
    physics.set_source(voltage_v=230, current_a=5, output_on=True)
    time.sleep(0.05)
    readout = meter.readout()
    assert simulated.log[-2:] == ["request at 300 baud", "readout at 9600"]
    assert meter.last_identification.manufacturer == "SIM"
    registered = readout.energy_kwh("1.8.0")
    assert registered > 0 and readout.energy_kwh("2.8.0") == 0
    assert registered == Decimal(f"{physics.meter_import_kwh:.3f}") or registered <= Decimal(str(physics.meter_import_kwh))
    assert meter.energy_kwh("1.8.0") >= registered


def test_the_reader_may_cap_the_baud_rate(pty_factory):
    simulated = SimulatedIecMeter(make_physics(), baud_code="6")
    IecMeter(pty_factory("meter", simulated.on_bytes), max_baud=2400).readout()
    assert simulated.log[-1] == "readout at 2400"


def test_a_request_not_at_300_baud_gets_no_answer(pty_factory):
    simulated = SimulatedIecMeter(make_physics())
    port = pty_factory("meter", simulated.on_bytes)
    with serial.Serial(port, baudrate=9600, timeout=0.3) as line:
        line.write(b"/?!\r\n")
        assert line.read(20) == b""
    assert simulated.log == ["request ignored: line at {'baud': 9600, 'bytesize': 8, 'parity': 'N', 'stopbits': 1}"]


def test_a_silent_meter_is_a_timeout(pty_factory):
    meter = IecMeter(pty_factory("silent", lambda port, chunk: None), timeout_s=0.2)
    with pytest.raises(InstrumentTimeout):
        meter.readout()


def test_a_corrupted_bcc_is_a_readout_error(pty_factory):
    simulated = SimulatedIecMeter(make_physics(MeterModel(corrupt_bcc=True)))
    meter = IecMeter(pty_factory("meter", simulated.on_bytes), name="meter under test")
    with pytest.raises(ReadoutError) as caught:
        meter.readout()
    assert caught.value.code == "bcc-mismatch" and str(caught.value).startswith("meter under test:")
    assert meter.last_telegram.startswith(b"\x02")
