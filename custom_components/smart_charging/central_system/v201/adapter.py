"""OCPP 2.0.1 adapter: commands to a charging station, in the product's version-neutral terms."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from itertools import count
from typing import Any

from ocpp.v201 import call
from ocpp.v201.enums import (
    IdTokenEnumType,
    OperationalStatusEnumType,
    ReportBaseEnumType,
    ResetEnumType,
)

from ..adapter_base import ConnectionAdapter
from ..device_model import DeviceVariable
from ..errors import (
    ChargerError,
    ChargerNotSupportedError,
    ChargerRejectedError,
    ChargerTimeoutError,
    ChargerWrongVersionError,
)
from ..limits import ChargingLimit
from ..profile_criteria import ProfileCriteria
from ..session import ChargerSession
from ..timestamps import utc_now
from ..trigger import Trigger
from .charge_point import ChargePoint201
from .setup import Setup201
from .smart_charging import (
    TX_DEFAULT,
    build_profile,
    our_profile_ids,
    purposes_for,
    scope_of,
    shares_the_safe_level,
)
from .vocabulary import (
    BASIC_AUTH_PASSWORD,
    HEARTBEAT_INTERVAL,
    MESSAGE_TRIGGERS,
    TEXT_LIMITS,
    TX_UPDATED_INTERVAL,
)


def raw(value: Any) -> Any:
    """A snake_case dict where the library types a dataclass: it serialises both alike."""
    return value


class V201Adapter(ConnectionAdapter):
    """One 2.0.1 connection of a charging station."""

    ocpp_version = "2.0.1"
    text_limits = TEXT_LIMITS
    charge_point_class: type[ChargePoint201] = ChargePoint201
    setup_class: type[Setup201] = Setup201

    def __init__(self, session: ChargerSession, connection: Any) -> None:
        """Wrap a connection (anything with async recv/send) for `session`."""
        self.charge_point = self.charge_point_class(
            session, connection, response_timeout=session.settings.response_timeout
        )
        super().__init__(session, connection, self.charge_point)
        self._setup = self.setup_class(session, self)
        self._request_ids = count(1)

    def _external_id(self, connector_id: int) -> str | None:
        """The station's own id of the transaction running on an EVSE."""
        running = self.session.state.connector(connector_id).transaction_id
        transaction = None if running is None else self.session.ledger.get(running)
        return None if transaction is None else transaction.external_id

    # --- device model ----------------------------------------------------------------

    async def get_variables(self, variables: Sequence[DeviceVariable]) -> list[dict[str, Any]]:
        """GetVariables; each result (snake_case) with its attribute status and value."""
        result = await self._call(
            call.GetVariables(
                get_variable_data=raw([variable.as_request() for variable in variables])
            )
        )
        return list(result.get_variable_result)

    async def set_variables(
        self, values: Sequence[tuple[DeviceVariable, str]]
    ) -> list[dict[str, Any]]:
        """SetVariables; each result (snake_case) with its attribute status."""
        result = await self._call(
            call.SetVariables(
                set_variable_data=raw(
                    [
                        {**variable.as_request(), "attribute_value": value}
                        for variable, value in values
                    ]
                )
            )
        )
        return list(result.set_variable_result)

    async def get_base_report(self) -> None:
        """Ask for the full inventory (NotifyReport parts follow)."""
        await self._expect(
            call.GetBaseReport(
                request_id=next(self._request_ids), report_base=ReportBaseEnumType.full_inventory
            ),
            {"Accepted"},
        )

    # --- commands ------------------------------------------------------------------

    async def apply_limit(self, limit: ChargingLimit) -> None:
        """Install the limit through the first profile purpose the station accepts."""
        capabilities = self.session.state.capabilities
        if capabilities is not None and not capabilities.smart_charging:
            raise ChargerNotSupportedError(self.session.charger_id, "SmartChargingCtrlr")
        self._check_direction(limit)
        transaction_id = self._external_id(limit.connector_id) if limit.connector_id else None
        scope = scope_of(limit, transaction_id)
        purposes = purposes_for(scope, self.session.limit_purposes.get(scope))
        if scope == "station" and shares_the_safe_level(capabilities):
            # A station limit as TxDefaultProfile on EVSE 0 would replace the safe default.
            purposes = [purpose for purpose in purposes if purpose != TX_DEFAULT]

        async def install(purpose: str) -> str:
            profile = self._build_profile(
                limit,
                purpose,
                transaction_id=transaction_id,
                capabilities=capabilities,
                now=utc_now(),
            )
            return await self._expect(
                call.SetChargingProfile(evse_id=limit.connector_id, charging_profile=raw(profile)),
                {"Accepted"},
            )

        await self._install_by_purpose(scope, purposes, install)

    _build_profile = staticmethod(build_profile)

    async def clear_limit(self, connector_id: int) -> None:
        """Remove every profile this integration installed on the EVSE."""
        for profile_id in our_profile_ids(connector_id):
            # Unknown means it was not installed: nothing to clear.
            await self._expect(
                call.ClearChargingProfile(charging_profile_id=profile_id), {"Accepted", "Unknown"}
            )

    async def remote_start(self, connector_id: int, id_tag: str) -> None:
        """RequestStartTransaction on an EVSE."""
        await self._expect(
            call.RequestStartTransaction(
                id_token=raw({"id_token": id_tag, "type": IdTokenEnumType.central}),
                remote_start_id=next(self._request_ids),
                evse_id=connector_id,
            ),
            {"Accepted"},
        )

    async def remote_stop(self, transaction_id: int) -> None:
        """RequestStopTransaction with the station's own id of the transaction."""
        transaction = self.session.ledger.get(transaction_id)
        if transaction is None or transaction.external_id is None:
            raise ChargerRejectedError(
                self.session.charger_id, "RequestStopTransaction", "UnknownTransaction"
            )
        await self._expect(
            call.RequestStopTransaction(transaction_id=transaction.external_id), {"Accepted"}
        )

    async def change_availability(self, connector_id: int, available: bool) -> str:
        """Make the station (0) or an EVSE (un)available."""
        status = (
            OperationalStatusEnumType.operative
            if available
            else OperationalStatusEnumType.inoperative
        )
        return await self._expect(
            call.ChangeAvailability(
                operational_status=status,
                evse=raw({"id": connector_id}) if connector_id else None,
            ),
            {"Accepted", "Scheduled"},
        )

    async def reset(self, hard: bool) -> None:
        """Reboot the station: at once (hard), or once idle."""
        kind = ResetEnumType.immediate if hard else ResetEnumType.on_idle
        await self._expect(call.Reset(type=kind), {"Accepted", "Scheduled"})

    async def unlock(self, connector_id: int) -> None:
        """Unlock the EVSE's connector."""
        await self._expect(call.UnlockConnector(evse_id=connector_id, connector_id=1), {"Unlocked"})

    async def get_configuration(self, keys: list[str] | None) -> dict[str, Any]:
        """1.6 only: a 2.0.1 station has a device model (GetVariables) instead."""
        raise ChargerWrongVersionError(self.session.charger_id, self.ocpp_version, "get_variables")

    async def change_configuration(self, key: str, value: str) -> str:
        """1.6 only: a 2.0.1 station has a device model (SetVariables) instead."""
        raise ChargerWrongVersionError(self.session.charger_id, self.ocpp_version, "set_variables")

    async def composite_schedule(self, connector_id: int, duration: int) -> dict[str, Any]:
        """GetCompositeSchedule: the limits that will apply, as the station combines them."""
        result = await self._call(
            call.GetCompositeSchedule(duration=duration, evse_id=connector_id)
        )
        if str(result.status) != "Accepted":
            raise ChargerRejectedError(
                self.session.charger_id, "GetCompositeSchedule", str(result.status)
            )
        schedule = dict(result.schedule or {})
        return {"schedule_start": schedule.pop("schedule_start", None), "schedule": schedule}

    async def charging_profiles(
        self, connector_id: int | None, criteria: ProfileCriteria
    ) -> list[dict[str, Any]]:
        """GetChargingProfiles: one report per EVSE and limit source (none: empty list)."""
        request_id = next(self._request_ids)
        reports = self.charge_point.reports
        reports.expect(request_id)  # before asking: the first part may overtake the answer
        try:
            status = await self._expect(
                call.GetChargingProfiles(
                    request_id=request_id,
                    evse_id=connector_id,
                    charging_profile=raw(criteria.as_request()),
                ),
                {"Accepted", "NoProfiles"},
            )
            if status == "NoProfiles":
                return []
            try:
                async with asyncio.timeout(self.session.settings.response_timeout):
                    return await reports.parts(request_id)
            except TimeoutError as error:
                raise ChargerTimeoutError(
                    self.session.charger_id, "ReportChargingProfiles"
                ) from error
        finally:
            reports.forget(request_id)

    async def set_intervals(self, meter: int, heartbeat: int) -> dict[str, ChargerError]:
        """SetVariables of the sampling and heartbeat intervals the station has not refused."""
        refused = self.session.state.refused_configuration
        wanted = [
            (variable, value)
            for variable, value in ((TX_UPDATED_INTERVAL, meter), (HEARTBEAT_INTERVAL, heartbeat))
            if ".".join(variable) not in refused
        ]
        if not wanted:
            return {}
        try:
            results = await self.set_variables(
                [(DeviceVariable(*variable), str(value)) for variable, value in wanted]
            )
        except ChargerError as error:
            return {".".join(variable): error for variable, _ in wanted}
        failed: dict[str, ChargerError] = {}
        for result in results:
            status = str(result.get("attribute_status"))
            if status not in {"Accepted", "RebootRequired"}:
                name = f"{result['component']['name']}.{result['variable']['name']}"
                failed[name] = ChargerRejectedError(self.session.charger_id, "SetVariables", status)
        return failed

    async def install_password(self, password: str, profile: int) -> bool:
        """SecurityCtrlr.BasicAuthPassword (A01).

        The station reconnects with it when it already sends one; a station connecting
        without any may keep doing so.
        """
        results = await self.set_variables([(DeviceVariable(*BASIC_AUTH_PASSWORD), password)])
        status = str(results[0].get("attribute_status")) if results else "no result"
        if status not in {"Accepted", "RebootRequired"}:
            raise ChargerRejectedError(self.session.charger_id, "SetVariables", status)
        return profile >= 1

    async def keep_security_profile(self, profile: int) -> None:
        """Nothing: 2.x's SecurityCtrlr.SecurityProfile is read-only.

        A network connection profile sets it, which the station's installer owns.
        """

    async def trigger(self, message: Trigger, connector_id: int | None) -> str:
        """Ask the station to send a message now (TriggerMessage)."""
        return await self._expect(
            call.TriggerMessage(
                requested_message=MESSAGE_TRIGGERS[message],
                evse=raw({"id": connector_id}) if connector_id else None,
            ),
            {"Accepted"},
        )

    async def data_transfer(
        self, vendor_id: str, message_id: str | None, data: str | None
    ) -> dict[str, Any]:
        """Send a DataTransfer and return the station's answer."""
        result = await self._call(
            call.DataTransfer(vendor_id=vendor_id, message_id=message_id, data=data)
        )
        return {"status": str(result.status), "data": result.data}
