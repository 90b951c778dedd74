"""Failures at scale: component failure rates -> job interruptions -> checkpointing -> ETTR.

The job-level model is the series system of reliability theory: a synchronous training job
stops when any device it depends on fails, so its interruption rate is the sum over failure
causes of (rate per device) x (devices of that kind serving N GPUs) x (site, temperature and
age multipliers). Per-device rates live in ``catalog/failures.yaml`` with their sources; the
device counts come from a topology (GPUs per host, HBM stacks per GPU, NICs, DIMMs, switches
of a fat tree, ...), so a GB200 NVL72 job and an HGX H100 job of the same size differ.

What a "failure" counts is explicit (``COUNTS``): ``hardware`` keeps the causes that take a
device or host out (the hardware-attributed rates of Kokolis et al. 2024, BLOOM's GPU failures);
``all`` adds the software, NCCL, dependency and user-code causes, i.e. every failure that stops
the job (Llama 3's 419 unexpected interruptions, a research cluster's job MTTF). Hardware causes
scale with site, generation, temperature and fleet age; non-hardware causes scale with the job
mix (``Conditions.job_mix``: a hardened production run, the calibration, or a research
cluster's jobs, ~30x more non-hardware failures per node-day; catalog ``type: job_mix``).

Checkpointing follows Young (1974) and Daly (2006, "A higher order estimate of the optimum
checkpoint interval for restart dumps", FGCS 22): for exponential failures with mean M, a
compute interval tau, a blocking checkpoint cost delta and a restart cost R, the expected
fraction of wall time that turns into kept progress is exactly

    ETTR = tau / (M * exp((R + L) / M) * (exp((tau + delta) / M) - 1))

where L is the lag of an asynchronous checkpoint (time from the end of its blocking part to
its commit on storage; 0 for a synchronous one). This is the effective training time ratio of
Kokolis et al. (Meta, "Revisiting Reliability in Large-Scale Machine Learning Research
Clusters", arXiv:2410.21680, HPCA 2025): productive time over the wall time the job holds its
allocation. Its maximum over tau has the closed form tau* = M (1 + W0(-exp(-1 - delta/M)))
(W0: principal Lambert W), which reduces to Young's sqrt(2 delta M) for delta << M.

Everything is SI: seconds, bytes, bytes per second, failures per second.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from gigawatt.bom import fabric_tiers, size_fabric
from gigawatt.catalog import Catalog, Entry, load_catalog
from gigawatt.errors import CatalogError, InputError, Problem
from gigawatt.schema.reliability import (
    Minutes as Minutes,
)
from gigawatt.schema.reliability import (
    ReliabilitySection as ReliabilitySection,
)
from gigawatt.schema.reliability import (
    ServiceSpec as ServiceSpec,
)
from gigawatt.schema.reliability import (
    SiteSpec as SiteSpec,
)
from gigawatt.units import DAY_S, HOUR_S, YEAR_S
from gigawatt.workload import TransformerModel

if TYPE_CHECKING:
    pass

FloatArray = npt.NDArray[np.float64]
ArrayLike = float | int | FloatArray | list[float] | list[int]
SECONDS_PER_HOUR = HOUR_S
SECONDS_PER_DAY = DAY_S
SECONDS_PER_YEAR = YEAR_S
BOLTZMANN_EV_PER_K = 8.617333262e-5
Bound = Literal["likely", "low", "high"]
Population = Literal[
    "gpu",
    "gpu_die",
    "hbm_stack",
    "host",
    "nic",
    "cpu",
    "dimm",
    "ssd",
    "psu",
    "switch",
    "link",
    "rack",
    "nvswitch_tray",
]
POPULATIONS: tuple[str, ...] = Population.__args__  # type: ignore[attr-defined]
Blast = Literal["none", "host", "switch", "rack"]
SITE_TYPES = ("land", "subsea", "floating")
Counts = Literal["all", "hardware"]
COUNTS: tuple[str, ...] = Counts.__args__  # type: ignore[attr-defined]


def _as_array(x: ArrayLike) -> FloatArray:
    return np.asarray(x, dtype=np.float64)


def _out(x: FloatArray) -> Any:
    """Scalars stay Python floats; arrays stay arrays."""
    return float(x) if np.ndim(x) == 0 else x


# ---------------------------------------------------------------------------- catalog ----
@dataclass(frozen=True)
class FailureCause:
    """One failure cause: its rate per device of population ``per`` and what it takes down."""

    id: str
    name: str
    category: str
    per: str
    blast: str
    hardware: bool
    thermal: bool
    rate_per_s: float
    rate_low_per_s: float
    rate_high_per_s: float
    repair_time_s: float
    source: str

    def rate(self, bound: Bound = "likely") -> float:
        return {"likely": self.rate_per_s, "low": self.rate_low_per_s}.get(
            bound, self.rate_high_per_s
        )

    def __str__(self) -> str:
        fit = self.rate_per_s * SECONDS_PER_HOUR * 1e9
        return f"{self.name}: {fit:,.0f} FIT per {self.per} ({self.source})"


@dataclass(frozen=True)
class Topology:
    """Devices of one system design, per GPU / host / rack, and the fat-tree switch radix."""

    id: str
    name: str
    gpus_per_host: int
    gpus_per_rack: int
    gpu_dies: int
    hbm_stacks: int
    nics_per_host: int
    cpus_per_host: int
    dimms_per_host: int
    ssds_per_host: int
    psus_per_host: int
    nvswitch_trays_per_rack: int
    switch_radix: int

    def tiers(self, n_gpus: ArrayLike) -> FloatArray:
        """Tiers of a non-blocking folded Clos of radix k: smallest t with 2 (k/2)^t >= N."""
        n = np.maximum(_as_array(n_gpus), 1.0)
        return np.asarray(fabric_tiers(n, self.switch_radix), dtype=np.float64)

    def counts(self, n_gpus: ArrayLike) -> dict[str, FloatArray]:
        """Devices of each population serving ``n_gpus`` GPUs (whole hosts and racks).

        Switches and links of the fat tree from the bill of materials' one fabric sizing
        (gigawatt.bom.size_fabric).
        """
        n = _as_array(n_gpus)
        hosts = np.ceil(n / self.gpus_per_host)
        racks = np.ceil(n / self.gpus_per_rack)
        fabric = size_fabric(np.maximum(n, 1.0), self.switch_radix)
        switches, links = fabric.switches, fabric.links
        return {
            "gpu": n,
            "gpu_die": n * self.gpu_dies,
            "hbm_stack": n * self.hbm_stacks,
            "host": hosts,
            "nic": hosts * self.nics_per_host,
            "cpu": hosts * self.cpus_per_host,
            "dimm": hosts * self.dimms_per_host,
            "ssd": hosts * self.ssds_per_host,
            "psu": hosts * self.psus_per_host,
            "switch": switches,
            "link": links,
            "rack": racks,
            "nvswitch_tray": racks * self.nvswitch_trays_per_rack,
        }

    def leaf_switches(self, n_gpus: int) -> int:
        return max(1, int(size_fabric(n_gpus, self.switch_radix).leaf_switches))

    def __str__(self) -> str:
        return (
            f"{self.name}: {self.gpus_per_host} GPUs/host, {self.gpus_per_rack} GPUs/rack, "
            f"{self.hbm_stacks} HBM stacks and {self.gpu_dies} die(s) per GPU, radix "
            f"{self.switch_radix} fat tree"
        )


def _int_field(entry: Entry, key: str) -> int:
    value = entry.value(key)
    if value is None:
        raise CatalogError([Problem(entry.file, f"{entry.id}.{key}", "missing count")])
    return round(value)


def _entries(catalog: Catalog, type_: str) -> dict[str, Entry]:
    return {k: e for k, e in catalog.kind("failures").items() if e.get("type") == type_}


def load_causes(catalog: Catalog | None = None) -> list[FailureCause]:
    """Every failure cause of ``failures.yaml`` (SI rates), checked for known populations."""
    cat = catalog or load_catalog()
    causes = []
    for e in _entries(cat, "cause").values():
        per, blast = str(e.get("per")), str(e.get("blast", "host"))
        if per not in POPULATIONS:
            raise CatalogError(
                [Problem(e.file, f"{e.id}.per", f"{per!r} unknown; allowed: {POPULATIONS}")]
            )
        if blast not in ("none", "host", "switch", "rack"):
            raise CatalogError([Problem(e.file, f"{e.id}.blast", "allowed: none/host/switch/rack")])
        lo, mid, hi = e.q("rate").range
        repair = e.value("repair_time") or 0.0
        causes.append(
            FailureCause(
                id=e.id,
                name=e.name,
                category=str(e.get("category", "other")),
                per=per,
                blast=blast,
                hardware=bool(e.get("hardware", True)),
                thermal=bool(e.get("thermal", False)),
                rate_per_s=mid,
                rate_low_per_s=lo,
                rate_high_per_s=hi,
                repair_time_s=repair,
                source=e.q("rate").source,
            )
        )
    return causes


def topology_for(accelerator: str, catalog: Catalog | None = None) -> Topology:
    """Topology of an accelerator: its ``reliability_topology`` field, else rack-scale NVLink
    (``nvl72``) when its scale-up domain exceeds one host, else ``hgx-8gpu``."""
    cat = catalog or load_catalog()
    acc = cat.accelerator(accelerator)
    domain = acc.value("scale_up_domain") or 8.0
    topo_id = str(acc.get("reliability_topology") or ("nvl72" if domain > 8 else "hgx-8gpu"))
    topos = _entries(cat, "topology")
    if topo_id not in topos:
        raise CatalogError(
            [Problem("failures.yaml", topo_id, f"no such topology; known: {sorted(topos)}")]
        )
    t = topos[topo_id]
    stacks = acc.value("hbm_stacks")
    return Topology(
        id=t.id,
        name=t.name,
        gpus_per_host=_int_field(t, "gpus_per_host"),
        gpus_per_rack=_int_field(t, "gpus_per_rack"),
        gpu_dies=_int_field(t, "gpu_dies"),
        hbm_stacks=round(stacks) if stacks else 8,
        nics_per_host=_int_field(t, "nics_per_host"),
        cpus_per_host=_int_field(t, "cpus_per_host"),
        dimms_per_host=_int_field(t, "dimms_per_host"),
        ssds_per_host=_int_field(t, "ssds_per_host"),
        psus_per_host=_int_field(t, "psus_per_host"),
        nvswitch_trays_per_rack=_int_field(t, "nvswitch_trays_per_rack"),
        switch_radix=_int_field(t, "switch_radix"),
    )


# ------------------------------------------------------------------------ multipliers ----
def site_factor(site: str, catalog: Catalog | None = None, bound: Bound = "likely") -> float:
    """Hardware failure-rate multiplier of a site type (land 1; subsea module 1/8, Natick)."""
    cat = catalog or load_catalog()
    sites = _entries(cat, "site")
    if site not in sites:
        raise InputError(
            [Problem("reliability", "site", f"{site!r} unknown (allowed: {', '.join(sites)})")]
        )
    lo, mid, hi = sites[site].q("hardware_factor").range
    return {"likely": mid, "low": lo}.get(bound, hi)


def temperature_factor(
    temperature_c: ArrayLike,
    reference_c: float | None = None,
    activation_energy_ev: float | None = None,
    catalog: Catalog | None = None,
) -> Any:
    """Arrhenius acceleration exp(Ea/k (1/T_ref - 1/T)) of hardware failure rates.

    Default Ea (0.3 eV) is the weak field dependence of El-Sayed et al. (SIGMETRICS 2012), not
    JEDEC's 0.7 eV; both are in the catalog range. Temperatures are component (die) degC.
    """
    cat = catalog or load_catalog()
    th = _entries(cat, "temperature")["thermal"]
    t_ref = th.q("reference_temperature").get() if reference_c is None else reference_c
    ea = th.q("activation_energy").get() if activation_energy_ev is None else activation_energy_ev
    t = _as_array(temperature_c)
    if np.any(t <= -273.15) or not np.all(np.isfinite(t)):
        raise InputError([Problem("reliability", "temperature_c", "must be finite and > -273.15")])
    k = BOLTZMANN_EV_PER_K
    return _out(np.exp(ea / k * (1.0 / (t_ref + 273.15) - 1.0 / (t + 273.15))))


@dataclass(frozen=True)
class Bathtub:
    """Hazard multiplier vs age: 1 + (infant-1) exp(-age/decay) + (age/onset)^shape."""

    infant_factor: float
    infant_decay_s: float
    wearout_onset_s: float
    wearout_shape: float
    reference_age_s: float

    def raw(self, age_s: ArrayLike) -> Any:
        a = np.maximum(_as_array(age_s), 0.0)
        infant = (self.infant_factor - 1.0) * np.exp(-a / self.infant_decay_s)
        return _out(1.0 + infant + (a / self.wearout_onset_s) ** self.wearout_shape)

    def factor(self, age_s: ArrayLike) -> Any:
        """Multiplier relative to the calibration fleet's age (Llama 3 clusters, ~0.5 year)."""
        return _out(_as_array(self.raw(age_s)) / float(self.raw(self.reference_age_s)))

    def mean_factor(self, age_s: float, horizon_s: float) -> float:
        """Time-averaged multiplier over [age, age + horizon] (closed-form input)."""
        if horizon_s <= 0:
            return float(self.factor(age_s))
        ages = np.linspace(age_s, age_s + horizon_s, 257)
        return float(np.mean(_as_array(self.factor(ages))))

    def max_factor(self, age_s: float, horizon_s: float) -> float:
        """Upper bound of the multiplier for new parts (age 0) and the fleet over the horizon."""
        ages = np.concatenate([[0.0], np.linspace(age_s, age_s + horizon_s, 65)])
        return float(np.max(_as_array(self.factor(ages))))


def bathtub(catalog: Catalog | None = None) -> Bathtub:
    cat = catalog or load_catalog()
    b = _entries(cat, "aging")["bathtub"]
    return Bathtub(
        infant_factor=b.q("infant_factor").get(),
        infant_decay_s=b.q("infant_decay").get(),
        wearout_onset_s=b.q("wearout_onset").get(),
        wearout_shape=b.q("wearout_shape").get(),
        reference_age_s=b.q("reference_age").get(),
    )


def generation_factor(
    accelerator: str, catalog: Catalog | None = None, bound: Bound = "likely"
) -> float:
    """Hardware failure-rate multiplier of an accelerator's generation relative to Hopper.

    Looked up by the accelerator's ``family`` in the catalog (``type: generation`` entries of
    failures.yaml; ``default`` for families without published field data). Ampere's factor
    pools the hardware-attributed rates of Meta's two A100 research clusters (Kokolis et al.,
    arXiv:2410.21680) against Llama 3's hardware-attributed interruptions on H100, so it
    describes the generation, not one fleet.
    """
    cat = catalog or load_catalog()
    if accelerator not in cat.kind("accelerators"):
        known = ", ".join(sorted(cat.kind("accelerators")))
        raise InputError([Problem("reliability", "gpu", f"{accelerator!r} unknown ({known})")])
    family = str(cat.accelerator(accelerator).get("family") or "default")
    gens = {str(e.get("family")): e for e in _entries(cat, "generation").values()}
    entry = gens.get(family, gens.get("default"))
    if entry is None:
        return 1.0
    lo, mid, hi = entry.q("hardware_factor").range
    return {"likely": mid, "low": lo}.get(bound, hi)


def job_mixes(catalog: Catalog | None = None) -> tuple[str, ...]:
    """Job mixes of the catalog (``type: job_mix`` entries of failures.yaml)."""
    return tuple(_entries(catalog or load_catalog(), "job_mix"))


def job_mix_factor(job_mix: str, catalog: Catalog | None = None, bound: Bound = "likely") -> float:
    """Multiplier of the non-hardware causes for a job mix relative to Llama 3's production run.

    Software and user failures follow the code a job runs, not the silicon: a research
    cluster's jobs (new models and configurations every run) fail ~30x more often per
    node-day for non-hardware reasons than a hardened pre-training run (Kokolis et al.,
    arXiv:2410.21680, against Llama 3's Table 5).
    """
    cat = catalog or load_catalog()
    mixes = _entries(cat, "job_mix")
    if job_mix not in mixes:
        allowed = ", ".join(mixes)
        raise InputError(
            [Problem("reliability", "job_mix", f"{job_mix!r} unknown (allowed: {allowed})")]
        )
    lo, mid, hi = mixes[job_mix].q("software_factor").range
    return {"likely": mid, "low": lo}.get(bound, hi)


# ---------------------------------------------------------------------- failure model ----
@dataclass(frozen=True)
class Conditions:
    """Where and how the hardware runs, and what jobs run on it. ``None`` means as in the
    calibration fleet; ``job_mix`` names a catalog ``type: job_mix`` entry (``production``,
    the calibration, or ``research``)."""

    site: str = "land"
    temperature_c: float | None = None
    fleet_age_years: float | None = None
    bound: Bound = "likely"
    job_mix: str = "production"

    def check(self, where: str = "reliability") -> None:
        if self.site not in SITE_TYPES:
            raise InputError(
                [Problem(where, "site", f"{self.site!r} unknown (allowed: {SITE_TYPES})")]
            )
        if self.fleet_age_years is not None and not (0 <= self.fleet_age_years <= 30):
            raise InputError([Problem(where, "fleet_age_years", "allowed: 0..30 years")])
        if self.temperature_c is not None and not (-40 <= self.temperature_c <= 150):
            raise InputError([Problem(where, "temperature_c", "allowed: -40..150 degC")])


@dataclass(frozen=True)
class FailureModel:
    """Failure causes x topology x conditions for one accelerator type."""

    accelerator: str
    topology: Topology
    causes: tuple[FailureCause, ...]
    hardware_multiplier: float
    thermal_multiplier: float
    aging: Bathtub
    conditions: Conditions
    generation_multiplier: float = 1.0
    software_multiplier: float = 1.0

    def cause_multiplier(self, cause: FailureCause, age_factor: float = 1.0) -> float:
        """Site x generation x age x temperature, for hardware causes; software causes take
        the job mix's multiplier instead (they follow the code a job runs, not the silicon)."""
        if not cause.hardware:
            return self.software_multiplier
        m = self.hardware_multiplier * self.generation_multiplier * age_factor
        return m * self.thermal_multiplier

    def age_factor(self, horizon_s: float = 0.0) -> float:
        age = self.conditions.fleet_age_years
        if age is None:
            return 1.0
        return self.aging.mean_factor(age * SECONDS_PER_YEAR, horizon_s)

    def rates_by_cause(
        self, n_gpus: ArrayLike, horizon_s: float = 0.0, counts: str = "all"
    ) -> dict[str, Any]:
        """Interruption rate of a job of ``n_gpus`` per cause [1/s] (arrays broadcast).

        ``counts``: ``all`` (every failure that stops the job) or ``hardware`` (only causes
        that take a device or host out, as hardware-attributed studies count them).
        """
        n = _as_array(n_gpus)
        if np.any(n < 1) or not np.all(np.isfinite(n)):
            raise InputError([Problem("reliability", "n_gpus", "must be an integer >= 1")])
        if counts not in COUNTS:
            raise InputError(
                [Problem("reliability", "counts", f"{counts!r} (allowed: {', '.join(COUNTS)})")]
            )
        devices = self.topology.counts(n)
        af = self.age_factor(horizon_s)
        bound = self.conditions.bound
        return {
            c.id: _out(c.rate(bound) * devices[c.per] * self.cause_multiplier(c, af))
            for c in self.causes
            if c.hardware or counts == "all"
        }

    def job_failure_rate(
        self, n_gpus: ArrayLike, horizon_s: float = 0.0, counts: str = "all"
    ) -> Any:
        rates = self.rates_by_cause(n_gpus, horizon_s, counts)
        return _out(np.sum([_as_array(r) for r in rates.values()], axis=0))

    def hardware_fraction(self, n_gpus: ArrayLike) -> Any:
        """Share of interruptions that take hardware out (needs a spare or a repair)."""
        rates = self.rates_by_cause(n_gpus)
        hw = np.sum([_as_array(rates[c.id]) for c in self.causes if c.hardware], axis=0)
        return _out(hw / _as_array(self.job_failure_rate(n_gpus)))

    def mean_repair_time_s(self, n_gpus: int) -> float:
        rates = self.rates_by_cause(n_gpus)
        hw = [(float(rates[c.id]), c.repair_time_s) for c in self.causes if c.hardware]
        total = sum(r for r, _ in hw)
        return sum(r * t for r, t in hw) / total if total > 0 else 0.0


def failure_model(
    accelerator: str,
    catalog: Catalog | None = None,
    conditions: Conditions | None = None,
) -> FailureModel:
    """The failure model of a catalog accelerator under ``conditions`` (default: land, a
    production job mix, as calibrated)."""
    cat = catalog or load_catalog()
    cond = conditions or Conditions()
    cond.check()
    if accelerator not in cat.kind("accelerators"):
        known = ", ".join(sorted(cat.kind("accelerators")))
        raise InputError([Problem("reliability", "gpu", f"{accelerator!r} unknown ({known})")])
    thermal = 1.0
    if cond.temperature_c is not None:
        thermal = float(temperature_factor(cond.temperature_c, catalog=cat))
    return FailureModel(
        accelerator=accelerator,
        topology=topology_for(accelerator, cat),
        causes=tuple(load_causes(cat)),
        hardware_multiplier=site_factor(cond.site, cat, cond.bound),
        thermal_multiplier=thermal,
        aging=bathtub(cat),
        conditions=cond,
        generation_multiplier=generation_factor(accelerator, cat, cond.bound),
        software_multiplier=job_mix_factor(cond.job_mix, cat, cond.bound),
    )


# ---------------------------------------------------------------- checkpoint & restart ----
def checkpoint_bytes(model: TransformerModel, bytes_per_param: float) -> float:
    """Bytes of one full checkpoint of ``model`` (see ``checkpoint_bytes_of``)."""
    return checkpoint_bytes_of(float(model.params()), bytes_per_param)


def checkpoint_bytes_of(params: float, bytes_per_param: float) -> float:
    """Bytes of one full checkpoint: parameters x (bf16 weights + fp32 master + Adam m, v).

    14 bytes per parameter (ZeRO, Rajbhandari et al. 2020: 16 bytes of mixed-precision Adam
    state, minus the 2-byte gradients a checkpoint does not keep).
    """
    if bytes_per_param <= 0:
        raise InputError([Problem("reliability", "bytes_per_param", "must be > 0")])
    return params * bytes_per_param


def checkpoint_write_time_s(
    size_bytes: ArrayLike, n_gpus: ArrayLike, storage_bandwidth_per_gpu_bps: float
) -> Any:
    """Time to write a checkpoint sharded over all GPUs at the job's storage bandwidth share."""
    if storage_bandwidth_per_gpu_bps <= 0:
        raise InputError([Problem("reliability", "storage_bandwidth", "must be > 0")])
    return _out(_as_array(size_bytes) / (_as_array(n_gpus) * storage_bandwidth_per_gpu_bps))


def young_interval_s(checkpoint_s: ArrayLike, mttf_s: ArrayLike) -> Any:
    """Young (1974): tau = sqrt(2 delta M), first order in delta/M."""
    return _out(np.sqrt(2.0 * _as_array(checkpoint_s) * _as_array(mttf_s)))


def daly_interval_s(checkpoint_s: ArrayLike, mttf_s: ArrayLike) -> Any:
    """Daly (2006) higher-order estimate: sqrt(2dM)[1 + sqrt(d/2M)/3 + d/(18M)] - d (d<2M)."""
    d, m = _as_array(checkpoint_s), _as_array(mttf_s)
    x = d / (2.0 * m)
    tau = np.sqrt(2.0 * d * m) * (1.0 + np.sqrt(x) / 3.0 + x / 9.0) - d
    return _out(np.where(d < 2.0 * m, tau, m))


def optimal_interval_s(checkpoint_s: ArrayLike, mttf_s: ArrayLike, lag_s: ArrayLike = 0.0) -> Any:
    """Exact maximiser of ETTR for exponential failures: tau* = M (1 + W0(-e^(-1 - d/M))),
    no shorter than the time an asynchronous write needs to commit (tau + delta >= L)."""
    from scipy.special import lambertw

    d, m, lag = _as_array(checkpoint_s), _as_array(mttf_s), _as_array(lag_s)
    w = np.real(lambertw(-np.exp(-1.0 - d / m), 0))
    tau = m * (1.0 + w)
    # for d/M < ~1e-9 the Lambert argument rounds to -1/e; Young is exact there
    tau = np.where(d / m < 1e-8, np.sqrt(2.0 * d * m), tau)
    return _out(np.maximum(tau, np.maximum(lag - d, 1e-9)))


def ettr(
    interval_s: ArrayLike,
    checkpoint_s: ArrayLike,
    restart_s: ArrayLike,
    mttf_s: ArrayLike,
    lag_s: ArrayLike = 0.0,
) -> Any:
    """Effective training time ratio for exponential failures (exact; see module docstring).

    interval_s: compute time between checkpoints; checkpoint_s: blocking part of a checkpoint;
    restart_s: time from an interruption to computing again (detection, re-queue, init,
    checkpoint load); lag_s: commit delay of an asynchronous checkpoint.
    """
    tau, d, r, m, lag = (_as_array(x) for x in (interval_s, checkpoint_s, restart_s, mttf_s, lag_s))
    if np.any(tau <= 0) or np.any(m <= 0) or np.any(d < 0) or np.any(r < 0) or np.any(lag < 0):
        raise InputError(
            [Problem("reliability", "ettr", "interval and MTTF must be > 0; costs >= 0")]
        )
    return _out(tau / (m * np.exp((r + lag) / m) * np.expm1((tau + d) / m)))


def spare_wait_s(
    failure_rate_per_s: float, repair_time_s: float, spares: int, hardware_fraction: float
) -> float:
    """Expected wait for a healthy replacement host after a hardware failure.

    Hosts in repair at a failure, D ~ Poisson(lambda_hw MTTR) (PASTA); with S hot spares the
    job waits when D >= S for the (D+1-S)-th of D+1 exponential repairs to finish, which takes
    MTTR (1/(D+1) + 1/D + ... + 1/(S+1)) = MTTR (H(D+1) - H(S)) (harmonic numbers).

    Vectorised over D (one Poisson pmf call, harmonic numbers by digamma), so the cost does
    not grow with the fleet: the plan's deadline search calls this once per cluster size.
    """
    from scipy.special import digamma
    from scipy.stats import poisson

    if spares < 0:
        raise InputError([Problem("reliability", "spares", "must be >= 0")])
    if repair_time_s <= 0:
        return 0.0
    mean_down = failure_rate_per_s * hardware_fraction * repair_time_s
    spread = 10.0 * math.sqrt(mean_down + 1.0)
    lo = max(spares, math.floor(mean_down - spread))
    hi = max(lo, math.ceil(mean_down + spread)) + 10
    d = np.arange(lo, hi + 1, dtype=np.float64)
    p = poisson.pmf(d, mean_down)
    harmonic = digamma(d + 2.0) - digamma(spares + 1.0)  # H(d+1) - H(S)
    return float(np.sum(p * harmonic)) * repair_time_s * hardware_fraction


# ------------------------------------------------------------------------- job summary ----
@dataclass(frozen=True)
class JobReliability:
    """Closed-form reliability of one training job."""

    accelerator: str
    n_gpus: int
    days: float
    interruptions_by_cause: dict[str, float]
    failure_rate_per_s: float
    checkpoint_bytes: float
    checkpoint_write_s: float
    checkpoint_blocking_s: float
    checkpoint_lag_s: float
    restart_s: float
    spare_wait_s: float
    interval_s: float
    young_interval_s: float
    ettr_unplanned: float
    planned_per_day: float
    ettr: float
    hardware_fraction: float
    topology: str
    spare_accelerators: int = 0  # hot spares the spare-wait term assumes are on the floor
    notes: list[str] = field(default_factory=list)

    @property
    def mttf_s(self) -> float:
        return 1.0 / self.failure_rate_per_s

    @property
    def interruptions(self) -> float:
        return sum(self.interruptions_by_cause.values())

    @property
    def interruptions_per_day(self) -> float:
        return self.failure_rate_per_s * SECONDS_PER_DAY

    @property
    def time_factor(self) -> float:
        """Wall time / failure-free time (1 / ETTR)."""
        return 1.0 / self.ettr

    def to_dict(self) -> dict[str, Any]:
        return {
            "accelerator": self.accelerator,
            "n_gpus": self.n_gpus,
            "days": self.days,
            "topology": self.topology,
            "unexpected_interruptions": self.interruptions,
            "unexpected_interruptions_per_day": self.interruptions_per_day,
            "interruptions_by_cause": self.interruptions_by_cause,
            "job_mttf_s": self.mttf_s,
            "job_mttf_h": self.mttf_s / SECONDS_PER_HOUR,
            "hardware_fraction": self.hardware_fraction,
            "checkpoint_bytes": self.checkpoint_bytes,
            "checkpoint_write_s": self.checkpoint_write_s,
            "checkpoint_blocking_s": self.checkpoint_blocking_s,
            "checkpoint_lag_s": self.checkpoint_lag_s,
            "restart_s": self.restart_s,
            "spare_wait_s": self.spare_wait_s,
            "checkpoint_interval_s": self.interval_s,
            "young_interval_s": self.young_interval_s,
            "ettr_unplanned": self.ettr_unplanned,
            "planned_interruptions_per_day": self.planned_per_day,
            "ettr": self.ettr,
            "time_factor": self.time_factor,
            "notes": self.notes,
        }

    def __str__(self) -> str:
        return (
            f"{self.n_gpus:,} x {self.accelerator}: {self.interruptions_per_day:.2f} "
            f"unexpected interruptions/day, job MTTF {self.mttf_s / 3600:.2f} h, checkpoint "
            f"every {self.interval_s / 60:.1f} min, ETTR {self.ettr:.3f}"
        )


def operations_defaults(catalog: Catalog | None = None) -> Entry:
    cat = catalog or load_catalog()
    return _entries(cat, "operations")["operations"]


@dataclass(frozen=True)
class _Checkpoint:
    """Cost of one checkpoint: its size, storage write, the time training blocks for it and
    the lag until it commits (asynchronous: after the write)."""

    size_bytes: float
    write_s: float
    blocking_s: float
    lag_s: float


def _check_job(n_gpus: int, days: float, spare_fraction: float) -> None:
    if n_gpus < 1:
        raise InputError([Problem("reliability", "gpus", f"{n_gpus} (allowed: integer >= 1)")])
    if not (days > 0 and math.isfinite(days)):
        raise InputError([Problem("reliability", "days", f"{days} (allowed: > 0)")])
    if not 0 <= spare_fraction <= 1:
        raise InputError([Problem("reliability", "spare_fraction", "allowed: 0..1")])


def _checkpoint(
    ops: Entry,
    n_gpus: int,
    model: TransformerModel | None,
    size_bytes: float | None,
    bandwidth_per_gpu_bps: float | None,
    asynchronous: bool,
    notes: list[str],
) -> _Checkpoint:
    """Checkpoint size (the model's parameters and Adam state, or as given) and its timing."""
    if size_bytes is None:
        if model is None:
            size_bytes = 0.0
            notes.append("no model given: checkpoint cost taken as zero")
        else:
            size_bytes = checkpoint_bytes(model, ops.q("checkpoint_bytes_per_param").get())
    bw = bandwidth_per_gpu_bps or ops.q("storage_bandwidth_per_gpu").get()
    write = float(checkpoint_write_time_s(size_bytes, n_gpus, bw))
    if asynchronous:
        blocking = size_bytes / n_gpus / ops.q("host_copy_bandwidth").get()
        return _Checkpoint(size_bytes, write, blocking, write)
    return _Checkpoint(size_bytes, write, write, 0.0)


def _restart_s(ops: Entry, restart_overhead_s: float | None, write_s: float) -> float:
    """Restart overhead plus reading the checkpoint back at the write bandwidth."""
    restart = ops.q("restart_overhead").get() if restart_overhead_s is None else restart_overhead_s
    if restart < 0:
        raise InputError([Problem("reliability", "restart_overhead", "must be >= 0")])
    return float(restart + write_s)


def _interval_s(
    ck: _Checkpoint, mttf_s: float, interval_s: float | None, min_interval_s: float
) -> float:
    """The given checkpoint interval, or the one that maximises ETTR (not below a step)."""
    if interval_s is None:
        optimal = float(optimal_interval_s(max(ck.blocking_s, 1e-9), mttf_s, ck.lag_s))
        return max(optimal, min_interval_s)
    if interval_s <= 0:
        raise InputError([Problem("reliability", "checkpoint_interval", "must be > 0")])
    return interval_s


def _planned_per_day(ops: Entry, planned_per_day: float | None) -> float:
    planned = (
        ops.q("planned_interruptions_per_day").get() if planned_per_day is None else planned_per_day
    )
    if planned < 0:
        raise InputError([Problem("reliability", "planned_per_day", "must be >= 0")])
    return float(planned)


def job_reliability(
    accelerator: str,
    n_gpus: int,
    days: float = 1.0,
    model: TransformerModel | None = None,
    *,
    conditions: Conditions | None = None,
    catalog: Catalog | None = None,
    checkpoint_size_bytes: float | None = None,
    storage_bandwidth_per_gpu_bps: float | None = None,
    async_checkpoint: bool = True,
    restart_overhead_s: float | None = None,
    interval_s: float | None = None,
    spare_fraction: float = 0.02,
    planned_per_day: float | None = None,
    min_interval_s: float = 0.0,
) -> JobReliability:
    """Interruptions by cause, MTTF, checkpoint cost and ETTR of one job of ``n_gpus``.

    The checkpoint holds the model's parameters and Adam state (``model``; or give
    ``checkpoint_size_bytes``). Asynchronous checkpoints block only for the device-to-host
    copy and commit after the storage write (lag); synchronous ones block for the write.
    ``interval_s=None`` picks the interval that maximises ETTR, no shorter than
    ``min_interval_s`` (a checkpoint can only be taken between training steps: pass the step
    time).
    """
    cat = catalog or load_catalog()
    _check_job(n_gpus, days, spare_fraction)
    fm = failure_model(accelerator, cat, conditions)
    ops = operations_defaults(cat)
    horizon = days * SECONDS_PER_DAY
    rates = fm.rates_by_cause(n_gpus, horizon)
    lam = float(sum(rates.values()))
    notes: list[str] = []
    ck = _checkpoint(
        ops,
        n_gpus,
        model,
        checkpoint_size_bytes,
        storage_bandwidth_per_gpu_bps,
        async_checkpoint,
        notes,
    )
    restart = _restart_s(ops, restart_overhead_s, ck.write_s)
    hw_fraction = float(fm.hardware_fraction(n_gpus))
    spares = math.floor(spare_fraction * math.ceil(n_gpus / fm.topology.gpus_per_host))
    wait = spare_wait_s(lam, fm.mean_repair_time_s(n_gpus), spares, hw_fraction)
    mttf = 1.0 / lam
    tau = _interval_s(ck, mttf, interval_s, min_interval_s)
    e_u = float(ettr(tau, ck.blocking_s, restart + wait, mttf, ck.lag_s))
    planned = _planned_per_day(ops, planned_per_day)
    # a planned stop checkpoints first (no lost work) and costs one restart
    planned_loss = planned / SECONDS_PER_DAY * (restart + ck.blocking_s)
    return JobReliability(
        accelerator=accelerator,
        n_gpus=n_gpus,
        days=days,
        interruptions_by_cause={k: float(v) * horizon for k, v in rates.items()},
        failure_rate_per_s=lam,
        checkpoint_bytes=ck.size_bytes,
        checkpoint_write_s=ck.write_s,
        checkpoint_blocking_s=ck.blocking_s,
        checkpoint_lag_s=ck.lag_s,
        restart_s=restart,
        spare_wait_s=wait,
        interval_s=tau,
        young_interval_s=float(young_interval_s(max(ck.blocking_s, 1e-9), mttf)),
        ettr_unplanned=e_u,
        planned_per_day=planned,
        ettr=e_u / (1.0 + planned_loss),
        hardware_fraction=hw_fraction,
        spare_accelerators=spares * fm.topology.gpus_per_host,
        topology=fm.topology.id,
        notes=notes,
    )


# ------------------------------------------------------------------- scenario section ----


@dataclass(frozen=True)
class ReliabilityPlan:
    """What the plan gains per training run."""

    name: str
    job: JobReliability

    @property
    def unexpected_interruptions_per_day(self) -> float:
        return self.job.interruptions_per_day

    @property
    def ettr(self) -> float:
        return self.job.ettr

    @property
    def time_factor(self) -> float:
        return self.job.time_factor

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "unexpected_interruptions_per_day": self.unexpected_interruptions_per_day,
            "ettr": self.ettr,
            "goodput_time_factor": self.time_factor,
            "job_mttf_h": self.job.mttf_s / SECONDS_PER_HOUR,
            "checkpoint_interval_s": self.job.interval_s,
            "checkpoint_bytes": self.job.checkpoint_bytes,
        }


def plan_reliability(
    name: str,
    model: TransformerModel,
    accelerator: str,
    n_gpus: int,
    section: ReliabilitySection | Mapping[str, Any] | None = None,
    catalog: Catalog | None = None,
    days: float = 1.0,
    step_time_s: float = 0.0,
) -> ReliabilityPlan:
    """Reliability of one planned training run: interruptions per day, ETTR and the factor
    (1/ETTR) by which failures stretch its failure-free time to train. ``step_time_s`` (from
    the training estimate) bounds the checkpoint interval below."""
    sec = (
        section
        if isinstance(section, ReliabilitySection)
        else ReliabilitySection.model_validate(dict(section or {}))
    )
    bw = sec.storage_bandwidth_gb_per_s_per_gpu
    job = job_reliability(
        accelerator,
        n_gpus,
        days,
        model,
        conditions=Conditions(sec.site, sec.temperature_c, sec.fleet_age_years, sec.bound),
        catalog=catalog,
        storage_bandwidth_per_gpu_bps=None if bw is None else bw * 1e9,
        async_checkpoint=sec.async_checkpoint,
        restart_overhead_s=None
        if sec.restart_overhead_min is None
        else sec.restart_overhead_min * 60,
        interval_s=None
        if sec.checkpoint_interval_min is None
        else sec.checkpoint_interval_min * 60,
        spare_fraction=sec.spare_fraction,
        planned_per_day=sec.planned_interruptions_per_day,
        min_interval_s=step_time_s,
    )
    return ReliabilityPlan(name=name, job=job)
