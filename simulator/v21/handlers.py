"""The 2.1 station's answers: the 2.0.1 station's handlers on an `ocpp.v21` ChargePoint, plus V2X.

Every CSMS call the 2.0.1 station handles is handled the same way here (the answers are
checked against the 2.1 schemas); NotifyAllowedEnergyTransfer is new. Any other call is
answered with a CALLERROR (wire.ChargePoint21), not left unanswered.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ocpp.routing import after, on
from ocpp.v21 import call_result
from ocpp.v21.enums import Action

from ..connection import WebSocketConnection
from ..v201.handlers import StationChargePoint
from ..v201.payload import build
from .wire import ChargePoint21

if TYPE_CHECKING:
    from .station import SimulatedStation21


# mypy cannot tell the two bases' library modules (_call, _call_result) apart; v21's win.
class StationChargePoint21(ChargePoint21, StationChargePoint):  # type: ignore[misc]
    """Routes the CSMS's calls to a SimulatedStation21."""

    def __init__(
        self,
        station_id: str,
        connection: WebSocketConnection,
        station: SimulatedStation21,
        response_timeout: float,
    ) -> None:
        """Serve `station` over `connection`."""
        super().__init__(station_id, connection, station, response_timeout)
        self._station21 = station

    @on(Action.notify_allowed_energy_transfer)
    def on_notify_allowed_energy_transfer(
        self, transaction_id: str, allowed_energy_transfer: list[str], **_: Any
    ) -> call_result.NotifyAllowedEnergyTransfer:
        """Accepted when the transaction's car can use one of the modes, else Rejected."""
        reason = self._station21.allow_energy_transfer(transaction_id, allowed_energy_transfer)
        if reason is None:
            return build(call_result.NotifyAllowedEnergyTransfer, status="Accepted")
        code, text = reason
        return build(
            call_result.NotifyAllowedEnergyTransfer,
            status="Rejected",
            status_info={"reason_code": code, "additional_info": text},
        )

    @after(Action.notify_allowed_energy_transfer)
    def after_notify_allowed_energy_transfer(self, **_: Any) -> None:
        """Tell the CSMS what changed."""
        self._station21.spawn(self._station21.report_operation_changes())

    @after(Action.set_charging_profile)
    def after_set_charging_profile(self, **_: Any) -> None:
        """Tell the CSMS when the operation mode changed."""
        self._station21.spawn(self._station21.report_operation_changes())

    @after(Action.clear_charging_profile)
    def after_clear_charging_profile(self, **_: Any) -> None:
        """Tell the CSMS when the operation mode changed."""
        self._station21.spawn(self._station21.report_operation_changes())
