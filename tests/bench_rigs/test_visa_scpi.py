"""The SCPI drivers through the real PyVISA stack, against the pyvisa-sim device files in
bench_rigs/sim/ (``@sim``) and against the circuit-coupled simulators on ptys (``@py``, ASRL)."""
import time

import pytest

from bench_rigs.errors import InstrumentError, InstrumentTimeout, SafetyLimitError
from bench_rigs.instruments import PowerSource, PowerStandard, Relay
from bench_rigs.simulators import scpi
from bench_rigs.visa_scpi import ScpiPowerStandard, ScpiSource, ScpiSwitchUnit, SourceLimits, VisaSession
from bench_helpers import SIM_DIR, make_physics


def sim(device: str, resource: str, **kwargs) -> VisaSession:
    return VisaSession(resource, f"{SIM_DIR / device}@sim", name=device.removesuffix(".yaml"), **kwargs)


def test_power_standard_on_pyvisa_sim():
    standard = ScpiPowerStandard(sim("power_standard.yaml", "ASRL1::INSTR"))
    assert isinstance(standard, PowerStandard)
    assert standard.identity() == "SIMLAB,PWR-STD-3,SN0001,1.0"
    assert (standard.voltage_v(), standard.current_a(), standard.power_w()) == (230.0, 5.0, 1150.0)
    standard.reset_energy()
    standard.start_energy()
    standard.stop_energy()
    assert standard.energy_kwh() == 0.25 and standard.integration_time_s() == 782.6
    standard.close()


def test_source_on_pyvisa_sim_and_its_refusals():
    source = ScpiSource(sim("source.yaml", "TCPIP0::192.168.0.11::INSTR"), SourceLimits(265, 65))
    assert isinstance(source, PowerSource)
    source.apply(voltage_v=230, current_a=5, power_factor=-0.8)
    source.output(True)
    assert source.output_on()
    assert source.session.query("SOUR:PF?") == "-0.800"
    with pytest.raises(SafetyLimitError) as caught:         # beyond the rig: never sent
        source.apply(voltage_v=230, current_a=70, power_factor=1)
    assert caught.value.field == "/safe_limits/max_current_a"
    assert source.session.query("SOUR:CURR?") == "5.0000"
    with pytest.raises(InstrumentError) as caught:           # beyond the instrument: refused by it
        ScpiSource(sim("source.yaml", "ASRL2::INSTR"), SourceLimits(400, 500)).apply(
            voltage_v=350, current_a=1, power_factor=1)
    assert caught.value.code == "instrument-refused" and "SOUR:VOLT" in str(caught.value)
    source.safe_state()
    assert not source.output_on() and source.session.query("SOUR:CURR?") == "0.0000"


def test_switch_unit_on_pyvisa_sim():
    switch = ScpiSwitchUnit(sim("switch_unit.yaml", "ASRL3::INSTR"), {1: "open"})
    assert isinstance(switch, Relay)
    assert switch.state(1) == "closed"
    switch.safe_state()
    assert switch.state(1) == "open"
    switch.close_contact(1)
    assert switch.state(1) == "closed"
    with pytest.raises(InstrumentError):
        switch.open(7)


def test_a_silent_instrument_is_a_timeout():
    session = sim("power_standard.yaml", "ASRL1::INSTR", timeout_s=0.2)
    with pytest.raises(InstrumentTimeout) as caught:
        session.query("INTEG:RES")                    # a command: the instrument answers nothing
    assert caught.value.code == "instrument-timeout"


def test_an_unknown_resource_names_the_instrument(tmp_path):
    with pytest.raises(InstrumentError) as caught:
        VisaSession(f"ASRL{tmp_path}/no-such-port::INSTR", "@py", name="standard")
    assert caught.value.field == "/instruments/standard/resource"


def test_the_same_drivers_on_the_circuit_simulators_over_asrl(pty_factory):
    physics = make_physics()
    standard_port = pty_factory("standard", scpi.power_standard(physics, "SIM,STD,1,1").on_bytes)
    source_port = pty_factory("source", scpi.source(physics, "SIM,SRC,1,1").on_bytes)
    switch_port = pty_factory("switch", scpi.switch_unit(physics, "SIM,SW,1,1", [1]).on_bytes)
    standard = ScpiPowerStandard(VisaSession(f"ASRL{standard_port}::INSTR", "@py", name="standard"))
    source = ScpiSource(VisaSession(f"ASRL{source_port}::INSTR", "@py", name="source"), SourceLimits(265, 65))
    switch = ScpiSwitchUnit(VisaSession(f"ASRL{switch_port}::INSTR", "@py", name="switch"), {1: "open"})
    try:
        source.apply(voltage_v=230, current_a=5, power_factor=1)
        source.output(True)
        assert standard.current_a() == 5.0 and standard.power_w() == 1150.0
        switch.open(1)
        assert switch.state(1) == "open" and standard.current_a() == 0.0
        switch.close_contact(1)
        assert standard.current_a() == 5.0
        standard.reset_energy()
        standard.start_energy()
        time.sleep(0.02)
        standard.stop_energy()
        energy, seconds = standard.energy_kwh(), standard.integration_time_s()
        assert energy > 0 and energy == pytest.approx(1150 * seconds / 3.6e6, rel=0.05)
        with pytest.raises(InstrumentError):
            source.session.command("SOUR:CURR 999")
    finally:
        for instrument in (standard, source, switch):
            instrument.close()
