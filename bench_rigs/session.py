"""A bench session: the rig's instruments opened, used by the checks, and always left safe.

`BenchSession` is what `harness bench` hands the HIL features as their ``sut``: the meter under
test on its rig. It opens the simulator first when the rig has one, then each instrument through
its driver (the rig names the driver; simulated or real is only the resource string), records
each instrument's identity, and puts the bench in its safe state (source off and at zero,
relays in their declared safe position) before every scenario, after any exception or timeout
inside a procedure, and on close.
"""
from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress

from . import procedures
from .errors import HarnessError, InstrumentError, RigError
from .iec62056 import Readout
from .modbus_meter import ModbusMeter
from .relay_board import SerialRelayBoard
from .rig import InstrumentSpec, Rig
from .serial_meter import IecMeter
from .simulated import SimulatorProcess
from .visa_scpi import ScpiPowerStandard, ScpiSource, ScpiSwitchUnit, SourceLimits, VisaSession


class NoMarketPlatform(HarnessError, AttributeError):
    """A market operation was asked of a bench run without a market platform (verdict error)."""


class BenchSession:
    """Args:
        rig: the validated rig.
        market: optionally, the market platform the meter's site reports to (a MarketSUT that
            also offers demand-response events); its operations are reachable on the session
            itself, so market steps run unchanged against a bench (signal to bill).
    """

    def __init__(self, rig: Rig, market=None):
        self.rig = rig
        self.market = market
        self.simulator = SimulatorProcess(rig.simulator).start() if rig.simulator is not None else None
        self.instruments: dict = {}
        self.results: list[dict] = []               # every test point measured, for the plot
        try:
            for role in ("standard", "source", "meter", "relay"):
                self.instruments[role] = self._open(rig.instruments[role])
            self.identities = {role: self._identity(role) for role in self.instruments}
            self.safe_state()
        except BaseException:
            self.close()
            raise

    # -- wiring ---------------------------------------------------------------------------------
    def _address(self, spec: InstrumentSpec, key: str) -> str:
        text = spec.settings[key]
        return self.simulator.expand(text) if self.simulator else text

    def _open(self, spec: InstrumentSpec):
        s, name = spec.settings, spec.role
        timeout_s = float(s.get("timeout_s", 2.0))
        if spec.driver.startswith("scpi-"):
            session = VisaSession(self._address(spec, "resource"), s.get("visa_library", "@py"),
                                  timeout_s=timeout_s, name=name, baud_rate=s.get("baud"))
            if spec.driver == "scpi-power-standard":
                return ScpiPowerStandard(session)
            if spec.driver == "scpi-source":
                return ScpiSource(session, SourceLimits(self.rig.max_voltage_v, self.rig.max_current_a))
            return ScpiSwitchUnit(session, {self.rig.relay_channel: self.rig.relay_safe_state})
        port = self._address(spec, "port")
        if spec.driver == "iec62056-21":
            return IecMeter(port, name=name, address=str(s.get("address", "")), timeout_s=timeout_s,
                            max_baud=int(s.get("max_baud", 19200)), switch_delay_s=float(s.get("switch_delay_s", 0.01)))
        if spec.driver == "modbus-rtu":
            return ModbusMeter(port, name=name, device_id=int(s.get("device_id", 1)), baud=int(s.get("baud", 9600)),
                               registers=s.get("registers"), timeout_s=timeout_s)
        if spec.driver == "relay-board":
            return SerialRelayBoard(port, safe={self.rig.relay_channel: self.rig.relay_safe_state}, name=name,
                                    baud=int(s.get("baud", 9600)), timeout_s=timeout_s)
        raise RigError("unknown driver", code="bad-value", field=f"/instruments/{name}/driver", actual=spec.driver)

    def _identity(self, role: str) -> dict:
        spec = self.rig.instruments[role]
        address = spec.settings.get("resource") or spec.settings.get("port")
        return {"driver": spec.driver, "address": self._address(spec, "resource" if "resource" in spec.settings else "port"),
                "address_in_rig": address, "identity": self.instruments[role].identity(),
                "calibration": self.rig.calibration.get(role)}

    # -- safety ---------------------------------------------------------------------------------
    def safe_state(self) -> None:
        """Source off and at zero, relays to their declared safe position. Tries every
        instrument even if one fails, then raises the first failure."""
        failures = []
        for role in ("source", "relay"):
            instrument = self.instruments.get(role)
            if instrument is None:
                continue
            try:
                instrument.safe_state()
            except HarnessError as exc:
                failures.append(exc)
        if failures:
            raise failures[0]

    def _guarded(self, procedure: Callable[[], dict]) -> dict:
        try:
            return procedure()
        except BaseException:
            with suppress(HarnessError):
                self.safe_state()
            raise

    # -- what the checks call -------------------------------------------------------------------
    def reset(self) -> None:
        self.safe_state()
        if self.market is not None:
            self.market.reset()

    def __getattr__(self, name: str):
        # only reached for names the bench does not have: the market platform's operations
        market = self.__dict__.get("market")
        if name.startswith("_"):
            raise AttributeError(name)
        if market is None:
            raise NoMarketPlatform(f"{name}: this bench run has no market platform (harness bench --sut none)",
                                   code="no-market-platform", field="--sut")
        return getattr(market, name)

    @property
    def meter_id(self) -> str:
        return self.rig.meter.id

    def run_load(self, power_w: float) -> dict:
        i = self.instruments
        current_a = self._guarded(lambda: {"current_a": procedures.run_load(self.rig, power_w, i["standard"], i["source"],
                                                                                   i["relay"])})
        return {**current_a, "measured_a": i["standard"].current_a()}

    def energise(self, power_w: float) -> dict:
        i = self.instruments
        return self._guarded(lambda: {"current_a": procedures.energise(self.rig, power_w, i["source"])})

    def command_relay(self, position: str, load_a: float) -> dict:
        i = self.instruments
        return self._guarded(lambda: procedures.command_load_relay(self.rig, position, i["standard"], i["relay"],
                                                                   load_a=load_a))

    def metered_interval(self, duration_s: float) -> dict:
        i = self.instruments
        return self._guarded(lambda: procedures.metered_interval(self.rig, duration_s, i["standard"], i["source"],
                                                                           i["meter"]))

    def test_point_names(self) -> list[str]:
        return [p.name for p in self.rig.test_points]

    def run_test_point(self, name: str) -> dict:
        point = next((p for p in self.rig.test_points if p.name == name), None)
        if point is None:
            raise RigError("no such test point in the rig", code="unknown-test-point", field="/test_points",
                           expected=self.test_point_names(), actual=name)
        i = self.instruments
        result = self._guarded(lambda: procedures.measure_test_point(self.rig, point, i["standard"], i["source"], i["meter"], i["relay"]))
        self.results = [r for r in self.results if r["test_point"] != name] + [result]
        return result

    def run_starting_current(self) -> dict:
        i = self.instruments
        return {**self._guarded(lambda: procedures.starting_current(self.rig, i["standard"], i["source"], i["meter"], i["relay"])),
                "resolution_kwh": self.rig.meter.resolution_kwh}

    def run_creep(self) -> dict:
        i = self.instruments
        return {**self._guarded(lambda: procedures.creep(self.rig, i["standard"], i["source"], i["meter"], i["relay"])),
                "resolution_kwh": self.rig.meter.resolution_kwh}

    def switch_relay(self, position: str) -> dict:
        i = self.instruments
        return self._guarded(lambda: procedures.switch_relay(self.rig, position, i["standard"], i["source"], i["relay"]))

    def meter_readout(self) -> Readout:
        """The meter's whole data readout (IEC 62056-21 meters only).

        Raises:
            ReadoutError: the telegram failed its checks; InstrumentError: not a readout meter.
        """
        meter = self.instruments["meter"]
        if not hasattr(meter, "readout"):
            raise InstrumentError("this rig's meter has no IEC 62056-21 readout", code="not-a-readout-meter",
                                  field="/instruments/meter/driver", actual=self.rig.instruments["meter"].driver)
        return meter.readout()

    def close(self) -> None:
        with suppress(HarnessError):
            self.safe_state()
        for instrument in self.instruments.values():
            with suppress(Exception):
                instrument.close()
        self.instruments = {}
        if self.simulator is not None:
            self.simulator.stop()
        if self.market is not None:
            with suppress(Exception):
                self.market.close()
