"""`harness bill verify`: a retailer's bills checked offline against its meter data, tariffs and
signer key, with a verdict per bill and per requirement (docs/contracts.md verdict rules).

Inputs:
- bills: every ``*.xml`` in a directory (schemas/bill.xsd, enveloped XMLDSig);
- meter data: CSV or Parquet in the column contract of docs/meter-data.md;
- tariffs: JSON ``{"tariffs": [tariff record, ...], "supplies": [{"supply_point_id",
  "customer_id", "tariff_id", "interval_curve_consent"}, ...]}``; the supplies say which tariff
  and which consent apply to a supply point, and name the customers (so a bare hash of a
  customer id can be recognised);
- the signer's PEM public key (ECDSA P-256); optionally the retailer's pseudonym key
  (``--pseudonym-key``, hex of the domain key) to recompute the customer pseudonyms exactly.

Each (bill, requirement) pair is one result in the run record, so the usual aggregation and
report writers apply: a requirement fails if any bill fails it. SC38-AVAILABILITY and
SC38-RESPONSE-TIME are measured against a running SUT only (`harness run`), so here they stay
not-tested and outside the verdict. A bill that cannot be read (unsafe XML, not schema-valid)
or that names a supply point the tariffs file does not know is an ``error`` on every
requirement, with the reason.
"""
from __future__ import annotations

import json
import sys
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from .. import __version__, catalog
from ..errors import HarnessError
from ..protocols import bill_signature, bill_xml
from ..reports import write_all
from ..reports.junit import write_junit
from ..verdicts import ScenarioResult, aggregate
from reference_impl.adapters.meter_data import MeterDataError, read_meter_data
from reference_impl.core.errors import MarketError
from reference_impl.core.tariffs import parse_tariff

from .checks import BillContext, Finding, gdpr_findings, period_findings, recompute, sc38_findings

OFFLINE = ("SC38-GRANULARITY", "SC38-UNIT", "SC38-PERIOD", "SC38-MODE", "SC38-ACCURACY", "SC38-COMPLETENESS",
           "SC38-DR-CBL", "GDPR-PSEUDONYM", "GDPR-CURVE-CONSENT", "GDPR-COUNTERPARTY", "GDPR-RETENTION",
           "GDPR-SIGNATURE")


@dataclass
class BillVerdict:
    file: str
    bill_id: str | None
    supply_point_id: str | None
    findings: list[Finding] = field(default_factory=list)
    error: str | None = None
    record: dict | None = None

    def outcome(self, requirement: str) -> str:
        if self.error:
            return "error"
        mine = [f for f in self.findings if f.requirement == requirement]
        return "fail" if any(not f.passed for f in mine) else "pass"

    @property
    def verdict(self) -> str:
        outcomes = {self.outcome(r) for r in OFFLINE}
        return "error" if "error" in outcomes else ("fail" if "fail" in outcomes else "pass")

    def to_record(self) -> dict:
        return {"file": self.file, "bill_id": self.bill_id, "supply_point_id": self.supply_point_id,
                "verdict": self.verdict, "error": self.error,
                "requirements": {r: self.outcome(r) for r in OFFLINE},
                "discrepancies": [{"requirement": f.requirement, "check": f.check, "field": f.field,
                                   "recomputed": _plain(f.expected), "bill": _plain(f.actual)}
                                  for f in self.findings if not f.passed]}


def _plain(value):
    return value if isinstance(value, (str, int, float, bool, type(None))) else str(value)


def load_inputs(meter_data: Path, tariffs: Path, public_key: Path) -> tuple[dict, dict, dict, object]:
    """(readings per meter, tariffs by id, supplies by supply point, public key).

    Raises:
        HarnessError: naming the file and what is wrong with it.
    """
    try:
        batches, _ = read_meter_data(meter_data)
    except (MeterDataError, ValueError, OSError) as exc:
        raise HarnessError(f"cannot read the meter data {meter_data}: {exc}", code="bad-meter-data",
                           field="--meter-data") from exc
    readings = {b["meter_id"]: [{**r, "meter_id": b["meter_id"]} for r in b["readings"]] for b in batches}
    try:
        spec = json.loads(tariffs.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise HarnessError(f"cannot read the tariffs file {tariffs}: {exc}", code="bad-tariffs", field="--tariffs") from exc
    if not isinstance(spec, Mapping) or not isinstance(spec.get("tariffs"), list) or not isinstance(spec.get("supplies"), list):
        raise HarnessError(f"{tariffs} must hold {{\"tariffs\": [...], \"supplies\": [...]}}", code="bad-tariffs",
                           field="--tariffs")
    by_id = {}
    for index, raw in enumerate(spec["tariffs"]):
        try:
            by_id[parse_tariff(raw).tariff_id] = raw
        except MarketError as exc:
            raise HarnessError(f"{tariffs}: tariff {index} is refused: {exc}", code="bad-tariffs",
                               field=f"/tariffs/{index}{exc.errors[0].field}") from exc
    supplies = {}
    for index, raw in enumerate(spec["supplies"]):
        missing = [k for k in ("supply_point_id", "customer_id", "tariff_id") if not isinstance(raw.get(k), str)]
        if missing or raw["tariff_id"] not in by_id:
            raise HarnessError(f"{tariffs}: supply {index} lacks {missing or 'a known tariff_id'}", code="bad-tariffs",
                               field=f"/supplies/{index}")
        supplies[raw["supply_point_id"]] = raw
    try:
        key = bill_signature.load_public_key(public_key.read_bytes())
    except (OSError, bill_signature.SignatureInvalid) as exc:
        raise HarnessError(f"cannot use the public key {public_key}: {exc}", code="bad-public-key",
                           field="--public-key") from exc
    return readings, by_id, supplies, key


def verify_bills(bill_files: list[Path], readings: Mapping, tariffs: Mapping, supplies: Mapping, key,
                 pseudonym_key: bytes | None = None, progress: Callable | None = None) -> list[BillVerdict]:
    """Check every bill; ``progress(n)`` is called after each one."""
    customers = [s["customer_id"] for s in supplies.values()]
    verdicts: list[BillVerdict] = []
    for path in bill_files:
        data = path.read_bytes()
        verdict = BillVerdict(path.name, None, None)
        verdicts.append(verdict)
        try:
            bill = bill_xml.from_bytes(data)
        except bill_xml.BillDocumentError as exc:
            verdict.error = f"not a readable bill: {exc}"
            _tick(progress)
            continue
        verdict.bill_id, verdict.supply_point_id, verdict.record = bill["bill_id"], bill["supply_point_id"], bill
        supply = supplies.get(bill["supply_point_id"])
        if supply is None:
            verdict.error = f"supply point {bill['supply_point_id']!r} is not in the tariffs file's supplies"
            _tick(progress)
            continue
        signature_error = None
        try:
            bill_signature.verify(data, key)
        except bill_signature.SignatureInvalid as exc:
            signature_error = exc.reason
        ctx = BillContext(tariff=tariffs[supply["tariff_id"]], readings=readings.get(bill["supply_point_id"], []),
                          consent=bool(supply.get("interval_curve_consent")), known_ids=customers,
                          customer_id=supply["customer_id"], pseudonym_key=pseudonym_key,
                          signature_error=signature_error)
        if bill["tariff_id"] != supply["tariff_id"]:
            verdict.findings.append(Finding("SC38-MODE", "bill's tariff = the supply's tariff", False,
                                            "/bill/tariff/tariffId", supply["tariff_id"], bill["tariff_id"]))
        again = recompute(bill, ctx.tariff, ctx.readings)
        verdict.findings += sc38_findings(bill, ctx, again) + gdpr_findings(bill, ctx)
        _tick(progress)
    by_point: dict[str, list[BillVerdict]] = defaultdict(list)
    for v in verdicts:
        if v.record is not None and not v.error:
            by_point[v.supply_point_id].append(v)
    for group in by_point.values():
        found = period_findings([v.record for v in group])
        for v in group:
            v.findings += found[v.bill_id]
    return verdicts


def _tick(progress) -> None:
    if progress is not None:
        progress(1)


def run_record(verdicts: list[BillVerdict], started: datetime, sut_name: str) -> dict:
    """The run record (conformance.json shape): one result per (bill, requirement)."""
    results = []
    for v in verdicts:
        for rid in OFFLINE:
            outcome = v.outcome(rid)
            bad = [f for f in v.findings if f.requirement == rid and not f.passed]
            message = v.error or ("; ".join(f"{f.check}: bill {f.actual}, recomputed {f.expected}" for f in bad) or None)
            measurements = tuple({"name": f.check, "subject": v.bill_id or v.file, "value": _plain(f.actual),
                                  "unit": None, "limits": f"== {_plain(f.expected)}",
                                  "outcome": "pass" if f.passed else "fail", "description": f.field}
                                 for f in v.findings if f.requirement == rid)
            results.append(ScenarioResult("bill verify", f"{v.file} ({v.bill_id or 'unreadable'})", (rid,), outcome,
                                          message=message, measurements=measurements))
    requirements, summary = aggregate(catalog.requirements(), catalog.profile("billing"), results)
    return {"harness_version": __version__,
            "sut": {"name": sut_name, "adapter": "bill verify", "endpoint": "files"},
            "profile": "billing", "started_at": started.isoformat(timespec="seconds"),
            "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "requirements": requirements, "summary": summary}


def main(args) -> int:
    """The CLI verb: 0 every bill passes, 1 a bill fails a requirement (or could not be read),
    2 usage error (the inputs cannot be used)."""
    from tqdm import tqdm
    started = datetime.now(timezone.utc)
    if not args.bills.is_dir():
        raise HarnessError(f"--bills must be a directory of bill XML files: {args.bills}", code="bad-bills", field="--bills")
    files = sorted(args.bills.glob("*.xml"))
    if not files:
        raise HarnessError(f"no *.xml bills in {args.bills}", code="bad-bills", field="--bills")
    readings, tariffs, supplies, key = load_inputs(args.meter_data, args.tariffs, args.public_key)
    pseudonym_key = None
    if args.pseudonym_key is not None:
        try:
            pseudonym_key = bytes.fromhex(args.pseudonym_key.read_text().strip())
        except (OSError, ValueError) as exc:
            raise HarnessError(f"--pseudonym-key must be a file holding the key in hex: {exc}",
                               code="bad-pseudonym-key", field="--pseudonym-key") from exc
    show = args.progress or (args.progress is None and (sys.stderr.isatty() or len(files) >= 200))
    with tqdm(total=len(files), unit="bill", file=sys.stderr, disable=not show, desc="verifying bills") as bar:
        verdicts = verify_bills(files, readings, tariffs, supplies, key, pseudonym_key, bar.update)
    record = run_record(verdicts, started, f"bills in {args.bills}")
    args.report_dir.mkdir(parents=True, exist_ok=True)
    write_all(record, args.report_dir)
    write_junit(record, args.report_dir / "junit.xml")
    (args.report_dir / "bills.json").write_text(json.dumps([v.to_record() for v in verdicts], indent=2) + "\n",
                                               encoding="utf-8")
    _print(verdicts, record, args.report_dir)
    return 0 if all(v.verdict == "pass" for v in verdicts) else 1


def _print(verdicts: list[BillVerdict], record: dict, report_dir: Path) -> None:
    for v in verdicts:
        failing = [r for r in OFFLINE if v.outcome(r) != "pass"]
        print(f"{v.verdict:6} {v.file}" + (f"  [{', '.join(failing)}]" if failing else ""))
        if v.error:
            print(f"         {v.error}")
        for f in v.findings:
            if not f.passed:
                print(f"         {f.requirement} {f.check} at {f.field}: bill {_plain(f.actual)}, "
                      f"recomputed {_plain(f.expected)}")
    counts = {k: sum(1 for v in verdicts if v.verdict == k) for k in ("pass", "fail", "error")}
    print(f"\nbills: {len(verdicts)} ({counts['pass']} pass, {counts['fail']} fail, {counts['error']} error)")
    print("requirement verdicts:")
    for req in record["requirements"]:
        if req["in_profile"]:
            print(f"  {req['verdict']:12} {req['id']:20} {req['title']}")
    print(f"reports: {report_dir}/conformance.json, conformance.html, junit.xml, bills.json")
