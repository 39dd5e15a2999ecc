"""The bench boundary: what HIL steps may ask of a meter on its rig (house rule 6 for hardware).
When ``harness bench`` is given a market platform (``--sut``), the bench also answers the
`MarketSUT` and `DemandResponseSUT` operations by passing them to it, so one ``sut`` carries a
DR signal from the platform to the relay and the meter's readings back to settlement.

A `BenchSUT` is the meter under test with the rig around it: `bench_rigs.session.BenchSession`
implements it for any rig file, with real or simulated instruments. Every operation returns
plain data (readings and what was derived from them); limits are the steps' business. An
instrument that fails or times out raises `HarnessError` (verdict ``error``, not ``fail``),
after the bench has put itself in its safe state.
"""
from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

from . import SUTDescription


@runtime_checkable
class BenchSUT(Protocol):
    description: SUTDescription
    identities: dict                  # role -> driver, address, *IDN?/identification, calibration
    results: list[dict]               # every test point measured, in order
    meter_id: str                     # the meter under test's id, as the market knows it

    def reset(self) -> None: ...                       # safe state: source off, relays safe
    def test_point_names(self) -> list[str]: ...
    def run_test_point(self, name: str) -> dict: ...   # error_pct, mpe_pct, band, energies...
    def run_starting_current(self) -> dict: ...        # meter_kwh, standard_kwh, resolution_kwh...
    def run_creep(self) -> dict: ...
    def switch_relay(self, position: str) -> dict: ... # reported_state, latency_s (None: never followed)
    def meter_readout(self): ...                       # bench_rigs.iec62056.Readout
    def run_load(self, power_w: float) -> dict: ...    # load on through the closed relay
    def command_relay(self, position: str, load_a: float) -> dict: ...  # as switch_relay, source as it is
    def metered_interval(self, duration_s: float) -> dict: ...         # meter_kwh, standard_kwh
    def energise(self, power_w: float) -> dict: ...    # supply on at that load, relay as it is
    def close(self) -> None: ...


def load_bench(rig_path: str | Path, market_spec: str | None = None, *, workdir: str = "") -> BenchSUT:
    """Open the rig named by ``--rig``: validate it, start its simulator if it has one, open and
    identify every instrument, and put the bench in its safe state.

    Args:
        market_spec: the market platform the site reports to (``--sut``: ``reference``, a
            factory, or a URL), for the signal-to-settlement scenario; None for none.
    Raises:
        HarnessError: an invalid rig file (field named) or an instrument that cannot be opened.
    """
    from bench_rigs.rig import load_rig
    from bench_rigs.session import BenchSession

    from . import load_sut

    rig = load_rig(rig_path)
    market = load_sut(market_spec, workdir=workdir) if market_spec else None
    session = BenchSession(rig, market)
    meter = rig.meter
    session.description = SUTDescription(
        name=f"meter {meter.id} ({meter.standard} class {meter.accuracy_class}) on rig {rig.name!r}",
        adapter="harness bench", endpoint=str(rig.path))
    return session
