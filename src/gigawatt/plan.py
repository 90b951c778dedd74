"""plan(scenario) -> Plan: the stages of DESIGN.md in order, pure and deterministic.

    training -> services -> fleet -> supply -> facility -> economics   (reliability inside
    training: each run's time to train includes its goodput loss)

Each stage is a function of the scenario and the stages before it; a stage whose scenario
section is absent is skipped. The Plan holds one pandas DataFrame per table (SI units, unit
suffixes in column names), the headline figures for ``gigawatt run --json`` and prints a
readable summary in a notebook.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from gigawatt.catalog import Catalog, load_catalog
from gigawatt.demand import TrainingRun as FleetTrainingRun
from gigawatt.economics import (
    Cluster,
    EconomicsInputs,
    EconomicsSection,
    Service,
    cluster_inputs,
    convert,
    load_price_book,
    plan_economics,
    summary_dict,
)
from gigawatt.economics import TrainingRun as CostTrainingRun
from gigawatt.facility.itload import it_load
from gigawatt.facility.plan import plan_facilities
from gigawatt.fleet import plan_fleet, plan_services
from gigawatt.perf.system import get_system
from gigawatt.scenario import Scenario
from gigawatt.supply.schedule import ClaimCheck, plan_supply, quarter_index
from gigawatt.training_plan import (
    SECONDS_PER_DAY,
    TrainingPlan,
    goodput_for,
    plan_training_run,
)

YEAR_S = 365.25 * SECONDS_PER_DAY
Progress = Callable[[str], None]
STAGES = ("training", "services", "fleet", "supply", "facility", "economics", "done")
RANGE_KEYS = ("low", "likely", "high")


@dataclass
class Plan:
    """Everything planned for a scenario: tables per stage and headline figures."""

    scenario: str
    training: list[TrainingPlan] = field(default_factory=list)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    claim: ClaimCheck | None = None
    headline: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    claim_is_scenarios: bool = False  # the scenario states the claim it checks

    @property
    def slug(self) -> str:
        return re.sub(r"[^a-z0-9]+", "-", self.scenario.lower()).strip("-") or "scenario"

    def to_dict(self) -> dict[str, Any]:
        """The JSON of ``gigawatt run --json``: headline keys first, then the details."""
        return {
            **self.headline,
            "training": [t.to_dict() for t in self.training],
            "claim": self.claim.to_dict() if self.claim else None,
            "notes": self.notes,
            "tables": sorted(self.tables),
        }

    def export(self, directory: str | Path, parquet: bool = True) -> list[Path]:
        """Write every table as CSV (and Parquet when pyarrow is available)."""
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        written: list[Path] = []
        for name, df in sorted(self.tables.items()):
            path = out / f"{name}.csv"
            df.to_csv(path, index=False)
            written.append(path)
            if parquet:
                try:
                    pq = out / f"{name}.parquet"
                    df.to_parquet(pq, index=False)
                    written.append(pq)
                except ImportError:
                    parquet = False
        return written

    def __str__(self) -> str:
        h = self.headline
        lines = [f"Plan: {self.scenario}"]
        acc = h.get("accelerators", {})
        if acc:
            lines.append(f"  accelerators: {acc.get('total', 0):,.0f} {acc.get('by_type', {})}")
        for key in ("it_power_w", "facility_power_w"):
            if h.get(key):
                lines.append(f"  {key}: {_likely(h[key]) / 1e9:.2f} GW")
        if h.get("capex_usd"):
            lines.append(f"  capex: USD {_likely(h['capex_usd']) / 1e9:,.0f} B")
        if h.get("binding_constraint"):
            lines.append(f"  binding constraint: {h['binding_constraint']}")
        for t in self.training:
            lines.append(
                f"  {t.name}: {t.n_gpus:,} x {t.accelerator}, "
                f"{t.time_to_train_s / SECONDS_PER_DAY:.0f} days"
            )
        return "\n".join(lines)

    def _repr_html_(self) -> str:  # notebooks
        parts = [f"<h3>Plan: {self.scenario}</h3><pre>{self}</pre>"]
        for name in ("training", "fleet", "sites", "economics_summary"):
            if name in self.tables:
                parts.append(f"<h4>{name}</h4>" + self.tables[name].to_html(index=False))
        return "".join(parts)


def _likely(value: Any) -> float:
    return float(value["likely"]) if isinstance(value, dict) else float(value)


def _rng(lo: float, mid: float, hi: float) -> dict[str, float]:
    return {"low": float(lo), "likely": float(mid), "high": float(hi)}


# ---- stages -----------------------------------------------------------------------------------
def _training_stage(scenario: Scenario, cat: Catalog) -> list[TrainingPlan]:
    runs = []
    for run in scenario.training:
        model = scenario.resolve_model(run, cat)
        if run.seq_len:
            model = model.with_(seq_len=run.seq_len)
        system = get_system(run.accelerator, cat, oversubscription=run.oversubscription)
        goodput = goodput_for(run.name, run.accelerator, model, scenario.reliability, cat)
        runs.append(plan_training_run(run, model, system, cat, goodput))
    return runs


def _training_table(runs: list[TrainingPlan], cat: Catalog) -> pd.DataFrame:
    rows = []
    for t in runs:
        lo, mid, hi = t.time_to_train_range_s
        # IT power of the job while it trains, and its synchronous swing (all GPUs stall
        # together at checkpoints and collectives: the Llama 3 paper's grid-scale swings)
        load = it_load([(t.accelerator, t.n_gpus, 1.0)], cat)
        rows.append(
            {
                "run": t.name,
                "model": t.model,
                "accelerator": t.accelerator,
                "accelerators": t.n_gpus,
                "plan": str(t.estimate.plan),
                "step_time_s": t.estimate.step_time_s,
                "mfu": t.estimate.mfu,
                "tokens": t.tokens,
                "time_to_train_s": mid,
                "time_to_train_s_low": lo,
                "time_to_train_s_high": hi,
                "ettr": t.reliability.ettr if t.reliability else 1.0,
                "unexpected_interruptions_per_day": (
                    t.reliability.unexpected_interruptions_per_day if t.reliability else 0.0
                ),
                "it_power_w": load.total_w,
                "power_swing_w": load.swing_w,
            }
        )
    return pd.DataFrame(rows)


def _build_out(scenario: Scenario, fleet: pd.DataFrame | None) -> pd.DataFrame:
    """Accelerators deployed per quarter: the supply section's schedule, or else the fleet
    the workloads need, all in the first quarter of the scenario."""
    if scenario.supply is not None and scenario.supply.schedule:
        rows = [
            {"quarter": d.quarter, "accelerator": d.accelerator, "count": float(d.count)}
            for d in scenario.supply.schedule
        ]
    elif fleet is not None and not fleet.empty:
        body = fleet[fleet["workload"] != "TOTAL"]
        per = body.groupby("accelerator")["accelerators"].sum()
        rows = [
            {"quarter": scenario.start_quarter, "accelerator": str(a), "count": float(n)}
            for a, n in per.items()
        ]
    else:
        return pd.DataFrame(columns=["quarter", "accelerator", "count", "year"])
    df = pd.DataFrame(rows)
    df["year"] = [quarter_index(q) // 4 for q in df["quarter"]]
    return df


@dataclass
class _SiteShare:
    site: str
    it_w: float  # IT power of the programme placed here
    pue: float
    floating: bool
    energy_price_usd_per_j: float
    water_price_usd_per_m3: float
    water_m3_per_j_it: float
    carbon_kg_per_j_it: float


def _site_shares(sites: pd.DataFrame) -> list[_SiteShare]:
    out = []
    for r in sites.itertuples():
        it_energy = float(r.it_energy_j)
        out.append(
            _SiteShare(
                site=str(r.site),
                it_w=float(r.it_w),
                pue=float(r.pue),
                floating=str(r.kind) in ("floating", "subsea"),
                energy_price_usd_per_j=float(r.energy_cost_usd)
                / max(float(r.facility_energy_j), 1.0),
                water_price_usd_per_m3=float(r.water_cost_usd)
                / max(float(r.water_consumed_m3), 1e-9)
                if float(r.water_consumed_m3) > 0
                else 0.0,
                water_m3_per_j_it=float(r.water_consumed_m3) / max(it_energy, 1.0),
                carbon_kg_per_j_it=float(r.carbon_kg) / max(it_energy, 1.0),
            )
        )
    return out


def _allocate(
    build: pd.DataFrame, per_acc_w: dict[str, float], shares: list[_SiteShare]
) -> pd.DataFrame:
    """Place each deployment tranche on the sites in their listed order, filling each site's
    IT capacity; what does not fit goes to 'further sites' at the first site's conditions."""
    rows = []
    free = {s.site: s.it_w for s in shares}
    for r in build.sort_values("quarter", kind="stable").itertuples():
        need_w = float(r.count) * per_acc_w[str(r.accelerator)]
        for s in shares:
            if need_w <= 0:
                break
            take = min(need_w, free[s.site])
            if take > 0:
                free[s.site] -= take
                need_w -= take
                rows.append((r.quarter, r.year, r.accelerator, take, s.site))
        if need_w > 0:
            rows.append((r.quarter, r.year, r.accelerator, need_w, "further-sites"))
    df = pd.DataFrame(rows, columns=["quarter", "year", "accelerator", "it_w", "site"])
    df["accelerators"] = [
        w / per_acc_w[str(a)] for w, a in zip(df["it_w"], df["accelerator"], strict=True)
    ]
    return df


def plan(
    scenario: Scenario, catalog: Catalog | None = None, progress: Progress | None = None
) -> Plan:
    """Plan every stage of ``scenario`` whose section is present."""
    cat = catalog or load_catalog()
    say = progress or (lambda _stage: None)
    result = Plan(scenario=scenario.name)

    say("training")
    result.training = _training_stage(scenario, cat)
    if result.training:
        result.tables["training"] = _training_table(result.training, cat)

    # ---- services and fleet ----
    fleet: pd.DataFrame | None = None
    services: pd.DataFrame | None = None
    if scenario.serving is not None and scenario.serving.services:
        say("services")
        services = plan_services(scenario.serving.services, cat)
        result.tables["services"] = services
    if result.training or services is not None:
        say("fleet")
        runs = [
            FleetTrainingRun(
                name=t.name, accelerator=t.accelerator, n_gpus=t.n_gpus, tokens=t.tokens
            )
            for t in result.training
        ]
        fleet = plan_fleet(
            scenario.serving.services if scenario.serving else (),
            runs,
            cat,
            cxl=scenario.serving.cxl if scenario.serving else False,
        )
        result.tables["fleet"] = fleet

    # ---- build-out and supply ----
    say("supply")
    build = _build_out(scenario, fleet)
    result.tables["build_out"] = build
    if not build.empty:
        supply = plan_supply(build[["quarter", "accelerator", "count"]], scenario.supply, cat)
        for name in ("supply_quarterly", "supply_by_product", "supply_deliveries", "supply_bom"):
            result.tables[name] = supply[name]
        result.claim = supply["claim"]
        result.claim_is_scenarios = scenario.supply is not None and (
            "claim_wafers_per_month" in scenario.supply.model_fields_set
        )

    # ---- facilities ----
    shares: list[_SiteShare] = []
    if scenario.facility is not None:
        say("facility")
        fac = plan_facilities(scenario.facility, cat)
        result.tables["sites"] = fac["sites"]
        result.tables["sites_monthly"] = fac["monthly"]
        result.tables["power_sources"] = fac["power"]
        result.tables["site_buildout"] = fac["buildout"]
        shares = _site_shares(fac["sites"])

    # ---- economics ----
    say("economics")
    econ = _economics_stage(scenario, result, build, shares, cat)
    if econ is not None:
        for name, df in econ.items():
            result.tables["economics_summary" if name == "summary" else name] = df

    readiness = _site_readiness(result.tables)
    if readiness is not None:
        result.tables["site_readiness"] = readiness
        late = readiness[readiness["shortfall_it_w"] > 0]
        for site, rows in late.groupby("site"):
            first = rows.iloc[0]
            result.notes.append(
                f"deployment runs ahead of the facility at {site}: from {first['quarter']} up to "
                f"{rows['shortfall_it_w'].max() / 1e6:,.0f} MW of IT has no ready building or "
                "power (see table site_readiness)"
            )
    result.headline = _headline(scenario, result, build, cat)
    say("done")
    return result


def _site_readiness(tables: dict[str, pd.DataFrame]) -> pd.DataFrame | None:
    """Per site and quarter: IT placed there by the build-out vs IT whose building and power
    are ready by the end of that quarter (the schedule a deployment must fit into)."""
    alloc, build = tables.get("allocation"), tables.get("site_buildout")
    if alloc is None or build is None or alloc.empty or build.empty:
        return None
    rows = []
    for site, placed in alloc.groupby("site"):
        modules = build[build["site"] == site]
        if modules.empty:
            continue
        per_q = placed.groupby("quarter")["it_w"].sum().sort_index().cumsum()
        for quarter, cum_w in per_q.items():
            end_year = (quarter_index(str(quarter)) + 1) / 4.0
            ready_w = float(modules.loc[modules["ready_year"] <= end_year, "it_w"].sum())
            rows.append(
                {
                    "site": site,
                    "quarter": quarter,
                    "placed_it_w": float(cum_w),
                    "ready_it_w": ready_w,
                    "shortfall_it_w": max(float(cum_w) - ready_w, 0.0),
                }
            )
    return pd.DataFrame(rows)


def _economics_stage(
    scenario: Scenario,
    result: Plan,
    build: pd.DataFrame,
    shares: list[_SiteShare],
    cat: Catalog,
) -> dict[str, pd.DataFrame] | None:
    if build.empty:
        return None
    book = load_price_book(cat)
    section = scenario.economics or EconomicsSection()
    per_acc_w = {
        str(a): book.compute_item(
            str(a), where=f"build-out accelerator {a}"
        ).power_per_accelerator_w()
        * (1.0 + book.finance.it_overhead[1])
        for a in build["accelerator"].unique()
    }
    fin = book.finance
    default_share = _SiteShare(
        "further-sites",
        0.0,
        float(fin.pue[1]),
        False,
        float(fin.energy_price_usd_per_j[1]),
        float(fin.water_price_usd_per_m3[1]),
        float(fin.wue_m3_per_j[1]),
        0.0,
    )
    primary = shares[0] if shares else default_share
    by_site = {s.site: s for s in shares}
    alloc = _allocate(build, per_acc_w, shares)
    result.tables["allocation"] = alloc
    years_run = int(section.horizon_years or 5)
    purchases, operations = [], []
    for r in alloc.itertuples():
        share = by_site.get(str(r.site), primary)
        pue = min(max(share.pue, 1.0), 3.0)
        cluster = Cluster(
            gpu=str(r.accelerator),
            accelerators=max(round(float(r.accelerators)), 0),
            years=years_run,
            year=int(r.year),
            floating=share.floating,
            pue=pue,
            energy_price_usd_per_j=share.energy_price_usd_per_j,
            water_price_usd_per_m3=share.water_price_usd_per_m3,
            site=str(r.site),
        )
        if cluster.accelerators == 0:
            continue
        inputs = cluster_inputs(cluster, book, section)
        purchases += [p.model_copy(update={"tranche": str(r.site)}) for p in inputs.purchases]
        # water from the site's cooling model rather than the cluster default
        operations += [
            op.model_copy(update={"water_m3": op.facility_energy_j / pue * share.water_m3_per_j_it})
            if str(r.site) in by_site
            else op
            for op in inputs.operations
        ]
    runs = [
        CostTrainingRun(
            name=t.name, accelerators=t.n_gpus, days=t.time_to_train_s / SECONDS_PER_DAY
        )
        for t in result.training
    ]
    svcs = []
    services = result.tables.get("services")
    if services is not None:
        for r in services.itertuples():
            svcs.append(
                Service(
                    name=str(r.workload),
                    accelerators=float(r.accelerators),
                    tokens_per_s=float(r.tokens_per_day) / SECONDS_PER_DAY,
                )
            )
    inputs = EconomicsInputs(
        purchases=purchases,
        operations=operations,
        training_runs=runs,
        services=svcs,
        section=section,
    )
    return plan_economics(inputs, book)


def _first_constraint(tables: dict[str, pd.DataFrame]) -> dict[str, Any] | None:
    """What breaks first: the earliest quarter in which the build-out outruns either the
    facilities (buildings and power ready) or the supply chain (wafer or packaging capacity)."""
    events: list[tuple[int, str, str, float]] = []
    readiness = tables.get("site_readiness")
    if readiness is not None and not readiness.empty:
        late = readiness[readiness["shortfall_it_w"] > 0]
        for r in late.itertuples():
            events.append(
                (quarter_index(str(r.quarter)), "facility", str(r.site), float(r.shortfall_it_w))
            )
    quarterly = tables.get("supply_quarterly")
    if quarterly is not None and not quarterly.empty:
        short = quarterly[quarterly["shortfall_wafers_per_month"] > 0]
        for r in short.itertuples():
            events.append(
                (
                    quarter_index(str(r.quarter)),
                    "supply",
                    str(r.binding_constraint),
                    float(r.shortfall_wafers_per_month),
                )
            )
    if not events:
        return None
    q, kind, where, amount = min(events, key=lambda e: (e[0], e[1]))
    unit = (
        "W of IT without a ready building or power"
        if kind == "facility"
        else ("wafers per month short")
    )
    return {
        "kind": kind,
        "where": where,
        "quarter": f"{q // 4}Q{q % 4 + 1}",
        "shortfall": amount,
        "unit": unit,
    }


def _headline(
    scenario: Scenario, result: Plan, build: pd.DataFrame, cat: Catalog
) -> dict[str, Any]:
    """The keys of ``gigawatt run --json`` (SI units; ranges as low/likely/high)."""
    h: dict[str, Any] = {"scenario": scenario.name}
    by_type = {str(a): float(n) for a, n in build.groupby("accelerator")["count"].sum().items()}
    h["accelerators"] = {"total": float(sum(by_type.values())), "by_type": by_type}
    stacks = 0.0
    for acc, n in by_type.items():
        q = cat.accelerator(acc).value("hbm_stacks")
        stacks += n * (q or 0.0)
    h["hbm_stacks"] = stacks
    claim = result.claim
    if claim is not None:
        peak = claim.peak_dram_wafers_per_month
        h["dram_wafers_per_month_peak"] = _rng(peak.low, peak.likely, peak.high)
        c = claim.claim_wafers_per_month
        h["dram_wafers_claim_ratio"] = _rng(peak.low / c, peak.likely / c, peak.high / c)
        h["dram_wafers_claim_wafers_per_month"] = c
    quarterly = result.tables.get("supply_quarterly")
    if quarterly is not None and not quarterly.empty:
        busiest = quarterly.loc[quarterly["binding_utilisation"].idxmax()]
        h["binding_constraint"] = str(busiest["binding_constraint"])
        h["binding_constraint_quarter"] = str(busiest["quarter"])
        h["binding_utilisation"] = float(busiest["binding_utilisation"])
        h["supply_shortfall_quarters"] = int((quarterly["shortfall_wafers_per_month"] > 0).sum())
    readiness = result.tables.get("site_readiness")
    if readiness is not None and not readiness.empty:
        h["facility_shortfall_it_w_max"] = float(readiness["shortfall_it_w"].max())
    h["first_constraint"] = _first_constraint(result.tables)
    alloc = result.tables.get("allocation")
    sites = result.tables.get("sites")
    if alloc is not None and not alloc.empty:
        it_w = float(alloc["it_w"].sum())
        h["it_power_w"] = it_w
        fac_w = water = co2 = 0.0
        shares = {s.site: s for s in _site_shares(sites)} if sites is not None else {}
        first = next(iter(shares.values()), None)
        fin = load_price_book(cat).finance
        for site, w in alloc.groupby("site")["it_w"].sum().items():
            s = shares.get(str(site), first)
            if s is not None:
                fac_w += w * s.pue
                water += w * YEAR_S * s.water_m3_per_j_it
                co2 += w * YEAR_S * s.carbon_kg_per_j_it / 1e3
            else:  # no facility section: the catalog's default PUE and WUE
                fac_w += w * float(fin.pue[1])
                water += w * YEAR_S * float(fin.wue_m3_per_j[1])
        if not shares:
            result.notes.append(
                "no facility section: facility power and water use the catalog's default PUE "
                "and WUE (prices.yaml cluster-defaults); carbon is not estimated"
            )
        h["facility_power_w"] = fac_w
        h["pue"] = fac_w / it_w if it_w else None
        h["water_m3_per_year"] = water
        h["co2_t_per_year"] = co2 if shares else None
        h["it_power_placed_on_modelled_sites_w"] = float(
            alloc.loc[alloc["site"] != "further-sites", "it_w"].sum()
        )
    summary = result.tables.get("economics_summary")
    if summary is not None:
        econ = summary_dict({"summary": summary})
        for key in ("capex_usd", "opex_usd_per_year", "budget_usd", "usd_per_gpu_hour"):
            if key in econ:
                h[key] = econ[key]
        if "within_budget" in econ:
            h["within_budget"] = bool(econ["within_budget"]["likely"] >= 0.5)
        if "budget_years_needed" in econ:
            h["budget_years_needed"] = econ["budget_years_needed"]
        budget = result.tables.get("budget")
        if budget is not None and not budget.empty:
            cut = budget[budget["status"] != "funded"]
            h["budget_cuts"] = [
                {
                    "tranche": str(r.tranche),
                    "funded_fraction": float(r.funded_fraction),
                    "status": str(r.status),
                }
                for r in cut.itertuples()
            ]
        work = result.tables.get("workloads")
        if work is not None and not work.empty:
            tok = work[work["metric"] == "usd_per_million_tokens"]
            if not tok.empty:
                h["usd_per_million_tokens"] = _rng(
                    tok["low"].mean(), tok["likely"].mean(), tok["high"].mean()
                )
    code = scenario.economics.currency if scenario.economics else "USD"
    if code.upper() != "USD" and "capex_usd" in h:
        # the money figures again in the scenario's display currency (dated catalog rate)
        book = load_price_book(cat)
        h["display_currency"] = code.upper()
        for key in ("capex_usd", "opex_usd_per_year", "budget_usd"):
            if isinstance(h.get(key), dict):
                h[key.replace("usd", code.lower())] = {
                    k: float(convert(v, "USD", code, book)) for k, v in h[key].items()
                }
    if result.training:
        largest = max(result.training, key=lambda t: t.n_gpus)
        h["largest_training_run"] = largest.name
        if largest.reliability is not None:
            h["unexpected_interruptions_per_day"] = (
                largest.reliability.unexpected_interruptions_per_day
            )
            h["ettr"] = largest.reliability.ettr
    for key in ("usd_per_million_tokens", "within_budget", "budget_usd"):
        h.setdefault(key, None)
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in h.items()}
