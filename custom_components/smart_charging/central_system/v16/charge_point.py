"""OCPP 1.6J messages from a charger, mapped onto its `ChargerSession`."""

from __future__ import annotations

from typing import Any

from ocpp.v16 import ChargePoint, call_result
from ocpp.v16.datatypes import IdTagInfo
from ocpp.v16.enums import Action, AuthorizationStatus, DataTransferStatus, RegistrationStatus

from ..meter_values import parse_meter_values
from ..model import BootInfo, ConnectorStatus
from ..routing import on
from ..session_routing import SessionRouting
from ..timestamps import format_timestamp, utc_now

_STATUS = {
    "Available": ConnectorStatus.AVAILABLE,
    "Preparing": ConnectorStatus.PREPARING,
    "Charging": ConnectorStatus.CHARGING,
    "SuspendedEVSE": ConnectorStatus.SUSPENDED_EVSE,
    "SuspendedEV": ConnectorStatus.SUSPENDED_EV,
    "Finishing": ConnectorStatus.FINISHING,
    "Reserved": ConnectorStatus.RESERVED,
    "Unavailable": ConnectorStatus.UNAVAILABLE,
    "Faulted": ConnectorStatus.FAULTED,
}


class ChargePoint16(SessionRouting, ChargePoint):
    """Server side of one 1.6J connection."""

    def _id_tag_info(self, id_tag: str) -> IdTagInfo:
        return IdTagInfo(status=AuthorizationStatus(self.session.authorize(id_tag)))

    @on(Action.boot_notification)
    def on_boot_notification(
        self, charge_point_vendor: str, charge_point_model: str, **info: Any
    ) -> call_result.BootNotification:
        """Answer Accepted, Pending (awaiting approval) or Rejected."""
        admission = self.session.on_boot(
            BootInfo(
                vendor=charge_point_vendor,
                model=charge_point_model,
                serial_number=info.get("charge_point_serial_number")
                or info.get("charge_box_serial_number"),
                firmware_version=info.get("firmware_version"),
                iccid=info.get("iccid"),
                imsi=info.get("imsi"),
                meter_type=info.get("meter_type"),
                meter_serial_number=info.get("meter_serial_number"),
            )
        )
        return call_result.BootNotification(
            current_time=format_timestamp(utc_now()),
            interval=self.session.boot_interval(),
            status=RegistrationStatus(admission.value),
        )

    @on(Action.heartbeat)
    def on_heartbeat(self) -> call_result.Heartbeat:
        """Answer with the time."""
        self.session.on_heartbeat()
        return call_result.Heartbeat(current_time=format_timestamp(utc_now()))

    @on(Action.status_notification)
    def on_status_notification(
        self, connector_id: int, error_code: str, status: str, **info: Any
    ) -> call_result.StatusNotification:
        """Record a connector's (or the station's) status."""
        self.session.on_status(
            connector_id,
            _STATUS.get(status, ConnectorStatus.UNKNOWN),
            error_code=error_code,
            info=info.get("info"),
            vendor_error_code=info.get("vendor_error_code"),
            timestamp=info.get("timestamp"),
        )
        return call_result.StatusNotification()

    @on(Action.authorize)
    def on_authorize(self, id_tag: str) -> call_result.Authorize:
        """Authorise an idTag by the configured policy."""
        return call_result.Authorize(id_tag_info=self._id_tag_info(id_tag))

    @on(Action.start_transaction)
    async def on_start_transaction(
        self, connector_id: int, id_tag: str, meter_start: int, timestamp: str, **_: Any
    ) -> call_result.StartTransaction:
        """Hand out a transaction id, unique across chargers and restarts."""
        transaction_id, status = await self.session.on_start_transaction(
            connector_id, id_tag, float(meter_start), timestamp
        )
        return call_result.StartTransaction(
            transaction_id=transaction_id, id_tag_info=IdTagInfo(AuthorizationStatus(status))
        )

    @on(Action.stop_transaction)
    async def on_stop_transaction(
        self, meter_stop: int, timestamp: str, transaction_id: int, **info: Any
    ) -> call_result.StopTransaction:
        """Close a transaction, once, however often it is reported."""
        await self.session.on_stop_transaction(
            transaction_id,
            float(meter_stop),
            timestamp,
            info.get("reason"),
            parse_meter_values(info.get("transaction_data") or []),
        )
        id_tag = info.get("id_tag")
        if id_tag is None:
            return call_result.StopTransaction()
        return call_result.StopTransaction(id_tag_info=self._id_tag_info(id_tag))

    @on(Action.meter_values)
    def on_meter_values(
        self,
        connector_id: int,
        meter_value: list[dict[str, Any]],
        transaction_id: int | None = None,
    ) -> call_result.MeterValues:
        """Record meter values of a connector."""
        self.session.on_meter_values(connector_id, transaction_id, parse_meter_values(meter_value))
        return call_result.MeterValues()

    @on(Action.data_transfer)
    def on_data_transfer(self, vendor_id: str, **_: Any) -> call_result.DataTransfer:
        """No vendor extensions are known yet."""
        return call_result.DataTransfer(status=DataTransferStatus.unknown_vendor_id)

    @on(Action.diagnostics_status_notification)
    def on_diagnostics_status(self, status: str) -> call_result.DiagnosticsStatusNotification:
        """Acknowledge."""
        return call_result.DiagnosticsStatusNotification()

    @on(Action.firmware_status_notification)
    def on_firmware_status(self, status: str) -> call_result.FirmwareStatusNotification:
        """Acknowledge."""
        return call_result.FirmwareStatusNotification()
