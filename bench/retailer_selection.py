"""Retailer selection (seed 000) against its baselines on the same generated instances.

For each seeded city (``--retailers`` retailers with random time-of-use prices, standing
charges, renewable shares and service indicators) and customer (random demand, renewable
minimum and availability preference), the broker's choice (``select``, rule
cheapest-meeting-renewable-minimum) is compared with: the cheapest single eligible retailer,
a random eligible retailer (seeded), and the exact optimum by enumeration. Printed: how often
each meets the customer's renewable minimum, the median and worst cost relative to the
broker's choice when it does, the largest gap between the choice and the exact optimum, and
the time per selection.

Usage: python bench/retailer_selection.py [--cases 200] [--retailers 6] [--seed 11]
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reference_impl.core.retailer_selection import Customer, Retailer, select  # noqa: E402


def city(rng: random.Random, n: int) -> list[Retailer]:
    return [Retailer(retailer_id=f"r{k}", prices_per_kwh={"peak": rng.randint(18, 40) / 100,
                                                          "offpeak": rng.randint(8, 25) / 100},
                     standing_charge=rng.randint(0, 10), renewable_share=rng.randint(0, 10) / 10,
                     availability_pct=rng.choice([97.0, 99.0, 99.5, 99.9]),
                     metering_interval_min=rng.choice([15, 30, 60]),
                     billing_accuracy_pct=rng.choice([98.0, 99.0, 99.5])) for k in range(n)]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--cases", type=int, default=200)
    p.add_argument("--retailers", type=int, default=6)
    p.add_argument("--seed", type=int, default=11)
    args = p.parse_args(argv)
    rng = random.Random(args.seed)
    meets = {"chosen": 0, "cheapest_single": 0, "random_single": 0, "enumeration": 0}
    premium = {k: [] for k in meets}
    worst_gap, times, feasible = 0.0, [], 0
    for _ in range(args.cases):
        customer = Customer(customer_id="c", demand_kwh={"peak": rng.randint(50, 400),
                                                         "offpeak": rng.randint(50, 600)},
                            min_renewable_share=rng.randint(0, 9) / 10,
                            min_availability_pct=rng.choice([0.0, 99.0]))
        t0 = time.perf_counter()
        sel = select(city(rng, args.retailers), customer, rng.randrange(1 << 30))
        times.append(time.perf_counter() - t0)
        if sel.status != "ok":
            continue
        feasible += 1
        mixes = {"chosen": sel.chosen, **sel.baselines}
        for name, mix in mixes.items():
            if mix is not None and mix.renewable_share >= customer.min_renewable_share - 1e-9:
                meets[name] += 1
                premium[name].append(mix.cost / sel.chosen.cost - 1)
        worst_gap = max(worst_gap, abs(sel.chosen.cost - sel.baselines["enumeration"].cost)
                        / max(1.0, sel.baselines["enumeration"].cost))
    print(f"retailer selection vs baselines: {args.cases} cases ({feasible} feasible), "
          f"{args.retailers} retailers each, seed {args.seed}; median {statistics.median(times) * 1000:.1f} ms "
          "per selection (front + choice + baselines)")
    print(f"{'mix':<16} {'meets renewable min':>20} {'median cost vs chosen':>22} {'worst':>8}")
    for name in meets:
        vals = premium[name]
        med = f"{statistics.median(vals):+.1%}" if vals else "-"
        worst = f"{max(vals):+.1%}" if vals else "-"
        print(f"{name:<16} {meets[name]:>12}/{feasible:<7} {med:>22} {worst:>8}")
    print(f"largest |chosen - enumeration| / max(1, enumeration): {worst_gap:.1e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
