"""Benchmark of the supply stage (one command; figures written to a JSON file).

    python bench/supply.py --out bench/results/supply.json [--samples 100000]

A 10-year quarterly plan (2026Q1-2035Q4, three accelerator types) with 10^5 Monte Carlo
samples of every yield, die-size, lead-time and capacity range, on one core (BLAS threads
pinned to 1); targets in TARGETS (CPU seconds). (The run took 8.5-9.0 s before the
vectorisation of the lead shift and capacity curves and the partition-based percentiles;
results unchanged to ~1e-14). Also records the forward figure for 1,000,000 GB200 and the
reverse figure for 900,000 HBM3E wafers/month, and the shipped Stargate claim check.
"""

from __future__ import annotations

import benchkit

benchkit.pin_one_thread()

import argparse  # noqa: E402
from pathlib import Path  # noqa: E402

import pandas as pd  # noqa: E402
import yaml  # noqa: E402

from gigawatt.supply.estimate import equipped_by, wafers_for  # noqa: E402
from gigawatt.supply.schedule import SupplySection, plan_supply  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def ten_year_schedule() -> pd.DataFrame:
    rows = []
    for year in range(2026, 2036):
        for qn in range(1, 5):
            k = (year - 2026) * 4 + qn
            rows.append(
                {"quarter": f"{year}Q{qn}", "accelerator": "gb200", "count": 50_000.0 + 5_000 * k}
            )
            rows.append(
                {"quarter": f"{year}Q{qn}", "accelerator": "b300", "count": 100_000.0 + 10_000 * k}
            )
            rows.append({"quarter": f"{year}Q{qn}", "accelerator": "mi355x", "count": 20_000.0})
    return pd.DataFrame(rows)


TARGETS = [
    benchkit.Target(
        "plan_10y_quarterly.cpu_seconds",
        "<",
        10.0,
        "a decade of quarterly supply with full Monte Carlo ranges must fit in one plan run",
    ),
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    benchkit.add_arguments(parser, "supply")
    parser.add_argument("--samples", type=int, default=100_000)
    args = parser.parse_args(argv)

    sched = ten_year_schedule()
    sec = SupplySection(samples=args.samples, seed=0, capacity_growth_per_year=0.05)
    plan_supply(sched.head(12), SupplySection(samples=100))  # warm caches (grid counts, catalog)
    with benchkit.stopwatch() as sw:
        res = plan_supply(sched, sec)
    plan_s, plan_cpu_s = sw.wall_s, sw.cpu_s

    fwd = wafers_for("gb200", 1_000_000, samples=args.samples, seed=0)
    rev = equipped_by(900_000, "hbm3e", "gb200", samples=args.samples, seed=0)
    shipped = yaml.safe_load((ROOT / "scenarios" / "sections" / "supply.yaml").read_text())
    stargate = plan_supply(None, SupplySection(**shipped["supply"]))
    q = res["supply_quarterly"]
    figures = {
        "threads": 1,
        "plan_10y_quarterly": {
            "samples": args.samples,
            "quarters": len(q),
            "accelerator_types": int(sched["accelerator"].nunique()),
            "seconds": plan_s,
            "cpu_seconds": plan_cpu_s,
            "binding_constraints": sorted(set(q["binding_constraint"])),
        },
        "forward_1m_gb200": {k: v for k, v in fwd.to_dict().items() if k != "assumptions"},
        "forward_1m_gb200_cowos_packages_per_wafer": fwd.assumptions["cowos_packages_per_wafer"],
        "reverse_900k_hbm3e_per_month": {
            k: v for k, v in rev.to_dict().items() if k != "assumptions"
        },
        "stargate_claim_check": stargate["claim"].to_dict(),
    }
    print(
        f"10-year quarterly plan, {args.samples:,} samples: {plan_cpu_s:.2f} CPU s; "
        f"Stargate claim / estimate {stargate['claim'].ratio.likely:.2f}"
    )
    return benchkit.finish("supply", figures, TARGETS, args.out, args.target)


if __name__ == "__main__":
    raise SystemExit(main())
