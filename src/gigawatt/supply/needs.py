"""Wafers per accelerator: bill of materials -> dies -> wafers, by product, vendor and node.

For one accelerator (its ``bom.yaml`` entry) and one set of sampled catalog figures, every
wafer the accelerator needs is a *stream*: a category (HBM core dies, HBM base dies, host
DRAM, logic dies, CoWoS interposers), the product, vendor and process node, the capacity it
draws on and the wafers per accelerator. Working backwards from a good, packaged
accelerator:

    good packages  = 1
    packages built = 1 / y_cowos                    (assembly scraps the dies and stacks on it)
    good stacks    = n_stacks / y_cowos
    stacks started = good stacks / (y_layer^h * y_final_test)
    core dies      = stacks started * h             (all known-good dies of a failed stack are lost)
    core wafers    = core dies * share_v / (gross_dies(A_core) * y_die(A_core, D_node))
    A_core         = density / bit_density_node * area_factor_product

and the same for base dies (DRAM or logic process), host DRAM (no stacking), logic dies
(critical area = area * critical_area_fraction: defects in harvested SMs/CUs are tolerated)
and interposers (packages per CoWoS wafer by exact grid count). All arrays have the shape of
the sampler, so one call covers a whole Monte Carlo run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from gigawatt.bom import bom_entry, build_line
from gigawatt.catalog import Catalog, Entry, Quantity
from gigawatt.errors import CatalogError, InputError, Problem
from gigawatt.supply.geometry import gross_dies_per_wafer, packages_per_wafer
from gigawatt.supply.network import REFERENCE_FABRIC_GPUS, network_parts
from gigawatt.supply.sampling import Sampler
from gigawatt.supply.yields import YIELD_MODELS, YieldModel, check_fraction, die_yield
from gigawatt.units import UNITS

FloatArray = NDArray[np.float64]
BITS_PER_BYTE = 8.0
M2_PER_MM2 = UNITS["mm2"][0]
# A die may match the reticle field exactly; the slack absorbs rounding of the mm2 -> m2
# conversion so that such a die is not rejected as larger than the reticle.
RETICLE_TOLERANCE = 1.0001
# Sampled interposer areas are snapped to a 10 mm2 grid so that Monte Carlo samples share the
# cached exact packages-per-wafer counts (a 10 mm2 step moves a ~2,000 mm2 interposer by 0.5 %).
INTERPOSER_AREA_STEP_MM2 = 10.0

# Capacity a stream draws on: "dram", "hbm_tsv:<vendor>", "cowos", "logic:<node>".
# Lead kind: which lead time separates its wafer start from the accelerator's deployment.


@dataclass(frozen=True)
class Stream:
    """Wafers of one kind per accelerator (array over Monte Carlo samples)."""

    category: str  # hbm_core | hbm_base | host_dram | logic | cowos | network
    product: str  # hbm3e, ddr5, lpddr5x, gpu die name, cowos-l, ...
    vendor: str
    node: str
    constraints: tuple[str, ...]
    lead: str  # hbm | hbm_base_logic | ddr | logic | cowos | network
    wafers_per_unit: FloatArray
    cost_per_wafer_usd: FloatArray

    @property
    def is_dram(self) -> bool:
        return "dram" in self.constraints

    @property
    def is_hbm(self) -> bool:
        return self.category in ("hbm_core", "hbm_base") and self.is_dram


@dataclass(frozen=True)
class UnitNeeds:
    """Everything one accelerator takes from the fabs, per Monte Carlo sample."""

    bom_id: str
    accelerator: str
    streams: tuple[Stream, ...]
    hbm_bits: FloatArray  # shipped HBM bits per accelerator
    hbm_bits_started: FloatArray  # core-die bits on wafers started (gross dies x density)
    hbm_yield_chain: FloatArray  # y_die * y_stack * y_cowos (for conservation checks)
    host_bits: FloatArray
    hbm_product: str | None
    host_product: str | None
    tdp_w: FloatArray
    it_power_w: FloatArray
    notes: dict[str, Any] = field(default_factory=dict)

    def total(self, predicate: Any) -> FloatArray:
        """Sum of wafers per accelerator over the streams for which ``predicate(s)`` holds."""
        out = np.zeros_like(self.hbm_bits)
        for s in self.streams:
            if predicate(s):
                out = out + s.wafers_per_unit
        return out

    @property
    def hbm_dram_wafers(self) -> FloatArray:
        return self.total(lambda s: s.is_hbm)

    @property
    def ddr_dram_wafers(self) -> FloatArray:
        return self.total(lambda s: s.category == "host_dram")

    @property
    def logic_wafers(self) -> FloatArray:
        return self.total(lambda s: s.category in ("logic", "hbm_base") and not s.is_dram)

    @property
    def cowos_wafers(self) -> FloatArray:
        return self.total(lambda s: s.category == "cowos")

    @property
    def network_wafers(self) -> FloatArray:
        """Logic wafers of NIC, NVLink switch and scale-out switch ASICs per accelerator."""
        return self.total(lambda s: s.category == "network")


def bom_for(accelerator: str, catalog: Catalog) -> Entry:
    """The bill of materials of a catalog accelerator (``<id>-bom`` in bom.yaml)."""
    return bom_entry(accelerator, catalog)


def with_fields(entry: Entry, **changes: Any) -> Entry:
    """A copy of a catalog entry with some fields replaced (what-if BOMs, e.g. HBM4 stacks)."""
    fields = dict(entry.fields)
    fields.update(changes)
    return Entry(entry.id, entry.kind, entry.file, fields)


def point(value: float, source: str = "what-if input", unit: str = "1") -> Quantity:
    """A sourced point quantity in SI (for what-if BOM fields)."""
    return Quantity(value, "1", source, unit=unit)


def _vendor_shares(product: Entry, sampler: Sampler) -> dict[str, FloatArray]:
    raw = product.get("vendor_share")
    if not isinstance(raw, Mapping) or not raw:
        raise CatalogError([Problem(product.file, f"{product.id}.vendor_share", "missing")])
    shares = {
        v: check_fraction(
            f"{product.id}.vendor_share.{v}", sampler.field(product, "vendor_share", v)
        )
        for v in raw
    }
    total = sum(shares.values())
    if np.any(np.asarray(total) <= 0):
        raise CatalogError([Problem(product.file, f"{product.id}.vendor_share", "shares sum to 0")])
    return {v: s / total for v, s in shares.items() if np.any(s > 0)}


def _str_field(entry: Entry, *path: str) -> str:
    node: Any = entry.fields
    for p in path:
        node = node.get(p) if isinstance(node, Mapping) else None
    if not isinstance(node, str):
        raise CatalogError(
            [Problem(entry.file, f"{entry.id}.{'.'.join(path)}", "missing id (a string)")]
        )
    return node


class _Ctx:
    """Shared lookups for one computation: catalog, sampler, yield model, wafer geometry."""

    def __init__(self, catalog: Catalog, sampler: Sampler, yield_model: YieldModel) -> None:
        if yield_model not in YIELD_MODELS:
            raise InputError(
                [
                    Problem(
                        "supply",
                        "yield_model",
                        f"unknown {yield_model!r}; allowed: {', '.join(YIELD_MODELS)}",
                    )
                ]
            )
        self.cat = catalog
        self.s = sampler
        self.model: YieldModel = yield_model
        wafer = catalog.get("fab", "wafer-300mm")
        self.diameter = sampler.field(wafer, "diameter")
        self.edge = sampler.field(wafer, "edge_exclusion")
        self.scribe = sampler.field(wafer, "scribe")
        self.reticle = sampler.field(wafer, "reticle_area")

    def node(self, node_id: str) -> Entry:
        return self.cat.get("fab", node_id)

    def good_dies_per_wafer(
        self, area: FloatArray, node: Entry, critical: FloatArray | None = None
    ) -> FloatArray:
        gross = gross_dies_per_wafer(area, self.diameter, self.edge, self.scribe)
        y = die_yield(
            area if critical is None else area * critical,
            self.s.field(node, "defect_density"),
            self.model,
            self.s.field(node, "cluster_alpha"),
        )
        good = gross * y
        if np.any(good <= 0):
            raise InputError(
                [Problem(node.file, node.id, "no good dies per wafer for this die size and yield")]
            )
        return np.asarray(good, dtype=float)

    def price(self, node: Entry) -> FloatArray:
        key = "wafer_cost" if node.get("kind") == "dram_node" else "wafer_price"
        return self.s.field(node, key)


def _assembly_yield(package: Entry | None, s: Sampler) -> FloatArray:
    """CoWoS assembly yield of the package (1 without one): a failed assembly scraps all on it."""
    if package is None:
        return np.ones(s.size)
    return check_fraction(f"{package.id}.assembly_yield", s.field(package, "assembly_yield"))


def _package(bom: Entry, catalog: Catalog) -> Entry | None:
    """The BOM's advanced package (fab.yaml cowos-s / cowos-l), or None for bare dies."""
    package = bom.get("package")
    if isinstance(package, str) and package not in ("none", ""):
        return catalog.get("fab", package)
    return None


def _dram_die_area_m2(
    die_bits: FloatArray, node: Entry, area_factor: FloatArray, s: Sampler
) -> FloatArray:
    """Area of a DRAM die of ``die_bits`` on ``node``: bits over the node's bit density, times
    the product's area factor (HBM's TSVs and wider I/O take more area per bit than DDR)."""
    area: FloatArray = die_bits / (s.field(node, "bit_density") * BITS_PER_BYTE) * area_factor
    return area


def _stack_height_and_yield(bom: Entry, prod: Entry, s: Sampler) -> tuple[FloatArray, FloatArray]:
    """Stack height (dies) and stack yield ``y_layer^h * y_final_test`` of an HBM product."""
    height = s.field(bom, "stack_height")
    key = f"h{round(bom.q('stack_height').get())}"
    layers = prod.get("layer_yield", {})
    if key not in layers:
        raise InputError(
            [
                Problem(
                    prod.file,
                    f"{prod.id}.layer_yield",
                    f"no stacking yield for {key}; heights with data: {', '.join(layers)}",
                )
            ]
        )
    y_layer = check_fraction(f"{prod.id}.layer_yield.{key}", s.field(prod, "layer_yield", key))
    y_final = check_fraction(f"{prod.id}.final_test_yield", s.field(prod, "final_test_yield"))
    return height, y_layer**height * y_final


def _hbm_base_stream(
    prod: Entry,
    vendor: str,
    share: FloatArray,
    started_stacks: FloatArray,
    base_area_m2: FloatArray,
    ctx: _Ctx,
) -> Stream:
    """Base (logic) dies under one vendor's stacks: one per stack started, on a DRAM process
    (drawing on the vendor's DRAM and TSV lines) or on a foundry logic node."""
    base_node = ctx.node(_str_field(prod, "base_die_process", vendor))
    base_good = ctx.good_dies_per_wafer(base_area_m2, base_node)
    if base_node.get("kind") == "dram_node":
        cons: tuple[str, ...] = ("dram", f"dram:{vendor}", f"hbm_tsv:{vendor}")
        lead = "hbm"
    else:
        cons = (f"logic:{base_node.id}",)
        lead = "hbm_base_logic"
    return Stream(
        "hbm_base",
        prod.id.removesuffix("-mfg"),
        vendor,
        base_node.id,
        cons,
        lead,
        share * started_stacks / base_good,
        ctx.price(base_node),
    )


@dataclass(frozen=True)
class _HbmBlock:
    """HBM streams of one accelerator and the bit counts the conservation checks read."""

    streams: list[Stream]
    bits: FloatArray
    bits_started: FloatArray
    yield_chain: FloatArray


def _hbm(bom: Entry, ctx: _Ctx, y_cowos: FloatArray) -> _HbmBlock:
    """Core and base dies of the BOM's HBM stacks, by vendor (module docstring, HBM chain)."""
    s = ctx.s
    zeros = np.zeros(s.size)
    hbm_product = bom.get("hbm_product")
    n_stacks = s.field(bom, "hbm_stacks") if "hbm_stacks" in bom.fields else zeros
    if not isinstance(hbm_product, str) or not np.any(n_stacks > 0):
        return _HbmBlock([], zeros, zeros, np.ones(s.size))
    prod = ctx.cat.get("dram_products", hbm_product)
    if np.any(n_stacks < 0) or np.any(s.field(bom, "stack_height") < 1):
        raise InputError([Problem(bom.file, f"{bom.id}.hbm_stacks", "counts must be >= 0")])
    height, y_stack = _stack_height_and_yield(bom, prod, s)
    density_bits = s.field(bom, "hbm_die_density") * BITS_PER_BYTE
    area_factor = s.field(prod, "area_factor")
    started_stacks = n_stacks / y_cowos / y_stack
    base_area = s.field(prod, "base_die_area")
    streams: list[Stream] = []
    y_die_mix = zeros
    for vendor, share in _vendor_shares(prod, s).items():
        node = ctx.node(_str_field(prod, "node", vendor))
        area = _dram_die_area_m2(density_bits, node, area_factor, s)
        gross = gross_dies_per_wafer(area, ctx.diameter, ctx.edge, ctx.scribe)
        good = ctx.good_dies_per_wafer(area, node)
        y_die_mix = y_die_mix + share * good / gross
        streams.append(
            Stream(
                "hbm_core",
                prod.id.removesuffix("-mfg"),
                vendor,
                node.id,
                ("dram", f"dram:{vendor}", f"hbm_tsv:{vendor}"),
                "hbm",
                share * started_stacks * height / good,
                ctx.price(node),
            )
        )
        streams.append(_hbm_base_stream(prod, vendor, share, started_stacks, base_area, ctx))
    return _HbmBlock(
        streams,
        n_stacks * height * density_bits,
        started_stacks * height * density_bits / y_die_mix,
        y_die_mix * y_stack * y_cowos,
    )


def _host_memory(bom: Entry, ctx: _Ctx) -> tuple[list[Stream], FloatArray]:
    """Host DRAM dies (DDR5 RDIMMs or LPDDR5X) by vendor, and the host bits they carry."""
    s = ctx.s
    host_product = bom.get("host_memory_product")
    if not isinstance(host_product, str) or "host_memory" not in bom.fields:
        return [], np.zeros(s.size)
    prod = ctx.cat.get("dram_products", host_product)
    host_bits = s.field(bom, "host_memory") * BITS_PER_BYTE
    density_bits = s.field(bom, "host_memory_die_density") * BITS_PER_BYTE
    y_final = check_fraction(f"{prod.id}.final_test_yield", s.field(prod, "final_test_yield"))
    area_factor = s.field(prod, "area_factor")
    dies = host_bits / density_bits / y_final
    streams = []
    for vendor, share in _vendor_shares(prod, s).items():
        node = ctx.node(_str_field(prod, "node", vendor))
        good = ctx.good_dies_per_wafer(_dram_die_area_m2(density_bits, node, area_factor, s), node)
        streams.append(
            Stream(
                "host_dram",
                prod.id.removesuffix("-mfg"),
                vendor,
                node.id,
                ("dram", f"dram:{vendor}"),
                "ddr",
                share * dies / good,
                ctx.price(node),
            )
        )
    return streams, host_bits


def _logic_stream(
    bom: Entry, name: str, die: Any, ctx: _Ctx, y_cowos: FloatArray, has_package: bool
) -> Stream:
    """Wafers of one logic die (GPU, I/O die...): defects only count on the critical area, and
    dies mounted on the interposer are scrapped with a failed assembly."""
    s = ctx.s
    node = ctx.node(_str_field(bom, "logic", name, "node"))
    count = s.field(bom, "logic", name, "count")
    area = s.field(bom, "logic", name, "die_area")
    if np.any(area > ctx.reticle * RETICLE_TOLERANCE):
        reticle_mm2 = float(np.max(ctx.reticle)) / M2_PER_MM2
        raise InputError(
            [
                Problem(
                    bom.file,
                    f"{bom.id}.logic.{name}.die_area",
                    f"larger than the {reticle_mm2:.0f} mm2 reticle: split it into dies "
                    "(two-die packages)",
                )
            ]
        )
    critical = check_fraction(
        f"{bom.id}.logic.{name}.critical_area_fraction",
        s.field(bom, "logic", name, "critical_area_fraction"),
    )
    on_interposer = bool(die.get("on_interposer", True)) if isinstance(die, Mapping) else True
    scrap = y_cowos if (on_interposer and has_package) else np.ones(s.size)
    good = ctx.good_dies_per_wafer(area, node, critical)
    return Stream(
        "logic",
        name,
        str(node.get("foundry", "")),
        node.id,
        (f"logic:{node.id}",),
        "logic",
        count / scrap / good,
        ctx.price(node),
    )


def _logic(bom: Entry, ctx: _Ctx, y_cowos: FloatArray, has_package: bool) -> list[Stream]:
    """One stream per logic die of the BOM (``logic:`` maps die name -> die)."""
    logic = bom.get("logic") or {}
    if not isinstance(logic, Mapping):
        raise CatalogError([Problem(bom.file, f"{bom.id}.logic", "must map die name -> die")])
    return [_logic_stream(bom, name, die, ctx, y_cowos, has_package) for name, die in logic.items()]


def _cowos(bom: Entry, package: Entry | None, ctx: _Ctx, y_cowos: FloatArray) -> list[Stream]:
    """Interposer wafers per good package: packages per wafer by exact grid count."""
    if package is None:
        return []
    s = ctx.s
    area_mm2 = s.field(bom, "interposer_area") * (1.0 / M2_PER_MM2)
    area = np.round(area_mm2 / INTERPOSER_AREA_STEP_MM2) * INTERPOSER_AREA_STEP_MM2 * M2_PER_MM2
    aspect = float(bom.q("interposer_aspect").get())
    ppw = packages_per_wafer(
        area, aspect, ctx.diameter[0], float(package.q("edge_exclusion").get())
    )
    return [
        Stream(
            "cowos",
            package.id,
            "TSMC",
            package.id,
            ("cowos",),
            "cowos",
            1.0 / (ppw * y_cowos),
            s.field(package, "wafer_price"),
        )
    ]


def _network_stream(part_id: Any, per_gpu: float, ctx: _Ctx) -> Stream | None:
    """Logic wafers of one network ASIC (NIC, NVLink or scale-out switch) per accelerator;
    None for a part the BOM does not name, does not use, or that has no ASIC data."""
    if not isinstance(part_id, str) or per_gpu <= 0:
        return None
    s = ctx.s
    part = ctx.cat.get("bom", part_id)
    if not isinstance(part.get("asic"), Mapping):
        return None
    node = ctx.node(_str_field(part, "asic", "node"))
    area = s.field(part, "asic", "die_area")
    critical = check_fraction(
        f"{part.id}.asic.critical_area_fraction",
        s.field(part, "asic", "critical_area_fraction"),
    )
    good = ctx.good_dies_per_wafer(area, node, critical)
    return Stream(
        "network",
        part.id,
        str(node.get("foundry", "")),
        node.id,
        (f"logic:{node.id}",),
        "network",
        per_gpu * s.field(part, "asic", "count") / good,
        ctx.price(node),
    )


def _network(bom: Entry, ctx: _Ctx, fabric_gpus: int) -> tuple[list[Stream], dict[str, Any]]:
    """NIC, NVLink switch chip and scale-out switch streams, and the notes they come from."""
    net = network_parts(bom, ctx.cat, fabric_gpus)
    parts = [
        (bom.get("nic_part"), net.per_gpu["nics"]),
        (bom.get("scale_up_switch"), net.per_gpu["scale_up_switch_chips"]),
        (bom.get("scale_out_switch"), net.per_gpu["scale_out_switches"]),
    ]
    streams = [_network_stream(part_id, per_gpu, ctx) for part_id, per_gpu in parts]
    notes = {"network_per_gpu": net.per_gpu, "fabric_gpus": net.fabric_gpus}
    return [st for st in streams if st is not None], notes


def _it_power_w(bom: Entry, catalog: Catalog, tdp_w: FloatArray, fabric_gpus: int) -> FloatArray:
    """IT watts per accelerator on a ``fabric_gpus`` fabric: the bill of materials' one IT
    power (gigawatt.bom: server, fabric and storage shares); the TDP alone where the
    accelerator has no server or published power (an assumed part)."""
    try:
        line = build_line(bom.id, str(bom.get("accelerator")), float(fabric_gpus), catalog, bom=bom)
    except (CatalogError, InputError):
        return tdp_w
    return np.full_like(np.asarray(tdp_w, dtype=float), line.it_power_per_accelerator_w)


def _per_sample(x: FloatArray, s: Sampler) -> FloatArray:
    """``x`` broadcast to one value per sample (scalars and (S,) arrays alike)."""
    return np.asarray(x * np.ones(s.size), dtype=float)


def _product_name(product: Any) -> str | None:
    return str(product).removesuffix("-mfg") if isinstance(product, str) else None


def unit_needs(
    bom: Entry,
    catalog: Catalog,
    sampler: Sampler,
    yield_model: YieldModel = "negative_binomial",
    fabric_gpus: int = REFERENCE_FABRIC_GPUS,
) -> UnitNeeds:
    """Wafers per good, deployed accelerator of a BOM, by stream (see module docstring).

    ``fabric_gpus`` sizes the scale-out fat tree whose switches, NICs and NVLink switch
    chips per accelerator (gigawatt.supply.network) add ``network`` logic-wafer streams.
    """
    ctx = _Ctx(catalog, sampler, yield_model)
    s = sampler
    acc_id = str(bom.get("accelerator"))
    acc = catalog.accelerator(acc_id)
    package = _package(bom, catalog)
    y_cowos = _assembly_yield(package, s)
    hbm = _hbm(bom, ctx, y_cowos)
    host_streams, host_bits = _host_memory(bom, ctx)
    logic = _logic(bom, ctx, y_cowos, package is not None)
    cowos = _cowos(bom, package, ctx, y_cowos)
    network, notes = _network(bom, ctx, fabric_gpus)
    tdp = s.field(acc, "tdp") if acc.q("tdp").known else np.full(s.size, np.nan)
    return UnitNeeds(
        bom_id=bom.id,
        accelerator=acc_id,
        streams=(
            *hbm.streams,
            *host_streams,
            *logic,
            *cowos,
            *network,
        ),
        hbm_bits=_per_sample(hbm.bits, s),
        hbm_bits_started=_per_sample(hbm.bits_started, s),
        hbm_yield_chain=np.asarray(hbm.yield_chain, dtype=float),
        host_bits=_per_sample(host_bits, s),
        hbm_product=_product_name(bom.get("hbm_product")),
        host_product=_product_name(bom.get("host_memory_product")),
        tdp_w=_per_sample(tdp, s),
        it_power_w=_per_sample(_it_power_w(bom, catalog, tdp, fabric_gpus), s),
        notes=notes,
    )
