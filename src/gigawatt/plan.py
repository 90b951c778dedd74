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
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from gigawatt.bom import BomLine, ClusterBOM, build_line, cluster_bom, combine_lines, scale_line
from gigawatt.catalog import Catalog, load_catalog
from gigawatt.demand import FleetRun
from gigawatt.economics import (
    DEFAULT_HORIZON_YEARS,
    GRID_ITEM,
    EconomicsInputs,
    EconomicsSection,
    PriceBook,
    Purchase,
    RunUse,
    ServiceUse,
    SiteOperation,
    bom_purchases,
    convert,
    load_price_book,
    plan_economics,
    site_operations,
    site_purchases,
    summary_dict,
)
from gigawatt.facility.itload import ItItem, item_load
from gigawatt.facility.plan import plan_facilities
from gigawatt.fleet import fleet_bom, fleet_table, plan_services, training_rows
from gigawatt.headline import Headline
from gigawatt.perf.system import get_system
from gigawatt.scenario import Scenario
from gigawatt.schema.economics import UNSITED_TRANCHE, budget_tranche_names, scenario_site_ids
from gigawatt.supply.schedule import ClaimCheck, plan_supply, quarter_index
from gigawatt.training_plan import (
    TrainingPlan,
    goodput_for,
    plan_training_run,
)
from gigawatt.units import DAY_S as SECONDS_PER_DAY
from gigawatt.units import YEAR_S

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
    headline: dict[str, Any] = field(default_factory=dict)  # summary.to_dict(), for JSON
    summary: Headline | None = None  # the typed headline record
    notes: list[str] = field(default_factory=list)
    claim_is_scenarios: bool = False  # the scenario states the claim it checks
    bom: ClusterBOM = field(default_factory=lambda: cluster_bom(()))

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


def _training_table(runs: list[TrainingPlan], bom: ClusterBOM, cat: Catalog) -> pd.DataFrame:
    """One row per run; its IT power is its bill-of-materials line's, its synchronous swing
    (all GPUs stall together at checkpoints and collectives: the Llama 3 paper's grid-scale
    swings) the facility IT-load model's at full utilisation."""
    rows = []
    for t in runs:
        lo, mid, hi = t.time_to_train_range_s
        line = bom.line(t.name)
        load = item_load(ItItem(t.accelerator, t.n_gpus, 1.0), line, cat)
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
                "it_power_w": line.it_power_w,
                "power_swing_w": float(load["swing_w"]),
            }
        )
    return pd.DataFrame(rows)


def _build_out(scenario: Scenario, assigned: Mapping[str, float]) -> tuple[pd.DataFrame, list[str]]:
    """Accelerators deployed per quarter: the supply section's schedule, topped up in the
    first quarter with what the workloads need beyond it (said in a note); without a
    schedule, the workloads' accelerators, all in the first quarter."""
    notes: list[str] = []
    rows: list[dict[str, Any]] = []
    if scenario.supply is not None and scenario.supply.schedule:
        rows = [
            {"quarter": d.quarter, "accelerator": d.accelerator, "count": float(d.count)}
            for d in scenario.supply.schedule
        ]
    scheduled: dict[str, float] = {}
    for r in rows:
        acc = str(r["accelerator"])
        scheduled[acc] = scheduled.get(acc, 0.0) + float(r["count"])
    for acc, need in assigned.items():
        extra = need - scheduled.get(acc, 0.0)
        if extra > 0:
            rows.append({"quarter": scenario.start_quarter, "accelerator": acc, "count": extra})
            if scheduled:
                notes.append(
                    f"the workloads need {extra:,.0f} {acc} beyond the supply schedule; "
                    f"they are added to the build-out in {scenario.start_quarter}"
                )
    if not rows:
        return pd.DataFrame(columns=["quarter", "accelerator", "count", "year"]), notes
    df = pd.DataFrame(rows)
    df["year"] = [quarter_index(q) // 4 for q in df["quarter"]]
    return df, notes


UNASSIGNED = "unassigned build-out"


def _programme_bom(
    build: pd.DataFrame, workloads: ClusterBOM, book: PriceBook, cat: Catalog
) -> ClusterBOM:
    """The workloads' lines plus, per accelerator type, the build-out that serves no listed
    workload (its own line, on its own fabric, with the catalog's default storage)."""
    lines = list(workloads.lines)
    per_type = build.groupby("accelerator", sort=False)["count"].sum()
    storage = book.finance.storage_bytes_per_accelerator[1]
    for acc, total in per_type.items():
        used = sum(ln.accelerators for ln in workloads.lines if ln.accelerator == acc)
        spare = float(total) - used
        if spare > 0.5:
            lines.append(
                build_line(
                    f"{UNASSIGNED} ({acc})", str(acc), spare, cat, storage_bytes=spare * storage
                )
            )
    return cluster_bom(lines)


def _type_lines(bom: ClusterBOM) -> dict[str, BomLine]:
    """One combined line per accelerator type: what the allocation places on sites."""
    types = dict.fromkeys(ln.accelerator for ln in bom.lines)
    return {t: combine_lines(t, [ln for ln in bom.lines if ln.accelerator == t]) for t in types}


@dataclass
class _SiteShare:
    """A site's conditions per watt of IT capacity per year (from the facility stage), so
    that IT placed there is charged exactly what the site table reports for its capacity."""

    site: str
    it_w: float  # IT capacity of the site
    pue: float
    floating: bool
    energy_price_usd_per_j: float
    water_price_usd_per_m3: float
    facility_j_per_w_year: float
    water_m3_per_w_year: float
    carbon_kg_per_w_year: float | None  # None: not estimated (no facility section)
    # W of supply capacity per W of IT, per price item (facility stage's power table); None:
    # a grid connection for the facility power (unsited capacity)
    power_per_it_w: dict[str, float] | None = None
    # (ready year, W of IT) per build-out module; empty: all of it ready from the start
    modules: tuple[tuple[float, float], ...] = ()

    def ready_w(self, year: float) -> float:
        """IT capacity whose building and power are ready by ``year``."""
        if not self.modules:
            return self.it_w
        return sum(w for y, w in self.modules if y <= year)


def _site_shares(
    sites: pd.DataFrame, power: pd.DataFrame, buildout: pd.DataFrame | None = None
) -> list[_SiteShare]:
    out = []
    for r in sites.itertuples():
        mods = buildout[buildout["site"] == r.site] if buildout is not None else None
        cap = max(float(r.it_w), 1.0)
        mix: dict[str, float] = {}
        for p in power[power["site"] == r.site].itertuples():
            mix[str(p.price_item)] = mix.get(str(p.price_item), 0.0) + float(p.installed_w) / cap
        water = float(r.water_consumed_m3)
        out.append(
            _SiteShare(
                site=str(r.site),
                it_w=float(r.it_w),
                pue=float(r.pue),
                floating=str(r.kind) in ("floating", "subsea"),
                energy_price_usd_per_j=float(r.energy_cost_usd)
                / max(float(r.facility_energy_j), 1.0),
                water_price_usd_per_m3=float(r.water_cost_usd) / water if water > 0 else 0.0,
                facility_j_per_w_year=float(r.facility_energy_j) / cap,
                water_m3_per_w_year=water / cap,
                carbon_kg_per_w_year=float(r.carbon_kg) / cap,
                power_per_it_w=mix,
                modules=()
                if mods is None
                else tuple(zip(mods["ready_year"], mods["it_w"], strict=True)),
            )
        )
    return out


def _default_share(book: PriceBook) -> _SiteShare:
    """Capacity on no modelled site: the catalog's default PUE, load, WUE and prices
    (prices.yaml cluster-defaults); carbon is not estimated."""
    fin = book.finance
    it_j = float(fin.it_load[1]) * YEAR_S
    return _SiteShare(
        site=UNSITED,
        it_w=0.0,
        pue=float(fin.pue[1]),
        floating=False,
        energy_price_usd_per_j=float(fin.energy_price_usd_per_j[1]),
        water_price_usd_per_m3=float(fin.water_price_usd_per_m3[1]),
        facility_j_per_w_year=it_j * float(fin.pue[1]),
        water_m3_per_w_year=it_j * float(fin.wue_m3_per_j[1]),
        carbon_kg_per_w_year=None,
    )


UNSITED = UNSITED_TRANCHE


def _allocate(
    build: pd.DataFrame, per_acc_w: dict[str, float], shares: list[_SiteShare]
) -> pd.DataFrame:
    """Place each deployment tranche on the sites in their listed order: first where a
    building and its power are ready by the end of the tranche's quarter, then (early: the
    site_readiness table reports it) on the rest of each site's IT capacity; what does not
    fit is ``unsited`` (no modelled site holds it)."""
    rows = []
    free = {s.site: s.it_w for s in shares}
    for r in build.sort_values("quarter", kind="stable").itertuples():
        need_w = float(r.count) * per_acc_w[str(r.accelerator)]
        end_year = (quarter_index(str(r.quarter)) + 1) / 4.0
        for ready_only in (True, False):
            for s in shares:
                room = free[s.site]
                if ready_only:
                    room = min(room, s.ready_w(end_year) - (s.it_w - free[s.site]))
                take = min(need_w, room)
                if take > 0:
                    free[s.site] -= take
                    need_w -= take
                    rows.append((r.quarter, r.year, r.accelerator, take, s.site))
        if need_w > 0:
            rows.append((r.quarter, r.year, r.accelerator, need_w, UNSITED))
    df = pd.DataFrame(rows, columns=["quarter", "year", "accelerator", "it_w", "site"])
    df["accelerators"] = [
        w / per_acc_w[str(a)] for w, a in zip(df["it_w"], df["accelerator"], strict=True)
    ]
    return df


def _fleet_stage(
    scenario: Scenario, result: Plan, cat: Catalog
) -> tuple[list[dict[str, Any]], ClusterBOM]:
    """Services sized at their SLOs, then one BOM line per workload."""
    rows: list[dict[str, Any]] = []
    if scenario.serving is not None and scenario.serving.services:
        services = plan_services(scenario.serving.services, cat)
        result.tables["services"] = services
        rows += [dict(r) for r in services.to_dict("records")]
    params = {r.name: float(scenario.resolve_model(r, cat).params()) for r in scenario.training}
    runs = [
        FleetRun(
            name=t.name,
            accelerator=t.accelerator,
            n_gpus=t.n_gpus,
            tokens=t.tokens,
            params=params.get(t.name),
            model=t.model if t.model in cat.kind("models") else None,
            spare_accelerators=t.reliability.job.spare_accelerators if t.reliability else 0,
        )
        for t in result.training
    ]
    rows += training_rows(runs, cat)
    per_row: list[FleetRun | None] = [None] * (len(rows) - len(runs)) + list(runs)
    cxl = scenario.serving.cxl if scenario.serving else False
    return rows, fleet_bom(rows, per_row, cat, cxl)


def _fleet_rows(workloads: list[dict[str, Any]], bom: ClusterBOM) -> list[dict[str, Any]]:
    """Workload rows, then one row per unassigned line (kind ``unassigned``)."""
    rows = list(workloads)
    for ln in bom.lines[len(workloads) :]:
        rows.append(
            {
                "workload": ln.name,
                "kind": "unassigned",
                "model": "",
                "accelerator": ln.accelerator,
                "accelerators": ln.accelerators,
                "quarter": 0,
            }
        )
    return rows


def plan(
    scenario: Scenario, catalog: Catalog | None = None, progress: Progress | None = None
) -> Plan:
    """Plan every stage of ``scenario`` whose section is present."""
    cat = catalog or load_catalog()
    book = load_price_book(cat).with_overrides(
        scenario.economics.prices if scenario.economics else None,
        scenario.economics.wacc if scenario.economics else None,
    )
    say = progress or (lambda _stage: None)
    result = Plan(scenario=scenario.name)

    say("training")
    result.training = _training_stage(scenario, cat)
    say("fleet")
    workloads, wl_bom = _fleet_stage(scenario, result, cat)
    assigned: dict[str, float] = {}
    for ln in wl_bom.lines:
        assigned[ln.accelerator] = assigned.get(ln.accelerator, 0.0) + ln.accelerators

    say("supply")
    build, notes = _build_out(scenario, assigned)
    result.notes += notes
    result.tables["build_out"] = build
    result.bom = _programme_bom(build, wl_bom, book, cat) if not build.empty else wl_bom
    if result.bom.lines:
        result.tables["fleet"] = fleet_table(_fleet_rows(workloads, result.bom), result.bom)
    if result.training:
        result.tables["training"] = _training_table(result.training, result.bom, cat)
    if not build.empty:
        _supply_stage(scenario, result, build, cat)

    shares: list[_SiteShare] = []
    if scenario.facility is not None:
        say("facility")
        shares = _facility_stage(scenario, result, cat)

    say("economics")
    econ = _economics_stage(scenario, result, build, shares, book, cat)
    if econ is not None:
        for name, df in econ.items():
            result.tables["economics_summary" if name == "summary" else name] = df
    _readiness_stage(result)
    result.summary = _headline(scenario, result, build, shares, book, cat)
    result.headline = result.summary.to_dict()
    say("done")
    return result


def _supply_stage(scenario: Scenario, result: Plan, build: pd.DataFrame, cat: Catalog) -> None:
    supply = plan_supply(build[["quarter", "accelerator", "count"]], scenario.supply, cat)
    for name in ("supply_quarterly", "supply_by_product", "supply_deliveries", "supply_bom"):
        result.tables[name] = supply[name]
    result.claim = supply["claim"]
    result.claim_is_scenarios = scenario.supply is not None and (
        "claim_wafers_per_month" in scenario.supply.model_fields_set
    )


def _facility_stage(scenario: Scenario, result: Plan, cat: Catalog) -> list[_SiteShare]:
    assert scenario.facility is not None
    fac = plan_facilities(scenario.facility, cat)
    result.tables["sites"] = fac["sites"]
    result.tables["sites_monthly"] = fac["monthly"]
    result.tables["power_sources"] = fac["power"]
    result.tables["site_buildout"] = fac["buildout"]
    return _site_shares(fac["sites"], fac["power"], fac["buildout"])


def _readiness_stage(result: Plan) -> None:
    readiness = _site_readiness(result.tables)
    if readiness is None:
        return
    result.tables["site_readiness"] = readiness
    late = readiness[readiness["shortfall_it_w"] > 0]
    for site, rows in late.groupby("site"):
        first = rows.loc[rows["shortfall_it_w"].idxmax()]
        result.notes.append(
            f"deployment runs ahead of the facility at {site}: from {rows.iloc[0]['quarter']}, "
            f"largest shortfall {first['shortfall_it_w'] / 1e6:,.0f} MW of IT without a ready "
            f"building or power in {first['quarter']} (see table site_readiness)"
        )


_SUM_RTOL = 1e-9  # relative rounding of a sum of float pieces (not a physical tolerance)


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
            short = max(float(cum_w) - ready_w, 0.0)
            rows.append(
                {
                    "site": site,
                    "quarter": quarter,
                    "placed_it_w": float(cum_w),
                    "ready_it_w": ready_w,
                    # below the float rounding of summed tranche pieces: none
                    "shortfall_it_w": short if short > _SUM_RTOL * ready_w else 0.0,
                }
            )
    return pd.DataFrame(rows)


def _tranche_inputs(
    r: Any,
    line: BomLine,
    share: _SiteShare,
    book: PriceBook,
    years: int,
    cat: Catalog,
) -> tuple[list[Purchase], list[SiteOperation]]:
    """What one allocation tranche buys (its share of its type's BOM, and its site) and
    operates for ``years`` at its site's energy, water and prices."""
    part = scale_line(line, float(r.accelerators) / line.accelerators, str(r.site))
    comp = book.compute_item(str(r.accelerator), where=f"build-out accelerator {r.accelerator}")
    y, site, it_w = int(r.year), str(r.site), part.it_power_w
    pue = min(max(share.pue, 1.0), 3.0)
    buy = bom_purchases(part, comp.id, y, site, cat)
    power = share.power_per_it_w if share.power_per_it_w is not None else GRID_ITEM
    buy += site_purchases(it_w, it_w * pue, share.floating, power, y, site)
    ops = site_operations(
        it_w,
        y,
        years,
        site,
        it_w * share.facility_j_per_w_year,
        it_w * share.water_m3_per_w_year,
        share.energy_price_usd_per_j,
        share.water_price_usd_per_m3,
    )
    return [p.model_copy(update={"tranche": site}) for p in buy], ops


def _economics_stage(
    scenario: Scenario,
    result: Plan,
    build: pd.DataFrame,
    shares: list[_SiteShare],
    book: PriceBook,
    cat: Catalog,
) -> dict[str, pd.DataFrame] | None:
    if build.empty:
        return None
    section = scenario.economics or EconomicsSection()
    types = _type_lines(result.bom)
    per_acc_w = {t: ln.it_power_w / ln.accelerators for t, ln in types.items()}
    alloc = _allocate(build, per_acc_w, shares)
    result.tables["allocation"] = alloc
    by_site = {s.site: s for s in shares}
    unsited = _default_share(book)
    years_run = int(section.horizon_years or DEFAULT_HORIZON_YEARS)
    purchases: list[Purchase] = []
    operations: list[SiteOperation] = []
    for r in alloc.itertuples():
        if float(r.accelerators) <= 0:
            continue
        share = by_site.get(str(r.site), unsited)
        buy, ops = _tranche_inputs(r, types[str(r.accelerator)], share, book, years_run, cat)
        purchases += buy
        operations += ops
    runs = [
        RunUse(name=t.name, accelerators=t.n_gpus, days=t.time_to_train_s / SECONDS_PER_DAY)
        for t in result.training
    ]
    services = result.tables.get("services")
    svcs = [
        ServiceUse(
            name=str(r.workload),
            accelerators=float(r.accelerators),
            tokens_per_s=float(r.tokens_per_day) / SECONDS_PER_DAY,
        )
        for r in (services.itertuples() if services is not None else [])
    ]
    inputs = EconomicsInputs(
        purchases=purchases,
        operations=operations,
        training_runs=runs,
        services=svcs,
        section=section.model_copy(update={"prices": {}, "wacc": None}),
        tranche_names=budget_tranche_names(scenario_site_ids(scenario)),
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
    same = [e for e in events if e[1] == kind and e[2] == where]
    worst = max(same, key=lambda e: e[3])
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
        "largest_shortfall": worst[3],
        "largest_quarter": f"{worst[0] // 4}Q{worst[0] % 4 + 1}",
        "unit": unit,
    }


BINDING_UTILISATION = 0.95  # a constraint at or above this share of its capacity "binds"


def _supply_headline(h: dict[str, Any], result: Plan) -> None:
    claim = result.claim
    if claim is not None:
        peak = claim.peak_dram_wafers_per_month
        h["dram_wafers_per_month_peak"] = _rng(peak.low, peak.likely, peak.high)
        c = claim.claim_wafers_per_month
        if c:  # only a claim the scenario states is checked
            h["dram_wafers_claim_ratio"] = _rng(peak.low / c, peak.likely / c, peak.high / c)
            h["dram_wafers_claim_wafers_per_month"] = c
    quarterly = result.tables.get("supply_quarterly")
    if quarterly is None or quarterly.empty:
        return
    busiest = quarterly.loc[quarterly["binding_utilisation"].idxmax()]
    util = float(busiest["binding_utilisation"])
    h["largest_utilisation_constraint"] = str(busiest["binding_constraint"])
    h["largest_utilisation_quarter"] = str(busiest["quarter"])
    h["binding_utilisation"] = util
    binds = util >= BINDING_UTILISATION
    h["binding_constraint"] = str(busiest["binding_constraint"]) if binds else None
    h["binding_constraint_quarter"] = str(busiest["quarter"]) if binds else None
    h["binding_summary"] = (
        f"{busiest['binding_constraint']} binds in {busiest['quarter']} at {util:.0%} of capacity"
        if binds
        else f"no supply constraint binds; largest utilisation {util:.0%} "
        f"({busiest['binding_constraint']}, {busiest['quarter']})"
    )
    h["supply_shortfall_quarters"] = int((quarterly["shortfall_wafers_per_month"] > 0).sum())


def _site_headline(
    h: dict[str, Any], result: Plan, shares: list[_SiteShare], book: PriceBook
) -> None:
    """IT, facility power, water and CO2: the sited part from the site models, the unsited
    part apart and labelled with the assumption it is modelled under."""
    alloc = result.tables.get("allocation")
    if alloc is None or alloc.empty:
        return
    by_site = {s.site: s for s in shares}
    unsited = _default_share(book)
    placed = alloc.groupby("site")["it_w"].sum()
    it_w = float(result.bom.total["it_power_w"])
    h["it_power_w"] = it_w
    sited = {site: float(w) for site, w in placed.items() if site in by_site}
    unsited_w = float(placed.get(UNSITED, 0.0))
    h["it_power_placed_on_modelled_sites_w"] = float(sum(sited.values()))
    h["it_power_unsited_w"] = unsited_w
    fac_w = sum(w * by_site[s].pue for s, w in sited.items()) + unsited_w * unsited.pue
    h["facility_power_w"] = fac_w
    h["pue"] = fac_w / it_w if it_w else None
    on_sites = sum(w * by_site[s].water_m3_per_w_year for s, w in sited.items())
    h["water_m3_per_year_on_sites"] = on_sites
    h["water_m3_per_year"] = on_sites + unsited_w * unsited.water_m3_per_w_year
    carbon = [by_site[s].carbon_kg_per_w_year or 0.0 for s in sited]
    h["co2_t_per_year"] = (
        sum(w * c for w, c in zip(sited.values(), carbon, strict=True)) / 1e3 if shares else None
    )
    if unsited_w > 0:
        h["unsited"] = {
            "it_power_w": unsited_w,
            "facility_power_w": unsited_w * unsited.pue,
            "water_m3_per_year": unsited_w * unsited.water_m3_per_w_year,
            "assumption": "no modelled site holds this IT; facility power and water at the "
            "catalog's default PUE, average load and WUE (prices.yaml cluster-defaults); "
            "carbon not estimated",
        }
        result.notes.append(
            f"{unsited_w / 1e9:,.2f} GW of IT is on no modelled site: its facility power and "
            "water are shown apart (headline 'unsited') at the catalog's default PUE and WUE; "
            "its carbon is not estimated"
        )
    if not shares:
        result.notes.append(
            "no facility section: facility power and water use the catalog's default PUE "
            "and WUE (prices.yaml cluster-defaults); carbon is not estimated"
        )


def _economics_headline(h: dict[str, Any], result: Plan) -> None:
    summary = result.tables.get("economics_summary")
    if summary is None:
        return
    econ = summary_dict({"summary": summary})
    for key in ("capex_usd", "opex_usd_per_year", "budget_usd", "usd_per_gpu_hour"):
        if key in econ:
            h[key] = econ[key]
    capex = result.tables.get("capex")
    if capex is not None and "capex_usd" in h:
        onsite = capex[(capex["category"] == "power") & (capex["item"] != GRID_ITEM)]
        h["capex_onsite_generation_usd"] = _rng(
            *(float(onsite[c].sum()) for c in ("capex_usd_low", "capex_usd", "capex_usd_high"))
        )
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


def _currency_headline(h: dict[str, Any], scenario: Scenario, book: PriceBook) -> None:
    code = scenario.economics.currency if scenario.economics else "USD"
    if code.upper() == "USD" or "capex_usd" not in h:
        return
    # the money figures again in the scenario's display currency (dated catalog rate)
    h["display_currency"] = code.upper()
    h["in_display_currency"] = {
        key.replace("usd", code.lower()): {
            k: float(convert(v, "USD", code, book)) for k, v in h[key].items()
        }
        for key in ("capex_usd", "opex_usd_per_year", "budget_usd")
        if isinstance(h.get(key), dict)
    }


def _headline(
    scenario: Scenario,
    result: Plan,
    build: pd.DataFrame,
    shares: list[_SiteShare],
    book: PriceBook,
    cat: Catalog,
) -> Headline:
    """The headline record (SI units; ranges as low/likely/high). Counts and IT power are the
    bill of materials' totals, so they equal the fleet table's TOTAL."""
    h: dict[str, Any] = {"scenario": scenario.name}
    by_type = {str(a): float(n) for a, n in build.groupby("accelerator")["count"].sum().items()}
    h["accelerators"] = {"total": float(sum(by_type.values())), "by_type": by_type}
    h["hbm_stacks"] = sum(
        n * (cat.accelerator(a).value("hbm_stacks") or 0.0) for a, n in by_type.items()
    )
    unassigned = [ln for ln in result.bom.lines if ln.name.startswith(UNASSIGNED)]
    h["unassigned_build_out"] = {
        "accelerators": float(sum(ln.accelerators for ln in unassigned)),
        "it_power_w": float(sum(ln.it_power_w for ln in unassigned)),
    }
    _supply_headline(h, result)
    readiness = result.tables.get("site_readiness")
    if readiness is not None and not readiness.empty:
        h["facility_shortfall_it_w_max"] = float(readiness["shortfall_it_w"].max())
    h["first_constraint"] = _first_constraint(result.tables)
    _site_headline(h, result, shares, book)
    _economics_headline(h, result)
    _currency_headline(h, scenario, book)
    if result.training:
        largest = max(result.training, key=lambda t: t.n_gpus)
        h["largest_training_run"] = largest.name
        if largest.reliability is not None:
            h["unexpected_interruptions_per_day"] = (
                largest.reliability.unexpected_interruptions_per_day
            )
            h["ettr"] = largest.reliability.ettr
    finite = {
        k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in h.items()
    }
    return Headline.model_validate(finite)
