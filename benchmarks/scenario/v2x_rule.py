"""The baseline "rule-based V2H": a home battery's self-consumption mode, with a car.

On every grid meter reading, each bidirectional car whose reported SoC is above its
reserve discharges to cover the house's import (the cars share it equally); every other
car, and every car while the house does not import, charges at its maximum. The house's
import is the meter's net import less what the cars carry now (a V2H box's own inverter
knows its power at once). No fuse, cap, price or departure enters the rule.
"""

from __future__ import annotations

import math

from .v2x_interface import V2XObservation

STEPS_PER_A = 10  # setpoints are rounded down to 0.1 A
_CHANGE = 0.1  # A: a smaller change is not sent


class RuleV2H:
    """Discharge while above the reserve and the house imports; else charge at the maximum."""

    name = "rule V2H"

    def step(self, observation: V2XObservation) -> dict[str, float]:
        """Act on a fresh meter reading only."""
        if observation.meter_at != observation.now:
            return {}
        volts = observation.voltage
        plugged = [view for view in observation.connectors if view.plugged]
        cars_w = sum(view.current_now * len(view.phases) * volts for view in plugged)
        house_w = sum(observation.grid_current) * volts - cars_w
        givers = [
            view
            for view in plugged
            if view.max_discharge > 0 and view.soc is not None and view.soc > view.reserve_soc
        ]
        changes: dict[str, float] = {}
        for view in plugged:
            if house_w > 0 and view in givers:
                share = house_w / len(givers) / (volts * len(view.phases))
                setpoint = -_floor(min(share, view.max_discharge))
            else:
                setpoint = view.max_current
            if view.setpoint is None or abs(view.setpoint - setpoint) >= _CHANGE - 1e-9:
                changes[view.key] = setpoint
        return changes


def _floor(amps: float) -> float:
    """Round down to the setpoint resolution."""
    return math.floor(amps * STEPS_PER_A + 1e-9) / STEPS_PER_A
