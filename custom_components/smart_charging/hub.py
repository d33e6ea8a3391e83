"""The HA side of the central system: one hub per config entry, one push coordinator per charger.

The hub owns the central system, starts and stops it, applies the options live, hands
out the chargers' coordinators and answers the central system's listener callbacks.
Admission (approval.py), the user's settings (settings.py) and the device registry
(device_info.py) are delegated.
"""

from __future__ import annotations

from collections.abc import Callable
import logging
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback

from . import settings as user_settings
from .approval import ChargerApproval
from .balancing import Mode
from .central_system.charger_maximum import charger_maximum
from .central_system.limits import ChargingLimit
from .central_system.model import ChargerState
from .central_system.policy import AccessPolicy, IdTagPolicy, UnknownChargerPolicy
from .central_system.security.tls import TlsFiles
from .central_system.server import CentralSystem
from .central_system.session import ChargerSession, SessionSettings
from .charger_coordinator import ChargerCoordinator
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
)
from .device_info import update_charger_device, update_connector_devices
from .security_options import install_passwords, minimum_profile, profile_option, security_settings
from .security_repairs import SecurityRepairs
from .session_limits import SessionLimits
from .settings import ChargerSettings, ConnectorSettings
from .site_balancer import Balancer
from .storage import HubStore

_LOGGER = logging.getLogger(__name__)

type SmartChargingConfigEntry = ConfigEntry[SmartChargingHub]


class SmartChargingHub:
    """Owns the central system of one config entry and connects it to HA."""

    def __init__(self, hass: HomeAssistant, entry: SmartChargingConfigEntry) -> None:
        """Build the central system from the entry (not started yet)."""
        self.hass = hass
        self.entry = entry
        self.store = HubStore(hass, entry.entry_id)
        self.coordinators: dict[str, ChargerCoordinator] = {}
        self._charger_listeners: list[Callable[[ChargerCoordinator], None]] = []
        self.approval = ChargerApproval(self)
        self.session_limits = SessionLimits(self)
        # The address as configured (port 0 stays 0): a reconfigured one needs a reload.
        self.address: tuple[str, int] = (entry.data[CONF_HOST], entry.data[CONF_PORT])
        security = security_settings(dict(entry.options))
        # TLS as configured: its files and port are read at start, a change needs a reload.
        self.tls: tuple[TlsFiles | None, int | None] = (security.tls, security.tls_port)
        self.central = CentralSystem(
            host=entry.data[CONF_HOST],
            port=entry.data[CONF_PORT],
            policy=AccessPolicy(approved=set(entry.data.get(CONF_APPROVED_CHARGERS, []))),
            settings=SessionSettings(),
            listener=self,
            persistence=self.store,
            security=security,
        )
        self.security_repairs = SecurityRepairs(self)
        self.apply_options()
        self.balancer = Balancer(hass, self)

    # --- lifecycle ---------------------------------------------------------------------

    async def async_start(self) -> None:
        """Load state and start the server (raises OSError when the port is taken)."""
        await self.store.async_load()
        self.approval.async_start()
        await self.central.start()
        for charger_id in sorted(self.central.policy.approved):
            self.add_coordinator(self.central.session(charger_id))
        self.balancer.async_start()
        self.security_repairs.refresh()

    async def async_stop(self) -> None:
        """Stop balancing and the server, closing every charger connection."""
        self.balancer.async_stop()
        await self.central.stop()
        # Raised again from the stored passwords at the next start.
        self.security_repairs.clear()

    def needs_restart(self) -> bool:
        """The entry asks for another address or other TLS than the server started with."""
        security = security_settings(dict(self.entry.options))
        return self.address != (self.entry.data[CONF_HOST], self.entry.data[CONF_PORT]) or (
            self.tls != (security.tls, security.tls_port)
        )

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
        settings.install_passwords = install_passwords(dict(options))
        # Checked at each new connection; open ones stay until they reconnect.
        self.central.security.minimum = minimum_profile(dict(options))

    async def async_apply_options(self) -> None:
        """Apply changed options; push a new sampling interval to connected chargers."""
        settings = self.central.settings
        before = (settings.meter_interval, settings.heartbeat_interval)
        installing = settings.install_passwords
        self.apply_options()
        if settings.install_passwords and not installing:
            self.central.install_waiting_passwords()
        self.security_repairs.refresh()
        self.balancer.async_reconfigure()
        if self.central.policy.unknown_chargers is UnknownChargerPolicy.ACCEPT_ALL:
            await self.approval.async_admit_pending()
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

    def add_coordinator(self, session: ChargerSession) -> ChargerCoordinator:
        """Return the charger's coordinator, created (and announced) if it is new."""
        coordinator = self.coordinators.get(session.charger_id)
        if coordinator is None:
            for connector_id in user_settings.discharging_connectors(
                self.store, session.charger_id
            ):
                session.set_discharge_allowed(connector_id, True)
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
        return user_settings.charger_settings(self.store, charger_id)

    def update_charger_settings(self, charger_id: str, **changes: Any) -> ChargerSettings:
        """Change and persist a charger's settings."""
        return user_settings.update_charger_settings(self.store, charger_id, **changes)

    def connector_settings(self, charger_id: str, connector_id: int) -> ConnectorSettings:
        """Return a connector's settings: the user's, the charger's maximum where unset."""
        settings = user_settings.connector_settings(self.store, charger_id, connector_id)
        session = self.central.sessions.get(charger_id)
        if session is None:
            return settings
        return user_settings.resolved(settings, charger_maximum(session.state, connector_id))

    def update_connector_settings(
        self, charger_id: str, connector_id: int, **changes: Any
    ) -> ConnectorSettings:
        """Change and persist a connector's user settings."""
        return user_settings.update_connector_settings(
            self.store, charger_id, connector_id, **changes
        )

    async def async_apply_connector_limit(self, charger_id: str, connector_id: int) -> None:
        """Send the connector the limit its settings ask for (0 A while paused).

        With load balancing on, the settings are the engine's input instead: it decides.
        """
        if self.balancer.enabled:
            self.balancer.recompute()
            return
        settings = self.connector_settings(charger_id, connector_id)
        off = settings.paused or settings.mode == Mode.OFF
        value = 0.0 if off else settings.maximum
        session = self.central.sessions[charger_id]
        await session.apply_limit(ChargingLimit(connector_id=connector_id, value=value))

    # --- admission (approval.py) -------------------------------------------------------

    async def async_approve(self, charger_id: str) -> None:
        """Approve a pending charger: no reload, no other charger disconnected."""
        await self.approval.async_approve(charger_id)

    async def async_ignore(self, charger_id: str) -> None:
        """Turn a pending charger away (the user pressed Ignore on its discovery)."""
        await self.approval.async_ignore(charger_id)

    async def async_remove_charger(self, charger_id: str) -> None:
        """Forget a charger whose device the user deleted."""
        await self.approval.async_remove_charger(charger_id)
        self.security_repairs.charger_removed(charger_id)

    def rotate_password(self, charger_id: str) -> None:
        """Give an approved charger a new password (sent at once if it is connected).

        Raises KeyError for a charger that is not approved.
        """
        self.central.rotate_password(charger_id)
        # Without installing over OCPP, the owner enters the new one.
        self.security_repairs.update(charger_id)

    # --- central_system.server.CentralSystemListener -----------------------------------

    def charger_updated(self, session: ChargerSession) -> None:
        """Push the new state to the charger's entities."""
        # A charger that connected with the password it was shown: the notice goes.
        self.security_repairs.update(session.charger_id)
        coordinator = self.coordinators.get(session.charger_id)
        if coordinator is not None:
            coordinator.async_set_updated_data(session.state)
            update_charger_device(self.hass, self.entry.entry_id, coordinator)
            update_connector_devices(self.hass, self.entry.entry_id, coordinator)
            self.balancer.charger_changed(session.state)
            self.session_limits.charger_updated(session)

    def charger_approved(self, session: ChargerSession) -> None:
        """A charger admitted by policy: remember it and create its entities."""
        self.approval.charger_approved(session)

    def admission_requested(self, session: ChargerSession) -> None:
        """Show an unknown charger in HA's discovered integrations."""
        self.approval.admission_requested(session)

    def password_needed(self, charger_id: str, password: str) -> None:
        """A charger refused its password over OCPP: show it to the owner (a repair)."""
        self.security_repairs.password_needed(charger_id, password)

    def authentication_failed(self, charger_id: str, in_a_row: int) -> None:
        """Connections with a charger's id keep failing to authenticate (a repair)."""
        self.security_repairs.authentication_failed(charger_id, in_a_row)

    def authentication_recovered(self, charger_id: str) -> None:
        """A connection with the charger's id authenticated again."""
        self.security_repairs.authentication_recovered(charger_id)

    def diagnostics(self) -> dict[str, Any]:
        """Everything worth seeing when something goes wrong (before redaction).

        No password: of each charger's credentials only where its password is.
        """
        stored = self.central.dump()
        credentials: dict[str, Any] = stored.pop("credentials", {})
        security = self.central.security
        return {
            "port": self.central.port,
            "tls_port": self.central.tls_port,
            "security": {
                "minimum": profile_option(security.minimum),
                "install_over_ocpp": self.central.settings.install_passwords,
                "tls": security.tls is not None,
                "client_ca": security.tls is not None and security.tls.client_ca is not None,
            },
            "credential_states": {
                charger_id: {"state": saved["state"], "rotating": saved["previous"] is not None}
                for charger_id, saved in credentials.items()
            },
            "approved": sorted(self.central.policy.approved),
            "ignored": sorted(self.central.policy.ignored),
            "stored": stored,
        }
