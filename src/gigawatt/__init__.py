"""gigawatt: plan and simulate gigawatt-scale AI infrastructure.

The public API is small: load the catalog, build a model, a system and an execution plan,
and predict; or load a scenario and plan it (``from gigawatt import load_scenario, plan``).

Names are imported on first use (module ``__getattr__``), so that ``import gigawatt`` and
the command line start fast instead of importing every stage and its libraries.
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType
from typing import TYPE_CHECKING, Any

from gigawatt.errors import CatalogError, GigawattError, InputError, ScenarioError

if TYPE_CHECKING:
    from gigawatt.catalog import Catalog, Quantity, load_catalog
    from gigawatt.plan import plan
    from gigawatt.scenario import load_scenario

__version__ = "0.1.0"

_LAZY = {
    "Catalog": "gigawatt.catalog",
    "Quantity": "gigawatt.catalog",
    "load_catalog": "gigawatt.catalog",
    "plan": "gigawatt.plan",
    "load_scenario": "gigawatt.scenario",
}

__all__ = [
    "Catalog",
    "CatalogError",
    "GigawattError",
    "InputError",
    "Quantity",
    "ScenarioError",
    "__version__",
    "load_catalog",
    "load_scenario",
    "plan",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'gigawatt' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


class _Package(ModuleType):
    """The package module. Importing the submodule ``gigawatt.plan`` binds it to the
    package's attribute ``plan``; this keeps that attribute the function of the same name,
    so ``from gigawatt import plan`` gives the function whatever was imported before."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _LAZY and isinstance(value, ModuleType):
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
