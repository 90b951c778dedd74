"""The catalog: numbers from the world, each with its unit, source and range.

Data lives in YAML files beside this module (one file per kind: accelerators, memory,
networks, models, efficiency). The loader converts every quantity to SI, checks that it has
a source, that ``low <= value <= high`` and that its unit has the dimension the field needs,
and reports every problem with the file, entry and field.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from gigawatt.errors import CatalogError, Problem
from gigawatt.units import UNITS, fmt_si

CATALOG_DIR = Path(__file__).parent

KINDS = ("accelerators", "memory", "networks", "models", "efficiency")  # core kinds, always there


@dataclass(frozen=True)
class Quantity:
    """A number from the world: SI value, dimension, source and (optional) range.

    ``value`` is None when the figure is not published (``unknown: true`` in the YAML).
    """

    value: float | None
    dim: str
    source: str
    low: float | None = None
    high: float | None = None
    note: str = ""
    unit: str = ""  # the unit it was written in, for display

    @property
    def known(self) -> bool:
        return self.value is not None

    @property
    def range(self) -> tuple[float, float, float]:
        """(low, likely, high); a point value when no range was given."""
        v = self.get()
        return (
            self.low if self.low is not None else v,
            v,
            self.high if self.high is not None else v,
        )

    def get(self) -> float:
        """The SI value; raises CatalogError when the figure is unknown."""
        if self.value is None:
            raise CatalogError(f"figure is unknown ({self.source})")
        return self.value

    def display(self) -> str:
        """Value (and range) in the unit it was written in."""
        if self.value is None:
            return "unknown"
        factor = UNITS[self.unit][0] if self.unit in UNITS else 1.0
        unit = "" if self.unit in ("1", "") else f" {self.unit}"

        def f(x: float) -> str:
            return f"{x / factor:.4g}"

        text = f"{f(self.value)}{unit}"
        if self.low is not None or self.high is not None:
            lo, _, hi = self.range
            if lo != hi:
                text += f" [{f(lo)}–{f(hi)}]"
        return text

    def __str__(self) -> str:
        return self.display() if self.unit else fmt_si(self.get(), self.dim)


@dataclass(frozen=True)
class Entry:
    """One catalog item (an accelerator, a memory type, a model...): id, kind and fields.

    Fields hold Quantity objects for sourced numbers and plain strings, ints or lists for
    names, architecture integers and identifiers.
    """

    id: str
    kind: str
    file: str
    fields: Mapping[str, Any]

    def __getitem__(self, key: str) -> Any:
        return self.fields[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.fields.get(key, default)

    def q(self, key: str) -> Quantity:
        """The quantity ``key``; CatalogError naming the entry if missing."""
        value = self.fields.get(key)
        if not isinstance(value, Quantity):
            raise CatalogError(
                [Problem(self.file, f"{self.id}.{key}", "missing quantity (value, unit, source)")]
            )
        return value

    def value(self, key: str) -> float | None:
        """SI value of quantity ``key``, or None when missing or unknown."""
        value = self.fields.get(key)
        return value.value if isinstance(value, Quantity) else None

    @property
    def name(self) -> str:
        return str(self.fields.get("name", self.id))

    def sources(self) -> list[str]:
        """Every distinct source cited by this entry, in order of first use."""
        seen: dict[str, None] = {}
        if isinstance(self.fields.get("source"), str):
            seen[self.fields["source"]] = None
        for v in self.fields.values():
            if isinstance(v, Quantity):
                seen[v.source] = None
            elif isinstance(v, Mapping):
                for inner in v.values():
                    if isinstance(inner, Quantity):
                        seen[inner.source] = None
        return list(seen)


# Fields that must be quantities of a given dimension, per kind. Other quantity fields are
# accepted with any known unit.
DIMENSIONS: dict[str, dict[str, str]] = {
    "accelerators": {
        "memory_capacity": "B",
        "memory_bandwidth": "B/s",
        "hbm_stacks": "1",
        "bf16_dense": "FLOP/s",
        "fp16_dense": "FLOP/s",
        "fp8_dense": "FLOP/s",
        "tdp": "W",
        "scale_up_domain": "1",
        "scale_up_bandwidth": "B/s",
        "scale_out_bandwidth": "B/s",
    },
    "memory": {
        "die_density": "B",
        "pin_speed": "B/s",
        "interface_width": "B",
        "bandwidth_per_stack": "B/s",
        "capacity_per_stack": "B",
    },
    "networks": {"bandwidth_per_gpu": "B/s", "latency": "s", "link_rate": "B/s"},
    "models": {"params_reported": "1", "tokens_trained": "1"},
    "efficiency": {},
}

REQUIRED: dict[str, tuple[str, ...]] = {
    "accelerators": (
        "name",
        "vendor",
        "family",
        "memory_capacity",
        "memory_bandwidth",
        "bf16_dense",
        "tdp",
        "scale_up_domain",
        "scale_up_bandwidth",
    ),
    "memory": ("name", "kind"),
    "networks": ("name", "kind", "bandwidth_per_gpu", "latency"),
    "models": ("name", "source", "n_layers", "d_model", "n_heads", "vocab_size"),
    "efficiency": ("name",),
}


def _is_quantity(node: Any) -> bool:
    return isinstance(node, Mapping) and ("value" in node or node.get("unknown") is True)


def _parse_quantity(
    node: Mapping[str, Any], file: str, where: str, want_dim: str | None, problems: list[Problem]
) -> Quantity | None:
    source = node.get("source")
    if not isinstance(source, str) or not source.strip():
        problems.append(Problem(file, where, "every number needs a `source:` (publication, date)"))
        return None
    note = str(node.get("note", ""))
    if node.get("unknown") is True and "unit" not in node:
        return Quantity(None, want_dim or "1", source, note=note)
    unit = str(node.get("unit", "1"))
    if unit not in UNITS:
        allowed = ", ".join(UNITS)
        problems.append(Problem(file, where, f"unknown unit {unit!r}; allowed: {allowed}"))
        return None
    factor, dim = UNITS[unit]
    if want_dim is not None and dim != want_dim:
        problems.append(
            Problem(file, where, f"unit {unit!r} has dimension {dim}; this field needs {want_dim}")
        )
        return None
    if node.get("unknown") is True:
        return Quantity(None, dim, source, note=note, unit=unit)

    def num(key: str) -> float | None:
        raw = node.get(key)
        if raw is None:
            return None
        try:
            return float(raw) * factor
        except (TypeError, ValueError):
            problems.append(Problem(file, f"{where}.{key}", f"not a number: {raw!r}"))
            return None

    value, low, high = num("value"), num("low"), num("high")
    if value is None:
        problems.append(Problem(file, f"{where}.value", "missing number (or write unknown: true)"))
        return None
    if value != value or value < 0:  # NaN or negative
        problems.append(
            Problem(file, f"{where}.value", f"must be a finite number >= 0, got {value}")
        )
        return None
    if (low is not None and low > value) or (high is not None and high < value):
        problems.append(
            Problem(
                file, where, f"range must satisfy low <= value <= high (got {low}, {value}, {high})"
            )
        )
        return None
    return Quantity(value, dim, source, low, high, note, unit)


def _parse_fields(
    raw: Mapping[str, Any], file: str, where: str, dims: Mapping[str, str], problems: list[Problem]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, node in raw.items():
        path = f"{where}.{key}"
        if _is_quantity(node):
            q = _parse_quantity(node, file, path, dims.get(key), problems)
            if q is not None:
                out[key] = q
        elif isinstance(node, Mapping):
            out[key] = _parse_fields(node, file, path, dims, problems)
        else:
            out[key] = node
    return out


def catalog_kinds(directory: Path = CATALOG_DIR) -> tuple[str, ...]:
    """Core kinds first, then every other ``*.yaml`` file of the catalog (one kind each)."""
    extra = sorted(p.stem for p in directory.glob("*.yaml") if p.stem not in KINDS)
    return (*KINDS, *extra)


# libyaml's safe loader where PyYAML was built with it: the same objects, parsed ~10x faster
# (the catalog is loaded by every command that touches a scenario).
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# Bumped when the parsed form (Entry, Quantity) changes, so old caches are not read.
CATALOG_CACHE_VERSION = "1"


def _load_file(path: Path, kind: str, problems: list[Problem]) -> dict[str, Entry]:
    file = path.name
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_SAFE_LOADER)
    except yaml.YAMLError as exc:
        problems.append(Problem(file, "-", f"not valid YAML: {exc}"))
        return {}
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        problems.append(Problem(file, "-", "must be a mapping of id -> entry"))
        return {}
    entries: dict[str, Entry] = {}
    for entry_id, body in raw.items():
        if not isinstance(body, Mapping):
            problems.append(Problem(file, str(entry_id), "entry must be a mapping of fields"))
            continue
        fields = _parse_fields(body, file, str(entry_id), DIMENSIONS.get(kind, {}), problems)
        for req in REQUIRED.get(kind, ("name",)):
            if req not in body:
                problems.append(Problem(file, f"{entry_id}.{req}", "required field is missing"))
        entries[str(entry_id)] = Entry(str(entry_id), kind, file, fields)
    return entries


@dataclass(frozen=True)
class Catalog:
    """All catalog entries by kind. Look up with ``catalog.accelerator("h100-sxm")``."""

    entries: Mapping[str, Mapping[str, Entry]] = field(default_factory=dict)

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(self.entries)

    def kind(self, kind: str) -> Mapping[str, Entry]:
        if kind not in self.entries:
            raise CatalogError(
                [Problem("catalog", kind, f"unknown kind; allowed: {', '.join(self.entries)}")]
            )
        return self.entries[kind]

    def get(self, kind: str, entry_id: str) -> Entry:
        items = self.kind(kind)
        if entry_id not in items:
            allowed = ", ".join(sorted(items))
            raise CatalogError(
                [Problem(f"{kind}.yaml", entry_id, f"not in the catalog; known ids: {allowed}")]
            )
        return items[entry_id]

    def find(self, entry_id: str) -> Entry:
        """Look an id up in every kind (ids are unique across the catalog)."""
        for kind in self.entries:
            if entry_id in self.entries[kind]:
                return self.entries[kind][entry_id]
        known = sorted(i for k in self.entries.values() for i in k)
        raise CatalogError([Problem("catalog", entry_id, f"no such id; known: {', '.join(known)}")])

    def named_by(self, kind: str, citation: str) -> Entry | None:
        """The entry of ``kind`` whose ``match`` fragments a published measurement's citation
        contains (case-insensitive; the longest fragment wins; none: None). Software stacks
        are named this way (serving_software, training_software)."""
        best: tuple[int, Entry] | None = None
        for entry in self.kind(kind).values():
            for pattern in entry.get("match", []) or []:
                fragment = str(pattern)
                if fragment.lower() in citation.lower() and (
                    best is None or len(fragment) > best[0]
                ):
                    best = (len(fragment), entry)
        return best[1] if best else None

    def accelerator(self, entry_id: str) -> Entry:
        return self.get("accelerators", entry_id)

    def model(self, entry_id: str) -> Entry:
        return self.get("models", entry_id)

    def network(self, entry_id: str) -> Entry:
        return self.get("networks", entry_id)

    def efficiency(self, family: str) -> Entry:
        return self.get("efficiency", family)

    def __iter__(self) -> Iterator[Entry]:
        for items in self.entries.values():
            yield from items.values()

    def __repr__(self) -> str:
        counts = ", ".join(f"{k}={len(v)}" for k, v in self.entries.items())
        return f"Catalog({counts})"


def load_catalog(directory: Path | str | None = None) -> Catalog:
    """Load and check every catalog file; raise CatalogError listing all problems."""
    return _load_cached(str(directory or CATALOG_DIR))


def _cache_file(base: Path) -> Path | None:
    """Where a parsed copy of the catalog in ``base`` is kept: named by a hash of every
    catalog file's bytes, so an edited file is never read stale (None: no cache dir)."""
    import hashlib
    import os

    digest = hashlib.sha256(CATALOG_CACHE_VERSION.encode())
    for path in sorted(base.glob("*.yaml")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(root) / "gigawatt" / f"catalog-{digest.hexdigest()[:32]}.pickle"


def _read_cache(path: Path | None) -> Catalog | None:
    import pickle

    if path is None or not path.is_file():
        return None
    try:
        with path.open("rb") as fh:
            cat = pickle.load(fh)
    except Exception:  # a damaged or foreign cache is only a cache: parse the YAML
        return None
    return cat if isinstance(cat, Catalog) else None


def _write_cache(path: Path | None, cat: Catalog) -> None:
    import os
    import pickle

    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        with tmp.open("wb") as fh:
            pickle.dump(cat, fh, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(path)  # atomic: a reader sees the old file or the whole new one
    except OSError:
        return


@lru_cache(maxsize=4)
def _load_cached(directory: str) -> Catalog:
    base = Path(directory)
    cache = _cache_file(base)
    cached = _read_cache(cache)
    if cached is not None:
        return cached
    cat = _parse_catalog(base)
    _write_cache(cache, cat)
    return cat


def _parse_catalog(base: Path) -> Catalog:
    problems: list[Problem] = []
    entries: dict[str, dict[str, Entry]] = {}
    for kind in catalog_kinds(base):
        path = base / f"{kind}.yaml"
        entries[kind] = _load_file(path, kind, problems) if path.exists() else {}
    _check_references(entries, problems)
    if problems:
        raise CatalogError(problems)
    return Catalog(entries)


def _check_references(entries: Mapping[str, Mapping[str, Entry]], problems: list[Problem]) -> None:
    """Ids that point into other files must exist there."""
    nets = entries.get("networks", {})
    mems = entries.get("memory", {})
    for acc in entries.get("accelerators", {}).values():
        for key in ("scale_up_network", "scale_out_network"):
            ref = acc.get(key)
            if ref is not None and nets and ref not in nets:
                problems.append(Problem(acc.file, f"{acc.id}.{key}", f"unknown network id {ref!r}"))
        mem = acc.get("memory_type")
        if mem is not None and mems and mem not in mems:
            problems.append(
                Problem(acc.file, f"{acc.id}.memory_type", f"unknown memory id {mem!r}")
            )
