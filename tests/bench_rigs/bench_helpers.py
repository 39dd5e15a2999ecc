"""Shared helpers of the bench tests (a module of its own: `conftest` names clash across test
folders)."""
from __future__ import annotations

from pathlib import Path

from bench_rigs.simulators.physics import BenchPhysics, MeterModel, RelayModel

SIM_DIR = Path(__file__).resolve().parents[2] / "bench_rigs" / "sim"


def make_physics(meter: MeterModel | None = None, relay: RelayModel | None = None, **kwargs) -> BenchPhysics:
    return BenchPhysics(meter or MeterModel(), {1: relay or RelayModel()}, time_scale=kwargs.pop("time_scale", 36000),
                        seed=1, **kwargs)
