"""The relay board driver through pyserial, against the simulated board on a pty."""
import time

import pytest

from bench_rigs.errors import InstrumentError
from bench_rigs.instruments import Relay
from bench_rigs.relay_board import SerialRelayBoard
from bench_rigs.simulators.physics import RelayModel
from bench_rigs.simulators.relay_board import SimulatedRelayBoard
from bench_helpers import make_physics


def board(pty_factory, relay: RelayModel):
    physics = make_physics(relay=relay)
    physics.set_source(voltage_v=230, current_a=5, output_on=True)
    driver = SerialRelayBoard(pty_factory("relay", SimulatedRelayBoard(physics, [1]).on_bytes), safe={1: "open"})
    return physics, driver


def test_open_close_and_state(pty_factory):
    physics, relay = board(pty_factory, RelayModel(latency_s=0.05))
    assert isinstance(relay, Relay)
    assert relay.identity() == "RELAYBOARD,SIM,1,1.0"
    relay.open(1)
    assert relay.state(1) == "open"
    assert physics.load_current_a() == 5, "the contact moves only after its latency"
    time.sleep(0.08)
    assert physics.load_current_a() == 0
    relay.close_contact(1)
    time.sleep(0.08)
    assert relay.state(1) == "closed" and physics.load_current_a() == 5
    relay.safe_state()
    assert relay.state(1) == "open"
    relay.close()


def test_a_welded_contact_keeps_carrying_current(pty_factory):
    physics, relay = board(pty_factory, RelayModel(stuck="closed"))
    relay.open(1)
    time.sleep(0.02)
    assert relay.state(1) == "open", "the board reports its coil, not the contact"
    assert physics.load_current_a() == 5


def test_refusals_are_instrument_errors(pty_factory):
    _, relay = board(pty_factory, RelayModel())
    with pytest.raises(InstrumentError) as caught:
        relay.open(4)
    assert caught.value.code == "instrument-refused" and "ERR no channel" in str(caught.value)
