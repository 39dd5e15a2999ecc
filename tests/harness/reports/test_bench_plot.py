"""The meter error plot: written from the run record's bench section, PNG and SVG; nothing
without measured test points."""
from harness.reports.bench_plot import write_error_plot


def point(name, current, error, mpe, band, pf=1.0):
    return {"test_point": name, "current_a": current, "error_pct": error, "mpe_pct": mpe, "band": band,
            "band_a": [0.25, 0.5] if mpe == 2.0 else [0.5, 60], "power_factor": pf}


def test_plot_files_from_the_record(tmp_path):
    record = {"bench": {"meter": {"id": "M-1", "standard": "MID", "accuracy_class": "B"},
                        "test_points": [point("Imin", 0.25, 0.3, 2.0, "Imin <= I < Itr"),
                                        point("Imax", 60, -2.4, 1.5, "Itr <= I <= Imax", pf=-0.8)]}}
    written = write_error_plot(record, tmp_path)
    assert [p.name for p in written] == ["meter-error.png", "meter-error.svg"]
    assert written[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = written[1].read_text()
    assert "<svg" in svg and "meter error (%)" in svg


def test_no_plot_without_test_points(tmp_path):
    assert write_error_plot({"bench": {"test_points": []}}, tmp_path) == []
    assert write_error_plot({}, tmp_path) == []
    assert not list(tmp_path.iterdir())
