"""The site coordinator: shares the site's power among every connector, event-driven.

It turns Home Assistant state (the grid meter) and OCPP state (every connector) into a
`SiteInput`, asks the pure engine in `balancing/` for targets, and sends each changed
target as a short-lived charging profile. Meter changes are handled in the callback
that reports them, so an overload is cut in that same event; OCPP events are batched
per loop iteration. A slow tick only renews live limits and advances hysteresis.

Offline safety comes from the chargers themselves: each holds a rarely written safe
default (its share of the site limit) below the live limits, and the live limits
expire after `live_limit_validity` seconds unless renewed. If Home Assistant stops,
every charger falls back to its safe share on its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
import logging
import math
import time
from typing import TYPE_CHECKING, Any

from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import async_track_state_change_event, async_track_time_interval
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator
from homeassistant.util import dt as dt_util

from .balancing import (
    CircuitInput,
    ConnectorInput,
    EngineSettings,
    EngineState,
    LimitReason,
    Mode,
    PriceSlot,
    Result,
    SiteInput,
    StationInput,
    allocate,
)
from .balancing.model import PhaseCurrents
from .central_system.errors import ChargerError
from .central_system.limits import ChargingLimit
from .central_system.model import ChargerState, ConnectorState, ConnectorStatus
from .const import (
    CONF_BASE_LOAD,
    CONF_CIRCUITS,
    CONF_FAILSAFE_CURRENT,
    CONF_GRID_LIMIT,
    CONF_LIVE_LIMIT_VALIDITY,
    CONF_MAX_IMPORT_POWER,
    CONF_METER_INTERVAL,
    CONF_PRICE_ENTITY,
    CONF_SAFETY_MARGIN,
    CONF_SOLAR_START_DELAY,
    CONF_SOLAR_STOP_DELAY,
    DEFAULT_FAILSAFE_CURRENT,
    DEFAULT_LIVE_LIMIT_VALIDITY,
    DEFAULT_METER_INTERVAL,
    DEFAULT_SAFETY_MARGIN,
    DEFAULT_SOLAR_START_DELAY,
    DEFAULT_SOLAR_STOP_DELAY,
    DOMAIN,
)
from .ids import connector_key, split_connector_key
from .meter import SiteMeter
from .price_forecast import PriceForecast
from .site_options import parse_circuits

if TYPE_CHECKING:
    from .coordinator import SmartChargingHub

_LOGGER = logging.getLogger(__name__)

# Renewals and hysteresis only: safety does not wait for this tick.
TICK_INTERVAL = timedelta(seconds=15)
# Below this (A) an IEC 61851 car cannot charge.
MIN_CHARGING_CURRENT = 6.0
# A connector draws on a phase when its current there is above this (A).
DRAWING_THRESHOLD = 1.0
# Statuses in which a connector with a session can take power.
_CAN_CHARGE = {
    ConnectorStatus.CHARGING,
    ConnectorStatus.SUSPENDED_EV,
    ConnectorStatus.SUSPENDED_EVSE,
    ConnectorStatus.PREPARING,
}


class SiteCoordinator(DataUpdateCoordinator[Result | None]):
    """Push-only coordinator of the site entities: updated after every allocation."""


class Balancer:
    """Runs the engine for one central system's site and applies its answers."""

    def __init__(self, hass: HomeAssistant, hub: SmartChargingHub) -> None:
        """Create the balancer; `async_start` subscribes to the meter."""
        self.hass = hass
        self.hub = hub
        self.site = SiteCoordinator(
            hass, _LOGGER, config_entry=hub.entry, name=f"{DOMAIN} site", update_interval=None
        )
        self.site.data = None
        self.state: EngineState | None = None
        self.last_site: SiteInput | None = None
        # The engine's clock (monotonic seconds); tests may replace it.
        self.clock: Callable[[], float] = time.monotonic
        # Local wall-clock time, for departure times of day and the price forecast;
        # replaced together with `clock`.
        self.wall_clock: Callable[[], datetime] = dt_util.now
        self.meter = SiteMeter(hass, hub.entry.options)
        self.prices: PriceForecast | None = None
        self._unsubscribe: list[Callable[[], None]] = []
        self._sending: dict[str, asyncio.Task[None]] = {}
        self._pending: dict[str, ChargingLimit] = {}
        self._sent_at: dict[str, float] = {}
        self._safe_sending: set[str] = set()
        self._batched = False
        self._meter_issue = False
        self._non_compliant: set[str] = set()
        self._signatures: dict[str, tuple[object, ...]] = {}
        # The grid phases each session's car was seen drawing on, by connector key.
        self._session_phases: dict[str, tuple[int | None, tuple[int, ...]]] = {}
        # Each connector's latest reading (its timestamp) and when it came, on the engine's
        # clock: the engine compares that with when the connector's limit last changed.
        self._readings: dict[str, tuple[datetime | None, float]] = {}

    # --- configuration ---------------------------------------------------------------

    @property
    def options(self) -> Mapping[str, Any]:
        """The entry's options (site settings live there), read-only and not copied."""
        return self.hub.entry.options

    @property
    def enabled(self) -> bool:
        """Balancing runs once a grid limit is set."""
        return float(self.options.get(CONF_GRID_LIMIT) or 0) > 0

    @property
    def validity(self) -> int:
        """Seconds a live limit stays valid on the charger without renewal."""
        return int(self.options.get(CONF_LIVE_LIMIT_VALIDITY, DEFAULT_LIVE_LIMIT_VALIDITY))

    def engine_settings(self) -> EngineSettings:
        """Engine tuning from the options."""
        options = self.options
        return EngineSettings(
            voltage=self.meter.voltage,
            safety_margin=float(options.get(CONF_SAFETY_MARGIN, DEFAULT_SAFETY_MARGIN)),
            failsafe_current=float(options.get(CONF_FAILSAFE_CURRENT, DEFAULT_FAILSAFE_CURRENT)),
            solar_start_delay=float(options.get(CONF_SOLAR_START_DELAY, DEFAULT_SOLAR_START_DELAY)),
            solar_stop_delay=float(options.get(CONF_SOLAR_STOP_DELAY, DEFAULT_SOLAR_STOP_DELAY)),
            # A reading taken after the car followed comes within two sampling intervals.
            car_check_timeout=float(
                max(60, 2 * int(options.get(CONF_METER_INTERVAL, DEFAULT_METER_INTERVAL)))
            ),
        )

    @property
    def idle(self) -> bool:
        """No limit is on its way to a charger (for tests and diagnostics)."""
        return not self._sending and not self._safe_sending

    # --- lifecycle -------------------------------------------------------------------

    @callback
    def async_start(self) -> None:
        """Subscribe to the meter and the tick, and allocate once."""
        self.meter = SiteMeter(self.hass, self.hub.entry.options)
        price_entity: str | None = self.options.get(CONF_PRICE_ENTITY)
        self.prices = PriceForecast(self.hass, price_entity) if price_entity else None
        if not self.enabled:
            return
        # A new forecast is a new plan: it allocates like a meter reading does.
        entities = [*self.meter.watched_entities, *([price_entity] if price_entity else [])]
        if entities:
            self._unsubscribe.append(
                async_track_state_change_event(self.hass, entities, self._meter_changed)
            )
        self._unsubscribe.append(
            async_track_time_interval(self.hass, self._tick, TICK_INTERVAL, cancel_on_shutdown=True)
        )
        self.recompute()

    @callback
    def async_stop(self) -> None:
        """Unsubscribe; limits already sent expire on the chargers by themselves."""
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
        for task in self._sending.values():
            task.cancel()
        self._sending.clear()
        self._pending.clear()

    @callback
    def async_reconfigure(self) -> None:
        """Options changed: start again with the new meter and limits."""
        self.async_stop()
        self.async_start()
        if not self.enabled:
            self.site.async_set_updated_data(None)
            self._set_meter_issue(False)

    # --- triggers --------------------------------------------------------------------

    @callback
    def _meter_changed(self, _event: Event[EventStateChangedData]) -> None:
        # A meter writes its phases as separate entities, one after the other in the same
        # loop iteration: allocate once they are all in (the next iteration, no timer),
        # or a half-updated meter looks like a load step on one phase.
        self._schedule()

    @callback
    def _tick(self, _now: Any) -> None:
        self.recompute()

    @callback
    def charger_changed(self, charger: ChargerState) -> None:
        """An OCPP event: allocate again, once for all events of this loop iteration.

        With a grid meter, a charger's own meter values alone do not trigger an
        allocation: the grid meter's next reading does, so the non-EV load is computed
        from readings of the same moment (a charger's fresh value against an older grid
        reading would look like a load step). Arrivals, departures, status and
        connection changes always do.
        """
        if not self.enabled:
            return
        self._note_readings(charger)
        signature = _signature(charger)
        structural = self._signatures.get(charger.charger_id) != signature
        self._signatures[charger.charger_id] = signature
        if not structural and self.meter.entities:
            return
        self._schedule()

    def _note_readings(self, charger: ChargerState) -> None:
        """Date each connector's reading by when it came in (a new meter timestamp)."""
        now = self.clock()
        for connector in charger.outlets:
            key = connector_key(charger.charger_id, connector.connector_id)
            known = self._readings.get(key)
            if known is None or known[0] != connector.meter_timestamp:
                self._readings[key] = (connector.meter_timestamp, now)

    def _schedule(self) -> None:
        """Allocate in the next loop iteration, once for everything that changed in this one."""
        if self._batched:
            return
        self._batched = True
        # A task, not call_soon: HA tracks it, so waiting for HA to be idle includes it.
        self.hass.async_create_task(self._run_batched(), eager_start=False)

    async def _run_batched(self) -> None:
        self._batched = False
        self.recompute()

    # --- allocation ------------------------------------------------------------------

    @callback
    def recompute(self) -> None:
        """Allocate now and send what changed."""
        if not self.enabled:
            return
        site = self.last_site = self.snapshot()
        result = allocate(site, self.state)
        self.state = result.state
        self.site.async_set_updated_data(result)
        self._set_meter_issue(result.failsafe)
        self._update_compliance(result)
        self._dispatch(result, site.now)
        self._install_safe_defaults()

    def snapshot(self) -> SiteInput:
        """The site as it is now."""
        options = self.options
        limit = float(options[CONF_GRID_LIMIT])
        base = float(options.get(CONF_BASE_LOAD) or 0)
        reading = self.meter.read(dt_util.utcnow())
        now = self.clock()
        circuits = {
            circuit.name: CircuitInput(
                circuit_id=circuit.name, limit=(circuit.limit,) * 3, parent_id=circuit.parent
            )
            for circuit in parse_circuits(options.get(CONF_CIRCUITS, []))
        }
        stations: list[StationInput] = []
        connectors: list[ConnectorInput] = []
        for coordinator in self.hub.coordinators.values():
            charger = coordinator.data
            charger_settings = self.hub.charger_settings(charger.charger_id)
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
                self._connector_input(charger, connector_id, charger_settings.phase_rotation, now)
                for connector_id in self.hub.connector_ids(charger)
            )
        max_import = options.get(CONF_MAX_IMPORT_POWER)
        return SiteInput(
            now=now,
            grid_limit=(limit, limit, limit),
            max_import_power=float(max_import) if max_import else None,
            grid_current=reading.grid_current,
            meter_available=reading.available,
            base_load=(base, base, base),
            pv_power=reading.pv_power,
            battery_power=reading.battery_power,
            prices=self._price_slots(now),
            circuits=tuple(circuits.values()),
            stations=tuple(stations),
            connectors=tuple(connectors),
            settings=self.engine_settings(),
        )

    def _price_slots(self, now: float) -> tuple[PriceSlot, ...]:
        """The forecast from the price entity on the engine's clock, without past slots."""
        if self.prices is None:
            return ()
        wall = self.wall_clock()
        # Engine time of a moment: now + seconds from the wall clock's now to it.
        offset = now - wall.timestamp()
        return tuple(
            PriceSlot(
                start=interval.start.timestamp() + offset,
                end=interval.end.timestamp() + offset,
                price=interval.price,
            )
            for interval in self.prices.read()
            if interval.end > wall
        )

    def to_datetime(self, engine_time: float) -> datetime:
        """A time on the engine's clock as an aware UTC datetime, to the second.

        The engine's clock is monotonic, the wall clock is not: they drift apart by
        fractions of a second between two conversions, which rounding hides. In UTC, as
        local time skips or repeats an hour across a DST change.
        """
        moment = dt_util.as_utc(self.wall_clock()) + timedelta(seconds=engine_time - self.clock())
        return (moment + timedelta(microseconds=500_000)).replace(microsecond=0)

    def _connector_input(
        self, charger: ChargerState, connector_id: int, rotation: int, now: float
    ) -> ConnectorInput:
        connector = charger.connector(connector_id)
        key = connector_key(charger.charger_id, connector_id)
        settings = self.hub.connector_settings(charger.charger_id, connector_id)
        measured, used, known = self._session_phases_of(key, connector, rotation)
        capabilities = charger.capabilities
        energy_needed = departure = None
        if (
            settings.energy_target > 0
            and settings.departure is not None
            and connector.transaction_id is not None
        ):
            energy_needed = settings.energy_target * 1000 - (connector.session_energy or 0.0)
            departure = now + seconds_until(self.wall_clock(), settings.departure)
        return ConnectorInput(
            connector_id=key,
            station_id=charger.charger_id,
            phases=used,
            phases_known=known,
            measured_at=reading[1] if (reading := self._readings.get(key)) else None,
            min_current=settings.min_current,
            max_current=settings.max_current,
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
        )

    def _session_phases_of(
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
        if any(value > DRAWING_THRESHOLD for value in measured):
            self._session_phases[key] = (session, used)
            return measured, used, True
        if (seen := self._session_phases.get(key)) is not None and seen[0] == session:
            return measured, seen[1], True
        return measured, used, False

    # --- sending ---------------------------------------------------------------------

    def _dispatch(self, result: Result, now: float) -> None:
        renew_after = self.validity / 2
        for key, allocation in result.allocations.items():
            if allocation.reason in (LimitReason.NOT_CHARGING, LimitReason.CHARGER_OFFLINE):
                self._sent_at.pop(key, None)
                continue
            due = now - self._sent_at.get(key, -math.inf) >= renew_after
            if not (allocation.changed or due):
                continue
            _charger_id, connector_id = split_connector_key(key)
            self._sent_at[key] = now
            self._send(
                key,
                ChargingLimit(
                    connector_id=connector_id,
                    value=allocation.current,
                    duration=self.validity,
                    phases=allocation.phases,
                ),
            )

    def _send(self, key: str, limit: ChargingLimit) -> None:
        """Send a limit; while one is on its way to this connector, keep only the newest."""
        if key in self._sending:
            self._pending[key] = limit
            return
        charger_id, _ = split_connector_key(key)
        self._sending[key] = self.hub.entry.async_create_background_task(
            self.hass, self._send_until_done(key, charger_id, limit), f"{DOMAIN} limit {key}"
        )

    async def _send_until_done(self, key: str, charger_id: str, limit: ChargingLimit) -> None:
        try:
            next_limit: ChargingLimit | None = limit
            while next_limit is not None:
                coordinator = self.hub.coordinators.get(charger_id)
                if coordinator is None:
                    return
                try:
                    await coordinator.session.apply_limit(next_limit)
                except ChargerError as error:
                    # Retried at the next renewal; the safe default covers the meantime.
                    _LOGGER.warning("%s: limit not applied: %s", key, error)
                    self._sent_at.pop(key, None)
                next_limit = self._pending.pop(key, None)
        finally:
            self._sending.pop(key, None)

    def safe_share(self) -> float:
        """What each connector may draw when Home Assistant is gone (A per phase).

        All shares together stay within the site limit minus the base load and margin;
        a share below the minimum charging current is 0: better no charging than a
        tripped fuse.
        """
        options = self.options
        budget = (
            float(options[CONF_GRID_LIMIT])
            - float(options.get(CONF_BASE_LOAD) or 0)
            - float(options.get(CONF_SAFETY_MARGIN, DEFAULT_SAFETY_MARGIN))
        )
        count = sum(
            len(self.hub.connector_ids(coordinator.data))
            for coordinator in self.hub.coordinators.values()
        )
        if count == 0 or budget <= 0:
            return 0.0
        share = min(
            budget / count,
            float(options.get(CONF_FAILSAFE_CURRENT, DEFAULT_FAILSAFE_CURRENT)),
        )
        share = math.floor(share * 10) / 10
        return share if share >= MIN_CHARGING_CURRENT else 0.0

    def _install_safe_defaults(self) -> None:
        share = self.safe_share()
        for charger_id, coordinator in self.hub.coordinators.items():
            charger = coordinator.data
            if not (charger.connected and charger.configured) or charger_id in self._safe_sending:
                continue
            if self.hub.charger_settings(charger_id).safe_default == share:
                continue
            self._safe_sending.add(charger_id)
            self.hub.entry.async_create_background_task(
                self.hass,
                self._install_safe_default(charger_id, share),
                f"{DOMAIN} safe default {charger_id}",
            )

    async def _install_safe_default(self, charger_id: str, share: float) -> None:
        try:
            coordinator = self.hub.coordinators.get(charger_id)
            if coordinator is None:
                return
            await coordinator.session.apply_limit(
                ChargingLimit(connector_id=0, value=share, safe_default=True)
            )
            self.hub.update_charger_settings(charger_id, safe_default=share)
        except ChargerError as error:
            _LOGGER.warning("%s: safe default not installed: %s", charger_id, error)
        finally:
            self._safe_sending.discard(charger_id)

    # --- repairs ---------------------------------------------------------------------

    def _set_meter_issue(self, failsafe: bool) -> None:
        if failsafe == self._meter_issue:
            return
        self._meter_issue = failsafe
        issue_id = f"meter_unavailable_{self.hub.entry.entry_id}"
        if failsafe:
            _LOGGER.warning("Grid meter unavailable: every connector at its failsafe current")
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                issue_id,
                is_fixable=False,
                severity=ir.IssueSeverity.ERROR,
                translation_key="meter_unavailable",
                translation_placeholders={"entities": ", ".join(self.meter.entities)},
            )
        else:
            _LOGGER.info("Grid meter back: balancing against it again")
            ir.async_delete_issue(self.hass, DOMAIN, issue_id)

    def _update_compliance(self, result: Result) -> None:
        flagged = {
            key
            for key, allocation in result.allocations.items()
            if allocation.reason is LimitReason.NON_COMPLIANT
        }
        for key in flagged - self._non_compliant:
            _LOGGER.warning("%s draws more than allocated: treated as fixed load", key)
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                f"non_compliant_{key}",
                is_fixable=False,
                severity=ir.IssueSeverity.WARNING,
                translation_key="non_compliant",
                translation_placeholders={"connector": key},
            )
        for key in self._non_compliant - flagged:
            ir.async_delete_issue(self.hass, DOMAIN, f"non_compliant_{key}")
        self._non_compliant = flagged


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


def _signature(charger: ChargerState) -> tuple[object, ...]:
    """What about a charger changes who may charge (not how much it draws)."""
    return (
        charger.connected,
        charger.configured,
        tuple(
            (connector.connector_id, connector.status, connector.transaction_id)
            for connector in charger.outlets
        ),
    )


def _measured(connector: ConnectorState, rotation: int) -> tuple[PhaseCurrents, tuple[int, ...]]:
    """What the connector draws per *grid* phase, and the grid phases it draws on.

    The charger's L1 is wired to grid phase `rotation`, its L2 to the next, and so on.
    Until a car draws, it is assumed to use all three phases (the cautious guess).
    """
    per_phase = connector.current_phases.as_tuple()
    if all(value is None for value in per_phase) and connector.current_import is not None:
        per_phase = (connector.current_import,) * 3
    grid = [0.0, 0.0, 0.0]
    used: list[int] = []
    for charger_phase, value in enumerate(per_phase):
        grid_phase = (charger_phase + rotation) % 3
        grid[grid_phase] = max(value or 0.0, 0.0)
        if value is not None and value > DRAWING_THRESHOLD:
            used.append(grid_phase)
    phases = tuple(sorted(used)) if used else (0, 1, 2)
    return (grid[0], grid[1], grid[2]), phases
