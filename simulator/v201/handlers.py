"""The station's answers to the CSMS's calls (OCPP 2.0.1).

Answers are decided at once; whatever needs the CSMS again (a NotifyReport, a
started transaction, a triggered message...) runs in an `@after` hook, as a task
of the station, once the answer is on the wire.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ocpp.exceptions import OccurrenceConstraintViolationError
from ocpp.routing import after, on
from ocpp.v201 import ChargePoint, call_result
from ocpp.v201.enums import Action

from ..connection import WebSocketConnection
from .payload import build
from .variables import ITEMS_PER_MESSAGE

if TYPE_CHECKING:
    from .station import SimulatedStation201

ACCEPTED = "Accepted"
REJECTED = "Rejected"
_TRIGGERABLE = frozenset(
    {"BootNotification", "Heartbeat", "StatusNotification", "MeterValues", "TransactionEvent"}
)


def _info(reason: str) -> Any:
    """A statusInfo explaining a refusal."""
    return {"reason_code": "InvalidValue", "additional_info": reason[:512]}


class StationChargePoint(ChargePoint):
    """Routes the CSMS's calls to a SimulatedStation201."""

    def __init__(
        self,
        station_id: str,
        connection: WebSocketConnection,
        station: SimulatedStation201,
        response_timeout: float,
    ) -> None:
        """Serve `station` over `connection`."""
        super().__init__(station_id, connection, response_timeout)  # type: ignore[no-untyped-call, unused-ignore]
        self._station = station

    # -- device model ----------------------------------------------------------------------

    def _check_items(self, items: list[Any]) -> None:
        limit = self._station.model.integer(ITEMS_PER_MESSAGE)
        if len(items) > limit:
            raise OccurrenceConstraintViolationError(
                description=f"at most {limit} items per message"
            )

    @on(Action.get_variables)
    def on_get_variables(
        self, get_variable_data: list[dict[str, Any]], **_: Any
    ) -> call_result.GetVariables:
        """Read variables; unknown ones are named as such."""
        self._check_items(get_variable_data)
        results: Any = [self._station.model.get(item) for item in get_variable_data]
        return build(call_result.GetVariables, get_variable_result=results)

    @on(Action.set_variables)
    def on_set_variables(
        self, set_variable_data: list[dict[str, Any]], **_: Any
    ) -> call_result.SetVariables:
        """Write variables; read-only ones are Rejected."""
        self._check_items(set_variable_data)
        results: list[Any] = []
        for item in set_variable_data:
            result, changed = self._station.model.set(item)
            results.append(result)
            if changed is not None:
                self._station.variable_changed(changed)
        return build(call_result.SetVariables, set_variable_result=results)

    @on(Action.get_base_report)
    def on_get_base_report(self, **_: Any) -> call_result.GetBaseReport:
        """Accept every report base (they all list the same small model)."""
        return build(call_result.GetBaseReport, status=ACCEPTED)

    @after(Action.get_base_report)
    def after_get_base_report(self, request_id: int, **_: Any) -> None:
        """Send the report."""
        self._station.spawn(self._station.send_report(request_id))

    # -- smart charging --------------------------------------------------------------------

    @on(Action.set_charging_profile)
    def on_set_charging_profile(
        self, evse_id: int, charging_profile: dict[str, Any], **_: Any
    ) -> call_result.SetChargingProfile:
        """Install the profile unless a rule forbids it."""
        reason = self._station.install_profile(evse_id, charging_profile)
        if reason is None:
            return build(call_result.SetChargingProfile, status=ACCEPTED)
        return build(call_result.SetChargingProfile, status=REJECTED, status_info=_info(reason))

    @on(Action.clear_charging_profile)
    def on_clear_charging_profile(
        self,
        charging_profile_id: int | None = None,
        charging_profile_criteria: dict[str, Any] | None = None,
        **_: Any,
    ) -> call_result.ClearChargingProfile:
        """Clear by id, or by criteria (none: every profile)."""
        criteria = charging_profile_criteria or {}
        removed = self._station.clear_profiles(
            profile_id=charging_profile_id,
            evse_id=criteria.get("evse_id"),
            purpose=criteria.get("charging_profile_purpose"),
            stack_level=criteria.get("stack_level"),
        )
        return build(call_result.ClearChargingProfile, status=ACCEPTED if removed else "Unknown")

    @on(Action.get_charging_profiles)
    def on_get_charging_profiles(
        self, charging_profile: dict[str, Any], evse_id: int | None = None, **_: Any
    ) -> call_result.GetChargingProfiles:
        """Accepted when some profile matches (reported afterwards), else NoProfiles."""
        found = self._station.find_profiles(evse_id, charging_profile)
        return build(call_result.GetChargingProfiles, status=ACCEPTED if found else "NoProfiles")

    @after(Action.get_charging_profiles)
    def after_get_charging_profiles(
        self,
        request_id: int,
        charging_profile: dict[str, Any],
        evse_id: int | None = None,
        **_: Any,
    ) -> None:
        """Send ReportChargingProfiles, one per EVSE."""
        found = self._station.find_profiles(evse_id, charging_profile)
        if found:
            self._station.spawn(self._station.report_profiles(request_id, found))

    @on(Action.get_composite_schedule)
    def on_get_composite_schedule(
        self, duration: int, evse_id: int, charging_rate_unit: str | None = None, **_: Any
    ) -> call_result.GetCompositeSchedule:
        """The limits over the next `duration` s."""
        schedule = self._station.composite_schedule(evse_id, duration, charging_rate_unit)
        if isinstance(schedule, str):
            return build(
                call_result.GetCompositeSchedule, status=REJECTED, status_info=_info(schedule)
            )
        return build(call_result.GetCompositeSchedule, status=ACCEPTED, schedule=schedule)

    # -- transactions ----------------------------------------------------------------------

    @on(Action.request_start_transaction)
    def on_request_start_transaction(
        self,
        id_token: dict[str, Any],
        remote_start_id: int,
        evse_id: int | None = None,
        charging_profile: dict[str, Any] | None = None,
        **_: Any,
    ) -> call_result.RequestStartTransaction:
        """Accept when the EVSE (or, without one, some EVSE) is free."""
        del id_token, remote_start_id, charging_profile  # used by the @after hook
        free = self._station.reserve_for_start(evse_id)
        return build(call_result.RequestStartTransaction, status=ACCEPTED if free else REJECTED)

    @after(Action.request_start_transaction)
    def after_request_start_transaction(
        self,
        id_token: dict[str, Any],
        remote_start_id: int,
        evse_id: int | None = None,
        charging_profile: dict[str, Any] | None = None,
        **_: Any,
    ) -> None:
        """Start the transaction that was accepted."""
        evse = self._station.reserved_evse(evse_id)
        if evse is not None:
            self._station.spawn(
                self._station.remote_start(evse, id_token, remote_start_id, charging_profile)
            )

    @on(Action.request_stop_transaction)
    def on_request_stop_transaction(
        self, transaction_id: str, **_: Any
    ) -> call_result.RequestStopTransaction:
        """Accepted when the transaction runs."""
        known = self._station.evse_of_transaction(transaction_id) is not None
        return build(call_result.RequestStopTransaction, status=ACCEPTED if known else REJECTED)

    @after(Action.request_stop_transaction)
    def after_request_stop_transaction(self, transaction_id: str, **_: Any) -> None:
        """Stop it."""
        evse = self._station.evse_of_transaction(transaction_id)
        if evse is not None:
            self._station.spawn(self._station.stop_transaction(evse, reason="Remote"))

    # -- operations ------------------------------------------------------------------------

    @on(Action.change_availability)
    def on_change_availability(
        self, operational_status: str, evse: dict[str, Any] | None = None, **_: Any
    ) -> call_result.ChangeAvailability:
        """Accepted, or Scheduled while a transaction runs on a target EVSE."""
        evse_id = 0 if evse is None else int(evse["id"])
        status = self._station.availability_answer(evse_id, operational_status == "Operative")
        return build(call_result.ChangeAvailability, status=status)

    @after(Action.change_availability)
    def after_change_availability(
        self, operational_status: str, evse: dict[str, Any] | None = None, **_: Any
    ) -> None:
        """Report the new statuses."""
        evse_id = 0 if evse is None else int(evse["id"])
        self._station.spawn(
            self._station.change_availability(evse_id, operational_status == "Operative")
        )

    @on(Action.reset)
    def on_reset(self, type: str, evse_id: int | None = None, **_: Any) -> call_result.Reset:  # noqa: A002
        """Immediate: Accepted; OnIdle: Scheduled while a transaction runs."""
        busy = self._station.busy(evse_id)
        status = "Scheduled" if type == "OnIdle" and busy else ACCEPTED
        return build(call_result.Reset, status=status)

    @after(Action.reset)
    def after_reset(self, type: str, evse_id: int | None = None, **_: Any) -> None:  # noqa: A002
        """Reboot (or, for one EVSE, stop its transaction)."""
        if type == "Immediate" or not self._station.busy(evse_id):
            self._station.spawn(self._station.reset(evse_id))

    @on(Action.unlock_connector)
    def on_unlock_connector(
        self, evse_id: int, connector_id: int, **_: Any
    ) -> call_result.UnlockConnector:
        """Unlocked, unless the connector is unknown or charging."""
        if evse_id not in self._station.evses or connector_id != 1:
            return build(call_result.UnlockConnector, status="UnknownConnector")
        if self._station.transaction_id(evse_id) is not None:
            return build(call_result.UnlockConnector, status="OngoingAuthorizedTransaction")
        return build(call_result.UnlockConnector, status="Unlocked")

    @on(Action.trigger_message)
    def on_trigger_message(
        self, requested_message: str, evse: dict[str, Any] | None = None, **_: Any
    ) -> call_result.TriggerMessage:
        """Accept the messages the station can send."""
        if requested_message not in _TRIGGERABLE:
            return build(call_result.TriggerMessage, status="NotImplemented")
        evse_id = None if evse is None else int(evse["id"])
        if evse_id is not None and evse_id not in self._station.evses:
            return build(call_result.TriggerMessage, status=REJECTED)
        if requested_message == "TransactionEvent" and not self._station.busy(evse_id):
            return build(call_result.TriggerMessage, status=REJECTED)
        return build(call_result.TriggerMessage, status=ACCEPTED)

    @after(Action.trigger_message)
    def after_trigger_message(
        self, requested_message: str, evse: dict[str, Any] | None = None, **_: Any
    ) -> None:
        """Send what was asked for."""
        evse_id = None if evse is None else int(evse["id"])
        if requested_message in _TRIGGERABLE and (
            evse_id is None or evse_id in self._station.evses
        ):
            self._station.spawn(self._station.triggered(requested_message, evse_id))

    @on(Action.data_transfer)
    def on_data_transfer(self, vendor_id: str, **_: Any) -> call_result.DataTransfer:
        """No vendor extensions."""
        del vendor_id
        return build(call_result.DataTransfer, status="UnknownVendorId")
