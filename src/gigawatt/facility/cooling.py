"""Cooling models: IT power and weather -> facility power, water and heat, selectable by name.

Four model functions (``air``, ``liquid``, ``immersion``, ``seawater``) share one thermal
chain, the way a plant engineer adds up a facility:

1. White space: air movement (CRAH / fan coils) in proportion to the heat carried by air.
2. Heat-transport loop (chilled water or facility water): pump power from the flow needed to
   carry the heat at the loop's temperature rise, ``P = Q g H / (c_p dT eta)``, with water
   properties from CoolProp.
3. Heat sink with an integrated economiser (ASHRAE 90.4-2019 §6.5 / ASHRAE Handbook HVAC
   Applications 2019 ch. 20): the sink delivers water at ``T_env + approach``; the fraction
   ``(T_return - T_sink) / (T_return - T_supply)`` of the load is rejected free, the rest by a
   chiller whose COP is a fixed fraction of the Carnot COP at its lift
   ``COP = f T_evap / (T_cond - T_evap)`` (the usual first-order chiller model; Gordon & Ng,
   Cool Thermodynamics, 2000, ch. 3).
4. Sink transport: cooling-tower air flow from the moist-air enthalpy rise (psychrolib
   saturation pressure; evaporation = air flow x humidity-ratio rise, plus blowdown at the
   cycles of concentration), dry-cooler air flow from the sensible rise, once-through
   sea/river water flow from the allowed discharge temperature rise (an environmental limit,
   e.g. +4 degF at Nautilus Stockton) and pump power from the intake head.
5. Electrical losses (UPS, transformers, distribution) as a fraction of the load they serve,
   and miscellaneous loads (lighting, offices) as a fraction of IT.

Everything the facility draws ends as heat: heat rejected = facility power (energy balance,
checked in the tests). Inputs are SI arrays (any shape); outputs have the same shape.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from gigawatt.catalog import Catalog, Entry, load_catalog
from gigawatt.errors import InputError, Problem
from gigawatt.units import CP_DA_J_PER_KG_K, CP_VAPOUR_J_PER_KG_K, KELVIN
from gigawatt.units import STANDARD_GRAVITY_M_PER_S2 as G

from . import properties as props
from .sites import Weather

F64 = NDArray[np.float64]
FILE = "cooling.yaml"
SINKS = ("air-cooled-chiller", "cooling-tower", "dry-cooler", "once-through")
DT_MIN_K = 2.0  # smallest driving temperature difference a sink is sized for (max air flow)
EVAPORATOR_APPROACH_K = 1.5
# Tower leaving air: saturated, this far below the hot-water temperature. With a 10 K range it
# gives liquid-to-gas ratios of ~1-1.5 kg water per kg air, the usual design band (ASHRAE
# Handbook HVAC Systems and Equipment 2020 ch. 40).
TOWER_LEAVING_AIR_APPROACH_K = 8.0
# condenser-water temperatures (degC) at which its heat capacity is read: the loop supply
# temperature held inside the range condenser water runs in
CONDENSER_WATER_RANGE_C = (5.0, 45.0)


@dataclass(frozen=True)
class CoolingConfig:
    """Parameters of one cooling configuration (catalog ``cooling.yaml``), SI."""

    id: str
    name: str
    model: str
    heat_rejection: str
    economiser: bool
    supply_c: float
    loop_delta_t_k: float
    loop_pump_head_m: float
    pump_efficiency: float
    air_fan_fraction: float
    liquid_fraction: float
    sink_approach_k: float
    chiller_carnot_fraction: float
    chiller_condenser_approach_k: float
    chiller_min_lift_k: float
    electrical_loss_fraction: float
    misc_fraction: float
    sink_fan_pressure_pa: float
    fan_efficiency: float
    cycles_of_concentration: float
    discharge_limit_rise_k: float
    intake_head_m: float
    min_rise_k: float
    condenser_pump_head_m: float
    condenser_delta_t_k: float
    server_fan_saving: float
    anchor: str = ""

    @property
    def return_c(self) -> float:
        return self.supply_c + self.loop_delta_t_k

    def with_(self, **changes: Any) -> CoolingConfig:
        from dataclasses import replace

        return replace(self, **changes)

    def __str__(self) -> str:
        return (
            f"{self.name} [{self.id}: model {self.model}, sink {self.heat_rejection}, "
            f"loop {self.supply_c:.0f}/{self.return_c:.0f} degC]"
        )


@dataclass(frozen=True)
class CoolingResult:
    """Power, water and heat flows of a facility at each point (W, kg/s, K), same shape."""

    it_w: F64
    air_fan_w: F64
    loop_pump_w: F64
    chiller_w: F64
    sink_w: F64  # tower / dry-cooler fans or once-through pumps
    misc_w: F64
    electrical_loss_w: F64
    heat_rejected_w: F64  # computed from the sink's own flows (energy balance check)
    water_evaporated_kg_per_s: F64
    water_blowdown_kg_per_s: F64
    water_withdrawn_kg_per_s: F64  # once-through: returned to the water body
    discharge_rise_k: F64
    free_cooling_fraction: F64
    condenser_pump_w: F64  # tower (condenser-water) loop pumps
    it_fan_saving_w: F64  # IT power not drawn because server fans were removed (immersion)

    @property
    def it_nominal_w(self) -> F64:
        """The IT power asked for (as air-cooled servers would draw it)."""
        return self.it_w + self.it_fan_saving_w

    @property
    def cooling_w(self) -> F64:
        return (
            self.air_fan_w + self.loop_pump_w + self.chiller_w + self.sink_w + self.condenser_pump_w
        )

    @property
    def facility_w(self) -> F64:
        return self.it_w + self.cooling_w + self.misc_w + self.electrical_loss_w

    @property
    def pue(self) -> F64:
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.it_w > 0, self.facility_w / self.it_w, np.nan)

    @property
    def water_consumed_kg_per_s(self) -> F64:
        return self.water_evaporated_kg_per_s + self.water_blowdown_kg_per_s


def _q(entry: Entry, key: str, defaults: Entry | None = None) -> float:
    """A quantity of a configuration, else of cooling_defaults.yaml ``defaults``."""
    v = entry.value(key)
    if v is None and defaults is not None:
        v = defaults.value(key)
    if v is None:
        raise InputError([Problem(FILE, f"{entry.id}.{key}", "required quantity missing")])
    return v


def config_from_entry(entry: Entry, defaults: Entry | None = None) -> CoolingConfig:
    """A configuration from its cooling.yaml entry; parameters it leaves out come from
    ``defaults`` (cooling_defaults.yaml)."""
    model = str(entry.get("model", ""))
    sink = str(entry.get("heat_rejection", ""))
    problems = []
    if model not in MODELS:
        problems.append(Problem(FILE, f"{entry.id}.model", f"allowed: {', '.join(MODELS)}"))
    if sink not in SINKS:
        problems.append(Problem(FILE, f"{entry.id}.heat_rejection", f"allowed: {', '.join(SINKS)}"))
    if problems:
        raise InputError(problems)
    cfg = CoolingConfig(
        id=entry.id,
        name=entry.name,
        model=model,
        heat_rejection=sink,
        economiser=bool(entry.get("economiser", False)),
        supply_c=_q(entry, "supply_temperature"),
        loop_delta_t_k=_q(entry, "loop_delta_t"),
        loop_pump_head_m=_q(entry, "loop_pump_head"),
        pump_efficiency=_q(entry, "pump_efficiency"),
        air_fan_fraction=_q(entry, "air_fan_fraction"),
        liquid_fraction=_q(entry, "liquid_fraction"),
        sink_approach_k=_q(entry, "sink_approach"),
        chiller_carnot_fraction=_q(entry, "chiller_carnot_fraction"),
        chiller_condenser_approach_k=_q(entry, "chiller_condenser_approach"),
        chiller_min_lift_k=_q(entry, "chiller_min_lift"),
        electrical_loss_fraction=_q(entry, "electrical_loss_fraction"),
        misc_fraction=_q(entry, "misc_fraction"),
        sink_fan_pressure_pa=_q(entry, "sink_fan_pressure", defaults),
        fan_efficiency=_q(entry, "fan_efficiency", defaults),
        cycles_of_concentration=_q(entry, "cycles_of_concentration", defaults),
        discharge_limit_rise_k=_q(entry, "discharge_limit_rise", defaults),
        intake_head_m=_q(entry, "intake_head", defaults),
        min_rise_k=_q(entry, "min_rise", defaults),
        condenser_pump_head_m=_q(entry, "condenser_pump_head", defaults),
        condenser_delta_t_k=_q(entry, "condenser_delta_t", defaults),
        server_fan_saving=_q(entry, "server_fan_saving", defaults),
        anchor=str(entry.get("anchor", "")),
    )
    check_config(cfg)
    return cfg


def check_config(cfg: CoolingConfig) -> None:
    """Reject parameter sets no plant could have, naming the field and the allowed range."""
    checks: list[tuple[str, float, float, float]] = [
        ("pump_efficiency", cfg.pump_efficiency, 0.05, 1.0),
        ("fan_efficiency", cfg.fan_efficiency, 0.05, 1.0),
        ("chiller_carnot_fraction", cfg.chiller_carnot_fraction, 0.05, 1.0),
        ("liquid_fraction", cfg.liquid_fraction, 0.0, 1.0),
        ("air_fan_fraction", cfg.air_fan_fraction, 0.0, 1.0),
        ("electrical_loss_fraction", cfg.electrical_loss_fraction, 0.0, 0.5),
        ("misc_fraction", cfg.misc_fraction, 0.0, 0.5),
        ("loop_delta_t", cfg.loop_delta_t_k, 0.5, 40.0),
        ("supply_temperature", cfg.supply_c, 2.0, 60.0),
        ("cycles_of_concentration", cfg.cycles_of_concentration, 1.1, 50.0),
        ("discharge_limit_rise", cfg.discharge_limit_rise_k, 0.1, 20.0),
        ("min_rise", cfg.min_rise_k, 0.01, cfg.discharge_limit_rise_k),
        ("chiller_min_lift", cfg.chiller_min_lift_k, 1.0, 60.0),
        ("condenser_pump_head", cfg.condenser_pump_head_m, 0.0, 100.0),
        ("condenser_delta_t", cfg.condenser_delta_t_k, 1.0, 20.0),
        ("server_fan_saving", cfg.server_fan_saving, 0.0, 0.3),
    ]
    problems = [
        Problem(FILE, f"{cfg.id}.{name}", f"{value:g} outside the allowed range {lo:g}..{hi:g}")
        for name, value, lo, hi in checks
        if not (lo <= value <= hi)
    ]
    if problems:
        raise InputError(problems)


def chiller_cop(
    evaporator_c: ArrayLike, condenser_c: ArrayLike, carnot_fraction: float, min_lift_k: float
) -> F64:
    """Chiller COP as a fraction of the Carnot COP at its lift.

    ``COP = f (T_evap + 273.15) / max(T_cond - T_evap, min_lift)``. A fixed Carnot fraction
    is the first-order model of Gordon & Ng, Cool Thermodynamics (2000) ch. 3; fractions of
    0.45 (air-cooled screw) to 0.6 (water-cooled centrifugal) reproduce AHRI 550/590 ratings.
    The minimum lift stands for head-pressure control (the COP does not grow without bound).
    """
    t_evap = np.asarray(evaporator_c, dtype=float)
    lift = np.maximum(np.asarray(condenser_c, dtype=float) - t_evap, min_lift_k)
    return np.asarray(carnot_fraction * (t_evap + KELVIN) / lift, dtype=float)


def pump_power_w(
    heat_w: ArrayLike, delta_t_k: ArrayLike, head_m: float, efficiency: float, cp: ArrayLike
) -> F64:
    """Pump power to carry ``heat_w`` at a temperature rise ``delta_t_k`` against ``head_m``.

    ``P = m_dot g H / eta`` with ``m_dot = Q / (c_p dT)`` (head in metres of the pumped fluid,
    so density cancels)."""
    m_dot = np.asarray(heat_w, dtype=float) / (np.asarray(cp, dtype=float) * delta_t_k)
    return np.asarray(m_dot * G * head_m / efficiency, dtype=float)


def _check_inputs(it_w: F64, weather: Weather, cfg: CoolingConfig) -> None:
    problems: list[Problem] = []
    if not np.all(np.isfinite(it_w)) or np.any(it_w < 0):
        problems.append(Problem("<input>", "it_power", "IT power must be finite and >= 0 W"))
    if np.any(it_w > 1e11):
        problems.append(Problem("<input>", "it_power", "IT power above 100 GW per site"))
    t = weather.dry_bulb_c
    if not np.all(np.isfinite(t)) or np.any(t < -60) or np.any(t > 60):
        problems.append(Problem("<input>", "dry_bulb", "air temperature must lie in -60..60 degC"))
    if cfg.heat_rejection == "once-through":
        if weather.water_c is None:
            problems.append(
                Problem(
                    "<input>",
                    "water_temperature",
                    f"cooling {cfg.id!r} needs a site with water temperatures (a floating or "
                    "coastal site)",
                )
            )
        else:
            w = weather.water_c
            if not np.all(np.isfinite(w)) or np.any(w < -2) or np.any(w > 40):
                problems.append(
                    Problem("<input>", "water_temperature", "water must lie in -2..40 degC")
                )
    if problems:
        raise InputError(problems)


def self_heating_pump_w(
    heat_w: ArrayLike, head_m: float, delta_t_k: float, efficiency: float, cp: float
) -> F64:
    """Pump power of a water loop whose pump work ends in the water it moves.

    ``P = k (Q + P)`` with ``k = g H / (c_p dT eta)`` (flow from ``pump_power_w``), so
    ``P = k Q / (1 - k)``."""
    k = G * head_m / (cp * delta_t_k * efficiency)
    return np.asarray(k * np.asarray(heat_w, dtype=float) / (1.0 - k), dtype=float)


def _white_space(it_w: F64, cfg: CoolingConfig) -> tuple[F64, F64]:
    """Stage 1: (air-movement fans, miscellaneous loads). Fans in proportion to the heat the
    air carries (the share not on cold plates or in fluid)."""
    air_heat = it_w * (1.0 - cfg.liquid_fraction)
    return cfg.air_fan_fraction * air_heat, cfg.misc_fraction * it_w


def _loop_pump(heat_w: F64, cfg: CoolingConfig) -> F64:
    """Stage 2: heat-transport loop pumps, water properties at the loop's mean temperature."""
    t_loop = 0.5 * (cfg.supply_c + cfg.return_c)
    cp = float(props.water_cp_j_per_kg_k(t_loop))
    return self_heating_pump_w(
        heat_w, cfg.loop_pump_head_m, cfg.loop_delta_t_k, cfg.pump_efficiency, cp
    )


def _sink_environment_c(weather: Weather, cfg: CoolingConfig, shape: tuple[int, ...]) -> F64:
    """The temperature the sink rejects to: wet bulb (tower), water (once-through), dry bulb."""
    if cfg.heat_rejection == "cooling-tower":
        return np.broadcast_to(weather.wet_bulb_c, shape)
    if cfg.heat_rejection == "once-through":
        assert weather.water_c is not None
        return np.broadcast_to(weather.water_c, shape)
    return np.broadcast_to(weather.dry_bulb_c, shape)


def _economiser_and_chiller(q_loop: F64, t_sink: F64, cfg: CoolingConfig) -> tuple[F64, F64]:
    """Stage 3: (free-cooling fraction, chiller power). The integrated economiser rejects
    ``(T_return - T_sink) / (T_return - T_supply)`` of the load free (none behind an
    air-cooled chiller); the chiller the rest at ``chiller_cop``."""
    t_s, t_r = cfg.supply_c, cfg.return_c
    if cfg.economiser and cfg.heat_rejection != "air-cooled-chiller":
        free = np.clip((t_r - t_sink) / (t_r - t_s), 0.0, 1.0)
    else:
        free = np.zeros(q_loop.shape)
    q_mech = (1.0 - free) * q_loop
    t_evap = t_s - EVAPORATOR_APPROACH_K
    t_cond = t_sink + cfg.chiller_condenser_approach_k
    cop = chiller_cop(t_evap, t_cond, cfg.chiller_carnot_fraction, cfg.chiller_min_lift_k)
    return free, q_mech / cop


def _condenser_pump(heat_w: F64, cfg: CoolingConfig) -> F64:
    """Condenser-water (tower) loop pumps; their work ends in the water the tower cools.
    Water properties at the loop supply temperature, held inside the property table."""
    if cfg.heat_rejection != "cooling-tower" or cfg.condenser_pump_head_m <= 0:
        return np.zeros(heat_w.shape)
    t_cw = float(np.clip(cfg.supply_c, *CONDENSER_WATER_RANGE_C))
    cp = float(props.water_cp_j_per_kg_k(t_cw))
    return self_heating_pump_w(
        heat_w, cfg.condenser_pump_head_m, cfg.condenser_delta_t_k, cfg.pump_efficiency, cp
    )


@dataclass(frozen=True)
class SinkFlows:
    """Stage 4: what a heat sink draws and moves (W, kg/s, K), arrays of one shape."""

    sink_w: F64
    heat_to_sink_w: F64
    evaporated_kg_per_s: F64
    blowdown_kg_per_s: F64
    withdrawn_kg_per_s: F64
    discharge_rise_k: F64


def _sink_flows(
    sink_w: F64,
    heat_w: F64,
    evap: F64 | None = None,
    blowdown: F64 | None = None,
    withdrawn: F64 | None = None,
    rise: F64 | None = None,
) -> SinkFlows:
    zeros = np.zeros(heat_w.shape)
    return SinkFlows(
        sink_w=np.asarray(sink_w, dtype=float),
        heat_to_sink_w=np.asarray(heat_w, dtype=float),
        evaporated_kg_per_s=zeros.copy() if evap is None else evap,
        blowdown_kg_per_s=zeros.copy() if blowdown is None else blowdown,
        withdrawn_kg_per_s=zeros.copy() if withdrawn is None else withdrawn,
        discharge_rise_k=zeros.copy() if rise is None else np.asarray(rise, dtype=float),
    )


def _cooling_tower(q_sink: F64, weather: Weather, env_c: F64, cfg: CoolingConfig) -> SinkFlows:
    """Tower air flow from the moist-air enthalpy rise; leaving air saturated below the hot
    water; evaporation = air flow x humidity-ratio rise, blowdown at the cycles of
    concentration (ASHRAE Handbook HVAC Systems and Equipment 2020 ch. 40)."""
    shape = q_sink.shape
    t_db = np.broadcast_to(weather.dry_bulb_c, shape)
    w_in = np.broadcast_to(weather.humidity_ratio, shape)
    p = weather.pressure_pa
    t_out = np.maximum(cfg.return_c - TOWER_LEAVING_AIR_APPROACH_K, env_c + DT_MIN_K)
    h_in = props.moist_air_enthalpy_j_per_kg(t_db, w_in)
    w_out = props.saturation_humidity_ratio(t_out, p)
    h_out = props.moist_air_enthalpy_j_per_kg(t_out, w_out)
    m_air = q_sink / (h_out - h_in)  # kg dry air / s
    rho_air = props.moist_air_density_kg_per_m3(t_out, w_out, p)
    fan_w = m_air * (1.0 + w_out) / rho_air * cfg.sink_fan_pressure_pa / cfg.fan_efficiency
    evap = m_air * np.maximum(w_out - w_in, 0.0)
    blowdown = evap / (cfg.cycles_of_concentration - 1.0)
    return _sink_flows(fan_w, m_air * (h_out - h_in), evap=evap, blowdown=blowdown)


def _dry_cooler(q_sink: F64, weather: Weather, env_c: F64, cfg: CoolingConfig) -> SinkFlows:
    """Dry-cooler air flow from the sensible rise of moist air to the approach below the
    return water (at least ``DT_MIN_K``); fan power from the coil's pressure drop."""
    shape = q_sink.shape
    w_in = np.broadcast_to(weather.humidity_ratio, shape)
    dt_air = np.maximum(cfg.return_c - cfg.sink_approach_k - env_c, DT_MIN_K)
    cp_air = CP_DA_J_PER_KG_K + w_in * CP_VAPOUR_J_PER_KG_K
    m_air = q_sink / (cp_air * dt_air)
    rho_air = props.moist_air_density_kg_per_m3(env_c, w_in, weather.pressure_pa)
    fan_w = m_air * (1.0 + w_in) / rho_air * cfg.sink_fan_pressure_pa / cfg.fan_efficiency
    return _sink_flows(fan_w, m_air * cp_air * dt_air)


def _once_through(q_sink: F64, weather: Weather, env_c: F64, cfg: CoolingConfig) -> SinkFlows:
    """Sea or river water pumped through and discharged at most ``discharge_limit_rise``
    warmer; the pump's work also ends in the stream: ``m c_p dT = Q + m g H / eta``."""
    rise = np.clip(
        cfg.return_c - cfg.sink_approach_k - env_c, cfg.min_rise_k, cfg.discharge_limit_rise_k
    )
    cp_sea = props.seawater_cp_j_per_kg_k(env_c)
    m_sea = q_sink / (cp_sea * rise - G * cfg.intake_head_m / cfg.pump_efficiency)
    pump_w = m_sea * G * cfg.intake_head_m / cfg.pump_efficiency
    return _sink_flows(pump_w, m_sea * cp_sea * rise - pump_w, withdrawn=m_sea, rise=rise)


def _air_cooled(q_sink: F64, weather: Weather, env_c: F64, cfg: CoolingConfig) -> SinkFlows:
    """Air-cooled chiller: its condenser fans are inside the COP, nothing more to draw."""
    return _sink_flows(np.zeros(q_sink.shape), q_sink.copy())


SINK_MODELS: dict[str, Callable[[F64, Weather, F64, CoolingConfig], SinkFlows]] = {
    "cooling-tower": _cooling_tower,
    "dry-cooler": _dry_cooler,
    "once-through": _once_through,
    "air-cooled-chiller": _air_cooled,
}


def _thermal_chain(it_power_w: ArrayLike, weather: Weather, cfg: CoolingConfig) -> CoolingResult:
    """The chain of the module docstring, stage by stage; each stage's heat feeds the next."""
    it_nominal = np.asarray(it_power_w, dtype=float)
    it_nominal = np.broadcast_to(
        it_nominal, np.broadcast(it_nominal, weather.dry_bulb_c).shape
    ).astype(float)
    _check_inputs(it_nominal, weather, cfg)
    # 0. servers without fans (immersion) draw less for the same work
    fan_saving = cfg.server_fan_saving * it_nominal
    it_w = it_nominal - fan_saving
    air_fan, misc = _white_space(it_w, cfg)
    q0 = it_w + air_fan + misc
    loop_pump = _loop_pump(q0, cfg)
    q_loop = q0 + loop_pump
    env_c = _sink_environment_c(weather, cfg, it_w.shape)
    free, chiller = _economiser_and_chiller(q_loop, env_c + cfg.sink_approach_k, cfg)
    condenser_pump = _condenser_pump(q_loop + chiller, cfg)
    q_sink = q_loop + chiller + condenser_pump  # heat the sink must carry away
    flows = SINK_MODELS[cfg.heat_rejection](q_sink, weather, env_c, cfg)
    # 5. electrical losses in proportion to the load they serve
    load = it_w + misc + air_fan + loop_pump + chiller + flows.sink_w + condenser_pump
    losses = cfg.electrical_loss_fraction * load
    return CoolingResult(
        it_w=it_w,
        air_fan_w=air_fan,
        loop_pump_w=loop_pump,
        chiller_w=chiller,
        sink_w=flows.sink_w,
        misc_w=misc,
        electrical_loss_w=losses,
        heat_rejected_w=np.asarray(flows.heat_to_sink_w + flows.sink_w + losses, dtype=float),
        water_evaporated_kg_per_s=flows.evaporated_kg_per_s,
        water_blowdown_kg_per_s=flows.blowdown_kg_per_s,
        water_withdrawn_kg_per_s=flows.withdrawn_kg_per_s,
        discharge_rise_k=flows.discharge_rise_k,
        free_cooling_fraction=free,
        condenser_pump_w=np.asarray(condenser_pump, dtype=float),
        it_fan_saving_w=np.asarray(fan_saving, dtype=float),
    )


def air(it_power_w: ArrayLike, weather: Weather, cfg: CoolingConfig) -> CoolingResult:
    """Air-cooled white space: CRAH fans, chilled water, chillers, optional economiser.

    Legacy halls (air-cooled chillers, no economiser, 7 degC chilled water, constant-speed
    CRAHs) land near the Uptime Institute 2024 survey average PUE of 1.56; hyperscale halls
    (containment, 18 degC water, towers with integrated water-side economiser, 99 % UPS) near
    Google's 2023 fleet PUE of 1.10. Chiller COP vs lift and economiser hours follow the
    module-level chain (ASHRAE Handbook HVAC Applications 2019 ch. 20; Gordon & Ng 2000).
    """
    return _thermal_chain(it_power_w, weather, cfg)


def liquid(it_power_w: ArrayLike, weather: Weather, cfg: CoolingConfig) -> CoolingResult:
    """Direct-to-chip liquid cooling with warm facility water (ASHRAE W32-W45).

    ``liquid_fraction`` of the IT heat goes to cold plates (NVIDIA GB200 NVL72: ~85 %), the
    rest to air removed by fan coils on the same water. Warm supply water lets dry coolers or
    cooling towers reject the heat without chillers for most hours (ASHRAE TC9.9 Liquid
    Cooling Guidelines 2021; OCP Advanced Cooling Solutions 2022); towers evaporate water.
    """
    return _thermal_chain(it_power_w, weather, cfg)


def immersion(it_power_w: ArrayLike, weather: Weather, cfg: CoolingConfig) -> CoolingResult:
    """Single-phase immersion: all heat to dielectric fluid, no air path, warm water to dry
    coolers (GRC ICEraQ, Submer SmartPod specifications 2023).

    Server fans are removed, so the servers draw ``server_fan_saving`` less than the same
    servers air-cooled (catalog ``cooling.yaml``, with its source). ``it_power_w`` is the
    air-cooled (nameplate) IT power; the result's ``it_w`` is what the immersed servers draw
    and ``it_fan_saving_w`` the difference. PUE is computed on the reduced IT power, as an
    operator would meter it, so immersion's advantage shows in facility power, not in PUE."""
    if cfg.liquid_fraction < 1.0 or cfg.air_fan_fraction > 0.0:
        raise InputError(
            [
                Problem(
                    FILE,
                    f"{cfg.id}.liquid_fraction",
                    "immersion needs liquid_fraction 1 and air_fan_fraction 0",
                )
            ]
        )
    return _thermal_chain(it_power_w, weather, cfg)


def seawater(it_power_w: ArrayLike, weather: Weather, cfg: CoolingConfig) -> CoolingResult:
    """Once-through sea or river water for floating (or coastal) sites.

    Water is pumped from the intake through titanium plate heat exchangers (approach 1-3 K)
    that cool a closed loop (rear doors or CDUs) and is discharged at most
    ``discharge_limit_rise`` warmer than the intake (+4 degF under Nautilus Data Technologies'
    Stockton permit). Flow ``m = Q / (c_p dT)`` with seawater properties (CoolProp MITSW),
    pump power ``m g H / eta`` from the intake head. When the intake is too warm to reach the
    loop supply temperature, a trim chiller rejects to the same water. Microsoft's Natick
    phase 2 subsea vessel reported PUE 1.07; Nautilus claims ~1.05.
    """
    return _thermal_chain(it_power_w, weather, cfg)


MODELS: dict[str, Callable[[ArrayLike, Weather, CoolingConfig], CoolingResult]] = {
    "air": air,
    "liquid": liquid,
    "immersion": immersion,
    "seawater": seawater,
}


def cooling_ids(catalog: Catalog | None = None) -> list[str]:
    return sorted((catalog or load_catalog()).kind("cooling"))


def get_cooling(cooling_id: str, catalog: Catalog | None = None) -> CoolingConfig:
    cat = catalog or load_catalog()
    items = cat.kind("cooling")
    if cooling_id not in items:
        raise InputError(
            [
                Problem(
                    FILE,
                    "cooling",
                    f"unknown cooling {cooling_id!r}; known: {', '.join(sorted(items))}",
                )
            ]
        )
    return config_from_entry(items[cooling_id], cat.get("cooling_defaults", "defaults"))


def simulate(it_power_w: ArrayLike, weather: Weather, cfg: CoolingConfig) -> CoolingResult:
    """Run the model the configuration names (``cfg.model``)."""
    return MODELS[cfg.model](it_power_w, weather, cfg)
