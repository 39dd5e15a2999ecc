"""The bill document (schemas/bill.xsd): bill records (the JSON shape of
`reference_impl.core.billing.Bill.to_record`) to XML and back, schema-checked both ways.

Rules:
- Every field element carries its ISO/IEC 19944-1 data category and identification qualifier
  (``TAGS``; the schema refuses an element without them). The supply point is the one
  identified field a bill needs; the customer and DR counterparties appear only as keyed
  pseudonyms; consumption and money are aggregated per tariff period; the interval curve
  (present only with recorded consent) is identified data.
- Instants are written in UTC as ``YYYY-MM-DDTHH:MM:SSZ`` (the WS-Calendar DateTimeType
  pattern); the granularity as a WS-Calendar duration (``PT15M``); the energy unit as the EMIX
  ``power:energyReal`` item (Wh with SI scale ``k``: kWh).
- Parsing goes through `xml_safety.parse_xml` (no entities, no network, size and depth limits)
  and then the schema; a refusal is a `BillDocumentError` naming an XPath-like field.
- The official XSDs the bill schema imports are located in the openleadr wheel
  (`oadr_schema.schema_dir`) and compiled with network access off.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path

from lxml import etree

from . import oadr_schema
from .project_schema import locate
from .xml_safety import XmlRejected, parse_xml

NS = "urn:energy-conformance-harness:bill:1"
POWER = "http://docs.oasis-open.org/ns/emix/2011/06/power"
SCALE = "http://docs.oasis-open.org/ns/emix/2011/06/siscale"
DS = "http://www.w3.org/2000/09/xmldsig#"
NSMAP = {"bill": NS, "power": POWER, "scale": SCALE}
SI_SCALE = {"k": 1000, "none": 1, "M": 1_000_000}

_A, _D, _P = "account-data", "derived-data", "provider-data"
# element name -> (ISO/IEC 19944-1 category, identification qualifier)
TAGS: dict[str, tuple[str, str]] = {
    "billId": (_A, "pseudonymized"), "issued": (_P, "anonymized"),
    "name": (_P, "anonymized"), "domain": (_P, "anonymized"), "contact": (_P, "anonymized"),
    "customerRef": (_A, "pseudonymized"), "supplyPoint": (_A, "identified"),
    "start": (_D, "aggregated"), "end": (_D, "aggregated"),
    "tariffId": (_P, "anonymized"), "billingMode": (_P, "anonymized"), "currency": (_P, "anonymized"),
    "quantum": (_P, "anonymized"), "mode": (_P, "anonymized"), "scope": (_P, "anonymized"),
    "granularity": (_D, "aggregated"), "energyUnit": (_P, "anonymized"),
    "intervalsExpected": (_D, "aggregated"), "intervalsActual": (_D, "aggregated"),
    "intervalsEstimated": (_D, "aggregated"), "actualSharePct": (_D, "aggregated"),
    "quantity": (_D, "aggregated"), "unitPrice": (_P, "anonymized"), "amount": (_D, "aggregated"),
    "contractId": (_A, "pseudonymized"), "counterpartyRef": (_A, "pseudonymized"),
    "windowStart": (_D, "aggregated"), "windowEnd": (_D, "aggregated"), "cblMethod": (_P, "anonymized"),
    "baselineKwh": (_D, "aggregated"), "deliveredKwh": (_D, "aggregated"), "contractedKwh": (_D, "aggregated"),
    "pricePerKwh": (_P, "anonymized"), "tolerancePct": (_P, "anonymized"), "incentivePct": (_P, "anonymized"),
    "penaltyPerKwh": (_P, "anonymized"), "subtotal": (_D, "aggregated"), "ratePct": (_P, "anonymized"),
    "total": (_D, "aggregated"), "intervalCurve": (_A, "identified"),
    "importKwh": (_D, "identified"), "exportKwh": (_D, "identified"),
    "rule": (_P, "anonymized"), "until": (_D, "aggregated"),
}
# inside the interval curve, every value is a point of the customer's load curve
_CURVE_TAGS = {"start": (_D, "identified"), "importKwh": (_D, "identified"), "exportKwh": (_D, "identified")}


class BillDocumentError(ValueError):
    """A bill document the codec refuses; ``field`` says where."""

    def __init__(self, message: str, code: str, field: str):
        self.message, self.code, self.field = message, code, field
        super().__init__(f"{message} [{code}] at {field}")


class _Resolver(etree.Resolver):
    """Imports resolve to the openleadr schema folder only; nothing from the network."""

    def __init__(self, official: Path):
        super().__init__()
        self._official = official.resolve()

    def resolve(self, system_url, public_id, context):
        if re.match(r"[a-z]+://", system_url) and not system_url.startswith("file:"):
            raise OSError(f"schema location {system_url!r} is remote; refused")
        path = Path(system_url.removeprefix("file://")).resolve()
        if path == locate("bill.xsd").resolve() or path.parent == self._official:
            return None   # a file we expect: libxml2 loads it as usual
        raise OSError(f"schema location {system_url!r} is neither bill.xsd nor in {self._official}; refused")


@lru_cache(maxsize=1)
def schema() -> etree.XMLSchema:
    """bill.xsd compiled with its official imports (cached)."""
    official = oadr_schema.schema_dir()
    parser = etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False)
    parser.resolvers.add(_Resolver(official))
    doc = etree.parse(str(locate("bill.xsd")), parser)
    for imp in doc.getroot().iter("{http://www.w3.org/2001/XMLSchema}import"):
        imp.set("schemaLocation", (official / imp.get("schemaLocation")).as_uri())
    return etree.XMLSchema(doc)


def _check(root: etree._Element, direction: str) -> None:
    xsd = schema()
    if not xsd.validate(root):
        error = xsd.error_log.last_error
        raise BillDocumentError(f"{direction}: not valid against bill.xsd: {error.message}",
                                "bill-schema-invalid", error.path or f"line {error.line}")


def _stamp(iso: str) -> str:
    return datetime.fromisoformat(iso).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _instant(text: str) -> str:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).isoformat()


_PREFIX = {NS: "bill", POWER: "power", SCALE: "scale"}
_UNTAGGED = ()      # official EMIX elements inside energyUnit carry no tags of ours


def _tags(name: str, text, tags) -> dict:
    if text is None or tags == _UNTAGGED:
        return {}
    category, qualifier = tags or TAGS[name]
    return {"category": category, "qualifier": qualifier}


class _LxmlBuilder:
    """Builds the document as lxml elements (`to_element`)."""

    def root(self):
        return etree.Element(f"{{{NS}}}bill", nsmap=NSMAP, version="1")

    def sub(self, parent, name: str, text=None, tags=None, ns: str = NS, **attrs):
        element = etree.SubElement(parent, f"{{{ns}}}{name}", {k: str(v) for k, v in attrs.items()})
        if text is not None:
            element.text = str(text)
            for key, value in _tags(name, text, tags).items():
                element.set(key, value)
        return element


def _build(bill: dict, b):
    """The one description of the document, for either builder."""
    root = b.root()
    _el = b.sub
    _el(root, "billId", bill["bill_id"])
    _el(root, "issued", _stamp(bill["issued_at"]))
    supplier = _el(root, "supplier")
    for key in ("name", "domain", "contact"):
        _el(supplier, key, bill["supplier"][key])
    customer = _el(root, "customer")
    _el(customer, "customerRef", bill["customer_ref"], scheme=bill["pseudonym_scheme"], domain=bill["pseudonym_domain"])
    _el(customer, "supplyPoint", bill["supply_point_id"])
    period = _el(root, "period")
    _el(period, "start", _stamp(bill["period_start"]))
    _el(period, "end", _stamp(bill["period_end"]))
    tariff = _el(root, "tariff")
    _el(tariff, "tariffId", bill["tariff_id"])
    _el(tariff, "billingMode", bill["billing_mode"])
    _el(tariff, "currency", bill["currency"])
    rounding = _el(tariff, "rounding")
    for key in ("quantum", "mode", "scope"):
        _el(rounding, key, bill["rounding"][key])
    metering = _el(root, "metering")
    _el(metering, "granularity", f"PT{int(bill['granularity_minutes'])}M")
    unit = _el(metering, "energyUnit", category=TAGS["energyUnit"][0], qualifier=TAGS["energyUnit"][1])
    real = b.sub(unit, "energyReal", ns=POWER)
    b.sub(real, "itemDescription", "RealEnergy", tags=(), ns=POWER)
    b.sub(real, "itemUnits", "Wh", tags=(), ns=POWER)
    b.sub(real, "siScaleCode", {"kWh": "k", "Wh": "none", "MWh": "M"}[bill["energy_unit"]], tags=(), ns=SCALE)
    m = bill["metering"]
    _el(metering, "intervalsExpected", m["intervals_expected"])
    _el(metering, "intervalsActual", m["intervals_actual"])
    _el(metering, "intervalsEstimated", m["intervals_estimated"])
    _el(metering, "actualSharePct", m["actual_share_pct"])
    lines = _el(root, "lines")
    for line in bill["lines"]:
        item = _el(lines, "line", kind=line["kind"], period=line["period"])
        _el(item, "quantity", line["quantity"], unit="day" if line["unit"] == "day" else "energy")
        _el(item, "unitPrice", line["unit_price"])
        _el(item, "amount", line["amount"])
    credits = _el(root, "drCredits")
    for credit in bill["dr_credits"]:
        item = _el(credits, "drCredit")
        _el(item, "contractId", credit["contract_id"])
        _el(item, "counterpartyRef", credit["counterparty_ref"], scheme=bill["pseudonym_scheme"],
            domain=bill["pseudonym_domain"])
        _el(item, "windowStart", _stamp(credit["window_start"]))
        _el(item, "windowEnd", _stamp(credit["window_end"]))
        for key, name in (("cbl_method", "cblMethod"), ("baseline_kwh", "baselineKwh"),
                          ("delivered_kwh", "deliveredKwh"), ("contracted_kwh", "contractedKwh"),
                          ("price_per_kwh", "pricePerKwh"), ("tolerance_pct", "tolerancePct"),
                          ("incentive_pct", "incentivePct"), ("penalty_per_kwh", "penaltyPerKwh"),
                          ("amount", "amount")):
            _el(item, name, credit[key])
    _el(root, "subtotal", bill["subtotal"])
    tax = _el(root, "tax")
    _el(tax, "name", bill["tax"]["name"])
    _el(tax, "ratePct", bill["tax"]["rate_pct"])
    _el(tax, "amount", bill["tax"]["amount"])
    _el(root, "total", bill["total"])
    consent = _el(root, "consent")
    _el(consent, "intervalCurve", "true" if bill["consent"]["interval_curve"] else "false",
        tags=(_A, "identified"))
    if bill.get("interval_curve") is not None:
        curve = _el(root, "intervalCurve")
        for point in bill["interval_curve"]:
            item = _el(curve, "interval")
            _el(item, "start", _stamp(point["start"]), tags=_CURVE_TAGS["start"])
            _el(item, "importKwh", repr(float(point["import_kwh"])), tags=_CURVE_TAGS["importKwh"])
            _el(item, "exportKwh", repr(float(point["export_kwh"])), tags=_CURVE_TAGS["exportKwh"])
    retention = _el(root, "retention")
    _el(retention, "rule", bill["retention"]["rule"])
    _el(retention, "until", _stamp(bill["retention"]["until"]))
    return root


def to_element(bill: dict) -> etree._Element:
    """Raises BillDocumentError when the result is not schema-valid (a bug in the record)."""
    root = _build(bill, _LxmlBuilder())
    _check(root, "serialising")
    return root


_WRITTEN_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def validate(document: bytes) -> None:
    """Schema-check a document this module wrote (trusted bytes, so a plain parser rather than
    xml_safety's checks). Raises BillDocumentError naming the failing element."""
    _check(etree.fromstring(document, _WRITTEN_PARSER), "serialising")


def to_bytes(bill: dict) -> bytes:
    return etree.tostring(to_element(bill), xml_declaration=True, encoding="UTF-8")


def _t(root, path: str) -> str:
    found = root.find(path, NSMAP)
    if found is None or found.text is None:
        raise BillDocumentError("element missing", "bill-field-missing", path)
    return found.text


def from_element(root: etree._Element) -> dict:
    """The bill record of a schema-valid element, plus ``tags``: {element path: (category,
    qualifier)} for every tagged field, and ``signed``: whether a ds:Signature is present."""
    _check(root, "parsing")
    scale = _t(root, "bill:metering/bill:energyUnit/power:energyReal/scale:siScaleCode")
    unit = {"k": "kWh", "none": "Wh", "M": "MWh"}.get(scale, scale)
    granularity = _t(root, "bill:metering/bill:granularity")
    match = re.fullmatch(r"PT(\d+)M", granularity)
    minutes = int(match.group(1)) if match else round(_duration_s(granularity) / 60)
    record = {
        "bill_id": _t(root, "bill:billId"), "issued_at": _instant(_t(root, "bill:issued")),
        "supplier": {k: _t(root, f"bill:supplier/bill:{k}") for k in ("name", "domain", "contact")},
        "customer_ref": _t(root, "bill:customer/bill:customerRef"),
        "pseudonym_scheme": root.find("bill:customer/bill:customerRef", NSMAP).get("scheme"),
        "pseudonym_domain": root.find("bill:customer/bill:customerRef", NSMAP).get("domain"),
        "supply_point_id": _t(root, "bill:customer/bill:supplyPoint"),
        "period_start": _instant(_t(root, "bill:period/bill:start")),
        "period_end": _instant(_t(root, "bill:period/bill:end")),
        "tariff_id": _t(root, "bill:tariff/bill:tariffId"), "billing_mode": _t(root, "bill:tariff/bill:billingMode"),
        "currency": _t(root, "bill:tariff/bill:currency"),
        "rounding": {k: _t(root, f"bill:tariff/bill:rounding/bill:{k}") for k in ("quantum", "mode", "scope")},
        "granularity_minutes": minutes, "energy_unit": unit,
        "metering": {"intervals_expected": int(_t(root, "bill:metering/bill:intervalsExpected")),
                     "intervals_actual": int(_t(root, "bill:metering/bill:intervalsActual")),
                     "intervals_estimated": int(_t(root, "bill:metering/bill:intervalsEstimated")),
                     "actual_share_pct": _t(root, "bill:metering/bill:actualSharePct")},
        "lines": [{"kind": line.get("kind"), "period": line.get("period"),
                   "quantity": _t(line, "bill:quantity"),
                   "unit": "day" if line.find("bill:quantity", NSMAP).get("unit") == "day" else unit,
                   "unit_price": _t(line, "bill:unitPrice"), "amount": _t(line, "bill:amount")}
                  for line in root.iterfind("bill:lines/bill:line", NSMAP)],
        "dr_credits": [{"contract_id": _t(c, "bill:contractId"), "counterparty_ref": _t(c, "bill:counterpartyRef"),
                        "window_start": _instant(_t(c, "bill:windowStart")),
                        "window_end": _instant(_t(c, "bill:windowEnd")), "cbl_method": _t(c, "bill:cblMethod"),
                        **{key: float(_t(c, f"bill:{name}")) for key, name in (
                            ("baseline_kwh", "baselineKwh"), ("delivered_kwh", "deliveredKwh"),
                            ("contracted_kwh", "contractedKwh"), ("tolerance_pct", "tolerancePct"),
                            ("incentive_pct", "incentivePct"))},
                        "price_per_kwh": _t(c, "bill:pricePerKwh"), "penalty_per_kwh": _t(c, "bill:penaltyPerKwh"),
                        "amount": _t(c, "bill:amount")}
                       for c in root.iterfind("bill:drCredits/bill:drCredit", NSMAP)],
        "subtotal": _t(root, "bill:subtotal"),
        "tax": {"name": _t(root, "bill:tax/bill:name"), "rate_pct": _t(root, "bill:tax/bill:ratePct"),
                "amount": _t(root, "bill:tax/bill:amount")},
        "total": _t(root, "bill:total"),
        "consent": {"interval_curve": _t(root, "bill:consent/bill:intervalCurve") in ("true", "1")},
        "retention": {"rule": _t(root, "bill:retention/bill:rule"),
                      "until": _instant(_t(root, "bill:retention/bill:until"))},
    }
    curve = root.find("bill:intervalCurve", NSMAP)
    if curve is not None:
        record["interval_curve"] = [{"start": _instant(_t(i, "bill:start")), "import_kwh": float(_t(i, "bill:importKwh")),
                                     "export_kwh": float(_t(i, "bill:exportKwh"))}
                                    for i in curve.iterfind("bill:interval", NSMAP)]
    tree = root.getroottree()
    record["tags"] = {tree.getpath(e): (e.get("category"), e.get("qualifier"))
                      for e in root.iter() if e.get("category") is not None}
    record["signed"] = root.find(f"{{{DS}}}Signature") is not None
    return record


def from_bytes(data: bytes) -> dict:
    """Parse and schema-check a bill document.

    Raises:
        BillDocumentError: unsafe or malformed XML (``xml-*`` codes from xml_safety), or a
            document that is not a valid bill (``bill-schema-invalid``), naming where.
    """
    try:
        root = parse_xml(data)
    except XmlRejected as exc:
        raise BillDocumentError(str(exc), getattr(exc, "code", "xml-rejected"), getattr(exc, "field", "/")) from exc
    return from_element(root)


def _duration_s(text: str) -> float:
    match = re.fullmatch(r"P(?:(\d+)D)?T?(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?", text)
    if not match:
        raise BillDocumentError(f"unreadable duration {text!r}", "bill-bad-duration", "/bill/metering/granularity")
    d, h, m, s = (int(x or 0) for x in match.groups())
    return timedelta(days=d, hours=h, minutes=m, seconds=s).total_seconds()
