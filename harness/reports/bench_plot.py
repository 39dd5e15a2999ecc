"""The meter error plot of a bench run: error against test current, with the class envelope.

A report writer like the others: a function of the finished run record (its ``bench`` section)
and the report directory; writes ``meter-error.png`` and ``meter-error.svg`` (matplotlib, Agg
backend: no display needed) and returns their paths, or nothing when no test point was measured.
"""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after the backend is chosen)

PASS, FAIL, ENVELOPE = "#2e7d32", "#c62828", "#59636e"


def write_error_plot(record: dict, report_dir: Path) -> list[Path]:
    bench = record.get("bench") or {}
    points = bench.get("test_points") or []
    if not points:
        return []
    meter = bench.get("meter", {})
    figure, axes = plt.subplots(figsize=(8, 4.5), dpi=110)
    # class envelope: each band's MPE across the band's currents (from the meter's own Imin/Itr/Imax or Ib)
    bands = {p["band"]: (p.get("band_a") or [p["current_a"], p["current_a"]], p["mpe_pct"]) for p in points}
    for band, ((low_a, high_a), mpe) in sorted(bands.items(), key=lambda item: item[1][0][0]):
        xs = [low_a, high_a]
        axes.fill_between(xs, [-mpe, -mpe], [mpe, mpe], color=ENVELOPE, alpha=0.08, linewidth=0)
        axes.plot(xs, [mpe, mpe], color=ENVELOPE, linewidth=1.5)
        axes.plot(xs, [-mpe, -mpe], color=ENVELOPE, linewidth=1.5)
        axes.annotate(f"±{mpe:g} % ({band})", (low_a, mpe), textcoords="offset points", xytext=(2, 4),
                      fontsize=7, color=ENVELOPE)
    for index, point in enumerate(points):
        inside = abs(point["error_pct"]) <= point["mpe_pct"]
        marker = "o" if point["power_factor"] == 1 else ("^" if point["power_factor"] > 0 else "v")
        axes.scatter([point["current_a"]], [point["error_pct"]], color=PASS if inside else FAIL, marker=marker,
                     zorder=3)
        axes.annotate(str(point["test_point"]), (point["current_a"], point["error_pct"]),
                      textcoords="offset points", xytext=(5, -10 - 8 * (index % 3)), fontsize=7)
    axes.set_xscale("log")
    axes.axhline(0, color="#d0d7de", linewidth=0.8)
    axes.set_xlabel("test current (A)")
    axes.set_ylabel("meter error (%)")
    axes.set_title(f"meter {meter.get('id', '?')}: {meter.get('standard', '')} class "
                   f"{meter.get('accuracy_class', '')} (o PF 1, ^ inductive, v capacitive)", fontsize=9)
    limit = max(max(abs(p["error_pct"]) for p in points), max(p["mpe_pct"] for p in points)) * 1.3
    axes.set_ylim(-limit, limit)
    figure.tight_layout()
    written = []
    for suffix in ("png", "svg"):
        path = report_dir / f"meter-error.{suffix}"
        figure.savefig(path, metadata={"Date": None} if suffix == "svg" else None)
        written.append(path)
    plt.close(figure)
    return written
