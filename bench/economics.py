"""Economics benchmark: headline figures and speed.

    python bench/economics.py --out bench/results/economics.json

Figures: a 1 GW (facility power) GB200 NVL72 campus — capex by category, opex per year,
$/GPU-hour — against the reported all-in USD per GW; what KRW 2.5 trillion buys in H200s.
Speed: plan_economics on a programme of 10^5 purchase lines, and the vectorised financing
functions on 10^7 points, on one core (BLAS threads pinned to 1).
"""

from __future__ import annotations

import benchkit

benchkit.pin_one_thread()

import argparse  # noqa: E402

import numpy as np  # noqa: E402

from gigawatt.economics import (  # noqa: E402
    Cluster,
    EconomicsInputs,
    Purchase,
    capex_by,
    capital_recovery_factor,
    cluster_cost,
    load_price_book,
    plan_economics,
    straight_line_depreciation,
    what_budget_buys,
)


def gigawatt_campus(book) -> dict:  # type: ignore[no-untyped-def]
    probe = cluster_cost(Cluster(gpu="gb200", accelerators=100_000), book)
    gpus = round(100_000 * 1e9 / probe.facility_power_w)
    cc = cluster_cost(Cluster(gpu="gb200", accelerators=gpus, years=5), book)
    ref = book.item("stargate-all-in").unit_price()
    cap = capex_by(cc.tables["capex"], ("category",)).set_index("category")
    return {
        "accelerators": gpus,
        "it_power_w": cc.it_power_w,
        "facility_power_w": cc.facility_power_w,
        "network_tiers": cc.network_tiers,
        "capex_usd": cc.metric("capex_usd"),
        "capex_by_category_usd": {k: list(r) for k, r in cap.iterrows()},
        "opex_usd_per_year": cc.metric("opex_usd_per_year"),
        "annual_cost_usd_per_year": cc.metric("annual_cost_usd_per_year"),
        "usd_per_gpu_hour": cc.metric("usd_per_gpu_hour"),
        "reported_all_in_usd_per_gw": [x * 1e9 for x in ref],
        "capex_vs_reported_likely": cc.metric("capex_usd")[1] / (ref[1] * 1e9),
    }


def korea_budget(book) -> dict:  # type: ignore[no-untyped-def]
    res = what_budget_buys(2.5e12, "KRW", Cluster(gpu="h200", accelerators=0), 3, book)
    return {"budget_usd": res.budget_usd, "options": res.rows.to_dict(orient="records")}


def speed(book) -> dict:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(0)
    items = ["gb200-nvl72-rack", "hgx-h200-server", "dc-mep", "dc-shell", "transceiver-800g"]
    purchases = [
        Purchase(
            year=int(2026 + rng.integers(0, 5)),
            item=items[int(rng.integers(0, len(items)))],
            quantity=float(rng.integers(1, 10_000)),
            tranche=f"site{int(rng.integers(0, 20))}",
        )
        for _ in range(100_000)
    ]
    inputs = EconomicsInputs(purchases=purchases)
    with benchkit.stopwatch() as plan:
        plan_economics(inputs, book)
    r = rng.uniform(0, 0.2, 10_000_000)
    n = rng.uniform(1, 40, 10_000_000)
    with benchkit.stopwatch() as crf:
        capital_recovery_factor(r, n)
    assets = rng.uniform(0, 1e9, 100_000)
    with benchkit.stopwatch() as dep:
        straight_line_depreciation(assets, 2026, 5.0, np.arange(2026, 2056))
    return {
        "plan_economics_100k_purchases_s": plan.wall_s,
        "plan_economics_100k_purchases_cpu_s": plan.cpu_s,
        "crf_1e7_points_s": crf.wall_s,
        "crf_1e7_points_cpu_s": crf.cpu_s,
        "depreciation_1e5_assets_x_30_years_s": dep.wall_s,
        "depreciation_1e5_assets_x_30_years_cpu_s": dep.cpu_s,
    }


TARGETS = [
    benchkit.Target(
        "speed.plan_economics_100k_purchases_cpu_s",
        "<",
        5.0,
        "a multi-site programme over years has ~10^5 purchase lines; pricing them is one step "
        "of a plan",
    ),
    benchkit.Target(
        "speed.crf_1e7_points_cpu_s",
        "<",
        5.0,
        "Monte Carlo and sweeps call the financing functions once on up to 10^7 points",
    ),
    benchkit.Target(
        "gigawatt_gb200.capex_vs_reported_likely",
        ">",
        0.5,
        "a 1 GW campus priced item by item should be within 2x of the reported all-in USD/GW; "
        "further below, a price or a count is missing",
    ),
    benchkit.Target(
        "gigawatt_gb200.capex_vs_reported_likely",
        "<",
        2.0,
        "within 2x of the reported all-in USD/GW; further above, something is double counted",
    ),
]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    benchkit.add_arguments(ap, "economics")
    args = ap.parse_args(argv)
    book = load_price_book()
    figures = {"gigawatt_gb200": gigawatt_campus(book), "korea_2_5t_krw_h200": korea_budget(book)}
    figures["speed"] = speed(book)
    campus = figures["gigawatt_gb200"]
    print(
        f"1 GW GB200 campus: capex {campus['capex_vs_reported_likely']:.2f}x the reported "
        f"likely all-in; plan_economics on 10^5 purchases "
        f"{figures['speed']['plan_economics_100k_purchases_cpu_s']:.2f} CPU s"
    )
    return benchkit.finish("economics", figures, TARGETS, args.out, args.target)


if __name__ == "__main__":
    raise SystemExit(main())
