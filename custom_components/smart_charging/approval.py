"""Which chargers may connect: discovery flows for unknown ones, approve, ignore, remove.

An unknown charger (policy ask) appears in HA's discovered integrations; the user
approves it (it joins the entry without a reload) or ignores it (an ignored config
entry, whose deletion lets it ask again). Switching the policy to accept all admits
the chargers still waiting.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.config_entries import (
    SIGNAL_CONFIG_ENTRY_CHANGED,
    SOURCE_IGNORE,
    SOURCE_INTEGRATION_DISCOVERY,
    ConfigEntry,
    ConfigEntryChange,
)
from homeassistant.core import callback
from homeassistant.helpers import discovery_flow
from homeassistant.helpers.dispatcher import async_dispatcher_connect

from .central_system.session import ChargerSession
from .const import CONF_APPROVED_CHARGERS, DOMAIN

if TYPE_CHECKING:
    from .hub import SmartChargingHub


def discovery_unique_id(entry_id: str, charger_id: str) -> str:
    """Unique id of the discovery flow (and of an ignored entry) for a pending charger."""
    return f"{entry_id}:{charger_id}"


class ChargerApproval:
    """Admission of the chargers of one hub: its discovery flows and approved list."""

    def __init__(self, hub: SmartChargingHub) -> None:
        """Serve `hub`, whose central system holds the access policy."""
        self.hub = hub
        self.hass = hub.hass
        self.entry = hub.entry
        self._discovery_started: set[str] = set()

    def async_start(self) -> None:
        """Load the ignored chargers and follow the user's changes to them."""
        self._refresh_ignored()
        # An ignored charger whose entry the user deletes may ask again at once.
        self.entry.async_on_unload(
            async_dispatcher_connect(
                self.hass, SIGNAL_CONFIG_ENTRY_CHANGED, self._config_entry_changed
            )
        )

    async def async_approve(self, charger_id: str) -> None:
        """Approve a pending charger: no reload, no other charger disconnected."""
        session = self.hub.central.approve(charger_id)
        self._discovery_started.discard(charger_id)
        approved = sorted(self.hub.central.policy.approved)
        self.hass.config_entries.async_update_entry(
            self.entry, data={**self.entry.data, CONF_APPROVED_CHARGERS: approved}
        )
        self.hub.add_coordinator(session)

    async def async_admit_pending(self) -> None:
        """Accept all now covers the chargers waiting for approval: admit them, close their flows."""
        for charger_id in sorted(self._discovery_started):
            unique_id = discovery_unique_id(self.entry.entry_id, charger_id)
            for flow in self.hass.config_entries.flow.async_progress_by_handler(
                DOMAIN, match_context={"unique_id": unique_id}
            ):
                self.hass.config_entries.flow.async_abort(flow["flow_id"])
            session = self.hub.central.sessions.get(charger_id)
            if session is not None and session.connected:
                await self.hub.async_approve(charger_id)
            else:  # It left; on its return the policy admits it.
                self._discovery_started.discard(charger_id)

    async def async_ignore(self, charger_id: str) -> None:
        """Turn a pending charger away (the user pressed Ignore on its discovery)."""
        self.hub.central.policy.ignored.add(charger_id)
        self._discovery_started.discard(charger_id)
        session = self.hub.central.sessions.get(charger_id)
        if session is not None and session.adapter is not None and not session.accepted:
            await session.adapter.close()

    async def async_remove_charger(self, charger_id: str) -> None:
        """Forget a charger whose device the user deleted."""
        await self.hub.central.forget(charger_id)
        self.hub.coordinators.pop(charger_id, None)
        self.hub.store.settings.pop(charger_id, None)
        approved = sorted(self.hub.central.policy.approved)
        self.hass.config_entries.async_update_entry(
            self.entry, data={**self.entry.data, CONF_APPROVED_CHARGERS: approved}
        )

    def charger_approved(self, session: ChargerSession) -> None:
        """A charger admitted by policy: remember it and create its entities."""
        self.hass.config_entries.async_update_entry(
            self.entry,
            data={
                **self.entry.data,
                CONF_APPROVED_CHARGERS: sorted(self.hub.central.policy.approved),
            },
        )
        self.hub.add_coordinator(session)

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

    @callback
    def _config_entry_changed(self, change: ConfigEntryChange, entry: ConfigEntry) -> None:
        if entry.domain == DOMAIN and entry.source == SOURCE_IGNORE:
            self._refresh_ignored()

    def _refresh_ignored(self) -> None:
        prefix = discovery_unique_id(self.entry.entry_id, "")
        self.hub.central.policy.ignored = {
            entry.unique_id.removeprefix(prefix)
            for entry in self.hass.config_entries.async_entries(DOMAIN, include_ignore=True)
            if entry.source == SOURCE_IGNORE
            and entry.unique_id
            and entry.unique_id.startswith(prefix)
        }
