"""The engine's fixed numbers and sentinels, named once."""

from __future__ import annotations

from typing import Final

MIN_CURRENT: Final = 6.0  # A: the least a car may be offered (IEC 61851 minimum)
NOMINAL_VOLTAGE: Final = 230.0  # V per phase, when the settings give none usable
THREE_PHASES: Final = 3  # the grid's phases: the most a connector draws on, its default
ALL_PHASES: Final = (0, 1, 2)  # the grid phases L1, L2, L3 as indices
SECONDS_PER_HOUR: Final = 3600  # s per h: Wh from W and seconds

NO_CONSTRAINT: Final = -1  # constraint index for none (nothing bound it, no limit, no parent)
NO_PHASE: Final = -1  # the phase of a power constraint (import, surplus): on none
OWN_CAP: Final = -1  # water-filling: the item stopped at its own cap, not at a constraint

# A: a reading below this on every phase is a car that draws (or gives) nothing: it pauses.
IDLE_CURRENT: Final = 1.0
# % SoC above its reserve (its floor) a V2X car needs to start discharging; once it
# discharges it may go down to the reserve (a hysteresis: a finely reported SoC near the
# reserve would otherwise start and stop it, see `discharge_caps`).
RESERVE_RESTART: Final = 1.0
# Near full a battery takes less than its maximum: where a car's SoC is known (V2X), the
# energy it still wants above TAPER_SOC % counts TAPER_SLOWDOWN times in every estimate
# of the time it needs (the deadline, the sharing, the plan), as far as the deadline's
# margin does not cover it already (see `deadline.taper_tail`).
TAPER_SOC: Final = 90.0
TAPER_SLOWDOWN: Final = 2.0
EPS: Final = 1e-9  # tolerance of current and capacity comparisons (A or W)
RATE_EPS: Final = 1e-12  # water-filling: a constraint rising slower than this is not rising
# A batch of more than 1/AGGREGATE_SHARE of the constraints is added up through
# `MembershipIndex.sums` (per-constraint totals) rather than membership by membership.
AGGREGATE_SHARE: Final = 6
BULK_ADMISSION: Final = 16  # above this many minimums, first try reserving them all at once
