"""Home Assistant and OCPP state as the engine's input: the site, its chargers and connectors.

The grid meter, the site options, every charger's and connector's settings and state and
the price forecast become one `SiteInput`. Between allocations it remembers, per
connector, when its latest reading came in and which phases its session's car was seen on.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
import math
from typing import TYPE_CHECKING, Any

from homeassistant.util import dt as dt_util

from ..balancing import (
    CircuitInput,
    ConnectorInput,
    EngineSettings,
    Mode,
    PriceSlot,
    SiteInput,
    StationInput,
    V2XSettings,
)
from ..balancing.model import PhaseCurrents
from ..central_system.limits import NOMINAL_VOLTAGE
from ..central_system.model import ChargerState, ConnectorState, ConnectorStatus
from ..const import (
    CONF_BASE_LOAD,
    CONF_CIRCUITS,
    CONF_FAILSAFE_CURRENT,
    CONF_GRID_LIMIT,
    CONF_MAX_IMPORT_POWER,
    CONF_METER_INTERVAL,
    CONF_SAFETY_MARGIN,
    CONF_SOLAR_START_DELAY,
    CONF_SOLAR_STOP_DELAY,
    DEFAULT_FAILSAFE_CURRENT,
    DEFAULT_METER_INTERVAL,
    DEFAULT_SAFETY_MARGIN,
    DEFAULT_SOLAR_START_DELAY,
    DEFAULT_SOLAR_STOP_DELAY,
)
from ..ids import connector_key
from ..site_options import parse_circuits
from .v2x_input import connector_v2x, energy_to_target, v2x_settings

if TYPE_CHECKING:
    from . import Balancer

# A connector draws on a phase when its current there is above this (A).
DRAWING_THRESHOLD = 1.0
# Statuses in which a connector with a session can take power.
_CAN_CHARGE = {
    ConnectorStatus.CHARGING,
    ConnectorStatus.SUSPENDED_EV,
    ConnectorStatus.SUSPENDED_EVSE,
    ConnectorStatus.PREPARING,
}


class ConnectorHistory:
    """What the engine's input remembers of each connector from one allocation to the next."""

    def __init__(self) -> None:
        """Start with nothing seen."""
        # The grid phases each session's car was seen drawing on, by connector key.
        self._session_phases: dict[str, tuple[int | None, tuple[int, ...]]] = {}
        # Each connector's latest reading (its timestamp) and when it came, on the engine's
        # clock: the engine compares that with when the connector's limit last changed.
        self._readings: dict[str, tuple[datetime | None, float]] = {}

    def note_readings(self, charger: ChargerState, now: float) -> None:
        """Date each connector's reading by when it came in (a new meter timestamp)."""
        for connector in charger.outlets:
            key = connector_key(charger.charger_id, connector.connector_id)
            known = self._readings.get(key)
            if known is None or known[0] != connector.meter_timestamp:
                self._readings[key] = (connector.meter_timestamp, now)

    def measured_at(self, key: str) -> float | None:
        """When the connector's latest reading came in, on the engine's clock."""
        return reading[1] if (reading := self._readings.get(key)) else None

    def session_phases_of(
        self, key: str, connector: ConnectorState, rotation: int
    ) -> tuple[PhaseCurrents, tuple[int, ...], bool]:
        """The connector's draw, its car's phases for the session, and whether they were seen.

        Phases not seen yet are the cautious guess of all three.

        A car that pauses (solar waiting for surplus, a cut to 0) keeps the phases it
        was seen on: a 1-phase car must not be taken for a 3-phase one again, or solar
        would wait for three times the surplus it needs.
        """
        measured, used = _measured(connector, rotation)
        session = connector.transaction_id
        if any(abs(value) > DRAWING_THRESHOLD for value in measured):
            self._session_phases[key] = (session, used)
            return measured, used, True
        if (seen := self._session_phases.get(key)) is not None and seen[0] == session:
            return measured, seen[1], True
        return measured, used, False


def engine_settings(options: Mapping[str, Any], voltage: float) -> EngineSettings:
    """Engine tuning from the options."""
    return EngineSettings(
        voltage=voltage,
        safety_margin=float(options.get(CONF_SAFETY_MARGIN, DEFAULT_SAFETY_MARGIN)),
        failsafe_current=float(options.get(CONF_FAILSAFE_CURRENT, DEFAULT_FAILSAFE_CURRENT)),
        solar_start_delay=float(options.get(CONF_SOLAR_START_DELAY, DEFAULT_SOLAR_START_DELAY)),
        solar_stop_delay=float(options.get(CONF_SOLAR_STOP_DELAY, DEFAULT_SOLAR_STOP_DELAY)),
        # A reading taken after the car followed comes within two sampling intervals.
        car_check_timeout=float(
            max(60, 2 * int(options.get(CONF_METER_INTERVAL, DEFAULT_METER_INTERVAL)))
        ),
    )


def snapshot(balancer: Balancer) -> SiteInput:
    """The site as it is now."""
    options = balancer.options
    limit = float(options[CONF_GRID_LIMIT])
    base = float(options.get(CONF_BASE_LOAD) or 0)
    reading = balancer.meter.read(dt_util.utcnow())
    now = balancer.clock()
    site_v2x = v2x_settings(options, balancer.v2x_signals())
    circuits = {
        circuit.name: CircuitInput(
            circuit_id=circuit.name, limit=(circuit.limit,) * 3, parent_id=circuit.parent
        )
        for circuit in parse_circuits(options.get(CONF_CIRCUITS, []))
    }
    stations: list[StationInput] = []
    connectors: list[ConnectorInput] = []
    for coordinator in balancer.hub.coordinators.values():
        charger = coordinator.data
        charger_settings = balancer.hub.charger_settings(charger.charger_id)
        station_max = charger_settings.station_max_current
        circuit = charger_settings.circuit
        stations.append(
            StationInput(
                station_id=charger.charger_id,
                max_current=(station_max,) * 3 if station_max else None,
                circuit_id=circuit if circuit in circuits else None,
            )
        )
        connectors.extend(
            _connector_input(
                balancer, charger, connector_id, charger_settings.phase_rotation, now, site_v2x
            )
            for connector_id in balancer.hub.connector_ids(charger)
        )
    max_import = options.get(CONF_MAX_IMPORT_POWER)
    return SiteInput(
        v2x=site_v2x,
        now=now,
        grid_limit=(limit, limit, limit),
        max_import_power=float(max_import) if max_import else None,
        grid_current=reading.grid_current,
        meter_available=reading.available,
        base_load=(base, base, base),
        pv_power=reading.pv_power,
        battery_power=reading.battery_power,
        prices=_price_slots(balancer, now),
        circuits=tuple(circuits.values()),
        stations=tuple(stations),
        connectors=tuple(connectors),
        settings=balancer.engine_settings(),
    )


def _price_slots(balancer: Balancer, now: float) -> tuple[PriceSlot, ...]:
    """The forecast from the price entity on the engine's clock, without past slots."""
    if balancer.prices is None:
        return ()
    wall = balancer.wall_clock()
    # Engine time of a moment: now + seconds from the wall clock's now to it.
    offset = now - wall.timestamp()
    return tuple(
        PriceSlot(
            start=interval.start.timestamp() + offset,
            end=interval.end.timestamp() + offset,
            price=interval.price,
        )
        for interval in balancer.prices.read()
        if interval.end > wall
    )


def _connector_input(
    balancer: Balancer,
    charger: ChargerState,
    connector_id: int,
    rotation: int,
    now: float,
    site_v2x: V2XSettings,
) -> ConnectorInput:
    connector = charger.connector(connector_id)
    key = connector_key(charger.charger_id, connector_id)
    settings = balancer.hub.connector_settings(charger.charger_id, connector_id)
    measured, used, known = balancer.history.session_phases_of(key, connector, rotation)
    capabilities = charger.capabilities
    energy_needed = departure = None
    if (
        settings.energy_target > 0
        and settings.departure is not None
        and connector.transaction_id is not None
    ):
        energy_needed = settings.energy_target * 1000 - (connector.session_energy or 0.0)
        departure = now + seconds_until(balancer.wall_clock(), settings.departure)
    elif connector.ev_departure is not None and connector.transaction_id is not None:
        # What the car told (ISO 15118 charging needs) where the user set nothing. A car
        # that may discharge counts from its SoC: what it gave back is still to charge.
        energy_needed = energy_to_target(connector, site_v2x.charge_efficiency)
        if energy_needed is None and connector.ev_energy_amount is not None:
            energy_needed = connector.ev_energy_amount - (connector.session_energy or 0.0)
        if energy_needed is not None:
            departure = now + (connector.ev_departure - balancer.wall_clock()).total_seconds()
    # The car's own range where it told one (2.x charging needs): a car that needs 10 A
    # to start is not offered 8 A.
    max_current = min(settings.maximum, connector.ev_max_current or settings.maximum)
    min_current = min(max(settings.min_current, connector.ev_min_current or 0.0), max_current)
    return ConnectorInput(
        connector_id=key,
        station_id=charger.charger_id,
        phases=used,
        phases_known=known,
        measured_at=balancer.history.measured_at(key),
        min_current=min_current,
        max_current=max_current,
        external_limit=connector.external_limit,
        priority=settings.priority,
        mode=Mode.OFF if settings.paused else Mode(settings.mode),
        active=connector.transaction_id is not None and connector.status in _CAN_CHARGE,
        suspended=connector.status is ConnectorStatus.SUSPENDED_EV,
        online=charger.connected,
        measured=measured,
        can_switch_phases=bool(capabilities and capabilities.switch_3_to_1_phase),
        single_phase=rotation % 3,
        energy_needed=energy_needed,
        departure=departure,
        v2x=connector_v2x(
            charger,
            connector,
            settings,
            balancer.meter.voltage,
            balancer.discharge_requests.power(key),
        ),
    )


def seconds_until(now: datetime, time_of_day: str) -> float:
    """Seconds from `now` (aware, local) to the next `time_of_day` ("HH:MM:SS") after it."""
    at = dt_util.parse_time(time_of_day)
    if at is None:
        return math.inf
    target = now.replace(hour=at.hour, minute=at.minute, second=at.second, microsecond=0)
    if target <= now:
        target += timedelta(days=1)
    # In UTC: across a DST change the wall clock skips or repeats an hour.
    return (dt_util.as_utc(target) - dt_util.as_utc(now)).total_seconds()


def _discharging_unseen(
    connector: ConnectorState, per_phase: tuple[float | None, float | None, float | None]
) -> bool:
    """A discharge the station shows in its power but not in its currents."""
    return (
        connector.discharge_capable
        and (connector.power or 0.0) < -DRAWING_THRESHOLD * NOMINAL_VOLTAGE
        and not any(value is not None and value < 0 for value in per_phase)
    )


def _measured(connector: ConnectorState, rotation: int) -> tuple[PhaseCurrents, tuple[int, ...]]:
    """What the connector draws per *grid* phase, and the grid phases it draws on.

    The charger's L1 is wired to grid phase `rotation`, its L2 to the next, and so on.
    Until a car draws, it is assumed to use all three phases (the cautious guess).
    """
    per_phase = connector.current_phases.as_tuple()
    if all(value is None for value in per_phase) and connector.current_import is not None:
        per_phase = (connector.current_import,) * 3
    if _discharging_unseen(connector, per_phase):
        # A station that reports its discharge as power only: spread over the three phases.
        voltage = connector.voltage or NOMINAL_VOLTAGE
        per_phase = ((connector.power or 0.0) / (3 * voltage),) * 3
    # Signed where the station can discharge (a discharging car gives current back);
    # elsewhere a negative reading is a sign error of the charger's, not energy.
    lowest = -math.inf if connector.discharge_capable else 0.0
    grid = [0.0, 0.0, 0.0]
    used: list[int] = []
    for charger_phase, value in enumerate(per_phase):
        grid_phase = (charger_phase + rotation) % 3
        grid[grid_phase] = max(value or 0.0, lowest)
        if abs(grid[grid_phase]) > DRAWING_THRESHOLD:
            used.append(grid_phase)
    phases = tuple(sorted(used)) if used else (0, 1, 2)
    return (grid[0], grid[1], grid[2]), phases
