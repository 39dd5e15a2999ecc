"""The Modbus RTU meter driver (pymodbus client) against a pymodbus server on the other end of
a socat pty pair, its float32 registers following the simulated circuit."""
import time

import pytest

from bench_rigs.errors import InstrumentError, InstrumentTimeout
from bench_rigs.instruments import EnergyMeter
from bench_rigs.modbus_meter import ModbusMeter
from bench_rigs.simulators.modbus_meter import SimulatedModbusMeter
from bench_rigs.simulators.physics import MeterModel
from bench_helpers import make_physics


@pytest.fixture
def modbus(pty_pair):
    sim_end, driver_end = pty_pair
    physics = make_physics(MeterModel(error_pct=2.0))
    server = SimulatedModbusMeter(physics, sim_end).start()
    yield physics, driver_end
    server.close()


def test_energy_registers_follow_the_circuit(modbus):
    physics, port = modbus
    meter = ModbusMeter(port, timeout_s=1.0)
    assert isinstance(meter, EnergyMeter)
    try:
        assert meter.energy_kwh("1.8.0") == 0
        physics.set_source(voltage_v=230, current_a=5, output_on=True)
        time.sleep(0.05)
        first = meter.energy_kwh("1.8.0")
        time.sleep(0.05)
        second = meter.energy_kwh("1.8.0")
        assert 0 < first < second <= physics.snapshot()["meter_import_kwh"] * 1.0001
        assert meter.energy_kwh("2.8.0") == 0
        with pytest.raises(InstrumentError) as caught:
            meter.energy_kwh("3.8.0")
        assert caught.value.code == "register-missing"
    finally:
        meter.close()


def test_a_read_at_an_address_the_line_does_not_serve_is_an_instrument_error(modbus):
    _, port = modbus
    meter = ModbusMeter(port, device_id=9, timeout_s=0.3)
    try:
        # a real RS-485 line stays silent (timeout); pymodbus' server answers an exception
        with pytest.raises((InstrumentTimeout, InstrumentError)):
            meter.energy_kwh("1.8.0")
    finally:
        meter.close()
