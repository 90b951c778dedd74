"""Performance models. As in NVIDIA Calculon, three inputs stay separate:

- the application: a :class:`gigawatt.workload.TransformerModel`;
- the system: a :class:`gigawatt.perf.system.System` (accelerator, fabrics, efficiencies);
- the execution plan: :class:`gigawatt.perf.execution.ExecutionPlan` (parallelism, batch,
  recompute, ZeRO), or a vectorised batch of them (:class:`Plans`).
"""

from gigawatt.perf.execution import ExecutionPlan, Plans
from gigawatt.perf.system import System, get_system
from gigawatt.perf.training import TrainingEstimate, predict_training, predict_training_batch

__all__ = [
    "ExecutionPlan",
    "Plans",
    "System",
    "TrainingEstimate",
    "get_system",
    "predict_training",
    "predict_training_batch",
]
