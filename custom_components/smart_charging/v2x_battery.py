"""A bidirectional car's battery as its charger tells it: capacity and energy above a reserve."""

from __future__ import annotations

from .central_system.model import ConnectorState

# Above this SoC (%) the energy to full says too little to derive a capacity from it.
_HIGHEST_SOC_FOR_CAPACITY = 95.0


def battery_capacity(connector: ConnectorState) -> float | None:
    """The battery's capacity (Wh): told by a DC car, else from its energy to full and SoC."""
    if connector.ev_energy_capacity:
        return connector.ev_energy_capacity
    soc, to_full = connector.soc, connector.ev_max_v2x_energy
    if soc is None or to_full is None or to_full <= 0 or soc >= _HIGHEST_SOC_FOR_CAPACITY:
        return None
    return to_full / (1 - soc / 100)


def energy_above_reserve(connector: ConnectorState, reserve: float) -> float | None:
    """Wh the car can give before it reaches `reserve` (%): None while SoC or capacity is unknown."""
    capacity = battery_capacity(connector)
    if capacity is None or connector.soc is None:
        return None
    return max(0.0, (connector.soc - reserve) / 100 * capacity)


def max_discharge_power(connector: ConnectorState, voltage: float) -> float | None:
    """W the car can give at most, as it told (power, else current on three phases)."""
    if connector.ev_max_discharge_power is not None:
        return connector.ev_max_discharge_power
    if connector.ev_max_discharge_current is not None:
        return connector.ev_max_discharge_current * voltage * 3
    return None
