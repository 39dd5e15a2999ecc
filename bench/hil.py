"""Benchmark of the bench's instrument paths: how long one exchange takes through each real stack
against its simulator, medians of N repetitions measured in one run. Figures to size a rig's
timeouts and to show where a `harness bench` run spends its time; they are not targets.

- SCPI query through PyVISA to a pyvisa-sim device file (``@sim``);
- SCPI query through pyvisa-py over a pty (ASRL) to the circuit simulator;
- a whole IEC 62056-21 mode C readout session over a pty (300 baud request, switch to 9600);
- a Modbus RTU float32 read through pymodbus over a socat pty pair;
- a relay board command and state query over a pty;
- one accuracy test point on the simulated rig (gated, 0.5 kWh on the standard).

Usage: python bench/hil.py [--repeat 50]
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench_rigs.modbus_meter import ModbusMeter  # noqa: E402
from bench_rigs.relay_board import SerialRelayBoard  # noqa: E402
from bench_rigs.rig import load_rig  # noqa: E402
from bench_rigs.serial_meter import IecMeter  # noqa: E402
from bench_rigs.session import BenchSession  # noqa: E402
from bench_rigs.simulators import scpi  # noqa: E402
from bench_rigs.simulators.iec_meter import SimulatedIecMeter  # noqa: E402
from bench_rigs.simulators.modbus_meter import SimulatedModbusMeter  # noqa: E402
from bench_rigs.simulators.physics import BenchPhysics, MeterModel, RelayModel  # noqa: E402
from bench_rigs.simulators.pty_port import PtyPort  # noqa: E402
from bench_rigs.simulators.relay_board import SimulatedRelayBoard  # noqa: E402
from bench_rigs.visa_scpi import ScpiPowerStandard, VisaSession  # noqa: E402


def median_ms(action, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=50)
    repeat = parser.parse_args().repeat
    rows = []
    physics = BenchPhysics(MeterModel(error_pct=0.5), {1: RelayModel()}, time_scale=3600)
    physics.set_source(voltage_v=230, current_a=5, output_on=True)
    with tempfile.TemporaryDirectory() as directory:
        d = Path(directory)
        sim = ScpiPowerStandard(VisaSession("ASRL1::INSTR", f"{ROOT / 'bench_rigs/sim/power_standard.yaml'}@sim"))
        rows.append(("SCPI MEAS:CURR? via pyvisa-sim (@sim)", median_ms(sim.current_a, repeat)))
        ports = [PtyPort(d / "standard", scpi.power_standard(physics, "SIM").on_bytes).start(),
                 PtyPort(d / "meter", SimulatedIecMeter(physics).on_bytes).start(),
                 PtyPort(d / "relay", SimulatedRelayBoard(physics, [1]).on_bytes).start()]
        standard = ScpiPowerStandard(VisaSession(f"ASRL{d}/standard::INSTR", "@py"))
        rows.append(("SCPI MEAS:CURR? via pyvisa-py, ASRL pty", median_ms(standard.current_a, repeat)))
        meter = IecMeter(str(d / "meter"), max_baud=9600)
        rows.append(("IEC 62056-21 readout session (300 -> 9600 baud)", median_ms(meter.readout, repeat)))
        relay = SerialRelayBoard(str(d / "relay"), safe={1: "open"})
        rows.append(("relay board CLOSE + STATE?", median_ms(lambda: (relay.close_contact(1), relay.state(1)), repeat)))
        socat = subprocess.Popen(["socat", f"pty,raw,echo=0,link={d / 'mb-sim'}", f"pty,raw,echo=0,link={d / 'mb'}"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while not (d / "mb").exists():
            time.sleep(0.01)
        server = SimulatedModbusMeter(physics, str(d / "mb-sim")).start()
        modbus = ModbusMeter(str(d / "mb"))
        rows.append(("Modbus RTU float32 read (pymodbus, socat pair)",
                     median_ms(lambda: modbus.energy_kwh("1.8.0"), repeat)))
        for closable in (standard, meter, relay, modbus):
            closable.close()
        server.close()
        socat.terminate()
        for port in ports:
            port.close()
    session = BenchSession(load_rig(ROOT / "bench_rigs/rigs/simulated.yaml"))
    try:
        rows.append(("accuracy test point 'Itr' on the simulated rig",
                     median_ms(lambda: session.run_test_point("Itr"), max(3, repeat // 10))))
    finally:
        session.close()
    print(f"{'exchange':52} {'median ms':>10}   (repeat {repeat})")
    for name, value in rows:
        print(f"{name:52} {value:10.2f}")


if __name__ == "__main__":
    main()
