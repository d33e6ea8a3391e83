"""A bidirectional car's battery as its charger tells it: capacity and energy above a reserve."""

from __future__ import annotations

from .central_system.model import ConnectorState

# Above this SoC (%) the energy to full says too little to derive a capacity from it; a
# span of SoC narrower than this, too.
_HIGHEST_SOC_FOR_CAPACITY = 95.0
_LEAST_SOC_SPAN = 5.0


def battery_capacity(connector: ConnectorState) -> float | None:
    """The battery's capacity (Wh), as the car told it or as its SoC and energies imply.

    A DC car tells it; an ISO 15118-20 car tells the energy to its maximum SoC, or to its
    target SoC, which with its SoC give the size.
    """
    if connector.ev_energy_capacity:
        return connector.ev_energy_capacity
    soc = connector.soc
    if soc is None:
        return None
    if connector.ev_max_energy and soc < _HIGHEST_SOC_FOR_CAPACITY:
        return connector.ev_max_energy / (1 - soc / 100)
    target, energy = connector.ev_target_soc, connector.ev_energy_amount
    if target is not None and energy and target - soc >= _LEAST_SOC_SPAN:
        return energy / ((target - soc) / 100)
    return None


def car_floor(connector: ConnectorState) -> float | None:
    """The SoC (%) below which the car itself gives nothing (its V2X range's minimum)."""
    capacity = battery_capacity(connector)
    if capacity is None or connector.soc is None or connector.ev_min_v2x_energy is None:
        return None
    return connector.soc + connector.ev_min_v2x_energy / capacity * 100


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
