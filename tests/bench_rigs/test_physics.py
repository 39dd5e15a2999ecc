"""The simulated circuit, on an injected clock: both instruments see the same energy; the
meter's error, starting current and creep; relay latency and a stuck contact."""
import pytest

from bench_rigs.simulators.physics import BenchPhysics, MeterModel, RelayModel


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def circuit(meter=MeterModel(), relay=RelayModel(), scale=3600.0):
    clock = Clock()
    return BenchPhysics(meter, {1: relay}, time_scale=scale, wall_clock=clock), clock


def test_meter_and_standard_integrate_the_same_energy_up_to_the_meter_error():
    physics, clock = circuit(MeterModel(error_pct=2.0))
    physics.set_source(voltage_v=230, current_a=10, power_factor=0.5, output_on=True)
    physics.standard("reset")
    physics.standard("start")
    clock.now = 1.0                                  # one simulated hour
    state = physics.snapshot()
    assert state["standard_kwh"] == pytest.approx(1.15)
    assert state["meter_import_kwh"] == pytest.approx(1.15 * 1.02)
    assert state["standard_time_s"] == pytest.approx(3600)


def test_drift_grows_the_error_with_time():
    physics, clock = circuit(MeterModel(drift_pct_per_h=1.0))
    physics.set_source(voltage_v=100, current_a=10, output_on=True)
    clock.now = 2.0
    assert physics.snapshot()["meter_import_kwh"] == pytest.approx(2.0 * (1 + 0.01), rel=1e-3)


def test_starting_current_and_creep():
    physics, clock = circuit(MeterModel(starting_current_a=0.05, creep_w=3.0))
    physics.set_source(voltage_v=230, current_a=0.04, output_on=True)
    clock.now = 1.0
    assert physics.snapshot()["meter_import_kwh"] == 0.0
    physics.set_source(current_a=0.0)
    clock.now = 2.0
    assert physics.snapshot()["meter_import_kwh"] == pytest.approx(0.003)


def test_relay_latency_splits_the_integration():
    physics, clock = circuit(relay=RelayModel(latency_s=0.5))
    physics.set_source(voltage_v=100, current_a=10, output_on=True)
    physics.command_relay(1, "open")
    assert physics.relay_commanded(1) == "open" and physics.load_current_a() == 10
    clock.now = 2.0
    assert physics.load_current_a() == 0
    assert physics.snapshot()["meter_import_kwh"] == pytest.approx(0.5)   # 1 kW for half an hour


def test_a_stuck_contact_ignores_commands():
    physics, clock = circuit(relay=RelayModel(stuck="closed"))
    physics.set_source(voltage_v=100, current_a=10, output_on=True)
    physics.command_relay(1, "open")
    clock.now = 1.0
    assert physics.relay_commanded(1) == "open" and physics.load_current_a() == 10


def test_bad_models_are_refused():
    with pytest.raises(ValueError):
        RelayModel(stuck="sideways")
    with pytest.raises(ValueError):
        MeterModel(creep_w=-1)
    with pytest.raises(ValueError):
        BenchPhysics(MeterModel(), {2: RelayModel()}, load_channel=1)
