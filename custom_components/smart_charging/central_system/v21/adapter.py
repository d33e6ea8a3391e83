"""OCPP 2.1 adapter: 2.0.1's commands, plus discharging and its permission (V2X)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from ocpp.v21 import call as call21

from ..errors import ChargerError, ChargerNotSupportedError
from ..limits import ChargingLimit
from ..session import ChargerSession
from ..v201.adapter import V201Adapter, raw
from .charge_point import ChargePoint21
from .setup import Setup21
from .smart_charging import build_profile
from .transfer import allowed_transfer

_LOGGER = logging.getLogger(__name__)


class V21Adapter(V201Adapter):
    """One 2.1 connection of a charging station."""

    ocpp_version = "2.1"
    charge_point_class = ChargePoint21
    setup_class = Setup21
    _build_profile = staticmethod(build_profile)

    def __init__(self, session: ChargerSession, connection: Any) -> None:
        """Wrap a connection (anything with async recv/send) for `session`."""
        super().__init__(session, connection)
        assert isinstance(self.charge_point, ChargePoint21)  # noqa: S101 - our class attribute
        self.charge_point.on_transfer_asked = self._transfer_asked
        # EVSEs whose car asked for its transfer modes: told once the answer went out.
        self._asked: set[int] = set()

    def _check_direction(self, limit: ChargingLimit) -> None:
        """A discharge needs an EVSE that transfers both ways and a car allowed to."""
        if not limit.discharge:
            return
        capabilities = self.session.state.capabilities
        support = None if capabilities is None else capabilities.v2x_of(limit.connector_id)
        if support is not None and support.enabled and not support.can_discharge:
            raise ChargerNotSupportedError(self.session.charger_id, "V2XChargingCtrlr")

    # --- the transaction's allowed energy transfer ---------------------------------------

    def _transfer_asked(self, evse_id: int) -> None:
        self._asked.add(evse_id)

    def _answered(self) -> None:
        super()._answered()
        for evse_id in sorted(self._asked):
            self._track(asyncio.create_task(self._tell_allowed(evse_id)))
        self._asked.clear()

    async def _tell_allowed(self, evse_id: int) -> None:
        try:
            await self.allow_discharge(evse_id, self.session.discharge_allowed(evse_id))
        except ChargerError as error:
            _LOGGER.warning(
                "%s: allowed energy transfer not set: %s", self.session.charger_id, error
            )

    async def allow_discharge(self, connector_id: int, allowed: bool) -> None:
        """NotifyAllowedEnergyTransfer for the transaction of a car that asked for BPT."""
        connector = self.session.state.connector(connector_id)
        transaction_id = self._external_id(connector_id)
        if transaction_id is None or not connector.ev_transfer_mode:
            return  # Told when the car asks (NotifyEVChargingNeeds).
        modes = allowed_transfer(connector, allowed)
        if not modes or modes == connector.allowed_transfer:
            return
        await self._expect(
            call21.NotifyAllowedEnergyTransfer(
                transaction_id=transaction_id, allowed_energy_transfer=raw(list(modes))
            ),
            {"Accepted"},
        )
        connector.allowed_transfer = modes
        self.session.state_updated()
