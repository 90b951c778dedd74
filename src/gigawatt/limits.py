"""Physical bounds on the numbers a scenario or a flag may give.

Each bound is far beyond any programme announced today, yet keeps the work a value implies
(array elements, loop iterations, bytes) small: the largest plan within these bounds is
seconds of CPU and well under 1 GB. A value outside a bound is an input error that states
the bound, never a slow or failing plan. The schema classes (scenario, serving, supply,
facility, reliability, economics) and the command-line checks read them from here.
"""

from __future__ import annotations

import math

# Accelerators of one run, service, deployment or site. 1e8 GPUs at ~1 kW each is ~100 GW,
# ten times the largest announced programme (Stargate, ~10 GW, OpenAI 2025-09-23); the
# parallel-plan search factors counts by trial division, so ~1e4 steps at most.
MAX_ACCELERATORS = 100_000_000

# Calendar years a plan may touch: quarters, start years, budget start years.
MIN_YEAR = 2000
MAX_YEAR = 2100

# Durations in years (economic horizon, budget span, leases): one row per year in tables.
MAX_YEARS = 100
# Years of operation a budget must also pay: the budget table has a row for each of 0..years,
# each a search of the cluster's cost (~5 economics plans, ~1.3 CPU s a row at 1e8
# accelerators), so this bounds its time. Accelerators are depreciated over 4-6 years:
# 10 years outlives two generations.
MAX_BUDGET_RUN_YEARS = 10

# Training: tokens (1e17 is ~7,000x Llama 3's 15T) and model shape. Memory models multiply
# these, so a shape beyond them only produces overflows.
MAX_TOKENS = 1e17
MAX_SEQ_LEN = 10_000_000  # tokens per sequence (1e7: ~10x the longest published context)
MAX_GLOBAL_BATCH = 100_000_000  # sequences per step
MAX_LAYERS = 100_000
MAX_WIDTH = 10_000_000  # d_model, d_ff, heads, vocabulary
MAX_DAYS = 36_525.0  # a century: deadlines and run lengths in days

# Serving demand. 1e10 users exceeds the world's population (8.1e9, UN WPP 2024); 1e5
# requests per user per day is more than one a second all day.
MAX_USERS = 1e10
MAX_REQUESTS_PER_USER_PER_DAY = 1e5
MAX_TOKENS_PER_REQUEST = MAX_SEQ_LEN
MAX_SLO_S = 86_400.0  # a latency target longer than a day is not a latency target
MAX_SPARE_REPLICAS = 1_000_000

# Supply: Monte Carlo samples (each a row of every (samples x quarters) array; 200k x
# ~40 quarters x 8 B is ~64 MB per array) and the RNG seed (numpy takes 0 .. 2**64 - 1; one
# 32-bit range is enough and portable).
MAX_SAMPLES = 200_000
MAX_SEED = 2**32 - 1
MAX_WAFERS_PER_MONTH = 1e9  # world capacity is ~3e7 300 mm-equivalent wafers a month

# Facility: 1e5 MW (100 GW) of IT on one site; power blocks and build-out modules are rows
# of tables and units of the outage-probability convolution (units x 2e4 grid points).
MAX_SITE_MW = 100_000.0
MIN_SITE_MW = 0.001  # 1 kW: below this a site rounds to no build-out module at all
MAX_UNIT_MW = 100_000.0
MIN_UNIT_MW = 0.001  # a 1 kW unit; smaller ones only multiply the unit count
MAX_POWER_UNITS = 2_000  # per site, all blocks together
MAX_MODULES = 2_000  # build-out modules per site (it_mw / module_mw)
MAX_CREWS = 1_000

# Reliability: minutes and counts of operations.
MAX_MINUTES = 525_960.0  # a year, in minutes: checkpoint intervals, restart overheads
MAX_PER_DAY = 86_400.0  # planned interruptions per day: one a second
MAX_STORAGE_GB_PER_S = 10_000.0  # per GPU; ~100x a 400 Gb/s NIC
MAX_TECHNICIANS = 1_000_000
MAX_FAILOVER_S = 86_400.0 * 30

# Money in the budget's own currency: 1e18 covers the world's GDP (~1e14 USD) in currencies
# of 1e4 units to the dollar.
MAX_AMOUNT = 1e18


def finite_in(value: float, low: float, high: float) -> bool:
    """Whether ``value`` is a finite number in [low, high] (NaN is not)."""
    return math.isfinite(value) and low <= value <= high


# Command-line only: rows a command may print, prices given as flags, the operations
# simulation's span and its time-series samples (each sample is a row of the CSV and a step of
# the simulation: ~1 ms each).
MAX_TOP = 1_000
MAX_ENERGY_PRICE_USD_PER_MWH = 100_000.0  # ~20x the ERCOT offer cap (5,000 USD/MWh)
MAX_WATER_PRICE_USD_PER_M3 = 10_000.0
MAX_STORAGE_TB_PER_ACCELERATOR = 10_000.0
MAX_KW_PER_ACCELERATOR = 1_000.0  # a GB200 superchip's share is ~1.2 kW
MAX_OPS_DAYS = 3_652.5  # ten years
MAX_OPS_SAMPLES = 20_000
MIN_STEP_H = 1.0 / 60.0  # one minute
