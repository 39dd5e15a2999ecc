"""The billing certification checks: one parsed bill (the record `harness.protocols.bill_xml`
reads), the metered data and the tariff it was billed on, against the SC 38 metering/billing
indicators and the GDPR minimisation rules. Pure functions of their inputs; used both by the
conformance steps (bills a SUT issues) and by `harness bill verify` (a retailer's own bills).

The bill is recomputed by the harness's own oracle (`harness.billing.oracle`, `oracle_cbl`),
written from the published rules (docs/billing.md, docs/baselines.md), never by the reference
broker's code: an oracle sharing code with the implementation it judges would agree with its
bugs. Differential tests hold the two implementations to the same figures.
Which requirement a discrepancy belongs to:
- SC38-GRANULARITY: declared granularity vs the interval length of the metered data.
- SC38-UNIT: energy declared as EMIX Wh with an SI scale; a quantity off from the metered energy
  by a whole SI factor (10^3, 10^6) is a unit error (a smaller discrepancy is not a unit's doing,
  and is left to SC38-COMPLETENESS and SC38-ACCURACY).
- SC38-MODE: declared mode = the tariff's; the lines are the mode's (periods, prices).
- SC38-ACCURACY: every line, subtotal, tax and total equal the recomputation under the declared
  rounding rule (the DR credit lines are taken as stated here: SC38-DR-CBL judges them).
- SC38-COMPLETENESS: the metered data covers the period; expected/actual/estimated interval
  counts and the actual share are what the data holds.
- SC38-DR-CBL: each DR credit uses the tariff's CBL method, and its baseline, delivered
  reduction and amount recompute from the metered data.
- SC38-PERIOD: consecutive bills of a supply point neither overlap nor leave gaps.
- GDPR-PSEUDONYM / -COUNTERPARTY / -CURVE-CONSENT / -RETENTION / -SIGNATURE: see gdpr.yaml.
"""
from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from .oracle import OracleBill, OracleRefusal, OracleTariff, recompute_bill
from .oracle_cbl import dr_credit

_PSEUDONYM = re.compile(r"^hmac-sha256:[0-9a-f]{64}$")
SCALES = {"Wh": 1, "kWh": 1000, "MWh": 1_000_000}


@dataclass(frozen=True)
class Finding:
    requirement: str
    check: str
    passed: bool
    field: str = ""
    expected: object = None
    actual: object = None


@dataclass
class BillContext:
    """What the bill is checked against. ``readings``: every reading of the bill's supply
    point (records as the SUT contract carries them); ``known_ids``: identifiers of people the
    verifier knows (customers, counterparties), so a bare hash or a clear id can be spotted;
    ``pseudonym_key``: the retailer's domain key, when the verifier was given it."""

    tariff: Mapping
    readings: Sequence[Mapping]
    consent: bool
    known_ids: Iterable[str] = ()
    customer_id: str | None = None
    pseudonym_key: bytes | None = None
    signature_error: str | None = None
    signature_checked: bool = True


@dataclass(frozen=True)
class Reading:
    """One interval reading as the SUT contract carries it (docs/meter-data.md)."""

    meter_id: str
    interval_start: datetime
    interval_end: datetime
    energy_kwh: float
    direction: str
    quality: str = "actual"


def _readings(records: Sequence) -> list[Reading]:
    out = []
    for r in records:
        if isinstance(r, Reading):      # already read (sc38_findings hands its list to recompute)
            out.append(r)
            continue
        if not isinstance(r, Mapping):
            r = {key: getattr(r, key) for key in ("meter_id", "interval_start", "interval_end", "energy_kwh",
                                                  "direction", "quality")}
        start, end = (x if isinstance(x, datetime) else datetime.fromisoformat(x)
                      for x in (r["interval_start"], r["interval_end"]))
        out.append(Reading(r.get("meter_id", ""), start, end, float(r["energy_kwh"]), r["direction"],
                           r.get("quality") or "actual"))
    return out


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


def pseudonym(key: bytes, domain: str, kind: str, identifier: str) -> str:
    """The keyed pseudonym docs/billing.md specifies: HMAC-SHA256 under the domain key over
    domain, kind and identifier joined by the unit separator (0x1f)."""
    message = "\x1f".join((domain, kind, identifier)).encode("utf-8")
    return "hmac-sha256:" + hmac.new(key, message, hashlib.sha256).hexdigest()


def bare_hashes(identifier: str) -> set[str]:
    """What an unkeyed hash of ``identifier`` looks like (SHA-256, SHA-1, MD5; with or without
    the scheme prefix): such a "pseudonym" is reversed by hashing candidate identifiers."""
    data = identifier.encode("utf-8")
    digests = {hashlib.new(name, data).hexdigest() for name in ("sha256", "sha1", "md5")}
    return digests | {"hmac-sha256:" + d for d in digests}


def recompute(bill: Mapping, tariff: Mapping | OracleTariff, readings: Sequence) -> OracleBill:
    """The bill as the oracle makes it from the data (DR credit lines as the bill states)."""
    tariff = tariff if isinstance(tariff, OracleTariff) else OracleTariff(tariff)
    return recompute_bill(bill, tariff, _readings(readings))


def _f(requirement: str, check: str, passed: bool, field: str = "", expected=None, actual=None) -> Finding:
    return Finding(requirement, check, bool(passed), field, expected, actual)


def _scale_error(stated: Decimal, metered: Decimal) -> bool:
    if metered == 0 or stated == metered:
        return False
    ratio = stated / metered
    return any(abs(ratio - factor) <= factor * Decimal("0.01")
               for factor in (Decimal(1000), Decimal("0.001"), Decimal(1_000_000), Decimal("0.000001")))


def sc38_findings(bill: Mapping, ctx: BillContext, again: OracleBill | None = None) -> list[Finding]:
    tariff = OracleTariff(ctx.tariff)
    readings = _readings(ctx.readings)
    again = again or recompute(bill, tariff, readings)
    start, end = _instant(bill["period_start"]), _instant(bill["period_end"])
    found: list[Finding] = []
    # granularity: the interval lengths the data holds over the period
    lengths = sorted({round((r.interval_end - r.interval_start) / timedelta(minutes=1)) for r in readings
                      if r.interval_start >= start and r.interval_end <= end})
    found.append(_f("SC38-GRANULARITY", "declared granularity = metered", lengths == [bill["granularity_minutes"]],
                    "/bill/metering/granularity", f"{lengths} min" if lengths != [bill["granularity_minutes"]]
                    else f"[{bill['granularity_minutes']}] min", f"[{bill['granularity_minutes']}] min"))
    # unit of measure
    unit = bill.get("energy_unit")
    found.append(_f("SC38-UNIT", "energy unit declared (EMIX energyReal, Wh x SI scale)", unit in SCALES,
                    "/bill/metering/energyUnit", sorted(SCALES), unit))
    if again.metered is not None and unit in SCALES:
        stated = {(x["kind"], x["period"]): Decimal(x["quantity"]) for x in bill["lines"] if x["unit"] != "day"}
        for line in again.lines:
            key = (line["kind"], line["period"])
            if line["kind"].startswith("dr-") or key not in stated:
                continue
            metered = Decimal(line["quantity"]) * 1000 / SCALES[unit]
            found.append(_f("SC38-UNIT", f"{key[0]} {key[1]} quantity in the declared unit",
                            not _scale_error(stated[key], metered), f"/bill/lines/line[@period='{key[1]}']/quantity",
                            f"{metered} {unit}", f"{stated[key]} {unit}"))
    # billing mode declared and applied
    found.append(_f("SC38-MODE", "declared billing mode = tariff's", bill["billing_mode"] == tariff.billing_mode,
                    "/bill/tariff/billingMode", tariff.billing_mode, bill["billing_mode"]))
    if again.metered is not None:
        shape = sorted((x["kind"], x["period"], str(Decimal(x["unit_price"]).normalize())) for x in again.lines
                       if x["kind"] != "dr-credit" and not (x["kind"] == "energy" and tariff.energy_kind == "dynamic"))
        shown = sorted((x["kind"], x["period"], str(Decimal(x["unit_price"]).normalize())) for x in bill["lines"]
                       if x["kind"] != "dr-credit" and not (x["kind"] == "energy" and tariff.energy_kind == "dynamic"))
        found.append(_f("SC38-MODE", "lines follow the tariff's periods and prices", shape == shown,
                        "/bill/lines", str(shape), str(shown)))
    # accuracy
    rule = bill.get("rounding", {})
    found.append(_f("SC38-ACCURACY", "declared rounding rule = tariff's", rule == tariff.rounding,
                    "/bill/tariff/rounding", tariff.rounding, rule))
    if again.metered is not None:
        stated = {(x["kind"], x["period"]): Decimal(x["amount"]) for x in bill["lines"]}
        for line in again.lines:
            key = (line["kind"], line["period"])
            found.append(_f("SC38-ACCURACY", f"{key[0]} {key[1]} amount", stated.get(key) == Decimal(line["amount"]),
                            f"/bill/lines/line[@period='{key[1]}']/amount", line["amount"],
                            None if key not in stated else str(stated[key])))
        sums = sum((Decimal(x["amount"]) for x in bill["lines"]), Decimal("0"))
        found.append(_f("SC38-ACCURACY", "subtotal = sum of the lines", Decimal(bill["subtotal"]) == sums,
                        "/bill/subtotal", str(sums), bill["subtotal"]))
        for key, value in (("tax", again.tax), ("total", again.total)):
            shown = Decimal(bill["tax"]["amount"] if key == "tax" else bill["total"])
            found.append(_f("SC38-ACCURACY", f"{key} recomputed", shown == value, f"/bill/{key}", str(value), str(shown)))
    # completeness
    if again.metered is None:
        found.append(_f("SC38-COMPLETENESS", "metered data covers the period", False, "/bill/period",
                        "a reading for every interval", again.problem))
    else:
        t = again.metered
        share = (Decimal(100 * (t.intervals_actual - t.intervals_estimated)) / t.intervals_actual).quantize(Decimal("0.01"))
        m = bill["metering"]
        for key, value in (("intervals_expected", t.intervals_expected), ("intervals_actual", t.intervals_actual),
                           ("intervals_estimated", t.intervals_estimated)):
            found.append(_f("SC38-COMPLETENESS", key, int(m[key]) == value, f"/bill/metering/{key}", value, m[key]))
        found.append(_f("SC38-COMPLETENESS", "actual share", Decimal(m["actual_share_pct"]) == share,
                        "/bill/metering/actualSharePct", str(share), m["actual_share_pct"]))
    found += _dr_findings(bill, tariff, readings)
    return found


def _dr_findings(bill: Mapping, tariff: OracleTariff, readings: Sequence[Reading]) -> list[Finding]:
    found = []
    for index, credit in enumerate(bill.get("dr_credits", [])):
        where = f"/bill/drCredits/drCredit[{index + 1}]"
        found.append(_f("SC38-DR-CBL", "CBL method = tariff's", credit["cbl_method"] == tariff.cbl_method,
                        f"{where}/cblMethod", tariff.cbl_method, credit["cbl_method"]))
        if tariff.cbl_method is None:
            continue
        try:
            again = dr_credit(credit, tariff.cbl_method, readings, tariff.zone)
        except OracleRefusal as refusal:
            found.append(_f("SC38-DR-CBL", "baseline computable from the data", False, where, "a baseline", str(refusal)))
            continue
        found.append(_f("SC38-DR-CBL", "baseline kWh", abs(float(credit["baseline_kwh"]) - again.baseline_kwh) <= 5e-4,
                        f"{where}/baselineKwh", again.baseline_kwh, credit["baseline_kwh"]))
        found.append(_f("SC38-DR-CBL", "delivered reduction kWh",
                        abs(float(credit["delivered_kwh"]) - again.delivered_kwh) <= 5e-4,
                        f"{where}/deliveredKwh", again.delivered_kwh, credit["delivered_kwh"]))
        found.append(_f("SC38-DR-CBL", "credit amount", Decimal(str(credit["amount"])) == again.amount,
                        f"{where}/amount", str(again.amount), str(credit["amount"])))
    return found


def period_findings(bills: Sequence[Mapping]) -> dict[str, list[Finding]]:
    """SC38-PERIOD over bills of one supply point: each bill id -> its findings."""
    ordered = sorted(bills, key=lambda b: (_instant(b["period_start"]), _instant(b["period_end"])))
    found: dict[str, list[Finding]] = {b["bill_id"]: [] for b in ordered}
    for before, after in zip(ordered, ordered[1:]):
        gap = _instant(after["period_start"]) - _instant(before["period_end"])
        ok = gap == timedelta(0)
        what = "overlaps" if gap < timedelta(0) else "leaves a gap after"
        finding = _f("SC38-PERIOD", "continuous with the previous bill", ok, "/bill/period/start",
                     before["period_end"], after["period_start"] + ("" if ok else f" ({what} {before['bill_id']})"))
        found[after["bill_id"]].append(finding)
        if not ok:
            found[before["bill_id"]].append(_f("SC38-PERIOD", f"continuous with the next bill ({after['bill_id']})",
                                               False, "/bill/period/end", after["period_start"], before["period_end"]))
    for bill in ordered:
        if not found[bill["bill_id"]]:
            found[bill["bill_id"]].append(_f("SC38-PERIOD", "continuous with its neighbours", True, "/bill/period"))
    return found


def _is_identifier(value: str, ids: Iterable[str]) -> bool:
    ids = list(ids)
    return value in ids or any(value in bare_hashes(i) for i in ids)


def gdpr_findings(bill: Mapping, ctx: BillContext) -> list[Finding]:
    found = []
    ids = [i for i in ctx.known_ids if i] + [bill["supply_point_id"]]
    ref = bill["customer_ref"]
    keyed = bill.get("pseudonym_scheme") == "hmac-sha256" and bill.get("pseudonym_domain") == bill["supplier"]["domain"]
    found.append(_f("GDPR-PSEUDONYM", "keyed HMAC-SHA256 pseudonym in the retailer's domain",
                    keyed and bool(_PSEUDONYM.match(ref)), "/bill/customer/customerRef",
                    f"hmac-sha256:<64 hex> in domain {bill['supplier']['domain']}",
                    f"{ref} ({bill.get('pseudonym_scheme')}, domain {bill.get('pseudonym_domain')})"))
    found.append(_f("GDPR-PSEUDONYM", "not an identifier or a bare hash of one", not _is_identifier(ref, ids),
                    "/bill/customer/customerRef", "no bare hash of a known identifier", ref))
    if ctx.pseudonym_key is not None and ctx.customer_id:
        expected = pseudonym(ctx.pseudonym_key, bill["pseudonym_domain"], "customer", ctx.customer_id)
        found.append(_f("GDPR-PSEUDONYM", "equals the retailer's keyed pseudonym", ref == expected,
                        "/bill/customer/customerRef", expected, ref))
    for index, credit in enumerate(bill.get("dr_credits", [])):
        value = credit["counterparty_ref"]
        found.append(_f("GDPR-COUNTERPARTY", "counterparty named by a keyed pseudonym only",
                        bool(_PSEUDONYM.match(value)) and not _is_identifier(value, ids),
                        f"/bill/drCredits/drCredit[{index + 1}]/counterpartyRef", "hmac-sha256:<64 hex>", value))
    if not bill.get("dr_credits"):
        found.append(_f("GDPR-COUNTERPARTY", "no counterparty named", True, "/bill/drCredits"))
    curve = bill.get("interval_curve")
    found.append(_f("GDPR-CURVE-CONSENT", "interval curve only with recorded consent",
                    curve is None or ctx.consent, "/bill/intervalCurve",
                    "no interval curve" if not ctx.consent else "curve allowed (consent recorded)",
                    "none" if curve is None else f"{len(curve)} intervals"))
    found.append(_f("GDPR-CURVE-CONSENT", "consent on the bill = consent recorded",
                    bill["consent"]["interval_curve"] == ctx.consent, "/bill/consent/intervalCurve",
                    ctx.consent, bill["consent"]["interval_curve"]))
    retention = bill.get("retention", {})
    stated = bool(str(retention.get("rule", "")).strip()) and _instant(retention["until"]) > _instant(bill["period_end"])
    found.append(_f("GDPR-RETENTION", "retention rule stated, keeping until after the period",
                    stated, "/bill/retention", "a rule and an end after the period", retention))
    if ctx.signature_checked:
        found.append(_f("GDPR-SIGNATURE", "signature verifies under the signer's key", ctx.signature_error is None,
                        "/bill/ds:Signature", "valid", ctx.signature_error or "valid"))
    return found

