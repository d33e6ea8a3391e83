"""OCPP 2.0.1 messages from a charging station, mapped onto its `ChargerSession`.

The station's EVSEs are the session's connectors (EVSE n is connector n, the station
itself 0). Its string transaction ids map to the ledger's own ids, so the rest of the
product sees one kind of transaction whatever the version.
"""

from __future__ import annotations

from collections.abc import Mapping
import logging
from typing import Any

from ocpp.v201 import ChargePoint, call_result
from ocpp.v201.datatypes import IdTokenInfoType
from ocpp.v201.enums import (
    Action,
    AuthorizationStatusEnumType,
    DataTransferStatusEnumType,
    GenericStatusEnumType,
    NotifyEVChargingNeedsStatusEnumType,
    RegistrationStatusEnumType,
)

from ..limits import DEFAULT_PHASES, NOMINAL_VOLTAGE
from ..meter_values import ENERGY_IMPORT, MeterReading, parse_meter_values
from ..model import BootInfo, ConnectorStatus
from ..policy import Admission
from ..routing import on
from ..session import ChargerSession
from ..session_routing import SessionRouting
from ..timestamps import format_timestamp, parse_timestamp, utc_now
from ..transactions import Transaction
from .inventory import note_report
from .reports import ReportCollector
from .vocabulary import CHARGING_STATES, CONNECTOR_STATUS

_LOGGER = logging.getLogger(__name__)


def _energy(readings: list[MeterReading]) -> float | None:
    """The last energy register value (Wh) among readings, oldest first."""
    for reading in reversed(readings):
        if (energy := reading.total(ENERGY_IMPORT)) is not None:
            return energy
    return None


def schedule_limit(schedules: list[dict[str, Any]]) -> float | None:
    """The limit now of the first schedule, in A per phase (W at the nominal voltage)."""
    if not schedules or not (periods := schedules[0].get("charging_schedule_period")):
        return None
    period = periods[0]
    if period.get("limit") is None:
        return None  # 2.1: a period may hold a setpoint or an operation mode instead
    limit = float(period["limit"])
    if schedules[0].get("charging_rate_unit") == "W":
        limit /= NOMINAL_VOLTAGE * int(period.get("number_phases") or DEFAULT_PHASES)
    return max(0.0, limit)


def _id_token(token: Mapping[str, Any] | None) -> str:
    return str((token or {}).get("id_token") or "")


class ChargePoint201(SessionRouting, ChargePoint):
    """Server side of one 2.0.1 connection."""

    def __init__(self, session: ChargerSession, connection: Any, response_timeout: float) -> None:
        """Bind to `session`; no report awaited yet."""
        super().__init__(session, connection, response_timeout)
        self.reports = ReportCollector()

    def _token_info(self, token: Mapping[str, Any] | None) -> IdTokenInfoType:
        return IdTokenInfoType(
            status=AuthorizationStatusEnumType(self.session.authorize(_id_token(token)))
        )

    # --- provisioning and availability ---------------------------------------------

    @on(Action.boot_notification)
    def on_boot_notification(
        self, charging_station: dict[str, Any], reason: str, **_: Any
    ) -> call_result.BootNotification:
        """Answer Accepted, Pending (awaiting approval) or Rejected."""
        modem = charging_station.get("modem") or {}
        admission = self.session.on_boot(
            BootInfo(
                vendor=charging_station["vendor_name"],
                model=charging_station["model"],
                serial_number=charging_station.get("serial_number"),
                firmware_version=charging_station.get("firmware_version"),
                iccid=modem.get("iccid"),
                imsi=modem.get("imsi"),
            )
        )
        station = self.session.state.connector(0)
        if admission is Admission.ACCEPTED and station.status is ConnectorStatus.UNKNOWN:
            # 2.0.1 reports statuses per connector only: a station that booted is available.
            self.session.on_status(0, ConnectorStatus.AVAILABLE, error_code="NoError")
        return call_result.BootNotification(
            current_time=format_timestamp(utc_now()),
            interval=self.session.boot_interval(),
            status=RegistrationStatusEnumType(admission.value),
        )

    @on(Action.heartbeat)
    def on_heartbeat(self, **_: Any) -> call_result.Heartbeat:
        """Answer with the time."""
        self.session.on_heartbeat()
        return call_result.Heartbeat(current_time=format_timestamp(utc_now()))

    @on(Action.status_notification)
    def on_status_notification(
        self, timestamp: str, connector_status: str, evse_id: int, connector_id: int, **_: Any
    ) -> call_result.StatusNotification:
        """Record an EVSE's status; Occupied during a transaction keeps its charging state."""
        connector = self.session.state.connector(evse_id)
        status = CONNECTOR_STATUS.get(connector_status, ConnectorStatus.UNKNOWN)
        if not (connector_status == "Occupied" and connector.transaction_id is not None):
            self.session.on_status(evse_id, status, error_code="NoError", timestamp=timestamp)
        return call_result.StatusNotification()

    @on(Action.authorize)
    def on_authorize(self, id_token: dict[str, Any], **_: Any) -> call_result.Authorize:
        """Authorise an idToken by the configured policy."""
        return call_result.Authorize(id_token_info=self._token_info(id_token))

    # --- transactions ----------------------------------------------------------------

    @on(Action.transaction_event)
    async def on_transaction_event(
        self,
        event_type: str,
        timestamp: str,
        trigger_reason: str,
        seq_no: int,
        transaction_info: dict[str, Any],
        evse: dict[str, Any] | None = None,
        id_token: dict[str, Any] | None = None,
        meter_value: list[dict[str, Any]] | None = None,
        **_: Any,
    ) -> call_result.TransactionEvent:
        """Start, update or end a transaction; a replayed event is counted once."""
        session = self.session
        external_id = str(transaction_info["transaction_id"])
        readings = parse_meter_values(meter_value or [])
        ledger = session.ledger
        known = ledger.find_external(session.charger_id, external_id)
        if known is None and event_type != "Ended":
            if evse is None:
                _LOGGER.info(
                    "%s: transaction %s reported without an EVSE: ignored until it names one",
                    session.charger_id,
                    external_id,
                )
                return call_result.TransactionEvent()
            energy = _energy(readings)
            await session.on_start_transaction(
                int(evse["id"]),
                _id_token(id_token),
                energy if energy is not None else session.register_value(int(evse["id"])),
                timestamp,
                external_id,
            )
            known = ledger.find_external(session.charger_id, external_id)
        if known is None:
            _LOGGER.info(
                "%s: TransactionEvent Ended for unknown transaction %s accepted",
                session.charger_id,
                external_id,
            )
            return call_result.TransactionEvent()
        if event_type == "Started":
            self._started_late(known, readings, timestamp)
        if known.last_seq_no is not None and seq_no != known.last_seq_no + 1:
            _LOGGER.debug(
                "%s: transaction %s seqNo %s after %s",
                session.charger_id,
                external_id,
                seq_no,
                known.last_seq_no,
            )
        known.last_seq_no = max(seq_no, known.last_seq_no or 0)
        if event_type == "Ended":
            # Without a reading of its own, the last one counts (even one replayed after it).
            await session.on_stop_transaction(
                known.transaction_id,
                _energy(readings),
                timestamp,
                transaction_info.get("stopped_reason"),
                readings,
            )
            connector = session.state.connector(known.connector_id)
            # The cable may stay in: the station need not send a new StatusNotification.
            # (A replayed Ended of an earlier session leaves the running one alone.)
            if connector.transaction_id is None:
                connector.forget_ev()
                session.on_status(
                    known.connector_id,
                    ConnectorStatus.FINISHING,
                    error_code="NoError",
                    timestamp=timestamp,
                )
        else:
            if readings:
                session.on_meter_values(known.connector_id, known.transaction_id, readings)
            state = transaction_info.get("charging_state")
            if state in CHARGING_STATES and known.stopped_at is None:
                session.on_status(
                    known.connector_id,
                    CHARGING_STATES[state],
                    error_code="NoError",
                    timestamp=timestamp,
                )
            elif state is None and known.stopped_at is None:
                self._charging_by_the_meter(known.connector_id)
        if id_token is None:
            return call_result.TransactionEvent()
        return call_result.TransactionEvent(id_token_info=self._token_info(id_token))

    def _started_late(
        self, transaction: Transaction, readings: list[MeterReading], timestamp: str
    ) -> None:
        """A Started replayed after later events of its transaction: it began earlier."""
        started = parse_timestamp(timestamp)
        connector = self.session.state.connector(transaction.connector_id)
        shown = connector.session_start == parse_timestamp(transaction.started_at)
        if started is None or not self.session.ledger.note_start(
            transaction, _energy(readings), started
        ):
            return
        if shown:
            connector.session_start = started
        self.session.show_energy(transaction)

    @on(Action.meter_values)
    def on_meter_values(
        self, evse_id: int, meter_value: list[dict[str, Any]], **_: Any
    ) -> call_result.MeterValues:
        """Record meter values (EVSE 0: the station's main meter).

        Some stations send them apart from their TransactionEvents: during a transaction
        they count for it.
        """
        connector = self.session.state.connector(evse_id)
        running = connector.transaction_id if evse_id else None
        self.session.on_meter_values(evse_id, running, parse_meter_values(meter_value))
        if running is not None:
            self._charging_by_the_meter(evse_id)
        return call_result.MeterValues()

    def _charging_by_the_meter(self, evse_id: int) -> None:
        """A station that tells no chargingState: a transaction drawing power is charging."""
        connector = self.session.state.connector(evse_id)
        if connector.status is ConnectorStatus.PREPARING and (connector.power or 0) > 0:
            self.session.on_status(evse_id, ConnectorStatus.CHARGING, error_code="NoError")

    # --- what the car and other systems tell -------------------------------------------

    @on(Action.notify_ev_charging_needs)
    def on_notify_ev_charging_needs(
        self, charging_needs: dict[str, Any], evse_id: int, **_: Any
    ) -> call_result.NotifyEVChargingNeeds:
        """Keep what the car needs: departure, energy, its current range."""
        connector = self.session.state.connector(evse_id)
        connector.ev_departure = parse_timestamp(charging_needs.get("departure_time"))
        ac = charging_needs.get("ac_charging_parameters") or {}
        dc = charging_needs.get("dc_charging_parameters") or {}
        energy = ac.get("energy_amount", dc.get("energy_amount"))
        connector.ev_energy_amount = None if energy is None else float(energy)
        connector.ev_min_current = ac.get("ev_min_current")
        connector.ev_max_current = ac.get("ev_max_current")
        power = dc.get("ev_max_power")  # AC needs tell currents only
        connector.ev_max_power = None if power is None else float(power)
        capacity = dc.get("ev_energy_capacity")
        connector.ev_energy_capacity = None if capacity is None else float(capacity)
        if not ac and power:
            # A DC car's maximum power, as the AC current per phase it takes from the grid.
            connector.ev_max_current = float(power) / (NOMINAL_VOLTAGE * DEFAULT_PHASES)
        if (soc := dc.get("state_of_charge")) is not None:
            connector.soc = float(soc)
        self.session.state_updated()
        return call_result.NotifyEVChargingNeeds(
            status=NotifyEVChargingNeedsStatusEnumType.accepted
        )

    @on(Action.notify_ev_charging_schedule)
    def on_notify_ev_charging_schedule(self, **_: Any) -> call_result.NotifyEVChargingSchedule:
        """The car's own plan: acknowledged."""
        return call_result.NotifyEVChargingSchedule(status=GenericStatusEnumType.accepted)

    @on(Action.notify_charging_limit)
    def on_notify_charging_limit(
        self,
        charging_limit: dict[str, Any],
        evse_id: int | None = None,
        charging_schedule: list[dict[str, Any]] | None = None,
        **_: Any,
    ) -> call_result.NotifyChargingLimit:
        """Another system (an EMS, the grid operator) limits the station or an EVSE."""
        source = str(charging_limit.get("charging_limit_source") or "Other")
        limit = schedule_limit(charging_schedule or [])
        for connector in self._targets(evse_id):
            connector.external_limit_source = source
            connector.external_limit = limit
        self.session.state_updated()
        return call_result.NotifyChargingLimit()

    @on(Action.cleared_charging_limit)
    def on_cleared_charging_limit(
        self, charging_limit_source: str, evse_id: int | None = None, **_: Any
    ) -> call_result.ClearedChargingLimit:
        """The other system's limit is gone."""
        for connector in self._targets(evse_id):
            if connector.external_limit_source == charging_limit_source:
                connector.external_limit_source = None
                connector.external_limit = None
        self.session.state_updated()
        return call_result.ClearedChargingLimit()

    def _targets(self, evse_id: int | None) -> list[Any]:
        state = self.session.state
        return state.outlets if not evse_id else [state.connector(evse_id)]

    # --- reports and notifications -------------------------------------------------------

    @on(Action.notify_report)
    def on_notify_report(
        self, report_data: list[dict[str, Any]] | None = None, **_: Any
    ) -> call_result.NotifyReport:
        """A part of the inventory: the EVSEs and their maximum power."""
        capabilities = self.session.state.capabilities
        if capabilities is not None and note_report(capabilities, report_data or []):
            self.session.save_capabilities()
            self.session.state_updated()
        return call_result.NotifyReport()

    @on(Action.notify_event)
    def on_notify_event(
        self, event_data: list[dict[str, Any]], **_: Any
    ) -> call_result.NotifyEvent:
        """Problems the station reports show as its last error."""
        for event in event_data:
            variable = (event.get("variable") or {}).get("name")
            component = (event.get("component") or {}).get("name")
            if variable == "Problem" and str(event.get("actual_value")).lower() == "true":
                self.session.state.last_error = f"{component}: {event.get('tech_info') or variable}"
                self.session.state_updated()
        return call_result.NotifyEvent()

    @on(Action.security_event_notification)
    def on_security_event(
        self,
        type: str,  # noqa: A002 - the OCPP field name
        timestamp: str,
        **_: Any,
    ) -> call_result.SecurityEventNotification:
        """Logged and shown: what the station saw (a failed login, a firmware change)."""
        _LOGGER.info("%s: security event %s at %s", self.session.charger_id, type, timestamp)
        self.session.state.last_security_event = f"{type} at {timestamp}"
        self.session.state_updated()
        return call_result.SecurityEventNotification()

    @on(Action.firmware_status_notification)
    def on_firmware_status(self, status: str, **_: Any) -> call_result.FirmwareStatusNotification:
        """Acknowledge."""
        return call_result.FirmwareStatusNotification()

    @on(Action.log_status_notification)
    def on_log_status(self, status: str, **_: Any) -> call_result.LogStatusNotification:
        """Acknowledge."""
        return call_result.LogStatusNotification()

    @on(Action.report_charging_profiles)
    def on_report_charging_profiles(
        self,
        request_id: int,
        charging_limit_source: str,
        charging_profile: list[dict[str, Any]],
        evse_id: int,
        tbc: bool = False,
        **_: Any,
    ) -> call_result.ReportChargingProfiles:
        """A part of what GetChargingProfiles asked for; unasked parts are only acknowledged."""
        part = {
            "evse_id": evse_id,
            "charging_limit_source": charging_limit_source,
            "charging_profile": charging_profile,
        }
        if not self.reports.add(request_id, part, more=tbc):
            _LOGGER.debug(
                "%s: unasked ReportChargingProfiles %s", self.session.charger_id, request_id
            )
        return call_result.ReportChargingProfiles()

    @on(Action.notify_monitoring_report)
    def on_notify_monitoring_report(self, **_: Any) -> call_result.NotifyMonitoringReport:
        """Acknowledge."""
        return call_result.NotifyMonitoringReport()

    @on(Action.data_transfer)
    def on_data_transfer(self, vendor_id: str, **_: Any) -> call_result.DataTransfer:
        """No vendor extensions are known yet."""
        return call_result.DataTransfer(status=DataTransferStatusEnumType.unknown_vendor_id)
