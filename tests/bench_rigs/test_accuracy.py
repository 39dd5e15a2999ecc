"""The class tables as data: each MPE band and its boundaries."""
import pytest

from bench_rigs.accuracy import MeterCurrents, limit
from bench_rigs.errors import RigError

MID = MeterCurrents(imax_a=60, imin_a=0.25, itr_a=0.5)
IEC = MeterCurrents(imax_a=60, ib_a=5)


@pytest.mark.parametrize("cls, current, pf, mpe", [
    ("A", 0.25, 1, 3.5), ("A", 0.5, 1, 3.5), ("B", 0.49, 1, 2.0), ("B", 0.5, 1, 2.0), ("B", 60, -0.8, 2.0),
    ("C", 0.3, 0.5, 1.0), ("C", 60, 1, 0.7),
])
def test_mid_annex_v_table_2(cls, current, pf, mpe):
    assert limit("MID", cls, MID, current, pf).mpe_pct == mpe


@pytest.mark.parametrize("cls, current, pf, mpe", [
    ("1", 0.25, 1, 1.5), ("1", 0.5, 1, 1.0), ("1", 60, 1, 1.0), ("1", 0.5, 0.5, 1.5), ("1", 1.0, -0.8, 1.0),
    ("2", 0.25, 1, 2.5), ("2", 5, 1, 2.0), ("2", 0.75, 0.5, 2.5),
])
def test_iec_62053_21(cls, current, pf, mpe):
    assert limit("IEC62053-21", cls, IEC, current, pf).mpe_pct == mpe


@pytest.mark.parametrize("standard, cls, currents, current, pf", [
    ("MID", "B", MID, 0.2, 1),            # below Imin
    ("MID", "B", MID, 61, 1),             # above Imax
    ("MID", "B", MID, 5, 0.3),            # outside the power-factor range
    ("IEC62053-21", "1", IEC, 0.2, 1),    # below 0.05 Ib
    ("IEC62053-21", "1", IEC, 0.3, 0.5),  # reactive rows start at 0.1 Ib
    ("IEC62053-21", "1", IEC, 5, 0.7),    # no row at that power factor
])
def test_no_limit_outside_the_tables(standard, cls, currents, current, pf):
    with pytest.raises(RigError):
        limit(standard, cls, currents, current, pf)
