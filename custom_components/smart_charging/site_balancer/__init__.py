"""The site balancer: shares the site's power among every connector, event-driven.

It turns Home Assistant state (the grid meter) and OCPP state (every connector) into a
`SiteInput`, asks the pure engine in `balancing/` for targets, and sends each changed
target as a short-lived charging profile. Meter changes are handled in the callback
that reports them, so an overload is cut in that same event; OCPP events are batched
per loop iteration. A slow tick only renews live limits and advances hysteresis.

Offline safety comes from the chargers themselves: each holds a rarely written safe
default (its share of the site limit) below the live limits, and the live limits
expire after `live_limit_validity` seconds unless renewed. If Home Assistant stops,
every charger falls back to its safe share on its own.

This module orchestrates (start and stop, triggers, allocation); `engine_input` builds the
engine's input, `dispatch` sends limits and safe defaults, `repairs` keeps the repair
issues and `site_coordinator` holds the coordinator of the site entities.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
import logging
import time
from typing import TYPE_CHECKING, Any

from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers.event import (
    async_call_later,
    async_track_state_change_event,
    async_track_time_interval,
)
from homeassistant.util import dt as dt_util

from ..balancing import ConnectorInput, EngineSettings, EngineState, SiteInput, allocate
from ..central_system.model import ChargerState
from ..const import (
    CONF_GRID_LIMIT,
    CONF_LIVE_LIMIT_VALIDITY,
    CONF_PRICE_ENTITY,
    DEFAULT_LIVE_LIMIT_VALIDITY,
    DOMAIN,
)
from ..meter import SiteMeter
from ..price_forecast import PriceForecast
from .discharge_requests import DischargeRequests
from .dispatch import MIN_CHARGING_CURRENT, LimitSender
from .engine_input import (
    DRAWING_THRESHOLD,
    ConnectorHistory,
    engine_settings,
    seconds_until,
    snapshot,
)
from .repairs import SiteRepairs
from .site_coordinator import SiteCoordinator
from .v2x_input import V2XSignals, read_signals, watched_entities

if TYPE_CHECKING:
    from ..coordinator import SmartChargingHub

__all__ = [
    "DRAWING_THRESHOLD",
    "MIN_CHARGING_CURRENT",
    "TICK_INTERVAL",
    "Balancer",
    "SiteCoordinator",
    "seconds_until",
]

_LOGGER = logging.getLogger(__name__)

# Renewals and hysteresis only: safety does not wait for this tick.
TICK_INTERVAL = timedelta(seconds=15)


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
        self.meter: SiteMeter = SiteMeter(hass, hub.entry.options)
        self.prices: PriceForecast | None = None
        # What the engine's input remembers of each connector (readings, session phases).
        self.history: ConnectorHistory = ConnectorHistory()
        self.sender: LimitSender = LimitSender(hass, hub)
        self.repairs: SiteRepairs = SiteRepairs(hass, hub)
        # Discharges asked for by the set_discharge action, by connector key.
        self.discharge_requests: DischargeRequests = DischargeRequests(
            hass, lambda: self.clock(), self.recompute
        )
        self._unsubscribe: list[Callable[[], None]] = []
        self._batched = False
        self._signatures: dict[str, tuple[object, ...]] = {}
        # A follow-up allocation the engine asked for (a change of direction), if any.
        self._recheck: Callable[[], None] | None = None
        # The last input's connectors by key (built on demand, for the entities).
        self._inputs: tuple[SiteInput | None, dict[str, ConnectorInput]] = (None, {})

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
        return engine_settings(self.options, self.meter.voltage)

    def v2x_signals(self) -> V2XSignals:
        """The grid signal and import cap now (W)."""
        return read_signals(self.hass, self.options)

    @property
    def idle(self) -> bool:
        """No limit is on its way to a charger (for tests and diagnostics)."""
        return self.sender.idle

    def safe_share(self) -> float:
        """What each connector may draw when Home Assistant is gone (A per phase)."""
        return self.sender.safe_share()

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
        entities = [
            *self.meter.watched_entities,
            *([price_entity] if price_entity else []),
            *watched_entities(self.options),
        ]
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
        self.sender.cancel()
        self.discharge_requests.cancel_all()
        self._schedule_recheck(None, 0.0)

    @callback
    def async_reconfigure(self) -> None:
        """Options changed: start again with the new meter and limits."""
        self.async_stop()
        self.async_start()
        if not self.enabled:
            self.site.async_set_updated_data(None)
            self.repairs.set_meter_issue(False, self.meter)

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
        self.history.note_readings(charger, self.clock())
        signature = _signature(charger)
        structural = self._signatures.get(charger.charger_id) != signature
        self._signatures[charger.charger_id] = signature
        if not structural and self.meter.entities:
            return
        self._schedule()

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
        self.repairs.set_meter_issue(result.failsafe, self.meter)
        self.repairs.update_compliance(result)
        self.sender.dispatch(result, site.now, self.validity)
        self.sender.install_safe_defaults()
        self._schedule_recheck(result.recheck_at, site.now)

    def _schedule_recheck(self, at: float | None, now: float) -> None:
        """Allocate again when the engine asked to (a connector changing direction)."""
        if self._recheck is not None:
            self._recheck()
            self._recheck = None
        if at is not None:
            self._recheck = async_call_later(self.hass, max(0.0, at - now), self._rechecked)

    @callback
    def _rechecked(self, _now: Any) -> None:
        self._recheck = None
        self.recompute()

    def snapshot(self) -> SiteInput:
        """The site as it is now."""
        return snapshot(self)

    def connector_input(self, key: str) -> ConnectorInput | None:
        """What the engine was last told of a connector (None: not in the last allocation)."""
        site, inputs = self._inputs
        if site is not self.last_site:
            connectors = () if self.last_site is None else self.last_site.connectors
            inputs = {connector.connector_id: connector for connector in connectors}
            self._inputs = (self.last_site, inputs)
        return inputs.get(key)

    def to_datetime(self, engine_time: float) -> datetime:
        """A time on the engine's clock as an aware UTC datetime, to the second.

        The engine's clock is monotonic, the wall clock is not: they drift apart by
        fractions of a second between two conversions, which rounding hides. In UTC, as
        local time skips or repeats an hour across a DST change.
        """
        moment = dt_util.as_utc(self.wall_clock()) + timedelta(seconds=engine_time - self.clock())
        return (moment + timedelta(microseconds=500_000)).replace(microsecond=0)


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
