"""Benchmark of a retail billing run: a month of 15-minute import data for many customers
(default 10,000 customers x 2,880 intervals = 28.8 M readings, from a seeded RNG), then
settle (metered volumes per customer and tariff period, `core.bulk_billing`), bill (lines,
tax, totals by `core.billing.price_lines` / `compose_bill`, one call per customer), serialise
(bill.xsd document, written directly in its exclusive canonical form) and sign (enveloped
XMLDSig, ECDSA P-256, digest of those bytes) every bill, then schema-check each signed document.

Beside it, in the same run, a bare floor on the same arrays: a pandas groupby-sum of the
readings per customer plus one ECDSA P-256 signature per customer (the least any billing run
must do). The floor is measured three times and its median printed; the billing run once
(it is the long one on a shared 2-core machine). Targets: billing <= 3x floor, peak RSS <= 4 GiB.
The DR settlement against customer baselines is not part of this run (the per-customer path
does it, see features/billing/demand_response_credits.feature).

Usage: python bench/billing.py [--customers 10000] [--days 30] [--seed 2026]
"""
from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pandas as pd
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from harness.protocols import bill_canonical, bill_signature, bill_xml  # noqa: E402
from reference_impl.core.billing import Supplier, compose_bill  # noqa: E402
from reference_impl.core.bulk_billing import ReadingColumns, bulk_totals  # noqa: E402
from reference_impl.core.pseudonyms import domain_key, pseudonym  # noqa: E402
from reference_impl.core.tariffs import parse_tariff  # noqa: E402

STEP = timedelta(minutes=15)
START = datetime(2026, 5, 31, 22, tzinfo=timezone.utc)     # 2026-06-01 00:00 in Luxembourg
TARIFF = {"tariff_id": "TOU-1", "currency": "EUR", "billing_mode": "time-of-use", "local_tz": "Europe/Luxembourg",
          "energy": {"kind": "time-of-use", "periods": [
              {"name": "off-peak", "price_per_kwh": "0.18"},
              {"name": "peak", "price_per_kwh": "0.30",
               "windows": [{"days": ["mon", "tue", "wed", "thu", "fri"], "from": "08:00", "to": "20:00"}]}]},
          "standing_charge_per_day": "0.50", "tax": {"name": "VAT", "rate_pct": "8"}}


def readings(customers: int, slots: int, seed: int) -> ReadingColumns:
    rng = np.random.default_rng(seed)
    return ReadingColumns(customer=np.repeat(np.arange(customers, dtype=np.int32), slots),
                          slot=np.tile(np.arange(slots, dtype=np.int32), customers),
                          energy_kwh=np.round(rng.gamma(2.0, 0.06, customers * slots), 3),
                          estimated=rng.random(customers * slots) < 0.005)


def floor(columns: ReadingColumns, customers: int, key) -> float:
    started = time.perf_counter()
    sums = pd.DataFrame({"customer": columns.customer, "energy_kwh": columns.energy_kwh}) \
        .groupby("customer")["energy_kwh"].sum()
    for customer, total in sums.items():
        key.sign(f"{customer}:{total!r}".encode(), ec.ECDSA(hashes.SHA256()))
    assert len(sums) == customers
    return time.perf_counter() - started


def billing_run(columns: ReadingColumns, customers: int, end: datetime, key, out: Path | None) -> tuple[float, dict]:
    tariff = parse_tariff(TARIFF)
    supplier = Supplier(domain="retailer-a.example", name="Reference Retailer", contact="billing@retailer-a.example")
    secret = domain_key(b"bench master secret, 32 bytes!!", supplier.domain)
    phases = {}
    started = time.perf_counter()
    totals = bulk_totals(tariff, columns, customers, START, end, STEP)
    phases["settle_s"] = time.perf_counter() - started
    documents = 0
    size = 0
    mark = time.perf_counter()
    bills = [compose_bill(bill_id=f"BILL-{c:06d}", supplier=supplier,
                          customer_ref=pseudonym(secret, supplier.domain, "customer", f"customer-{c}"),
                          supply_point_id=f"M-{c:06d}", tariff=tariff, period_start=START, period_end=end,
                          totals=totals[c], dr_credits=(), now=end).to_record() for c in range(customers)]
    phases["bill_s"] = time.perf_counter() - mark
    mark = time.perf_counter()
    for record in bills:
        data = bill_signature.sign_canonical(bill_canonical.to_canonical_bytes(record), key)
        bill_xml.validate(data)
        documents += 1
        size += len(data)
        if out is not None and documents <= 3:
            (out / f"{record['bill_id']}.xml").write_bytes(data)
    phases["serialise_sign_s"] = time.perf_counter() - mark
    phases["bytes_per_bill"] = size // max(documents, 1)
    return time.perf_counter() - started, phases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--keep", type=Path, default=None, help="write the first three signed bills here")
    args = parser.parse_args()
    end = START + timedelta(days=args.days)
    slots = (end - START) // STEP
    columns = readings(args.customers, slots, args.seed)
    key = bill_signature.new_key()
    print(f"{args.customers} customers x {slots} intervals = {args.customers * slots / 1e6:.1f} M readings "
          f"(seed {args.seed})", flush=True)
    floors = [floor(columns, args.customers, key) for _ in range(3)]
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
    total, phases = billing_run(columns, args.customers, end, key, args.keep)
    base = statistics.median(floors)
    rss_gib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2
    print(f"floor (pandas groupby-sum + 1 ECDSA signature per customer), median of 3: {base:.2f} s "
          f"[{', '.join(f'{f:.2f}' for f in floors)}]")
    print(f"billing run (settle + bill + serialise + sign): {total:.2f} s = {total / base:.2f} x floor "
          f"(target <= 3x): settle {phases['settle_s']:.2f} s, bill {phases['bill_s']:.2f} s, "
          f"serialise+sign {phases['serialise_sign_s']:.2f} s, {phases['bytes_per_bill']} bytes/bill")
    print(f"peak RSS: {rss_gib:.2f} GiB (target <= 4 GiB)")


if __name__ == "__main__":
    main()
