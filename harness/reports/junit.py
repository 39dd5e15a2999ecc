"""junit.xml from a finished run record, for runs pytest does not drive (`harness bill verify`):
one testsuite per requirement, one testcase per scenario (here: per bill), failures and errors
with their message. `harness run` gets its junit.xml from pytest itself."""
from __future__ import annotations

from pathlib import Path

from lxml import etree


def write_junit(record: dict, path: Path) -> Path:
    suites = etree.Element("testsuites", name=f"harness {record.get('profile', '')}")
    for req in record["requirements"]:
        if not req["scenarios"]:
            continue
        outcomes = [s["outcome"] for s in req["scenarios"]]
        suite = etree.SubElement(suites, "testsuite", name=req["id"], tests=str(len(outcomes)),
                                 failures=str(outcomes.count("fail")), errors=str(outcomes.count("error")),
                                 skipped=str(sum(o in ("not-tested", "not-applicable") for o in outcomes)))
        for scenario in req["scenarios"]:
            case = etree.SubElement(suite, "testcase", classname=req["id"], name=scenario["name"],
                                    time=f"{scenario.get('duration_s', 0.0):.4f}")
            if scenario["outcome"] in ("fail", "error"):
                tag = "failure" if scenario["outcome"] == "fail" else "error"
                etree.SubElement(case, tag, message=(scenario.get("message") or "")[:500]).text = scenario.get("message")
            elif scenario["outcome"] in ("not-tested", "not-applicable"):
                etree.SubElement(case, "skipped", message=scenario["outcome"])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(etree.tostring(suites, xml_declaration=True, encoding="UTF-8", pretty_print=True))
    return path
