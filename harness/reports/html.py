"""Self-contained HTML rendering of a conformance run record.

Owns: turning the run record (the same dict as ``conformance.json``) into one
printable HTML page for the engineer who signs off the run, via the Jinja2
template ``templates/conformance.html.j2``.

Rules:
  * Pure function of the record: no clock, no environment, no network. The only
    I/O is ``write_html`` writing the one output file.
  * The page is self-contained: inline CSS, charts as inline SVG built here, no
    scripts, fonts or other external resources.
  * Autoescaping is always on: SUT names, scenario names and messages come from
    an untrusted vendor. SVG built in Python escapes every interpolated string.
"""
from __future__ import annotations

import datetime as _dt
import pathlib
import re

import jinja2
from markupsafe import Markup, escape

VERDICTS = ("pass", "fail", "error", "not-applicable", "not-tested")
COLOURS = {"pass": "#2e7d32", "fail": "#c62828", "error": "#ef6c00",
           "not-applicable": "#8a8f98", "not-tested": "#d5d8dc"}
REQUIRED_KEYS = ("sut", "requirements", "summary")
BAR_WIDTH = 720.0
_TEMPLATES = pathlib.Path(__file__).resolve().parent / "templates"
_ENV = jinja2.Environment(loader=jinja2.FileSystemLoader(str(_TEMPLATES)),
                          autoescape=True, trim_blocks=True, lstrip_blocks=True,
                          undefined=jinja2.StrictUndefined)
_ENV.filters["vclass"] = lambda v: "v-" + v if v in VERDICTS else "v-unknown"


def clause_of(req_id: str) -> str:
    """Clause prefix of a requirement id: the text between its first and last '-'."""
    first, last = req_id.find("-"), req_id.rfind("-")
    return req_id[first + 1:last] if 0 <= first < last else "unclassified"


def _anchor(req_id: str) -> str:
    return "req-" + re.sub(r"[^A-Za-z0-9_.-]", "_", req_id)


def _counts(source: object) -> dict[str, int]:
    source = source if isinstance(source, dict) else {}
    return {v: int(source.get(v) or 0) for v in VERDICTS}


def _fmt_value(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _fmt_duration(seconds: object) -> str:
    if not isinstance(seconds, (int, float)) or isinstance(seconds, bool):
        return "—"
    if seconds < 60:
        return f"{seconds:.3g} s"
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return (f"{hours} h " if hours else "") + f"{minutes} min {secs:02d} s"


def _run_duration(started: object, finished: object) -> str:
    try:
        delta = (_dt.datetime.fromisoformat(str(finished))
                 - _dt.datetime.fromisoformat(str(started)))
    except (TypeError, ValueError):
        return "—"
    return _fmt_duration(delta.total_seconds())


def verdict_bar_svg(counts: dict[str, int], width: float = BAR_WIDTH) -> Markup:
    """Inline SVG horizontal stacked bar of verdict counts, with legend and text alternative.

    Args:
        counts: verdict -> count; unknown verdicts are ignored, missing ones count 0.
        width: width of the bar in SVG user units.

    Returns:
        Safe markup for an ``<svg>`` element; each segment is a ``<rect>`` carrying
        ``data-verdict`` and ``data-count``, with width proportional to its count.
    """
    counts = _counts(counts)
    total = sum(counts.values())
    summary = ", ".join(f"{counts[v]} {v}" for v in VERDICTS)
    parts = [f'<svg class="bar" role="img" '
             f'width="{width:g}" height="64" viewBox="0 0 {width:g} 64" '
             f'aria-labelledby="bar-title bar-desc">',
             '<title id="bar-title">Requirement verdicts</title>',
             f'<desc id="bar-desc">{escape(f"{total} requirements: {summary}.")}</desc>',
             f'<rect class="track" x="0" y="0" width="{width:g}" height="24" '
             f'fill="#f4f5f7" stroke="#c9ccd1"/>']
    x = 0.0
    for verdict in VERDICTS:
        if not counts[verdict] or not total:
            continue
        seg = width * counts[verdict] / total
        parts.append(f'<rect data-verdict="{verdict}" data-count="{counts[verdict]}" '
                     f'x="{x:.3f}" y="0" width="{seg:.3f}" height="24" '
                     f'fill="{COLOURS[verdict]}"><title>{verdict}: {counts[verdict]}'
                     f'</title></rect>')
        x += seg
    lx = 0.0
    for verdict in VERDICTS:
        label = f"{verdict} ({counts[verdict]})"
        parts.append(f'<rect x="{lx:g}" y="40" width="14" height="14" '
                     f'fill="{COLOURS[verdict]}" stroke="#7a7f87" stroke-width="0.5"/>'
                     f'<text x="{lx + 20:g}" y="52" font-size="13">{label}</text>')
        lx += 30 + 7.5 * len(label)
    parts.append("</svg>")
    return Markup("".join(parts))


def _context(record: dict) -> dict:
    if not isinstance(record, dict):
        raise TypeError(f"record must be a dict, not {type(record).__name__}")
    for key in REQUIRED_KEYS:
        if key not in record:
            raise ValueError(f"record is missing required key {key!r}")
    summary, sut = record["summary"] or {}, record["sut"] or {}
    requirements, groups = [], {}
    for raw in record["requirements"]:
        req = dict(raw)
        req["anchor"] = _anchor(str(req.get("id", "")))
        req["scenarios"] = [
            dict(s, duration=_fmt_duration(s.get("duration_s")), measurements=[
                dict(m, shown=_fmt_value(m.get("value")),
                     unit=m.get("unit") or "") for m in s.get("measurements") or []])
            for s in req.get("scenarios") or []]
        req["failing"] = [s for s in req["scenarios"] if s.get("outcome") in ("fail", "error")]
        requirements.append(req)
        groups.setdefault(clause_of(str(req.get("id", ""))), []).append(req)
    req_counts = _counts(summary)
    return {
        "record": record, "sut": sut, "summary": summary,
        "conformant": bool(summary.get("conformant")),
        "duration": _run_duration(record.get("started_at"), record.get("finished_at")),
        "verdicts": VERDICTS, "colours": COLOURS,
        "req_counts": req_counts, "scn_counts": _counts(summary.get("scenarios")),
        "bar": verdict_bar_svg(req_counts),
        "not_encoded": list(summary.get("not_encoded") or []),
        "findings": [r for r in requirements if r.get("verdict") in ("fail", "error")],
        "groups": list(groups.items()),
        "encoded": [r for r in requirements if r.get("encoded")],
    }


def render_html(record: dict) -> str:
    """Render the run record as one self-contained HTML page.

    Args:
        record: the run record, shaped like ``conformance.json``.

    Returns:
        The complete HTML document as a string.

    Raises:
        ValueError: if ``sut``, ``requirements`` or ``summary`` is missing; the
            message names the missing key.
        TypeError: if ``record`` is not a dict.
    """
    return _ENV.get_template("conformance.html.j2").render(**_context(record))


def write_html(record: dict, path: pathlib.Path) -> pathlib.Path:
    """Render the run record and write it to ``path`` (UTF-8), creating parent folders.

    Args:
        record: the run record, shaped like ``conformance.json``.
        path: destination file; overwritten if it exists.

    Returns:
        ``path`` as a ``pathlib.Path``.

    Raises:
        ValueError, TypeError: as for ``render_html``; nothing is written then.
        OSError: if the file cannot be written.
    """
    path = pathlib.Path(path)
    text = render_html(record)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
