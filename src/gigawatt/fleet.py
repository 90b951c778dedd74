"""Fleet sizing: serving configurations at an SLO, accelerators per service and training run,
servers, racks, scale-out network, storage and (optionally) CXL memory.

- ``serving_configs``: every (TP, weight/KV precision, concurrency) of one model on one
  accelerator through the analytic serving model (perf.serving), keeping those that meet
  p99 TTFT and p50 TPOT; ranked by output tokens/s per GPU.
- ``plan_services``: replicas for each service's peak request rate (users x requests/day /
  86,400 x peak-to-mean, compounded growth) with headroom and N+k spares.
- ``plan_fleet``: services and training runs -> servers (catalog/servers.yaml), racks,
  a non-blocking rail-optimised fat tree (tiers from the switch radix: 2 tiers up to
  radix^2/2 endpoints, 3 up to radix^3/4; Al-Fares et al., SIGCOMM 2008), optics per GPU,
  storage for checkpoints, datasets and KV offload, CXL expansion.
- ``lpddr_decode_comparison``: an assumed Mach-1-class LPDDR accelerator against an HBM
  GPU in decode tokens per joule, at the low / likely / high ends of its assumed figures.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from gigawatt.bom import ClusterBOM, build_line, cluster_bom, server_power
from gigawatt.catalog import Catalog, Entry, load_catalog
from gigawatt.demand import FleetRun, ServiceDemand
from gigawatt.errors import CatalogError, InputError, Problem
from gigawatt.perf.serving import ServingBatch, Software, get_software, predict_serving
from gigawatt.perf.serving_disagg import predict_disaggregated
from gigawatt.perf.system import Efficiency, System, get_system
from gigawatt.reliability import checkpoint_bytes_of
from gigawatt.schema.serving import DISAGGREGATION_MODES
from gigawatt.workload import TransformerModel, get_model

if TYPE_CHECKING:  # pandas costs ~0.5 s to import: only the functions that build tables do
    import pandas as pd

TP_CHOICES = (1, 2, 4, 8, 16, 32, 64, 72)
PP_CHOICES = (1, 2, 4, 8, 16)
EP_CHOICES = (2, 4, 8, 16, 32, 64, 72)
MAX_REPLICA_GPUS = 64  # largest replica searched (or one scale-up domain, if larger)
# KV-cache precision served with each weight precision (integer weights keep an FP8 cache)
KV_CACHE_OF = {"bf16": "bf16", "fp16": "fp16", "fp8": "fp8", "int8": "fp8", "int4": "fp8"}
CONCURRENCY_GRID = np.unique(np.round(np.geomspace(1, 2048, 34))).astype(float)
# (prefill, decode) replicas of a disaggregated unit the search tries: DistServe (OSDI 2024,
# sec. 4) and Splitwise (ISCA 2024, sec. 5) find optima from 2:1 to 1:3 by prompt/output mix
DISAGG_RATIOS = ((1, 1), (1, 2), (1, 3), (2, 1), (3, 1), (2, 3), (3, 2))


def service_options(svc: ServiceDemand) -> dict[str, Any]:
    """The serving search's options a service sets (prefix caching, disaggregation)."""
    return {"prefix_hit_rate": svc.prefix_cache_hit_rate, "disaggregation": svc.disaggregation}


def parallel_layouts(
    model: TransformerModel, system: System, max_gpus: int | None = None
) -> list[tuple[int, int, int]]:
    """(tp, pp, ep) layouts a replica may take: TP inside one scale-up domain; PP stages
    within or across domains; for MoE models expert parallel over ep GPUs per stage (a
    multiple of tp: ep / tp attention DP groups), possibly spanning domains. At most
    ``max_gpus`` GPUs per replica (default: 64 or one scale-up domain, the larger)."""
    cap = max_gpus or max(MAX_REPLICA_GPUS, system.scale_up_domain)
    tps = [t for t in TP_CHOICES if t <= system.scale_up_domain]
    eps = [1] + (list(EP_CHOICES) if model.is_moe else [])
    out = []
    for t in tps:
        for p in PP_CHOICES:
            if p > model.n_layers:
                continue
            for e in eps:
                if e > 1 and (e < t or e % t):
                    continue
                if p * max(t, e) <= cap:
                    out.append((t, p, e))
    return out


def _check_engine_options(
    sw: Software, prefix_hit_rate: float, disaggregation: str, output_len: float, where: str
) -> None:
    """The options a service asks for must be ones its engine offers (serving_software.yaml)."""
    if disaggregation not in DISAGGREGATION_MODES:
        allowed = ", ".join(DISAGGREGATION_MODES)
        raise InputError(
            [Problem(where, "disaggregation", f"{disaggregation!r} (allowed: {allowed})")]
        )
    if disaggregation != "off" and not sw.disaggregation:
        raise InputError(
            [Problem(where, "disaggregation", f"{sw.name} has no prefill/decode "
                     "disaggregation (allowed: off)")]
        )  # fmt: skip
    if disaggregation == "only" and output_len < 2:
        raise InputError(
            [Problem(where, "disaggregation", "a decode pool needs output tokens >= 2")]
        )
    if prefix_hit_rate > 0 and not sw.prefix_caching:
        raise InputError(
            [Problem(where, "prefix_cache_hit_rate", f"{sw.name} has no prefix cache "
                     "(allowed: 0)")]
        )  # fmt: skip


def serving_candidates(
    model: TransformerModel,
    system: System,
    input_len: float,
    output_len: float,
    weights: Sequence[str],
    software: Software | None = None,
    where: str = "serving",
    prefix_hit_rate: float = 0.0,
    disaggregation: str = "off",
    concurrencies: Sequence[float] | None = None,
) -> pd.DataFrame:
    """Every configuration the serving search weighs, one row each, before the SLO filter.

    The one place that decides the options: the (tp, pp, ep) layouts of
    ``parallel_layouts``, each weight precision, co-located replicas unless
    ``disaggregation`` is "only", prefill/decode units of ``DISAGG_RATIOS`` replicas when it
    is "allow" or "only" (and a request decodes >= 2 tokens), at each of ``concurrencies``
    per replica or unit (default: the search's geometric grid). The pre-flight evaluates the
    same options at concurrency 1, so the two cannot disagree on which exist."""
    import pandas as pd

    frames = _candidate_columns(
        model, system, input_len, output_len, weights, software, where, prefix_hit_rate,
        disaggregation, concurrencies,
    )  # fmt: skip
    return pd.concat([pd.DataFrame(cols) for cols in frames], ignore_index=True)


def _candidate_columns(
    model: TransformerModel,
    system: System,
    input_len: float,
    output_len: float,
    weights: Sequence[str],
    software: Software | None,
    where: str,
    prefix_hit_rate: float,
    disaggregation: str,
    concurrencies: Sequence[float] | None,
) -> list[dict[str, Any]]:
    """``serving_candidates``' rows as columns (one mapping per serving mode), before any
    table is built: the pre-flight reads them without pandas (``slo_reachable``)."""
    sw = software or get_software()
    _check_engine_options(sw, prefix_hit_rate, disaggregation, output_len, where)
    layouts = parallel_layouts(model, system)
    conc = CONCURRENCY_GRID if concurrencies is None else np.asarray(concurrencies, float)
    modes: list[Sequence[tuple[int, int]]] = []
    if disaggregation != "only":
        modes.append(((0, 0),))
    if disaggregation != "off" and output_len >= 2:
        modes.append(DISAGG_RATIOS)
    return [
        _candidates(
            model, system, input_len, output_len, layouts, weights, sw, prefix_hit_rate,
            ratios, conc,
        )
        for ratios in modes
    ]  # fmt: skip


def _feasible_mask(cols: Any) -> Any:
    """Rows that fit in memory with their concurrency inside the KV-cache slots (a table or
    a mapping of columns alike)."""
    return cols["fits"] & (cols["concurrency"] <= cols["max_batch"])


def _slo_mask(cols: Any, ttft_p99_s: float, tpot_p50_s: float) -> Any:
    """Rows that meet p99 TTFT and p50 TPOT (a table or a mapping of columns alike)."""
    return (cols["ttft_p99_s"] <= ttft_p99_s) & (cols["tpot_p50_s"] <= tpot_p50_s)


def slo_reachable(
    model: TransformerModel,
    system: System,
    input_len: float,
    output_len: float,
    weights: Sequence[str],
    ttft_p99_s: float,
    tpot_p50_s: float,
    concurrencies: Sequence[float] | None = None,
    prefix_hit_rate: float = 0.0,
    disaggregation: str = "off",
) -> bool:
    """Whether any of ``serving_candidates`` at ``concurrencies`` is feasible and meets the
    SLO (``meeting_slo`` is not empty), without building the table: ``check`` then needs no
    pandas."""
    frames = _candidate_columns(
        model, system, input_len, output_len, weights, None, "serving", prefix_hit_rate,
        disaggregation, concurrencies,
    )  # fmt: skip
    return any(
        bool(np.any(_feasible_mask(c) & _slo_mask(c, ttft_p99_s, tpot_p50_s))) for c in frames
    )


def feasible(df: pd.DataFrame) -> pd.DataFrame:
    """Candidates that fit in memory with their concurrency inside the KV-cache slots."""
    return df[_feasible_mask(df)]


def meeting_slo(df: pd.DataFrame, ttft_p99_s: float, tpot_p50_s: float) -> pd.DataFrame:
    """Feasible candidates that meet p99 TTFT and p50 TPOT."""
    fit = feasible(df)
    return fit[_slo_mask(fit, ttft_p99_s, tpot_p50_s)]


def serving_configs(
    model: TransformerModel,
    system: System,
    input_len: float,
    output_len: float,
    ttft_p99_s: float,
    tpot_p50_s: float,
    weights: Sequence[str] = ("bf16", "fp8", "int4"),
    software: Software | None = None,
    where: str = "serving",
    prefix_hit_rate: float = 0.0,
    disaggregation: str = "off",
) -> pd.DataFrame:
    """All configurations that meet the SLO, best tokens/s per GPU first.

    The search covers ``serving_candidates``: every (tp, pp, ep) layout of
    ``parallel_layouts`` (TP, pipeline parallel within and across scale-up domains, expert
    parallel for MoE), each weight precision and a geometric grid of concurrencies per
    replica. ``gpus_per_replica`` is pp * max(tp, ep). ``disaggregation`` "allow" / "only"
    adds / keeps only prefill/decode units of ``DISAGG_RATIOS`` replicas
    (``perf.serving_disagg``; ``gpus_per_replica`` is then the whole unit's and the
    concurrency the unit's). Raises InputError naming ``where`` when the engine lacks an
    asked-for option, the model fits no configuration or no configuration meets the SLO
    (with the best achievable latencies).
    """
    if ttft_p99_s <= 0 or tpot_p50_s <= 0:
        raise InputError([Problem(where, "slo", "TTFT and TPOT targets must be > 0")])
    df = serving_candidates(
        model, system, input_len, output_len, weights, software, where, prefix_hit_rate,
        disaggregation,
    )  # fmt: skip
    fit = feasible(df)
    if fit.empty:
        tps = sorted({t for t, _, _ in parallel_layouts(model, system)})
        weights_gb = float(df["weights_bytes_per_gpu"].min()) / 1e9
        raise InputError(
            [
                Problem(
                    where,
                    "model",
                    f"{model.name} fits no configuration on {system.name} (TP up to "
                    f"{max(tps)}, up to {int(df['gpus_per_replica'].max())} GPUs per replica, "
                    f"{'/'.join(weights)}): >= {weights_gb:.0f} GB of weights per "
                    f"GPU of {system.memory_bytes / 1e9:.0f} GB plus KV cache; use a larger "
                    "scale-up domain, lower precision or a bigger-memory accelerator",
                )
            ]
        )
    ok = meeting_slo(df, ttft_p99_s, tpot_p50_s)
    if ok.empty:
        raise InputError(
            [
                Problem(
                    where,
                    "slo",
                    f"no configuration of {model.name} on {system.name} meets p99 TTFT <= "
                    f"{ttft_p99_s * 1e3:.0f} ms and p50 TPOT <= {tpot_p50_s * 1e3:.1f} ms; "
                    f"best achievable: TTFT {fit['ttft_p99_s'].min() * 1e3:.0f} ms, TPOT "
                    f"{fit['tpot_p50_s'].min() * 1e3:.1f} ms (allowed: targets at or above)",
                )
            ]
        )
    return ok.sort_values("tokens_per_s_per_gpu", ascending=False).reset_index(drop=True)


def _candidates(
    model: TransformerModel,
    system: System,
    input_len: float,
    output_len: float,
    layouts: Sequence[tuple[int, int, int]],
    weights: Sequence[str],
    sw: Software,
    prefix_hit_rate: float,
    ratios: Sequence[tuple[int, int]],
    concurrencies: NDArray[np.float64],
) -> dict[str, Any]:
    """The search's candidates as columns, one row each: co-located replicas (ratio (0, 0)) or
    disaggregated units of (prefill, decode) replicas, over layouts x precisions x
    ``concurrencies``."""
    grid = [
        (lay, w, c, r) for lay in layouts for w in weights for c in concurrencies for r in ratios
    ]
    tp_a, pp_a, ep_a = (np.array([g[0][i] for g in grid], dtype=np.float64) for i in range(3))
    w_a = np.array([g[1] for g in grid], dtype=object)
    kv_a = np.array([KV_CACHE_OF[g[1]] for g in grid], dtype=object)
    c_a = np.array([g[2] for g in grid], dtype=np.float64)
    n_p = np.array([g[3][0] for g in grid], dtype=np.float64)
    n_d = np.array([g[3][1] for g in grid], dtype=np.float64)
    args = (model, system, input_len, output_len, tp_a, pp_a, w_a, kv_a)
    res: ServingBatch
    if ratios[0] == (0, 0):
        res = predict_serving(
            *args,
            concurrency=c_a,
            software=sw,
            chunked_prefill=True,
            ep=ep_a,
            prefix_hit_rate=prefix_hit_rate,
        )
        slots, running = res.max_batch, res.running_batch
    else:
        res = predict_disaggregated(
            *args,
            n_p,
            n_d,
            concurrency=c_a,
            software=sw,
            ep=ep_a,
            prefix_hit_rate=prefix_hit_rate,
        )
        slots, running = res.max_batch * n_d, res.running_batch * n_d
    return {
        "model": model.name,
        "accelerator": system.accelerator,
        "tp": tp_a.astype(int),
        "pp": pp_a.astype(int),
        "ep": ep_a.astype(int),
        "prefill_replicas": n_p.astype(int),
        "decode_replicas": n_d.astype(int),
        "gpus_per_replica": res.n_gpus.astype(int),
        "weights": w_a.astype(str),
        "kv_cache": kv_a.astype(str),
        "concurrency": c_a.astype(int),
        "running_batch": running,
        "tokens_per_s": res.tokens_per_s,
        "tokens_per_s_per_gpu": res.tokens_per_s_per_gpu,
        "requests_per_s": res.requests_per_s,
        "ttft_p99_s": res.ttft_p99_s,
        "ttft_mean_s": res.ttft_s,
        "tpot_p50_s": res.tpot_p50_s,
        "tpot_mean_s": res.tpot_s,
        "max_batch": slots,
        "fits": res.fits,
        "weights_bytes_per_gpu": res.memory_bytes["weights"],
    }


RANKS = ("throughput", "cost")


def rank_configs(df: pd.DataFrame, rank: str = "throughput", where: str = "rank") -> pd.DataFrame:
    """Sort configurations: ``throughput`` = output tokens/s per GPU, best first; ``cost`` =
    likely USD per million output tokens, cheapest first (needs ``add_cost_columns``)."""
    if rank not in RANKS:
        allowed = ", ".join(RANKS)
        raise InputError([Problem(where, "rank", f"{rank!r} not allowed (allowed: {allowed})")])
    if rank == "throughput":
        return df.sort_values("tokens_per_s_per_gpu", ascending=False).reset_index(drop=True)
    if "usd_per_million_tokens" not in df or df["usd_per_million_tokens"].isna().all():
        raise InputError(
            [
                Problem(
                    where,
                    "rank",
                    "no configuration has a price (catalog/prices.yaml has none for these "
                    "accelerators); rank by throughput or choose a priced accelerator",
                )
            ]
        )
    return df.sort_values("usd_per_million_tokens", na_position="last").reset_index(drop=True)


KV_BYTES_PER_ELEMENT = {"fp8": 1.0, "bf16": 2.0, "fp16": 2.0}


def _best_config(
    configs: pd.DataFrame, rank: str, usd_per_gpu_hour: float | None, where: str
) -> pd.Series:
    """The best configuration: most output tokens/s per GPU, or, with ``rank="cost"``, the
    lowest price per token at the GPU-hour price given (the same order for one accelerator,
    but it makes the ranking explicit where a caller compares accelerators)."""
    if rank == "cost":
        if usd_per_gpu_hour is None:
            raise InputError(
                [Problem(where, "rank", "ranking by cost needs a price per accelerator-hour")]
            )
        priced = configs.assign(usd_per_token=usd_per_gpu_hour / configs["tokens_per_s_per_gpu"])
        return priced.sort_values("usd_per_token").iloc[0]
    return rank_configs(configs, rank, where).iloc[0]


def _service_row(
    svc: ServiceDemand, model: TransformerModel, best: pd.Series, quarter: int
) -> dict[str, Any]:
    peak = float(svc.peak_request_rate_per_s(quarter))
    replicas_needed = math.ceil(peak / float(best["requests_per_s"]))
    replicas = math.ceil(replicas_needed * (1.0 + svc.headroom)) + svc.redundancy_k
    gpus_per_replica = int(best["gpus_per_replica"])
    kv_bytes = KV_BYTES_PER_ELEMENT[str(best["kv_cache"])]
    return {
        "workload": svc.name,
        "kind": "service",
        "model": svc.model,
        "accelerator": svc.accelerator,
        "quarter": quarter,
        "daily_active_users": float(svc.users(quarter)),
        "peak_requests_per_s": peak,
        "tokens_per_day": svc.tokens_per_day(quarter),
        "mean_output_tokens_per_s": float(svc.mean_request_rate_per_s(quarter))
        * svc.output_tokens_mean,
        "tp": int(best["tp"]),
        "pp": int(best["pp"]),
        "ep": int(best["ep"]),
        "prefill_replicas": int(best["prefill_replicas"]),
        "decode_replicas": int(best["decode_replicas"]),
        "gpus_per_replica": gpus_per_replica,
        "weights": best["weights"],
        "kv_cache": best["kv_cache"],
        "concurrency_per_replica": int(best["concurrency"]),
        "tokens_per_s_per_gpu": float(best["tokens_per_s_per_gpu"]),
        "ttft_p99_s": float(best["ttft_p99_s"]),
        "tpot_p50_s": float(best["tpot_p50_s"]),
        "replicas_at_peak": replicas_needed,
        "replicas": replicas,
        "accelerators": replicas * gpus_per_replica,
        "kv_pool_bytes_per_replica": float(
            best["running_batch"]
            * model.kv_width
            * model.n_layers
            * kv_bytes
            * (svc.input_tokens_mean + svc.output_tokens_mean)
        ),
    }


def plan_services(
    services: Sequence[ServiceDemand],
    catalog: Catalog | None = None,
    quarter: int = 0,
    rank: str = "throughput",
    usd_per_gpu_hour: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """One row per service: the best configuration at its SLO (by output tokens/s per GPU, or
    by price per token at the GPU-hour prices given per accelerator) and the accelerators its
    peak (in ``quarter``) needs, with headroom and N+k spare replicas. Prices per token are
    the economics stage's to compute; this stage sizes."""
    import pandas as pd

    cat = catalog or load_catalog()
    rows: list[dict[str, Any]] = []
    for i, svc in enumerate(services):
        where = f"serving.services[{i}] ({svc.name})"
        try:
            model = get_model(svc.model, cat)
            system = get_system(svc.accelerator, cat)
        except CatalogError as exc:
            raise InputError([Problem(where, p.field, p.message) for p in exc.problems]) from None
        configs = serving_configs(
            model,
            system,
            svc.input_tokens_mean,
            svc.output_tokens_mean,
            svc.ttft_p99_s,
            svc.tpot_p50_s,
            svc.precisions,
            where=where,
            **service_options(svc),
        )
        price = (usd_per_gpu_hour or {}).get(svc.accelerator)
        rows.append(_service_row(svc, model, _best_config(configs, rank, price, where), quarter))
    return pd.DataFrame(rows)


def _storage_bytes(row: dict[str, Any], run: FleetRun | None, cat: Catalog) -> float:
    """Storage a workload needs: checkpoints and datasets of a training run; for a service,
    SSD KV/prefix cache (fleet_assumptions.yaml ``storage``)."""
    st = cat.get("fleet_assumptions", "storage")
    storage = 0.0
    params = None if run is None else run.params
    if run is not None and params is None and run.model:
        params = float(get_model(run.model, cat).params())
    if params is not None:
        # one checkpoint's size is the reliability model's (failures.yaml operations)
        per_param = cat.get("failures", "operations").q("checkpoint_bytes_per_param").get()
        one = checkpoint_bytes_of(params, per_param)
        storage += one * st.q("checkpoints_retained").get()
    if run is not None and run.tokens:
        storage += run.tokens * st.q("dataset_bytes_per_token").get() * st.q("dataset_copies").get()
    if row["kind"] == "service":
        storage += (
            row["kv_pool_bytes_per_replica"] * row["replicas"] * st.q("kv_offload_factor").get()
        )
    return storage


def training_rows(
    training_runs: Sequence[FleetRun], cat: Catalog, quarter: int = 0
) -> list[dict[str, Any]]:
    """One fleet row per training run: its accelerators with its hot spares."""
    rows = []
    for i, run in enumerate(training_runs):
        if run.accelerator not in cat.kind("accelerators"):
            raise InputError(
                [
                    Problem(
                        f"training[{i}] ({run.name})",
                        "accelerator",
                        f"{run.accelerator!r} is not in the catalog",
                    )
                ]
            )
        rows.append(
            {
                "workload": run.name,
                "kind": "training",
                "model": run.model or "",
                "accelerator": run.accelerator,
                # the job's accelerators and the hot spares held beside it
                "accelerators": run.n_gpus + run.spare_accelerators,
                "spare_accelerators": run.spare_accelerators,
                "quarter": quarter,
            }
        )
    return rows


def fleet_bom(
    workloads: Sequence[dict[str, Any]],
    runs: Sequence[FleetRun | None],
    catalog: Catalog,
    cxl: bool = False,
) -> ClusterBOM:
    """One BOM line per workload (each on its own fabric), with its storage and CXL."""
    lines = []
    for row, run in zip(workloads, runs, strict=True):
        try:
            lines.append(
                build_line(
                    str(row["workload"]),
                    str(row["accelerator"]),
                    float(row["accelerators"]),
                    catalog,
                    storage_bytes=_storage_bytes(row, run, catalog),
                    cxl=cxl,
                )
            )
        except CatalogError as exc:
            where = f"{row['kind']} {row['workload']}"
            raise InputError(
                [Problem(where, "accelerator", p.message) for p in exc.problems]
            ) from None
    return cluster_bom(lines)


FLEET_COLUMNS = (
    "server",
    "servers",
    "racks",
    "scale_up_domains",
    "fabric_tiers",
    "switches",
    "optics",
    "storage_bytes",
    "cxl_bytes",
    "it_power_w",
)


def fleet_table(workloads: Sequence[dict[str, Any]], bom: ClusterBOM) -> pd.DataFrame:
    """The fleet table: each workload with its BOM line, then a TOTAL row (the BOM total)."""
    import pandas as pd

    rows = []
    for row, line in zip(workloads, bom.lines, strict=True):
        rec = dict(row)
        rec.setdefault("spare_accelerators", 0)
        rec.update({k: getattr(line, k) for k in FLEET_COLUMNS})
        rec["optics_per_gpu"] = line.optics / line.accelerators if line.accelerators else 0.0
        rows.append(rec)
    total: dict[str, Any] = {"workload": "TOTAL", "kind": "total"}
    total.update({k: bom.total[k] for k in ("accelerators", *FLEET_COLUMNS[1:]) if k in bom.total})
    total["fabric_tiers"] = float("nan")
    return pd.concat([pd.DataFrame(rows), pd.DataFrame([total])], ignore_index=True)


def plan_fleet(
    services: Sequence[ServiceDemand] = (),
    training_runs: Sequence[FleetRun] = (),
    catalog: Catalog | None = None,
    cxl: bool = False,
    quarter: int = 0,
) -> pd.DataFrame:
    """The fleet table: one row per service and training run with accelerators, servers,
    racks, switches, optics, storage, CXL and IT power (gigawatt.bom), plus a TOTAL row."""
    import pandas as pd

    cat = catalog or load_catalog()
    if not services and not training_runs:
        raise InputError([Problem("serving", "services", "no services or training runs")])
    svc = plan_services(services, cat, quarter) if services else pd.DataFrame()
    rows: list[dict[str, Any]] = [dict(r) for r in svc.to_dict("records")] if not svc.empty else []
    rows += training_rows(training_runs, cat, quarter)
    runs: list[FleetRun | None] = [None] * len(svc) + list(training_runs)
    return fleet_table(rows, fleet_bom(rows, runs, cat, cxl))


# ---- LPDDR (Mach-1 class) vs HBM for decode -------------------------------------------------
def _assumed_system(entry: Entry, end: int, base: System) -> System:
    def v(key: str) -> float:
        return entry.q(key).range[end]

    eff = base.efficiency
    efficiency = Efficiency(
        family="mach-assumed",
        gemm_peak_fraction=v("gemm_peak_fraction"),
        gemm_dim_half=eff.gemm_dim_half,
        memory_fraction=v("memory_fraction"),
        scale_up_fraction=eff.scale_up_fraction,
        scale_out_fraction=eff.scale_out_fraction,
        comm_overlap_fraction=eff.comm_overlap_fraction,
        moe_load_imbalance=eff.moe_load_imbalance,
        kernel_overhead_s=eff.kernel_overhead_s,
        memory_reserved_bytes=2e9,
        attention_kernel="flash",
    )
    return base.with_(
        accelerator=entry.id,
        name=entry.name,
        family="mach-assumed",
        peak_flops={"bf16": v("bf16_dense"), "fp16": v("bf16_dense"), "fp8": v("fp8_dense")},
        memory_bytes=v("memory_capacity"),
        memory_bandwidth_bps=v("memory_bandwidth"),
        scale_up_domain=int(v("scale_up_domain")),
        scale_up_bandwidth_bps=v("scale_up_bandwidth"),
        # fastest figures pair with the lowest power (optimistic), and the reverse
        tdp_w=entry.q("server_power_per_accelerator").range[2 - end],
        efficiency=efficiency,
    )


def lpddr_decode_comparison(
    model_id: str = "llama3-70b",
    gpu: str = "h200",
    input_len: float = 1000.0,
    output_len: float = 300.0,
    tpot_p50_s: float = 0.05,
    catalog: Catalog | None = None,
) -> pd.DataFrame:
    """Decode output tokens per joule (accelerator power incl. host share) of an ASSUMED
    Mach-1-class LPDDR part (low / likely / high ends of its assumed figures) against an HBM
    GPU, each at its best FP8 configuration that meets the TPOT target (TTFT unconstrained:
    decode-only, as in a disaggregated deployment). Samsung published none of these figures;
    the rows carry ``assumed = True``."""
    import pandas as pd

    cat = catalog or load_catalog()
    model = get_model(model_id, cat)
    gpu_sys = get_system(gpu, cat)
    entry = cat.get("fleet_assumptions", "mach-1-assumed")
    srv = server_power(gpu, cat)
    gpu_w = srv.accelerator_w + srv.host_w
    rows = []
    cases = [(gpu_sys, gpu, "likely", gpu_w, False)]
    for end, label in ((0, "pessimistic"), (1, "likely"), (2, "optimistic")):
        sys_ = _assumed_system(entry, end, gpu_sys)
        cases.append((sys_, entry.id, label, float(sys_.tdp_w or 0.0), True))
    for sys_, acc, label, watts, assumed in cases:
        try:
            best = serving_configs(
                model, sys_, input_len, output_len, 1e9, tpot_p50_s, ("fp8", "int4")
            ).iloc[0]
            tps = float(best["tokens_per_s_per_gpu"])
            rows.append(
                {
                    "accelerator": acc,
                    "case": label,
                    "assumed": assumed,
                    "tp": int(best["tp"]),
                    "weights": best["weights"],
                    "tokens_per_s_per_accelerator": tps,
                    "power_w": watts,
                    "tokens_per_joule": tps / watts,
                    "tpot_p50_s": float(best["tpot_p50_s"]),
                }
            )
        except InputError as exc:
            rows.append(
                {
                    "accelerator": acc,
                    "case": label,
                    "assumed": assumed,
                    "tokens_per_joule": float("nan"),
                    "note": str(exc.problems[0].message),
                }
            )
    return pd.DataFrame(rows)
