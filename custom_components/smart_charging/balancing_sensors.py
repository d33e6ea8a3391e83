"""Sensor descriptions of the load balancer: the site's budgets and each connector's allocation."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import UnitOfElectricCurrent, UnitOfPower

from .balancing import Allocation, LimitReason, Result
from .balancing.model import PhaseCurrents
from .entity import ConnectorEntityDescription
from .site_balancer import Balancer

type StateValue = str | int | float | datetime | None


@dataclass(frozen=True, kw_only=True)
class SiteSensorDescription(SensorEntityDescription):
    """A site sensor, read from the balancer."""

    value_fn: Callable[[Balancer], StateValue]


def _phase(
    values: Callable[[Balancer], PhaseCurrents | None], index: int
) -> Callable[[Balancer], float | None]:
    def value(balancer: Balancer) -> float | None:
        phases = values(balancer)
        return None if phases is None else round(phases[index], 2)

    return value


def _grid_current(balancer: Balancer) -> PhaseCurrents | None:
    return None if balancer.last_site is None else balancer.last_site.grid_current


def _headroom(balancer: Balancer) -> PhaseCurrents | None:
    return None if balancer.site.data is None else balancer.site.data.headroom


def _total_power(values: Callable[[Result], PhaseCurrents]) -> Callable[[Balancer], float | None]:
    def value(balancer: Balancer) -> float | None:
        result = balancer.site.data
        if result is None:
            return None
        return round(sum(values(result)) * balancer.meter.voltage)

    return value


def _per_phase(
    key: str, values: Callable[[Balancer], PhaseCurrents | None]
) -> tuple[SiteSensorDescription, ...]:
    """One current sensor per grid phase (L1-L3) of a site quantity."""
    return tuple(
        SiteSensorDescription(
            key=f"{key}_l{phase}",
            translation_key=f"{key}_l{phase}",
            device_class=SensorDeviceClass.CURRENT,
            state_class=SensorStateClass.MEASUREMENT,
            native_unit_of_measurement=UnitOfElectricCurrent.AMPERE,
            suggested_display_precision=1,
            value_fn=_phase(values, phase - 1),
        )
        for phase in (1, 2, 3)
    )


SITE_SENSORS: tuple[SiteSensorDescription, ...] = (
    *_per_phase("grid_current", _grid_current),
    *_per_phase("headroom", _headroom),
    SiteSensorDescription(
        key="ev_budget",
        translation_key="ev_budget",
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.WATT,
        value_fn=_total_power(lambda result: result.ev_budget),
    ),
    SiteSensorDescription(
        key="allocated_total",
        translation_key="allocated_total",
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.WATT,
        value_fn=_total_power(lambda result: result.allocated),
    ),
)


@dataclass(frozen=True, kw_only=True)
class BalancedSensorDescription(ConnectorEntityDescription, SensorEntityDescription):
    """A connector sensor showing the balancer's decision (its allocation, None while off)."""

    value_fn: Callable[[Balancer, Allocation | None], StateValue]


# The limit reason while load balancing is off (no site limit set).
BALANCING_OFF = "balancing_off"


def _limit_reason(balancer: Balancer, allocation: Allocation | None) -> str | None:
    """Why the connector got what it got; `balancing_off` without a site limit."""
    if not balancer.enabled:
        return BALANCING_OFF
    return None if allocation is None else allocation.reason.value


def _planned_start(balancer: Balancer, allocation: Allocation | None) -> datetime | None:
    """The planned start (in a planned slot: when charging in it began); None without a plan."""
    if allocation is None or allocation.planned_start is None:
        return None
    return balancer.to_datetime(allocation.planned_start)


# What the balancer allocated to the connector (A per phase).
ALLOCATED_CURRENT = BalancedSensorDescription(
    key="allocated_current",
    translation_key="allocated_current",
    device_class=SensorDeviceClass.CURRENT,
    state_class=SensorStateClass.MEASUREMENT,
    native_unit_of_measurement=UnitOfElectricCurrent.AMPERE,
    suggested_display_precision=1,
    value_fn=lambda _balancer, allocation: None if allocation is None else allocation.current,
)
LIMIT_REASON = BalancedSensorDescription(
    key="limit_reason",
    translation_key="limit_reason",
    device_class=SensorDeviceClass.ENUM,
    options=[*(reason.value for reason in LimitReason), BALANCING_OFF],
    value_fn=_limit_reason,
)
# Price mode: when the plan next charges the connector from the grid.
PLANNED_START = BalancedSensorDescription(
    key="planned_start",
    translation_key="planned_start",
    device_class=SensorDeviceClass.TIMESTAMP,
    value_fn=_planned_start,
)
BALANCED_SENSORS: tuple[BalancedSensorDescription, ...] = (
    ALLOCATED_CURRENT,
    LIMIT_REASON,
    PLANNED_START,
)
