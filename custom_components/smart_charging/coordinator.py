"""The HA side of the central system: one hub per config entry, one push coordinator per charger.

Nothing here polls: every OCPP message that changes a charger pushes its new state to
that charger's entities at once (`ChargerCoordinator.async_set_updated_data`), and
only that charger's entities are written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
import logging
from typing import Any

from homeassistant.config_entries import (
    SIGNAL_CONFIG_ENTRY_CHANGED,
    SOURCE_IGNORE,
    SOURCE_INTEGRATION_DISCOVERY,
    ConfigEntry,
    ConfigEntryChange,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr, discovery_flow
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator

from .balancing import Mode
from .central_system.limits import ChargingLimit
from .central_system.model import ChargerState
from .central_system.policy import AccessPolicy, IdTagPolicy, UnknownChargerPolicy
from .central_system.server import CentralSystem
from .central_system.session import ChargerSession, SessionSettings
from .compat import get_device, register_device
from .const import (
    CONF_ALLOWED_ID_TAGS,
    CONF_APPROVED_CHARGERS,
    CONF_HEARTBEAT_INTERVAL,
    CONF_HOST,
    CONF_ID_TAG_POLICY,
    CONF_METER_INTERVAL,
    CONF_PORT,
    CONF_UNKNOWN_CHARGERS,
    DEFAULT_HEARTBEAT_INTERVAL,
    DEFAULT_METER_INTERVAL,
    DOMAIN,
)
from .device_info import charger_device_info
from .ids import charger_identifier
from .site_balancer import Balancer
from .storage import HubStore

_LOGGER = logging.getLogger(__name__)

DEFAULT_MAX_CURRENT = 32.0
REMOTE_ID_TAG = "HomeAssistant"

type SmartChargingConfigEntry = ConfigEntry[SmartChargingHub]


def discovery_unique_id(entry_id: str, charger_id: str) -> str:
    """Unique id of the discovery flow (and of an ignored entry) for a pending charger."""
    return f"{entry_id}:{charger_id}"


@dataclass(slots=True)
class ConnectorSettings:
    """What the user set for a connector: kept across restarts."""

    max_current: float = DEFAULT_MAX_CURRENT
    paused: bool = False
    mode: str = Mode.FAST.value
    priority: int = 0
    min_current: float = 6.0
    # Solar modes: when the car leaves ("HH:MM:SS", local time of day; None: not set) and
    # the kWh to add by then in each session (0: none). Like a wallbox app's daily
    # departure, both persist from one session to the next until changed.
    departure: str | None = None
    energy_target: float = 0.0


@dataclass(slots=True)
class ChargerSettings:
    """What the user set (and we installed) for a whole charger."""

    # Grid phase (0-2) the charger's L1 is wired to; L2 and L3 follow in order.
    phase_rotation: int = 0
    # The station's shared maximum (A per phase), None: none.
    station_max_current: float | None = None
    # The safe default last installed on the charger (A per connector), None: none yet.
    safe_default: float | None = None
    # The sub-circuit (by name) feeding the charger, None: directly on the grid connection.
    circuit: str | None = None


# Key of a charger's own settings among its connectors' in the store.
_CHARGER_KEY = "charger"


class ChargerCoordinator(DataUpdateCoordinator[ChargerState]):
    """Push-only coordinator of one charger: updated by OCPP messages, never polled."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: SmartChargingConfigEntry,
        hub: SmartChargingHub,
        session: ChargerSession,
    ) -> None:
        """Create the coordinator around a charger's session."""
        super().__init__(
            hass,
            _LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {session.charger_id}",
            update_interval=None,
        )
        self.hub = hub
        self.session = session
        self.data = session.state
        # The BootNotification the device registry entry was last written from.
        self.registered_boot: object = None

    @property
    def charger_id(self) -> str:
        """Return the charge point id."""
        return self.session.charger_id

    @callback
    def charger_device(self) -> dr.DeviceEntry:
        """The charger's device, registered now if it is not yet: its connectors name it."""
        return register_device(
            dr.async_get(self.hass),
            self.hub.entry.entry_id,
            charger_device_info(self.hub.entry.entry_id, self.data),
        )


class SmartChargingHub:
    """Owns the central system of one config entry and connects it to HA."""

    def __init__(self, hass: HomeAssistant, entry: SmartChargingConfigEntry) -> None:
        """Build the central system from the entry (not started yet)."""
        self.hass = hass
        self.entry = entry
        self.store = HubStore(hass, entry.entry_id)
        self.coordinators: dict[str, ChargerCoordinator] = {}
        self._charger_listeners: list[Callable[[ChargerCoordinator], None]] = []
        self._discovery_started: set[str] = set()
        # The address as configured (port 0 stays 0): a reconfigured one needs a reload.
        self.address: tuple[str, int] = (entry.data[CONF_HOST], entry.data[CONF_PORT])
        self.central = CentralSystem(
            host=entry.data[CONF_HOST],
            port=entry.data[CONF_PORT],
            policy=AccessPolicy(approved=set(entry.data.get(CONF_APPROVED_CHARGERS, []))),
            settings=SessionSettings(),
            listener=self,
            persistence=self.store,
        )
        self.apply_options()
        self.balancer = Balancer(hass, self)

    # --- lifecycle ---------------------------------------------------------------------

    async def async_start(self) -> None:
        """Load state and start the server (raises OSError when the port is taken)."""
        await self.store.async_load()
        self._refresh_ignored()
        # An ignored charger whose entry the user deletes may ask again at once.
        self.entry.async_on_unload(
            async_dispatcher_connect(
                self.hass, SIGNAL_CONFIG_ENTRY_CHANGED, self._config_entry_changed
            )
        )
        await self.central.start()
        for charger_id in sorted(self.central.policy.approved):
            self._add_coordinator(self.central.session(charger_id))
        self.balancer.async_start()

    async def async_stop(self) -> None:
        """Stop balancing and the server, closing every charger connection."""
        self.balancer.async_stop()
        await self.central.stop()

    def apply_options(self) -> None:
        """Apply the options flow's settings live, without a reload."""
        options = self.entry.options
        policy = self.central.policy
        policy.unknown_chargers = UnknownChargerPolicy(
            options.get(CONF_UNKNOWN_CHARGERS, UnknownChargerPolicy.ASK)
        )
        policy.id_tags = IdTagPolicy(options.get(CONF_ID_TAG_POLICY, IdTagPolicy.ACCEPT_ALL))
        policy.set_allowed_id_tags(options.get(CONF_ALLOWED_ID_TAGS, []))
        settings = self.central.settings
        settings.meter_interval = int(options.get(CONF_METER_INTERVAL, DEFAULT_METER_INTERVAL))
        settings.heartbeat_interval = int(
            options.get(CONF_HEARTBEAT_INTERVAL, DEFAULT_HEARTBEAT_INTERVAL)
        )

    async def async_apply_options(self) -> None:
        """Apply changed options; push a new sampling interval to connected chargers."""
        settings = self.central.settings
        before = (settings.meter_interval, settings.heartbeat_interval)
        self.apply_options()
        self.balancer.async_reconfigure()
        if self.central.policy.unknown_chargers is UnknownChargerPolicy.ACCEPT_ALL:
            await self._async_admit_pending()
        if (settings.meter_interval, settings.heartbeat_interval) == before:
            return
        for session in list(self.central.sessions.values()):
            # A charger not set up yet gets the new intervals with its setup.
            if session.adapter is None or not session.accepted or not session.ready:
                continue
            failed = await session.adapter.set_intervals(
                settings.meter_interval, settings.heartbeat_interval
            )
            for key, error in failed.items():
                _LOGGER.warning("%s: %s not applied: %s", session.charger_id, key, error)

    # --- chargers ----------------------------------------------------------------------

    @callback
    def async_add_charger_listener(
        self, listener: Callable[[ChargerCoordinator], None]
    ) -> Callable[[], None]:
        """Call `listener` for every charger now and for each one approved later."""
        self._charger_listeners.append(listener)
        for coordinator in list(self.coordinators.values()):
            listener(coordinator)

        def remove() -> None:
            self._charger_listeners.remove(listener)

        return remove

    def _add_coordinator(self, session: ChargerSession) -> ChargerCoordinator:
        coordinator = self.coordinators.get(session.charger_id)
        if coordinator is None:
            coordinator = ChargerCoordinator(self.hass, self.entry, self, session)
            self.coordinators[session.charger_id] = coordinator
            for listener in list(self._charger_listeners):
                listener(coordinator)
        return coordinator

    def connector_ids(self, state: ChargerState) -> list[int]:
        """The connectors a charger has: reported ones plus NumberOfConnectors."""
        ids = {connector.connector_id for connector in state.outlets}
        if state.capabilities and state.capabilities.number_of_connectors:
            ids.update(range(1, state.capabilities.number_of_connectors + 1))
        return sorted(ids)

    def charger_settings(self, charger_id: str) -> ChargerSettings:
        """Return a charger's settings."""
        saved = self.store.settings.get(charger_id, {}).get(_CHARGER_KEY, {})
        return ChargerSettings(**saved)

    def update_charger_settings(self, charger_id: str, **changes: Any) -> ChargerSettings:
        """Change and persist a charger's settings."""
        settings = replace(self.charger_settings(charger_id), **changes)
        self.store.settings.setdefault(charger_id, {})[_CHARGER_KEY] = asdict(settings)
        self.store.save_later()
        return settings

    def connector_settings(self, charger_id: str, connector_id: int) -> ConnectorSettings:
        """Return a connector's user settings."""
        saved = self.store.settings.get(charger_id, {}).get(str(connector_id), {})
        return ConnectorSettings(**saved)

    def update_connector_settings(
        self, charger_id: str, connector_id: int, **changes: Any
    ) -> ConnectorSettings:
        """Change and persist a connector's user settings."""
        settings = replace(self.connector_settings(charger_id, connector_id), **changes)
        self.store.settings.setdefault(charger_id, {})[str(connector_id)] = asdict(settings)
        self.store.save_later()
        return settings

    async def async_apply_connector_limit(self, charger_id: str, connector_id: int) -> None:
        """Send the connector the limit its settings ask for (0 A while paused).

        With load balancing on, the settings are the engine's input instead: it decides.
        """
        if self.balancer.enabled:
            self.balancer.recompute()
            return
        settings = self.connector_settings(charger_id, connector_id)
        off = settings.paused or settings.mode == Mode.OFF
        value = 0.0 if off else settings.max_current
        session = self.central.sessions[charger_id]
        await session.apply_limit(ChargingLimit(connector_id=connector_id, value=value))

    async def async_approve(self, charger_id: str) -> None:
        """Approve a pending charger: no reload, no other charger disconnected."""
        session = self.central.approve(charger_id)
        self._discovery_started.discard(charger_id)
        approved = sorted(self.central.policy.approved)
        self.hass.config_entries.async_update_entry(
            self.entry, data={**self.entry.data, CONF_APPROVED_CHARGERS: approved}
        )
        self._add_coordinator(session)

    async def _async_admit_pending(self) -> None:
        """Accept all now covers the chargers waiting for approval: admit them, close their flows."""
        for charger_id in sorted(self._discovery_started):
            unique_id = discovery_unique_id(self.entry.entry_id, charger_id)
            for flow in self.hass.config_entries.flow.async_progress_by_handler(
                DOMAIN, match_context={"unique_id": unique_id}
            ):
                self.hass.config_entries.flow.async_abort(flow["flow_id"])
            session = self.central.sessions.get(charger_id)
            if session is not None and session.connected:
                await self.async_approve(charger_id)
            else:  # It left; on its return the policy admits it.
                self._discovery_started.discard(charger_id)

    async def async_ignore(self, charger_id: str) -> None:
        """Turn a pending charger away (the user pressed Ignore on its discovery)."""
        self.central.policy.ignored.add(charger_id)
        self._discovery_started.discard(charger_id)
        session = self.central.sessions.get(charger_id)
        if session is not None and session.adapter is not None and not session.accepted:
            await session.adapter.close()

    async def async_remove_charger(self, charger_id: str) -> None:
        """Forget a charger whose device the user deleted."""
        await self.central.forget(charger_id)
        self.coordinators.pop(charger_id, None)
        self.store.settings.pop(charger_id, None)
        approved = sorted(self.central.policy.approved)
        self.hass.config_entries.async_update_entry(
            self.entry, data={**self.entry.data, CONF_APPROVED_CHARGERS: approved}
        )

    @callback
    def _config_entry_changed(self, change: ConfigEntryChange, entry: ConfigEntry) -> None:
        if entry.domain == DOMAIN and entry.source == SOURCE_IGNORE:
            self._refresh_ignored()

    def _refresh_ignored(self) -> None:
        prefix = discovery_unique_id(self.entry.entry_id, "")
        self.central.policy.ignored = {
            entry.unique_id.removeprefix(prefix)
            for entry in self.hass.config_entries.async_entries(DOMAIN, include_ignore=True)
            if entry.source == SOURCE_IGNORE
            and entry.unique_id
            and entry.unique_id.startswith(prefix)
        }

    # --- central_system.server.CentralSystemListener -----------------------------------

    def charger_updated(self, session: ChargerSession) -> None:
        """Push the new state to the charger's entities."""
        coordinator = self.coordinators.get(session.charger_id)
        if coordinator is not None:
            coordinator.async_set_updated_data(session.state)
            self._update_device(coordinator)
            self.balancer.charger_changed(session.state)

    def charger_approved(self, session: ChargerSession) -> None:
        """A charger admitted by policy: remember it and create its entities."""
        self.hass.config_entries.async_update_entry(
            self.entry,
            data={
                **self.entry.data,
                CONF_APPROVED_CHARGERS: sorted(self.central.policy.approved),
            },
        )
        self._add_coordinator(session)

    def admission_requested(self, session: ChargerSession) -> None:
        """Show an unknown charger in HA's discovered integrations."""
        if session.charger_id in self._discovery_started:
            return
        self._discovery_started.add(session.charger_id)
        boot = session.state.boot
        discovery_flow.async_create_flow(
            self.hass,
            DOMAIN,
            context={"source": SOURCE_INTEGRATION_DISCOVERY},
            data={
                "entry_id": self.entry.entry_id,
                "charger_id": session.charger_id,
                "vendor": boot.vendor if boot else None,
                "model": boot.model if boot else None,
                "serial_number": boot.serial_number if boot else None,
            },
        )

    def _update_device(self, coordinator: ChargerCoordinator) -> None:
        """Keep the device's model/firmware in step with the latest BootNotification."""
        boot = coordinator.data.boot
        if boot is None or boot is coordinator.registered_boot:
            return
        coordinator.registered_boot = boot
        registry = dr.async_get(self.hass)
        entry_id = self.entry.entry_id
        device = get_device(
            registry, charger_identifier(entry_id, coordinator.charger_id), entry_id
        )
        if device is not None:
            registry.async_update_device(
                device.id,
                manufacturer=boot.vendor,
                model=boot.model,
                serial_number=boot.serial_number,
                sw_version=boot.firmware_version,
            )

    def diagnostics(self) -> dict[str, Any]:
        """Everything worth seeing when something goes wrong (before redaction)."""
        return {
            "port": self.central.port,
            "approved": sorted(self.central.policy.approved),
            "ignored": sorted(self.central.policy.ignored),
            "stored": self.central.dump(),
        }
