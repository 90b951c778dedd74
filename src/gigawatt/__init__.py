"""gigawatt: plan and simulate gigawatt-scale AI infrastructure.

The public API is small: load the catalog, build a model, a system and an execution plan,
and predict; or load a scenario and plan it.
"""

from gigawatt.catalog import Catalog, Quantity, load_catalog
from gigawatt.errors import CatalogError, GigawattError, InputError, ScenarioError

__version__ = "0.1.0"

__all__ = [
    "Catalog",
    "CatalogError",
    "GigawattError",
    "InputError",
    "Quantity",
    "ScenarioError",
    "__version__",
    "load_catalog",
]
