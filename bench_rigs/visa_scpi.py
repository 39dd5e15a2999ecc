"""SCPI instruments over VISA: the power standard, the source and the switch unit.

One code path for every instrument: `open_visa` asks a PyVISA ResourceManager for the resource
string the rig names, with the VISA library the rig names (``@py`` for real instruments through
pyvisa-py, ``<device file>@sim`` for pyvisa-sim). Commands are synchronised with ``*OPC?``
(IEEE 488.2 operation complete), so a command the instrument refuses (its error reply) is seen
at once instead of being read as the answer to the next query.

Failures: a VISA timeout is `InstrumentTimeout`, any other VISA failure or an error reply is
`InstrumentError` (both give the verdict ``error``). Set points beyond the rig's safe limits
raise `SafetyLimitError` and are never sent.
"""
from __future__ import annotations

from dataclasses import dataclass

import pyvisa
from pyvisa import constants

from .errors import InstrumentError, InstrumentTimeout, SafetyLimitError

ERROR_REPLY = "ERROR"
_MANAGERS: dict[str, pyvisa.ResourceManager] = {}


def resource_manager(visa_library: str) -> pyvisa.ResourceManager:
    """One ResourceManager per VISA library string (``@py``, ``path.yaml@sim``...)."""
    if visa_library not in _MANAGERS:
        try:
            _MANAGERS[visa_library] = pyvisa.ResourceManager(visa_library)
        except (OSError, ValueError, pyvisa.Error) as exc:
            raise InstrumentError(f"cannot load VISA library {visa_library!r}: {exc}", code="visa-library",
                                  field="visa_library", actual=visa_library) from exc
    return _MANAGERS[visa_library]


class VisaSession:
    """A message-based VISA resource speaking SCPI.

    Args:
        resource: VISA resource string, e.g. ``TCPIP0::10.0.0.5::INSTR`` or ``ASRL/dev/ttyUSB0::INSTR``.
        visa_library: ``@py``, or ``<file>@sim`` for a pyvisa-sim device file.
        timeout_s: per read.
        name: the rig's name for the instrument, used in error messages.
    """

    def __init__(self, resource: str, visa_library: str = "@py", *, timeout_s: float = 2.0,
                 name: str = "instrument", baud_rate: int | None = None):
        self.name, self.resource_name = name, resource
        try:
            self._resource = resource_manager(visa_library).open_resource(
                resource, read_termination="\n", write_termination="\n", timeout=int(timeout_s * 1000))
            if baud_rate is not None and self._resource.interface_type == constants.InterfaceType.asrl:
                self._resource.baud_rate = baud_rate
        except (pyvisa.Error, OSError, ValueError) as exc:   # pyvisa-py lets pyserial's errors through
            raise InstrumentError(f"{name}: cannot open {resource}: {exc}", code="visa-open",
                                  field=f"/instruments/{name}/resource", actual=resource) from exc

    def query(self, command: str) -> str:
        try:
            answer = self._resource.query(command).strip()
        except pyvisa.VisaIOError as exc:
            if exc.error_code == constants.StatusCode.error_timeout:
                raise InstrumentTimeout(f"{self.name} did not answer {command!r} in time", code="instrument-timeout",
                                        field=f"/instruments/{self.name}", actual=self.resource_name) from exc
            raise InstrumentError(f"{self.name}: {command!r} failed: {exc}", code="visa-io",
                                  field=f"/instruments/{self.name}", actual=self.resource_name) from exc
        if answer == ERROR_REPLY:
            raise InstrumentError(f"{self.name} refused {command!r}", code="instrument-refused",
                                  field=f"/instruments/{self.name}", actual=answer)
        return answer

    def query_float(self, command: str) -> float:
        answer = self.query(command)
        try:
            return float(answer)
        except ValueError:
            raise InstrumentError(f"{self.name} answered {command!r} with a non-number", code="instrument-garbage",
                                  field=f"/instruments/{self.name}", expected="a number", actual=answer) from None

    def command(self, command: str) -> None:
        """Send a command and wait for operation complete; an error reply raises."""
        try:
            self._resource.write(command)
        except pyvisa.VisaIOError as exc:
            raise InstrumentError(f"{self.name}: writing {command!r} failed: {exc}", code="visa-io",
                                  field=f"/instruments/{self.name}", actual=self.resource_name) from exc
        try:
            answer = self.query("*OPC?")
        except InstrumentTimeout:
            raise
        except InstrumentError as exc:
            raise InstrumentError(f"{self.name} refused {command!r}", code="instrument-refused",
                                  field=f"/instruments/{self.name}", actual=exc.actual) from exc
        if answer != "1":
            raise InstrumentError(f"{self.name} did not complete {command!r}", code="instrument-refused",
                                  field=f"/instruments/{self.name}", expected="1", actual=answer)

    def close(self) -> None:
        try:
            self._resource.close()
        except pyvisa.Error:
            pass


class ScpiPowerStandard:
    """Reference standard / power analyser: V, I, P and an energy integrator."""

    def __init__(self, session: VisaSession):
        self.session = session

    def identity(self) -> str:
        return self.session.query("*IDN?")

    def voltage_v(self) -> float:
        return self.session.query_float("MEAS:VOLT?")

    def current_a(self) -> float:
        return self.session.query_float("MEAS:CURR?")

    def power_w(self) -> float:
        return self.session.query_float("MEAS:POW?")

    def reset_energy(self) -> None:
        self.session.command("INTEG:RES")

    def start_energy(self) -> None:
        self.session.command("INTEG:STAR")

    def stop_energy(self) -> None:
        self.session.command("INTEG:STOP")

    def energy_kwh(self) -> float:
        return self.session.query_float("INTEG:ENER?")

    def integration_time_s(self) -> float:
        return self.session.query_float("INTEG:TIME?")

    def close(self) -> None:
        self.session.close()


@dataclass(frozen=True)
class SourceLimits:
    """The rig's safe limits for the source; nothing beyond them is ever sent."""

    max_voltage_v: float
    max_current_a: float


class ScpiSource:
    """Programmable source/load: voltage, current, power factor, output on/off."""

    def __init__(self, session: VisaSession, limits: SourceLimits):
        self.session, self.limits = session, limits

    def identity(self) -> str:
        return self.session.query("*IDN?")

    def apply(self, *, voltage_v: float, current_a: float, power_factor: float) -> None:
        """Raises:
            SafetyLimitError: a set point beyond the rig's limits (nothing is sent).
        """
        for name, value, limit in (("voltage_v", voltage_v, self.limits.max_voltage_v),
                                   ("current_a", current_a, self.limits.max_current_a)):
            if not 0 <= value <= limit:
                raise SafetyLimitError(f"{self.session.name}: {name} {value} is beyond the rig's safe limit",
                                       code="beyond-safe-limit", field=f"/safe_limits/max_{name}",
                                       expected=f"0..{limit}", actual=value)
        if not -1 <= power_factor <= 1:
            raise SafetyLimitError("power factor outside -1..1", code="beyond-safe-limit",
                                   field="/power_factor", actual=power_factor)
        self.session.command(f"SOUR:VOLT {voltage_v:.2f}")
        self.session.command(f"SOUR:CURR {current_a:.4f}")
        self.session.command(f"SOUR:PF {power_factor:.3f}")

    def output(self, on: bool) -> None:
        self.session.command(f"OUTP {'ON' if on else 'OFF'}")

    def output_on(self) -> bool:
        return self.session.query("OUTP?") in ("1", "ON")

    def safe_state(self) -> None:
        """Output off and set points to zero."""
        self.output(False)
        self.session.command("SOUR:CURR 0.0000")
        self.session.command("SOUR:VOLT 0.00")

    def close(self) -> None:
        self.session.close()


class ScpiSwitchUnit:
    """A SCPI switch unit; ``safe`` maps each channel to its declared safe position."""

    def __init__(self, session: VisaSession, safe: dict[int, str]):
        self.session, self.safe = session, dict(safe)

    def identity(self) -> str:
        return self.session.query("*IDN?")

    def open(self, channel: int) -> None:
        self.session.command(f"ROUT:OPEN (@{channel})")

    def close_contact(self, channel: int) -> None:
        self.session.command(f"ROUT:CLOS (@{channel})")

    def state(self, channel: int) -> str:
        answer = self.session.query(f"ROUT:STAT? (@{channel})")
        states = {"OPEN": "open", "CLOS": "closed"}
        if answer not in states:
            raise InstrumentError(f"{self.session.name}: unknown state for channel {channel}",
                                  code="instrument-garbage", field=f"/channels/{channel}",
                                  expected=sorted(states), actual=answer)
        return states[answer]

    def safe_state(self) -> None:
        for channel, position in self.safe.items():
            self.open(channel) if position == "open" else self.close_contact(channel)

    def close(self) -> None:
        self.session.close()
