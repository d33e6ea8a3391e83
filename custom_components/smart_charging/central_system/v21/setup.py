"""The setup of a 2.1 station: 2.0.1's, metering both directions."""

from __future__ import annotations

from ..meter_values import CURRENT_EXPORT, ENERGY_EXPORT, ENERGY_IMPORT, POWER_EXPORT
from ..v16.setup import WANTED_MEASURANDS
from ..v201.setup import Setup201


class Setup21(Setup201):
    """The setup steps of one 2.1 connection."""

    # A discharging car shows in the export measurands: sampled like the import ones (the
    # balancer needs its per-phase current, the Energy dashboard its register).
    measurands = (*WANTED_MEASURANDS, ENERGY_EXPORT, POWER_EXPORT, CURRENT_EXPORT)
    aligned_data = f"{ENERGY_IMPORT},{ENERGY_EXPORT}"
