"""Tests for harness.reports.html: the self-contained HTML conformance report."""
from __future__ import annotations

import copy
import html.parser
import re

import pytest

from harness.reports.html import VERDICTS, render_html, verdict_bar_svg, write_html


def _scenario(name, outcome="pass", message=None, value=True):
    return {"feature": "Markets domain: bidding", "name": name, "outcome": outcome,
            "duration_s": 0.12, "message": message,
            "measurements": [{"name": "bid_rejected", "value": value, "unit": None,
                              "limits": "== true", "outcome": outcome,
                              "description": "the bid was rejected"}]}


def _req(rid, verdict, scenarios=(), encoded=True):
    return {"id": rid, "source": "ITU-T Y.2072 " + rid.split("-")[1], "level": "required",
            "title": f"Title of {rid}", "paraphrase": f"Paraphrase of {rid}",
            "encoded": encoded, "in_profile": True, "verdict": verdict,
            "scenarios": list(scenarios)}


def passing_record():
    return {
        "harness_version": "0.1.0",
        "sut": {"name": "reference broker", "adapter": "reference", "endpoint": "in-process"},
        "profile": "y2072",
        "started_at": "2026-11-21T10:00:00+00:00", "finished_at": "2026-11-21T10:00:07+00:00",
        "requirements": [
            _req("Y2072-7.5-02", "pass", [_scenario("An expired bid is rejected with its reason")]),
            _req("Y2072-8.2.1-01", "pass", [_scenario("A contract is settled")]),
            _req("Y2072-7.1-01", "not-tested", encoded=False),
        ],
        "summary": {"pass": 2, "fail": 0, "error": 0, "not-applicable": 0, "not-tested": 1,
                    "conformant": True, "not_encoded": ["Y2072-7.1-01"],
                    "scenarios": {"pass": 2, "fail": 0, "error": 0,
                                  "not-applicable": 0, "not-tested": 0}},
    }


def failing_record():
    record = passing_record()
    record["requirements"][1] = _req("Y2072-8.2.1-01", "fail", [
        _scenario("A contract is settled", "fail", "settlement price 41.0 != 42.0", 41.0),
        _scenario("A contract is listed")])
    record["summary"].update({"pass": 1, "fail": 1, "conformant": False})
    record["summary"]["scenarios"].update({"pass": 2, "fail": 1})
    return record


class _Collector(html.parser.HTMLParser):
    """Collects start tags with their attributes and the text of <section id=findings>."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def _tags(page):
    parser = _Collector()
    parser.feed(page)
    return parser.tags


def _section(page, section_id):
    match = re.search(rf'<section id="{section_id}">(.*?)</section>', page, re.S)
    assert match, f"section {section_id} missing"
    return match.group(1)


def test_passing_record_renders_conformant_banner():
    page = render_html(passing_record())
    assert page.startswith("<!DOCTYPE html>")
    assert "Conformance report" in page
    assert "CONFORMANT" in page and "NOT CONFORMANT" not in page
    for text in ("reference broker", "reference", "in-process", "y2072", "0.1.0",
                 "2026-11-21T10:00:00+00:00", "2026-11-21T10:00:07+00:00", "7 s"):
        assert text in page
    assert "No findings." in _section(page, "findings")


def test_failing_record_reports_finding_with_message():
    page = render_html(failing_record())
    assert "NOT CONFORMANT" in page
    findings = _section(page, "findings")
    assert "No findings." not in findings
    assert "Y2072-8.2.1-01" in findings
    assert "settlement price 41.0 != 42.0" in findings
    assert "A contract is settled" in findings
    assert "A contract is listed" not in findings  # passing scenario is not a finding
    assert "Y2072-7.5-02" not in findings


def test_details_open_only_for_failing_requirements():
    details = {a["id"]: a for t, a in _tags(render_html(failing_record())) if t == "details"}
    assert set(details) == {"req-Y2072-7.5-02", "req-Y2072-8.2.1-01"}  # encoded only
    assert "open" in details["req-Y2072-8.2.1-01"]
    assert "open" not in details["req-Y2072-7.5-02"]


def test_requirements_grouped_by_clause_in_catalog_order():
    table = _section(render_html(passing_record()), "requirements")
    clauses = re.findall(r"Clause ([^<]+)</th>", table)
    assert clauses == ["7.5", "8.2.1", "7.1"]


def test_scope_note_lists_not_encoded_only_when_present():
    page = render_html(passing_record())
    assert "have no scenarios yet" in _section(page, "scope")
    assert "Y2072-7.1-01" in _section(page, "scope")
    record = passing_record()
    record["summary"]["not_encoded"] = []
    assert 'id="scope"' not in render_html(record)


def test_hostile_strings_are_escaped():
    record = failing_record()
    record["sut"]["name"] = "<script>alert('sut')</script>"
    scenario = record["requirements"][1]["scenarios"][0]
    scenario["message"] = "<script>alert(1)</script> & <img src=x onerror=alert(2)>"
    scenario["name"] = "<b>bold</b>"
    scenario["measurements"][0]["value"] = "<i>v</i>"
    page = render_html(record)
    assert "<script" not in page.lower()
    assert "<img" not in page and "<b>bold" not in page and "<i>v" not in page
    assert "&lt;script&gt;alert(&#39;sut&#39;)&lt;/script&gt;" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;img src=x" in page
    assert not [a for _, a in _tags(page) if any(k.startswith("on") for k in a)]


def test_svg_bar_widths_are_proportional_to_counts():
    record = passing_record()
    counts = {"pass": 3, "fail": 1, "error": 2, "not-applicable": 0, "not-tested": 17}
    record["summary"].update(counts)
    rects = {a["data-verdict"]: a for t, a in _tags(render_html(record))
             if t == "rect" and "data-verdict" in a}
    assert set(rects) == {v for v, n in counts.items() if n}
    widths = {v: float(a["width"]) for v, a in rects.items()}
    per_unit = widths["not-tested"] / 17
    for verdict, width in widths.items():
        assert width == pytest.approx(counts[verdict] * per_unit, rel=1e-3)
        assert int(rects[verdict]["data-count"]) == counts[verdict]
    assert sum(widths.values()) == pytest.approx(720.0, rel=1e-3)
    xs = [float(rects[v]["x"]) for v in VERDICTS if v in rects]
    assert xs == sorted(xs) and xs[0] == 0


def test_svg_has_text_alternative_and_handles_zero_total():
    svg = str(verdict_bar_svg({"pass": 3, "fail": 1, "not-tested": 17}))
    assert "<title" in svg and "<desc" in svg and 'role="img"' in svg
    assert "21 requirements: 3 pass, 1 fail, 0 error, 0 not-applicable, 17 not-tested." in svg
    assert "data-verdict" not in str(verdict_bar_svg({}))


def test_no_external_resources():
    page = render_html(failing_record())
    for tag, attrs in _tags(page):
        for key in ("src", "href", "xlink:href", "action", "data"):
            value = attrs.get(key) or ""
            assert not re.match(r"\s*(https?:)?//", value), (tag, key, value)
        assert tag not in ("script", "link", "iframe", "object", "embed", "img")
    assert "@import" not in page and "url(" not in page
    assert "<style>" in page and "<svg" in page
    assert "print-color-adjust: exact" in page and "-webkit-print-color-adjust: exact" in page
    assert "@media print" in page and "A4" in page


@pytest.mark.parametrize("key", ["summary", "requirements", "sut"])
def test_missing_key_raises_value_error_naming_it(key, tmp_path):
    record = passing_record()
    del record[key]
    with pytest.raises(ValueError, match=key):
        render_html(record)
    with pytest.raises(ValueError, match=key):
        write_html(record, tmp_path / "report.html")
    assert not (tmp_path / "report.html").exists()


def test_measurement_values_of_every_type_render():
    record = failing_record()
    scenario = record["requirements"][1]["scenarios"][0]
    scenario["measurements"] = [
        {"name": "n", "value": 41.5, "unit": "EUR/MWh", "limits": "== 42", "outcome": "fail"},
        {"name": "b", "value": False, "unit": None, "limits": "== true", "outcome": "fail"},
        {"name": "s", "value": "rejected", "unit": None, "limits": "in {...}", "outcome": "pass"},
        {"name": "z", "value": None, "unit": None, "limits": "present", "outcome": "error"},
    ]
    page = render_html(copy.deepcopy(record))
    for text in ("41.5", "EUR/MWh", "<code>false</code>", "<code>rejected</code>", "<code>—</code>"):
        assert text in page
    assert "None" not in page


def test_write_html_writes_the_file(tmp_path):
    target = tmp_path / "out" / "conformance.html"
    result = write_html(failing_record(), target)
    assert result == target and target.is_file()
    assert target.read_text(encoding="utf-8") == render_html(failing_record())
