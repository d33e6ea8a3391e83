"""Sending limits to the chargers: live limits and their renewals, and the safe defaults.

A live limit is sent when the engine changed it or when it is due for renewal (half its
validity); while one is on its way to a connector only the newest next one is kept. A
limit that fails is retried at the next renewal. The safe default (each connector's share
of the site limit) is written to a charger only when it differs from the one installed.
"""

from __future__ import annotations

import asyncio
import logging
import math
from typing import TYPE_CHECKING

from homeassistant.core import HomeAssistant

from ..balancing import LimitReason, Result
from ..central_system.errors import ChargerError
from ..central_system.limits import ChargingLimit
from ..const import (
    CONF_BASE_LOAD,
    CONF_FAILSAFE_CURRENT,
    CONF_GRID_LIMIT,
    CONF_SAFETY_MARGIN,
    DEFAULT_FAILSAFE_CURRENT,
    DEFAULT_SAFETY_MARGIN,
    DOMAIN,
)
from ..ids import split_connector_key

if TYPE_CHECKING:
    from ..coordinator import SmartChargingHub

_LOGGER = logging.getLogger(__name__)

# Below this (A) an IEC 61851 car cannot charge.
MIN_CHARGING_CURRENT = 6.0


class LimitSender:
    """Sends the engine's limits and the safe defaults to the chargers, and retries them."""

    def __init__(self, hass: HomeAssistant, hub: SmartChargingHub) -> None:
        """Start with nothing sent."""
        self.hass = hass
        self.hub = hub
        self._sending: dict[str, asyncio.Task[None]] = {}
        self._pending: dict[str, ChargingLimit] = {}
        self._sent_at: dict[str, float] = {}
        self._safe_sending: set[str] = set()

    @property
    def idle(self) -> bool:
        """No limit is on its way to a charger."""
        return not self._sending and not self._safe_sending

    def cancel(self) -> None:
        """Stop sending live limits: those on their way and those waiting for them."""
        for task in self._sending.values():
            task.cancel()
        self._sending.clear()
        self._pending.clear()

    # --- live limits -----------------------------------------------------------------

    def dispatch(self, result: Result, now: float, validity: int) -> None:
        """Send each limit that changed or is due for renewal (`validity`: seconds valid)."""
        renew_after = validity / 2
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
                    duration=validity,
                    phases=allocation.phases,
                    # Only in this expiring layer: HA gone, the discharge ends with it.
                    discharge=allocation.discharge,
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

    # --- safe defaults ---------------------------------------------------------------

    def safe_share(self) -> float:
        """What each connector may draw when Home Assistant is gone (A per phase).

        All shares together stay within the site limit minus the base load and margin;
        a share below the minimum charging current is 0: better no charging than a
        tripped fuse.
        """
        options = self.hub.entry.options
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

    def install_safe_defaults(self) -> None:
        """Write the safe share to each connected charger that does not hold it yet."""
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
