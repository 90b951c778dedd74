"""Benchmark: hourly (8,760 h) facility simulation of 50 sites (one command, figures to JSON).

    python bench/facility.py --out bench/results/facility.json

The 50 sites are the catalog sites repeated with each compatible cooling configuration in
turn (round robin) and IT loads from 50 MW to 1.2 GW; hourly weather comes from the monthly
climatology by the diurnal model in gigawatt.facility.sites. Timed: weather generation
(dry bulb, humidity, wet bulb by vectorised bisection) + cooling models + annual totals.
Targets in TARGETS (CPU seconds). Also reported: how far the 12 typical-day monthly
evaluation (what the CLI prints) is from the full hourly year, per site.
"""

from __future__ import annotations

import benchkit

benchkit.pin_one_thread()

import argparse  # noqa: E402
import statistics  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

from gigawatt.facility import (  # noqa: E402
    cooling_ids,
    evaluate,
    get_cooling,
    get_site,
    simulate,
    site_ids,
)
from gigawatt.facility.sites import Site, Weather, hourly_weather  # noqa: E402

N_SITES = 50


def build_cases() -> list[tuple[Site, str, float]]:
    sites = [get_site(s) for s in site_ids()]
    cases: list[tuple[Site, str, float]] = []
    k = 0
    while len(cases) < N_SITES:
        site = sites[len(cases) % len(sites)]
        options = [
            c
            for c in cooling_ids()
            if get_cooling(c).heat_rejection != "once-through" or site.water is not None
        ]
        cooling = options[k % len(options)]
        k += 1
        it_w = float(np.interp(len(cases), [0, N_SITES - 1], [50e6, 1.2e9]))
        cases.append((site, cooling, it_w))
    return cases


def run(
    cases: list[tuple[Site, str, float]],
) -> tuple[benchkit.Stopwatch, list[dict[str, Any]]]:
    with benchkit.stopwatch() as sw:
        rows = _simulate_cases(cases)
    return sw, rows


def _simulate_cases(cases: list[tuple[Site, str, float]]) -> list[dict[str, Any]]:
    weather = hourly_weather([c[0] for c in cases])
    rows: list[dict[str, Any]] = [{} for _ in cases]
    for cooling in sorted({c[1] for c in cases}):
        idx = np.array([i for i, c in enumerate(cases) if c[1] == cooling])
        water = None if weather.water_c is None else weather.water_c[idx]
        if water is None and get_cooling(cooling).heat_rejection == "once-through":
            water = np.vstack([cases[i][0].hourly().water_c for i in idx])  # type: ignore[misc]
        p = np.asarray(weather.pressure_pa)
        sub = Weather(
            weather.dry_bulb_c[idx],
            weather.humidity_ratio[idx],
            weather.wet_bulb_c[idx],
            p[idx] if p.ndim else p,
            water,
        )
        it = np.array([cases[i][2] for i in idx])[:, None]
        r = simulate(it, sub, get_cooling(cooling))
        fac = r.facility_w.sum(axis=1)
        itj = r.it_w.sum(axis=1)
        water_l = r.water_consumed_kg_per_s.sum(axis=1) * 3600.0
        for j, i in enumerate(idx):
            rows[i] = {
                "site": cases[i][0].id,
                "cooling": cooling,
                "it_w": cases[i][2],
                "pue_hourly": float(fac[j] / itj[j]),
                "pue_peak_hour": float(r.pue[j].max()),
                "wue_l_per_kwh": float(water_l[j] / (itj[j] / 1e3)),
                "facility_w_peak": float(r.facility_w[j].max()),
            }
    return rows


TARGETS = [
    benchkit.Target(
        "cpu_seconds_median",
        "<",
        5.0,
        "an hourly year of every site must be cheap enough to run inside each plan",
    ),
    benchkit.Target(
        "typical_day_vs_hourly_pue_abs_diff_max",
        "<",
        0.02,
        "the CLI's 12 typical days stand in for the hourly year; a larger PUE gap misleads",
    ),
]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    benchkit.add_arguments(ap, "facility")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args(argv)
    cases = build_cases()
    run(cases[:2])  # warm property tables and catalog
    times, cpu_times = [], []
    rows: list[dict[str, Any]] = []
    for _ in range(args.repeat):
        sw, rows = run(cases)
        times.append(sw.wall_s)
        cpu_times.append(sw.cpu_s)
    diffs = []
    for row, (site, cooling, it_w) in zip(rows, cases, strict=True):
        monthly = evaluate(site, it_w, cooling).annual["pue"]
        row["pue_typical_days"] = monthly
        diffs.append(abs(monthly - row["pue_hourly"]))
    figures = {
        "problem": "facility hourly simulation",
        "sites": len(cases),
        "hours": 8760,
        "points": len(cases) * 8760,
        "seconds_median": statistics.median(times),
        "seconds_all": times,
        "cpu_seconds_median": statistics.median(cpu_times),
        "cpu_seconds_all": cpu_times,
        "typical_day_vs_hourly_pue_abs_diff_max": max(diffs),
        "typical_day_vs_hourly_pue_abs_diff_median": statistics.median(diffs),
        "rows": rows,
    }
    print(
        f"{len(cases)} sites x 8,760 h: median {figures['cpu_seconds_median']:.3f} CPU s; "
        f"typical-day vs hourly PUE max diff "
        f"{figures['typical_day_vs_hourly_pue_abs_diff_max']:.4f}"
    )
    return benchkit.finish("facility", figures, TARGETS, args.out, args.target)


if __name__ == "__main__":
    raise SystemExit(main())
