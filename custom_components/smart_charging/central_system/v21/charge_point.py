"""OCPP 2.1 messages from a charging station: 2.0.1's, plus bidirectional charging.

The 2.0.1 handlers carry over (2.1 is a superset of their payloads); this class adds
what 2.1 adds and wraps the `ocpp` library's v21 defects (library_fixes).
"""

from __future__ import annotations

from collections.abc import Callable
import logging
from typing import Any

from ocpp.v21 import call as call21, call_result as call_result21
from ocpp.v21.enums import Action, ChargingProfileStatusEnumType, GenericStatusEnumType
from ocpp.v201 import call_result

from ..routing import on
from ..session import ChargerSession
from ..v201.charge_point import ChargePoint201
from .inventory import note_v2x
from .library_fixes import (
    CALLRESULTERROR,
    SEND,
    fix_phase_keys,
    fix_phase_keys_in_frame,
    message_type_of,
    unpack_send,
)
from .needs import note_v2x_needs

_LOGGER = logging.getLogger(__name__)


class ChargePoint21(ChargePoint201):
    """Server side of one 2.1 connection."""

    _call = call21
    _call_result = call_result21
    _ocpp_version = "2.1"

    def __init__(self, session: ChargerSession, connection: Any, response_timeout: float) -> None:
        """Bind to `session`."""
        super().__init__(session, connection, response_timeout)
        # Set by the adapter: a car asked for its transfer modes on an EVSE (after the answer).
        self.on_transfer_asked: Callable[[int], None] = lambda evse_id: None
        self._send_actions_seen: set[str] = set()

    # --- the library's v21 defects ----------------------------------------------------

    def wire_payload(self, payload: Any) -> Any:
        """An outgoing payload as the 2.1 schemas name its per-phase fields."""
        return fix_phase_keys(payload)

    async def _send(self, message: str) -> None:
        await super()._send(fix_phase_keys_in_frame(message))

    async def route_message(self, raw_msg: str) -> None:
        """Route a frame; SEND and CALLRESULTERROR (new in OCPP-J 2.1) are never answered."""
        kind = message_type_of(raw_msg)
        if kind == SEND:
            self._on_send(raw_msg)
        elif kind == CALLRESULTERROR:
            _LOGGER.warning(
                "%s: could not process our answer: %s", self.session.charger_id, raw_msg[:300]
            )
        else:
            await super().route_message(raw_msg)

    def _on_send(self, raw_msg: str) -> None:
        """A SEND (unconfirmed message): nothing here consumes its data yet."""
        sent = unpack_send(raw_msg)
        if sent is None:
            _LOGGER.warning(
                "%s: malformed SEND ignored: %s", self.session.charger_id, raw_msg[:300]
            )
            return
        _, action, _ = sent
        if action not in self._send_actions_seen:
            self._send_actions_seen.add(action)
            _LOGGER.debug("%s: SEND %s ignored", self.session.charger_id, action)

    # --- bidirectional charging ----------------------------------------------------------

    @on(Action.notify_ev_charging_needs)
    def on_notify_ev_charging_needs(
        self, charging_needs: dict[str, Any], evse_id: int, **kwargs: Any
    ) -> call_result.NotifyEVChargingNeeds:
        """Keep what the car needs, its transfer modes and V2X window; then say what it may."""
        answer = super().on_notify_ev_charging_needs(charging_needs, evse_id, **kwargs)
        note_v2x_needs(self.session.state.connector(evse_id), charging_needs)
        self.session.state_updated()
        if charging_needs.get("requested_energy_transfer"):
            self.on_transfer_asked(evse_id)
        return answer

    @on(Action.notify_report)
    def on_notify_report(
        self, report_data: list[dict[str, Any]] | None = None, **kwargs: Any
    ) -> call_result.NotifyReport:
        """The inventory, and each EVSE's bidirectional support."""
        answer = super().on_notify_report(report_data, **kwargs)
        capabilities = self.session.state.capabilities
        if capabilities is not None and note_v2x(capabilities, report_data or []):
            self.session.state.note_v2x()
            self.session.save_capabilities()
            self.session.state_updated()
        return answer

    @on(Action.pull_dynamic_schedule_update)
    def on_pull_dynamic_schedule_update(
        self, charging_profile_id: int, **_: Any
    ) -> call_result21.PullDynamicScheduleUpdate:
        """Our profiles are Absolute with a short validity, none is Dynamic."""
        return call_result21.PullDynamicScheduleUpdate(
            status=ChargingProfileStatusEnumType.rejected
        )

    @on(Action.notify_priority_charging)
    def on_notify_priority_charging(
        self, transaction_id: str, activated: bool, **_: Any
    ) -> call_result21.NotifyPriorityCharging:
        """The driver pressed for priority charging: logged."""
        _LOGGER.info(
            "%s: priority charging %s for transaction %s",
            self.session.charger_id,
            "on" if activated else "off",
            transaction_id,
        )
        return call_result21.NotifyPriorityCharging()

    @on(Action.open_periodic_event_stream)
    def on_open_periodic_event_stream(self, **_: Any) -> call_result21.OpenPeriodicEventStream:
        """Nothing here consumes event streams: refused, so the station keeps NotifyEvent."""
        return call_result21.OpenPeriodicEventStream(status=GenericStatusEnumType.rejected)

    @on(Action.close_periodic_event_stream)
    def on_close_periodic_event_stream(self, **_: Any) -> call_result21.ClosePeriodicEventStream:
        """Acknowledge."""
        return call_result21.ClosePeriodicEventStream()

    @on(Action.notify_der_alarm)
    def on_notify_der_alarm(self, **_: Any) -> call_result21.NotifyDERAlarm:
        """Acknowledge (DER control is not used)."""
        return call_result21.NotifyDERAlarm()

    @on(Action.notify_der_start_stop)
    def on_notify_der_start_stop(self, **_: Any) -> call_result21.NotifyDERStartStop:
        """Acknowledge (DER control is not used)."""
        return call_result21.NotifyDERStartStop()

    @on(Action.report_der_control)
    def on_report_der_control(self, **_: Any) -> call_result21.ReportDERControl:
        """Acknowledge (DER control is not used)."""
        return call_result21.ReportDERControl()
