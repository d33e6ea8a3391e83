"""Without load balancing, a user's limit outlives the session it was sent in.

A limit set during a charge goes out as a TxProfile, which the charger drops when the
transaction ends: the next session (or the first after a restart) would charge at the
charger's maximum while the number still shows the user's. Each new transaction gets
the connector's limit again (with balancing, the balancer sends one anyway).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from . import settings as user_settings
from .balancing import Mode
from .central_system.errors import ChargerError
from .central_system.session import ChargerSession

if TYPE_CHECKING:
    from .hub import SmartChargingHub

_LOGGER = logging.getLogger(__name__)


class SessionLimits:
    """Sends a connector's own limit at the start of each of its transactions."""

    def __init__(self, hub: SmartChargingHub) -> None:
        """Start with no transaction seen."""
        self._hub = hub
        self._seen: dict[tuple[str, int], int | None] = {}

    def charger_updated(self, session: ChargerSession) -> None:
        """Note new transactions; send their connector's limit where the user set one."""
        hub = self._hub
        for connector in session.state.outlets:
            key = (session.charger_id, connector.connector_id)
            running = connector.transaction_id
            new = running is not None and self._seen.get(key) != running
            self._seen[key] = running
            if not new or hub.balancer.enabled:
                continue
            settings = user_settings.connector_settings(
                hub.store, session.charger_id, connector.connector_id
            )
            if settings.max_current is None and not settings.paused and settings.mode != Mode.OFF:
                continue  # Nothing of the user's to keep: the charger's own maximum applies.
            hub.entry.async_create_background_task(
                hub.hass,
                self._send(session.charger_id, connector.connector_id),
                name=f"smart_charging limit {session.charger_id}/{connector.connector_id}",
            )

    async def _send(self, charger_id: str, connector_id: int) -> None:
        try:
            await self._hub.async_apply_connector_limit(charger_id, connector_id)
        except ChargerError as error:
            _LOGGER.warning("%s: the connector's limit for the new session: %s", charger_id, error)
