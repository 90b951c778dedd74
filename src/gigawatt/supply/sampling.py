"""Monte Carlo over catalog ranges: one seeded sampler per run.

Each catalog quantity with a range is drawn from a triangular distribution
(low, likely, high) — the least-informative distribution that honours a stated most-likely
value and hard bounds. The same quantity is drawn once per run and reused wherever it is
needed (an HBM node's defect density is the same for every accelerator that uses it), so
Monte Carlo samples are internally consistent. ``n=0`` gives every quantity at its likely
value (one "sample"), for deterministic point estimates and tests.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from gigawatt.catalog import Entry, Quantity
from gigawatt.errors import CatalogError, InputError, Problem

FloatArray = NDArray[np.float64]


class Sampler:
    """Draws catalog quantities as arrays of shape ``(n,)`` (``(1,)`` when ``n == 0``)."""

    def __init__(self, n: int = 0, seed: int = 0) -> None:
        if n < 0:
            raise InputError([Problem("supply", "samples", f"must be >= 0, got {n}")])
        self.n = n
        self.size = max(n, 1)
        self.seed = seed
        self._rng = np.random.default_rng(seed)
        self._cache: dict[str, FloatArray] = {}

    def draw(self, q: Quantity, key: str) -> FloatArray:
        """Samples of ``q`` in SI; the same ``key`` gives the same samples within a run."""
        if key in self._cache:
            return self._cache[key]
        if not q.known:
            file, _, field = key.partition(":")
            raise CatalogError(
                [Problem(file or "catalog", field or key, f"unknown ({q.source}); cannot compute")]
            )
        low, likely, high = q.range
        if self.n == 0 or low == high:
            out = np.full(self.size, likely, dtype=float)
        else:
            out = self._rng.triangular(low, likely, high, size=self.size)
        self._cache[key] = out
        return out

    def field(self, entry: Entry, *path: str) -> FloatArray:
        """Draw the quantity at ``entry.fields[path[0]][path[1]]...``; clear error if absent."""
        node: Any = entry.fields
        for p in path:
            node = node.get(p) if isinstance(node, Mapping) else None
            if node is None:
                break
        where = ".".join(path)
        if not isinstance(node, Quantity):
            raise CatalogError(
                [
                    Problem(
                        entry.file, f"{entry.id}.{where}", "missing quantity (value, unit, source)"
                    )
                ]
            )
        return self.draw(node, f"{entry.file}:{entry.id}.{where}")

    def uniform(self, key: str) -> FloatArray:
        """Uniform(0, 1) samples for a named purpose (0.5 when ``n == 0``), cached by key."""
        if key not in self._cache:
            self._cache[key] = (
                np.full(self.size, 0.5) if self.n == 0 else self._rng.random(self.size)
            )
        return self._cache[key]
