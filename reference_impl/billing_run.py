"""Signed bills for many customers in one run (Y.2072 8.2.1 "billing" at retail scale, as
bench/billing.py runs it for 10,000 supply points): settle with `core.bulk_billing`, price with
`core.bulk_pricing`, write each bill by filling a `bill_template.BillTemplate` compiled once from a
bill the per-customer path composed, sign each with `bill_signature.sign_canonical` (enveloped
XMLDSig, ECDSA P-256, the digest of those very bytes).

Rules:
- Scope: one tariff and one billing period for all customers of the run, no DR credits, no
  interval curve (no recorded consent). Bills with DR credits or a curve are per contract and per
  consent; the broker makes them one at a time (`billing.compose_bill`, `issue_bill`).
- One rule set: the template's fixed parts come from `compose_bill` itself, and its holes are
  filled with `bulk_pricing`'s columns; `check_sample` rebuilds sampled customers' bills through
  the per-customer path and requires the same bytes.
- Each hole's value is checked against its XSD lexical form before it is filled in
  (`BillTemplate.column`), so no bill is written with text XML cannot carry.
- What a caller checks per run (bench/billing.py does all three and prints them): every signed
  bill with `bill_xml.validate` (about 0.12 ms a bill, as much again as writing and signing it);
  the template proven on extreme values (`bill_template.prove`); a seeded random sample of the
  run's bills byte-equal to the per-customer path's documents (`check_sample`).
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from harness.protocols import bill_canonical, bill_signature, bill_xml
from harness.protocols.bill_template import BillTemplate
from harness.protocols.bill_xml import BillDocumentError

from .core.billing import MeteredTotals, Supplier, compose_bill
from .core.bulk_billing import MeteredColumns
from .core.bulk_pricing import DecimalColumn, actual_share_pct, price_columns
from .core.errors import FieldError, Rejected
from .core.tariffs import Tariff, billing_days


@dataclass(frozen=True)
class BillRun:
    """A run ready to write: the template and, per hole, every customer's checked text."""

    template: BillTemplate
    columns: tuple[list[str], ...]
    tariff: Tariff
    supplier: Supplier
    metered: MeteredColumns
    period_start: datetime
    period_end: datetime
    now: datetime
    bill_ids: Sequence[str]
    customer_refs: Sequence[str]
    supply_points: Sequence[str]

    def canonical(self, customer: int) -> bytes:
        """One customer's unsigned document, in exclusive canonical form."""
        return self.template.fill([column[customer] for column in self.columns])

    def signed(self, key) -> Iterator[bytes]:
        """Every customer's signed document, in customer order."""
        fill, sign = self.template.filler(), bill_signature.sign_canonical
        for row in zip(*self.columns):
            yield sign(fill(row).encode("utf-8"), key)

    def reference(self, customer: int, totals: MeteredTotals | None = None) -> bytes:
        """The same customer's document made by the per-customer path (`compose_bill`), from
        ``totals`` when given (e.g. `billing.meter_totals` of its readings), else the run's."""
        return bill_canonical.to_canonical_bytes(compose_bill(
            bill_id=self.bill_ids[customer], supplier=self.supplier, customer_ref=self.customer_refs[customer],
            supply_point_id=self.supply_points[customer], tariff=self.tariff, period_start=self.period_start,
            period_end=self.period_end, totals=totals or self.metered.totals(customer), dr_credits=(),
            now=self.now).to_record())


def prepare(*, tariff: Tariff, supplier: Supplier, metered: MeteredColumns, period_start: datetime,
            period_end: datetime, now: datetime, bill_ids: Sequence[str], customer_refs: Sequence[str],
            supply_points: Sequence[str]) -> BillRun:
    """Price every customer and compile the run's template.

    Raises:
        Rejected: no customers, or an id list of another length than the metered customers
            (``/bill_ids``...), a period that is not whole local days, an unsupported quantum.
        BillDocumentError: ``bill-field-invalid`` naming the field and the customer whose text
            XML cannot carry.
    """
    customers = metered.export_wh.shape[0]
    for name, values in (("bill_ids", bill_ids), ("customer_refs", customer_refs), ("supply_points", supply_points)):
        if len(values) != customers or not customers:
            raise Rejected(FieldError("invalid-value", f"/{name}",
                                      f"one per metered customer ({customers}) expected, got {len(values)}"))
    priced = price_columns(tariff, metered, billing_days(period_start, period_end, tariff.zone))
    holes: dict[str, tuple[Sequence[str] | DecimalColumn, str]] = {
        "bill_id": (bill_ids, "text"), "customer_ref": (customer_refs, "text"), "supply_point_id": (supply_points, "text"),
        "metering/intervals_estimated": ([str(x) for x in metered.estimated.tolist()], "count"),
        "metering/actual_share_pct": (actual_share_pct(metered), "decimal"),
        "subtotal": (priced.subtotal, "decimal"), "tax/amount": (priced.tax, "decimal"),
        "total": (priced.total, "decimal")}
    for index, line in enumerate(priced.lines):
        for name in ("quantity", "unit_price", "amount"):
            column = getattr(line, name)
            if not column.constant:
                holes[f"lines/{index}/{name}"] = (column, "decimal")
    run = dict(tariff=tariff, supplier=supplier, metered=metered, period_start=period_start, period_end=period_end,
               now=now, bill_ids=bill_ids, customer_refs=customer_refs, supply_points=supply_points)
    record = compose_bill(bill_id=bill_ids[0], supplier=supplier, customer_ref=customer_refs[0],
                          supply_point_id=supply_points[0], tariff=tariff, period_start=period_start,
                          period_end=period_end, totals=metered.totals(0), dr_credits=(), now=now).to_record()
    template = BillTemplate.compile(record, {path: kind for path, (_, kind) in holes.items()})
    columns = []
    for path, _ in template.fields:
        values = holes[path][0]
        columns.append(template.column(path, values.texts() if isinstance(values, DecimalColumn) else values,
                                       "customer"))
    return BillRun(template=template, columns=tuple(columns), **run)


def unsigned(document: bytes) -> bytes:
    """A signed document without its enveloped signature: the bytes the signature digests."""
    start = document.rindex(b"<ds:Signature ")
    end = document.index(b"</ds:Signature>", start) + len(b"</ds:Signature>")
    return document[:start] + document[end:]


def check_sample(run: BillRun, signed: Mapping[int, bytes], key, *, verify: int = 5,
                 totals_of: Callable[[int], MeteredTotals] | None = None) -> str:
    """Check sampled customers' signed bills: each schema-valid and byte-equal (signature apart)
    to the per-customer path's document (made from ``totals_of(customer)`` when given, so the
    settlement is recomputed too); the first ``verify`` signatures verified under ``key``.

    Returns:
        what was checked, in one line.
    Raises:
        BillDocumentError: ``bulk-bill-differs`` naming the customer and the first differing
            byte, or the schema's refusal; bill_signature.SignatureInvalid.
    """
    for customer, document in signed.items():
        bill_xml.validate(document)
        mine, theirs = unsigned(document), run.reference(customer, totals_of(customer) if totals_of else None)
        if mine != theirs:
            at = next((i for i, (a, b) in enumerate(zip(mine, theirs)) if a != b), min(len(mine), len(theirs)))
            raise BillDocumentError(f"customer #{customer}: the bulk bill differs from the per-customer path at byte "
                                    f"{at}: {mine[at - 40:at + 40]!r} vs {theirs[at - 40:at + 40]!r}",
                                    "bulk-bill-differs", f"/bills/{customer}")
    verified = list(signed.items())[:verify]
    for _, document in verified:
        bill_signature.verify(document, key.public_key())
    return (f"{len(signed)} sampled bills schema-valid and byte-equal to the per-customer path"
            f"{' (totals recomputed from their readings)' if totals_of else ''}; {len(verified)} signatures verified")
