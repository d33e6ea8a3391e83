"""The charger's answers to calls from the central system (OCPP 1.6J).

Answers are decided here, at once; anything that needs the central system again
(starting a transaction, a triggered message...) runs after the answer is sent,
because awaiting a call inside a handler would block the receive loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
import logging
from typing import TYPE_CHECKING, Any

from .acceptance import profile_refusal
from .background import logged
from .config import ACCEPTED
from .connection import WebSocketConnection
from .meter import AVAILABLE, PREPARING
from .ocpp16 import ChargePoint, call_result, enums, on
from .profiles import ChargingProfile, ProfileError
from .schedule import camel_keys

if TYPE_CHECKING:
    from .charger import SimulatedCharger

_LOGGER = logging.getLogger(__name__)
Action = enums.Action
Spawn = Callable[[Coroutine[Any, Any, None]], None]
Work = Callable[[], Coroutine[Any, Any, None]]
UNKNOWN_VENDOR = "unknown"  # DataTransfer vendorId the simulator does not know


class SimChargePoint(ChargePoint):
    """Routes the central system's calls to a SimulatedCharger."""

    def __init__(
        self,
        charge_point_id: str,
        connection: WebSocketConnection,
        charger: SimulatedCharger,
        spawn: Spawn,
        response_timeout: float = 30,
    ) -> None:
        """Serve `charger` over `connection`; `spawn` runs follow-up work as a task."""
        super().__init__(charge_point_id, connection, response_timeout)
        self._socket = connection
        self._charger = charger
        self._spawn_task = spawn
        self._in_order = asyncio.Lock()  # fair: follow-ups run in the order of their calls

    def _after(self, call_unique_id: str, what: str, work: Work) -> None:
        """Run `work` once the answer to `call_unique_id` is on its way."""

        async def run() -> None:
            async with self._in_order:
                with logged(self._charger, what):
                    await work()

        self._socket.after_reply(call_unique_id, lambda: self._spawn_task(run()))

    def _connector_exists(self, connector_id: int | None, *, station: bool = False) -> bool:
        if connector_id is None:
            return True
        return connector_id in self._charger.connectors or (station and connector_id == 0)

    # -- configuration ---------------------------------------------------------------------

    @on(Action.get_configuration)
    def on_get_configuration(
        self, key: list[str] | None = None, **_: object
    ) -> call_result.GetConfiguration:
        """Return the known keys and name the unknown ones."""
        known, unknown = self._charger.config.get(key)
        return call_result.GetConfiguration(configuration_key=known, unknown_key=unknown or None)

    @on(Action.change_configuration)
    def on_change_configuration(
        self, key: str, value: str, **_: object
    ) -> call_result.ChangeConfiguration:
        """Change a key; intervals take effect at once."""
        status = self._charger.config.change(key, value)
        _LOGGER.info("%s: ChangeConfiguration %s=%s: %s", self._charger, key, value, status)
        if status == ACCEPTED:
            self._charger.configuration_changed(key)
        return call_result.ChangeConfiguration(status=enums.ConfigurationStatus(status))

    # -- smart charging --------------------------------------------------------------------

    @on(Action.set_charging_profile)
    def on_set_charging_profile(
        self,
        connector_id: int,
        cs_charging_profiles: dict[str, Any],
        call_unique_id: str,
        **_: object,
    ) -> call_result.SetChargingProfile:
        """Install a profile unless the spec or a quirk refuses it."""
        charger = self._charger
        state = charger.connectors.get(connector_id)
        try:
            profile = ChargingProfile.from_dict(camel_keys(cs_charging_profiles), charger.now())
            refusal = profile_refusal(
                charger.spec, connector_id, profile, None if state is None else state.transaction_id
            )
            if refusal is None:
                charger.profiles.install(connector_id, profile)
        except ProfileError as err:
            refusal = str(err)
        _LOGGER.info("%s: SetChargingProfile on %d: %s", charger, connector_id, refusal or "ok")
        if refusal is not None:
            return call_result.SetChargingProfile(status=enums.ChargingProfileStatus.rejected)

        async def apply() -> None:
            charger.limits_changed()

        self._after(call_unique_id, "new limits", apply)
        return call_result.SetChargingProfile(status=enums.ChargingProfileStatus.accepted)

    @on(Action.clear_charging_profile)
    def on_clear_charging_profile(
        self,
        call_unique_id: str,
        id: int | None = None,  # noqa: A002 - the OCPP field name
        connector_id: int | None = None,
        charging_profile_purpose: str | None = None,
        stack_level: int | None = None,
        **_: object,
    ) -> call_result.ClearChargingProfile:
        """Clear the matching profiles: Accepted, or Unknown when none matched."""
        cleared = self._charger.profiles.clear(
            profile_id=id,
            connector_id=connector_id,
            purpose=charging_profile_purpose,
            stack_level=stack_level,
        )
        if not cleared:
            return call_result.ClearChargingProfile(status=enums.ClearChargingProfileStatus.unknown)

        async def apply() -> None:
            self._charger.limits_changed()

        self._after(call_unique_id, "new limits", apply)
        return call_result.ClearChargingProfile(status=enums.ClearChargingProfileStatus.accepted)

    @on(Action.get_composite_schedule)
    def on_get_composite_schedule(
        self, connector_id: int, duration: int, charging_rate_unit: str | None = None, **_: object
    ) -> call_result.GetCompositeSchedule:
        """Return the limits for the next `duration` s."""
        if not self._connector_exists(connector_id, station=True):
            return call_result.GetCompositeSchedule(
                status=enums.GetCompositeScheduleStatus.rejected
            )
        schedule = self._charger.composite_schedule(
            connector_id, duration, charging_rate_unit or "A"
        )
        return call_result.GetCompositeSchedule(
            status=enums.GetCompositeScheduleStatus.accepted,
            connector_id=connector_id,
            schedule_start=schedule["startSchedule"],
            charging_schedule=schedule,
        )

    # -- transactions ----------------------------------------------------------------------

    @on(Action.remote_start_transaction)
    def on_remote_start_transaction(
        self,
        id_tag: str,
        call_unique_id: str,
        connector_id: int | None = None,
        charging_profile: dict[str, Any] | None = None,
        **_: object,
    ) -> call_result.RemoteStartTransaction:
        """Start a transaction on an idle connector, with its TxProfile if any."""
        charger = self._charger
        rejected = call_result.RemoteStartTransaction(status=enums.RemoteStartStopStatus.rejected)
        idle = [
            number
            for number, state in charger.connectors.items()
            if state.transaction_id is None
            and not state.starting
            and state.operative
            and state.status in (AVAILABLE, PREPARING)
        ]
        if connector_id is None and idle:
            connector_id = idle[0]
        if connector_id not in idle:
            return rejected
        target: int = connector_id
        profile = None
        if charging_profile is not None:
            try:
                profile = ChargingProfile.from_dict(camel_keys(charging_profile), charger.now())
            except ProfileError:
                return rejected
            if profile_refusal(charger.spec, target, profile, None, remote_start=True):
                return rejected
        authorize = charger.config.flag("AuthorizeRemoteTxRequests")

        charger.connector(target).starting = True

        async def start() -> None:
            try:
                await charger.start_transaction(
                    target, id_tag, authorize=authorize, charging_profile=profile
                )
            finally:
                charger.connector(target).starting = False

        self._after(call_unique_id, "remote start", start)
        return call_result.RemoteStartTransaction(status=enums.RemoteStartStopStatus.accepted)

    @on(Action.remote_stop_transaction)
    def on_remote_stop_transaction(
        self, transaction_id: int, call_unique_id: str, **_: object
    ) -> call_result.RemoteStopTransaction:
        """Stop the given transaction if it is running here."""
        charger = self._charger
        running = [n for n, s in charger.connectors.items() if s.transaction_id == transaction_id]
        if not running:
            return call_result.RemoteStopTransaction(status=enums.RemoteStartStopStatus.rejected)

        async def stop() -> None:
            await charger.stop_transaction(running[0], reason="Remote")

        self._after(call_unique_id, "remote stop", stop)
        return call_result.RemoteStopTransaction(status=enums.RemoteStartStopStatus.accepted)

    @on(Action.unlock_connector)
    def on_unlock_connector(
        self, connector_id: int, call_unique_id: str, **_: object
    ) -> call_result.UnlockConnector:
        """Unlock: a running transaction stops, the car leaves."""
        charger = self._charger
        if not self._connector_exists(connector_id):
            return call_result.UnlockConnector(status=enums.UnlockStatus.unlock_failed)
        state = charger.connector(connector_id)

        async def release() -> None:
            if state.transaction_id is not None:
                await charger.stop_transaction(connector_id, reason="UnlockCommand")
            elif state.plugged:
                await charger.unplug(connector_id)

        self._after(call_unique_id, "unlock", release)
        return call_result.UnlockConnector(status=enums.UnlockStatus.unlocked)

    # -- the charge point ------------------------------------------------------------------

    @on(Action.change_availability)
    def on_change_availability(
        self,
        connector_id: int,
        type: str,  # noqa: A002 - the OCPP field name
        call_unique_id: str,
        **_: object,
    ) -> call_result.ChangeAvailability:
        """Change availability; Scheduled while a transaction runs."""
        charger = self._charger
        if not self._connector_exists(connector_id, station=True):
            return call_result.ChangeAvailability(status=enums.AvailabilityStatus.rejected)
        operative = type == enums.AvailabilityType.operative
        targets = list(charger.connectors) if connector_id == 0 else [connector_id]
        busy = any(charger.connectors[n].transaction_id is not None for n in targets)

        async def apply() -> None:
            await charger.set_availability(connector_id, operative)

        self._after(call_unique_id, "availability", apply)
        if busy and not operative:
            return call_result.ChangeAvailability(status=enums.AvailabilityStatus.scheduled)
        return call_result.ChangeAvailability(status=enums.AvailabilityStatus.accepted)

    @on(Action.reset)
    def on_reset(self, type: str, call_unique_id: str, **_: object) -> call_result.Reset:  # noqa: A002
        """Accept, then reboot: stop transactions, reconnect, boot."""
        charger = self._charger

        async def reboot() -> None:
            await charger.reset(str(type))

        self._after(call_unique_id, "reset", reboot)
        return call_result.Reset(status=enums.ResetStatus.accepted)

    @on(Action.trigger_message)
    def on_trigger_message(
        self,
        requested_message: str,
        call_unique_id: str,
        connector_id: int | None = None,
        **_: object,
    ) -> call_result.TriggerMessage:
        """Accept, then send the requested message."""
        if not self._connector_exists(connector_id, station=True):
            return call_result.TriggerMessage(status=enums.TriggerMessageStatus.rejected)
        work = self._triggered(str(requested_message), connector_id)
        if work is None:
            return call_result.TriggerMessage(status=enums.TriggerMessageStatus.not_implemented)
        self._after(call_unique_id, f"triggered {requested_message}", work)
        return call_result.TriggerMessage(status=enums.TriggerMessageStatus.accepted)

    def _triggered(self, message: str, connector_id: int | None) -> Work | None:
        """Return the work that sends a triggered `message`, None if not implemented."""
        charger = self._charger
        every = list(charger.connectors) if connector_id in (None, 0) else [connector_id or 0]

        async def boot() -> None:
            await charger.send_boot_notification()

        async def heartbeat() -> None:
            await charger.send_heartbeat()

        async def statuses() -> None:
            if connector_id in (None, 0):
                await charger.send_status(0, charger.station_status)
            for number in every if connector_id != 0 else []:
                await charger.send_status(number, charger.connectors[number].status)

        async def meter_values() -> None:
            for number in every:
                await charger.send_meter_values(number, context="Trigger")

        works: dict[str, Work] = {
            enums.MessageTrigger.boot_notification: boot,
            enums.MessageTrigger.heartbeat: heartbeat,
            enums.MessageTrigger.status_notification: statuses,
            enums.MessageTrigger.meter_values: meter_values,
        }
        return works.get(message)

    @on(Action.data_transfer)
    def on_data_transfer(
        self, vendor_id: str, data: str | None = None, **_: object
    ) -> call_result.DataTransfer:
        """Echo the data back; the vendor "unknown" is unknown."""
        if vendor_id == UNKNOWN_VENDOR:
            return call_result.DataTransfer(status=enums.DataTransferStatus.unknown_vendor_id)
        return call_result.DataTransfer(status=enums.DataTransferStatus.accepted, data=data)

    @on(Action.clear_cache)
    def on_clear_cache(self, **_: object) -> call_result.ClearCache:
        """There is no authorization cache to clear: Accepted."""
        return call_result.ClearCache(status=enums.ClearCacheStatus.accepted)

    @on(Action.get_local_list_version)
    def on_get_local_list_version(self, **_: object) -> call_result.GetLocalListVersion:
        """There is no local list: version 0."""
        return call_result.GetLocalListVersion(list_version=0)

    @on(Action.reserve_now)
    def on_reserve_now(self, **_: object) -> call_result.ReserveNow:
        """Reservations are not simulated: Rejected."""
        return call_result.ReserveNow(status=enums.ReservationStatus.rejected)
