"""Yield by stage: front-end die yield from defect density, TSV stacking, final test.

Die-yield models (``model=``), with ``D`` the killer-defect density and ``A`` the critical
area, ``lam = A * D`` the expected defects per die:

* ``"poisson"``: ``Y = exp(-lam)`` — random, unclustered defects; pessimistic for large dies.
* ``"murphy"``: ``Y = ((1 - exp(-lam)) / lam)^2`` — Murphy, Proc. IEEE 52(12) 1964:
  triangular distribution of defect density over wafers.
* ``"negative_binomial"``: ``Y = (1 + lam / alpha)^-alpha`` — Stapper, IBM J. Res. Dev.
  27(6) 1983: clustered defects, ``alpha`` the clustering parameter (``alpha -> inf`` gives
  Poisson). The industry's usual model; default.
* ``"bose_einstein"``: ``Y = (1 + lam)^-n_layers`` — the form Hennessy & Patterson use
  (5th ed. §1.6), ``n_layers`` critical process layers with density ``D`` each.

A stack of ``h`` core dies yields ``layer_yield ** h * final_test_yield``: a defect at any
bond scraps the whole stack (its known-good dies too), which is why taller stacks cost more
wafers per good bit.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from gigawatt.errors import InputError, Problem

YieldModel = Literal["poisson", "murphy", "negative_binomial", "bose_einstein"]
YIELD_MODELS: tuple[str, ...] = ("poisson", "murphy", "negative_binomial", "bose_einstein")
FloatArray = NDArray[np.float64]


def check_fraction(name: str, value: ArrayLike, where: str = "supply") -> FloatArray:
    """Return ``value`` as an array, or raise InputError if any element is outside [0, 1]."""
    x = np.asarray(value, dtype=float)
    bad = ~np.isfinite(x) | (x < 0.0) | (x > 1.0)
    if np.any(bad):
        raise InputError(
            [
                Problem(
                    where, name, f"a yield or share must be between 0 and 1, got {x[bad].flat[0]}"
                )
            ]
        )
    return x


def die_yield(
    critical_area_m2: ArrayLike,
    defect_density_per_m2: ArrayLike,
    model: YieldModel = "negative_binomial",
    cluster_alpha: ArrayLike = 3.0,
    n_layers: ArrayLike = 1.0,
) -> FloatArray:
    """Fraction of dies with no killer defect (front-end yield), vectorised."""
    area = np.asarray(critical_area_m2, dtype=float)
    d0 = np.asarray(defect_density_per_m2, dtype=float)
    if np.any(~np.isfinite(area)) or np.any(area < 0):
        raise InputError([Problem("die_yield", "critical_area", "must be a finite number >= 0")])
    if np.any(~np.isfinite(d0)) or np.any(d0 < 0):
        raise InputError([Problem("die_yield", "defect_density", "must be a finite number >= 0")])
    lam = area * d0
    if model == "poisson":
        return np.asarray(np.exp(-lam), dtype=float)
    if model == "murphy":
        safe = np.where(lam > 0, lam, 1.0)
        y = np.where(lam > 0, (-np.expm1(-safe) / safe) ** 2, 1.0)
        return np.asarray(y, dtype=float)
    if model == "negative_binomial":
        alpha = np.asarray(cluster_alpha, dtype=float)
        if np.any(alpha <= 0):
            raise InputError([Problem("die_yield", "cluster_alpha", "must be > 0")])
        return np.asarray((1.0 + lam / alpha) ** (-alpha), dtype=float)
    if model == "bose_einstein":
        n = np.asarray(n_layers, dtype=float)
        if np.any(n <= 0):
            raise InputError([Problem("die_yield", "n_layers", "must be > 0")])
        return np.asarray((1.0 + lam) ** (-n), dtype=float)
    raise InputError(
        [
            Problem(
                "die_yield",
                "model",
                f"unknown yield model {model!r}; allowed: " + ", ".join(YIELD_MODELS),
            )
        ]
    )


def stack_yield(
    stack_height: ArrayLike, layer_yield: ArrayLike, final_test_yield: ArrayLike = 1.0
) -> FloatArray:
    """Fraction of started stacks that ship: ``layer_yield ** height * final_test_yield``."""
    h = np.asarray(stack_height, dtype=float)
    if np.any(h < 1) or np.any(~np.isfinite(h)):
        raise InputError([Problem("stack_yield", "stack_height", "must be >= 1 (dies per stack)")])
    ly = check_fraction("layer_yield", layer_yield, "stack_yield")
    ft = check_fraction("final_test_yield", final_test_yield, "stack_yield")
    return np.asarray(ly**h * ft, dtype=float)
