"""OCPP 1.6J adapter: commands to a charger; its setup once it may be called (`setup`)."""

from __future__ import annotations

from collections.abc import Sequence
import logging
from typing import Any

from ocpp.v16 import call
from ocpp.v16.enums import AvailabilityType, ResetType

from ..adapter_base import ConnectionAdapter
from ..device_model import DeviceVariable
from ..errors import (
    ChargerError,
    ChargerNotSupportedError,
    ChargerRejectedError,
    ChargerWrongVersionError,
)
from ..limits import ChargingLimit
from ..profile_criteria import ProfileCriteria
from ..security.profile import SecurityProfile
from ..session import ChargerSession
from ..timestamps import utc_now
from ..trigger import Trigger
from .charge_point import ChargePoint16
from .setup import ChargerSetup
from .smart_charging import build_profile, our_profile_ids, purposes_for, scope_of
from .vocabulary import (
    AUTHORIZATION_KEY,
    HEARTBEAT_INTERVAL,
    MESSAGE_TRIGGERS,
    SAMPLE_INTERVAL,
    SECURITY_PROFILE,
    TEXT_LIMITS,
)

_LOGGER = logging.getLogger(__name__)


class V16Adapter(ConnectionAdapter):
    """One 1.6J connection of a charger."""

    ocpp_version = "1.6"
    text_limits = TEXT_LIMITS

    def __init__(self, session: ChargerSession, connection: Any) -> None:
        """Wrap a connection (anything with async recv/send) for `session`."""
        self.charge_point = ChargePoint16(
            session, connection, response_timeout=session.settings.response_timeout
        )
        super().__init__(session, connection, self.charge_point)
        self._setup = ChargerSetup(session, self)

    # --- commands ------------------------------------------------------------------

    async def apply_limit(self, limit: ChargingLimit) -> None:
        """Install the limit through the first profile purpose the charger accepts."""
        state = self.session.state
        capabilities = state.capabilities
        if capabilities is not None and not capabilities.smart_charging:
            raise ChargerNotSupportedError(self.session.charger_id, "SmartCharging")
        self._check_direction(limit)
        transaction_id = (
            state.connector(limit.connector_id).transaction_id if limit.connector_id else None
        )
        scope = scope_of(limit, transaction_id)
        purposes = purposes_for(scope, self.session.limit_purposes.get(scope))

        async def install(purpose: str) -> str:
            profile = build_profile(
                limit,
                purpose,
                transaction_id=transaction_id,
                capabilities=capabilities,
                now=utc_now(),
            )
            return await self._expect(
                call.SetChargingProfile(
                    connector_id=limit.connector_id, cs_charging_profiles=profile
                ),
                {"Accepted"},
            )

        await self._install_by_purpose(scope, purposes, install)

    async def clear_limit(self, connector_id: int) -> None:
        """Remove every profile this integration installed on the connector."""
        for profile_id in our_profile_ids(connector_id):
            # Unknown means it was not installed: nothing to clear.
            await self._expect(call.ClearChargingProfile(id=profile_id), {"Accepted", "Unknown"})

    async def remote_start(self, connector_id: int, id_tag: str) -> None:
        """Start a transaction on a connector."""
        await self._expect(
            call.RemoteStartTransaction(id_tag=id_tag, connector_id=connector_id), {"Accepted"}
        )

    async def remote_stop(self, transaction_id: int) -> None:
        """Stop a transaction."""
        await self._expect(call.RemoteStopTransaction(transaction_id=transaction_id), {"Accepted"})

    async def change_availability(self, connector_id: int, available: bool) -> str:
        """Make the station (0) or a connector (un)available."""
        kind = AvailabilityType.operative if available else AvailabilityType.inoperative
        return await self._expect(
            call.ChangeAvailability(connector_id=connector_id, type=kind),
            {"Accepted", "Scheduled"},
        )

    async def reset(self, hard: bool) -> None:
        """Reboot the charger."""
        kind = ResetType.hard if hard else ResetType.soft
        await self._expect(call.Reset(type=kind), {"Accepted"})

    async def unlock(self, connector_id: int) -> None:
        """Unlock a connector."""
        await self._expect(call.UnlockConnector(connector_id=connector_id), {"Unlocked"})

    async def get_configuration(self, keys: list[str] | None) -> dict[str, Any]:
        """Read configuration keys (all when `keys` is None)."""
        result = await self._call(call.GetConfiguration(key=keys or None))
        return {
            "configuration_key": list(result.configuration_key or []),
            "unknown_key": list(result.unknown_key or []),
        }

    async def change_configuration(self, key: str, value: str) -> str:
        """Change a configuration key."""
        return await self._expect(call.ChangeConfiguration(key=key, value=value))

    async def composite_schedule(self, connector_id: int, duration: int) -> dict[str, Any]:
        """GetCompositeSchedule: the limits that will apply, as the charger combines them."""
        result = await self._call(
            call.GetCompositeSchedule(connector_id=connector_id, duration=duration)
        )
        if str(result.status) != "Accepted":
            raise ChargerRejectedError(
                self.session.charger_id, "GetCompositeSchedule", str(result.status)
            )
        return {"schedule_start": result.schedule_start, "schedule": result.charging_schedule}

    async def charging_profiles(
        self, connector_id: int | None, criteria: ProfileCriteria
    ) -> list[dict[str, Any]]:
        """2.x only: 1.6 has no GetChargingProfiles; its composite schedule tells the result."""
        raise ChargerWrongVersionError(
            self.session.charger_id, self.ocpp_version, "get_composite_schedule"
        )

    async def get_variables(self, variables: Sequence[DeviceVariable]) -> list[dict[str, Any]]:
        """2.x only: a 1.6 charger has configuration keys (GetConfiguration) instead."""
        raise ChargerWrongVersionError(
            self.session.charger_id, self.ocpp_version, "get_configuration"
        )

    async def set_variables(
        self, values: Sequence[tuple[DeviceVariable, str]]
    ) -> list[dict[str, Any]]:
        """2.x only: a 1.6 charger has configuration keys (ChangeConfiguration) instead."""
        raise ChargerWrongVersionError(
            self.session.charger_id, self.ocpp_version, "change_configuration"
        )

    async def set_intervals(self, meter: int, heartbeat: int) -> dict[str, ChargerError]:
        """ChangeConfiguration of each interval key the charger has not refused."""
        failed: dict[str, ChargerError] = {}
        refused = self.session.state.refused_configuration
        for key, value in ((SAMPLE_INTERVAL, meter), (HEARTBEAT_INTERVAL, heartbeat)):
            if key in refused:
                continue
            try:
                await self.change_configuration(key, str(value))
            except ChargerError as error:
                failed[key] = error
        return failed

    async def install_password(self, password: str, profile: int) -> bool:
        """AuthorizationKey; on a connection without a password also SecurityProfile 1.

        The whitepaper has the charger reconnect with the profile it accepted; one that
        has no SecurityProfile key (no security extension) may keep connecting without.
        """
        await self.change_configuration(AUTHORIZATION_KEY, password)
        if profile >= 1:
            return True
        try:
            await self.change_configuration(SECURITY_PROFILE, "1")
        except ChargerRejectedError:
            return False
        return True

    async def keep_security_profile(self, profile: int) -> None:
        """After a TLS connection, SecurityProfile up to it (never down): no falling back."""
        if profile < SecurityProfile.TLS_BASIC:
            return
        try:
            known = await self.get_configuration([SECURITY_PROFILE])
            values = [item.get("value") for item in known["configuration_key"]]
            if not values:
                return  # no security extension: nothing to raise
            current = str(values[0])
            if current.isdigit() and int(current) >= profile:
                return
            await self.change_configuration(SECURITY_PROFILE, str(profile))
        except ChargerRejectedError as error:
            _LOGGER.info(
                "%s: SecurityProfile stays as it is (%s)", self.session.charger_id, error.status
            )

    async def trigger(self, message: Trigger, connector_id: int | None) -> str:
        """Ask the charger to send a message now (TriggerMessage)."""
        return await self._expect(
            call.TriggerMessage(
                requested_message=MESSAGE_TRIGGERS[message], connector_id=connector_id
            ),
            {"Accepted"},
        )

    async def data_transfer(
        self, vendor_id: str, message_id: str | None, data: str | None
    ) -> dict[str, Any]:
        """Send a DataTransfer and return the charger's answer."""
        result = await self._call(
            call.DataTransfer(vendor_id=vendor_id, message_id=message_id, data=data)
        )
        return {"status": str(result.status), "data": result.data}
