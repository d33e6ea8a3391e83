"""A simulated OCPP 1.6J charge point with a car on each connector."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
import logging
from typing import Any

from .background import LINK_ERRORS, logged
from .calllog import CallLog
from .config import HEARTBEAT_INTERVAL, METER_VALUE_SAMPLE_INTERVAL, Configuration
from .connection import WebSocketConnection
from .electrics import Electrics
from .ev import EV, EVSpec
from .handlers import SimChargePoint
from .meter import (
    AVAILABLE,
    CHARGING,
    FINISHING,
    PREPARING,
    SUSPENDED_EV,
    SUSPENDED_EVSE,
    UNAVAILABLE,
    ConnectorState,
    Reading,
    energy_register,
    sampled_values,
)
from .observed import Observed
from .ocpp16 import call, enums
from .profiles import TX_DEFAULT, TX_PROFILE, ChargingProfile, ProfileError, ProfileStore
from .schedule import RELATIVE, SchedulePeriod
from .spec import ENERGY_KWH, NO_BOOT_ON_RECONNECT, ChargerSpec
from .timeutil import SimClock, to_iso
from .uplink import Uplink, basic_authorization, client_tls
from .wakeup import Wakeup

__all__ = ["ChargerSpec", "SimulatedCharger", "SimulatorError"]

_LOGGER = logging.getLogger(__name__)
ACCEPTED = "Accepted"
_RETRY_FIRST_DELAY = 0.5  # s before the first reconnection attempt
_CHARGING_STATES = (CHARGING, SUSPENDED_EVSE, SUSPENDED_EV)
_EV_POLL = 5.0  # s between checks whether a charging EV is full (no schedule predicts it)
_PERIODIC = (HEARTBEAT_INTERVAL, METER_VALUE_SAMPLE_INTERVAL)

Work = Callable[[], Coroutine[Any, Any, None]]


class SimulatorError(RuntimeError):
    """A car action that the charger's state does not allow."""


class SimulatedCharger(Observed):
    """An OCPP 1.6J charge point: connects, boots, charges cars, obeys profiles."""

    def __init__(self, spec: ChargerSpec, url: str, clock: SimClock | None = None) -> None:
        """Describe the charger; `url` is the central system's, without the id.

        `clock` may be shared with other chargers (see `catch_up`); default: its own.
        """
        self.spec = spec
        self.url = (spec.url or url).rstrip("/")
        self.config = Configuration(spec)
        self.profiles = ProfileStore(spec.voltage, spec.phases, spec.max_profiles)
        self.connectors = {n: ConnectorState(n) for n in range(1, spec.connectors + 1)}
        self.station_status = AVAILABLE
        self.boot_status: str | None = None
        self.call_log = CallLog()
        self.clock = SimClock() if clock is None else clock
        self._electrics = Electrics(spec, self.profiles, self.clock)
        self.profiles.before_change = self._meter_all  # a limit change starts a new period
        self._uplink = Uplink(self, self.call_log, self._link_lost)
        self._accepted = asyncio.Event()
        self._wake = Wakeup()  # state, configuration or clock changed: loops re-check
        # When the periodic messages are next due, on the charger's monotonic clock.
        self._due: dict[str, float | None] = dict.fromkeys(_PERIODIC)

    def __repr__(self) -> str:
        """Name the charger in logs."""
        return f"<SimulatedCharger {self.spec.charge_point_id}>"

    # -- observation -------------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        """Whether a websocket connection is open."""
        return self._uplink.connected

    @property
    def requests_in_flight(self) -> int:
        """Calls to the central system still waiting for their answer."""
        return self._uplink.in_flight

    def advance(self, seconds: float) -> None:
        """Move the charger's own clock forward, metering the skipped time, without sleeping.

        Periodic messages that fall due are sent, and statuses follow the limits.
        With a clock shared by several chargers, do not call this on each of them:
        advance the clock once and call `catch_up()` on every charger.
        """
        self.catch_up()
        self.clock.advance(seconds)
        self.catch_up()

    def catch_up(self) -> None:
        """Bring the cars and meters up to the clock's time, without moving the clock.

        Online, the background loops then send what fell due; offline (not booted)
        the connectors' statuses are updated in place, without messages.
        """
        self._meter_all()
        if not self._uplink.accepted:
            for state in self.connectors.values():
                if state.transaction_id is not None and state.status in _CHARGING_STATES:
                    state.status = self._electrics.charging_status(state)
        if self._needs_attention():
            self._wake.fire()

    def _needs_attention(self) -> bool:
        """Whether a periodic message fell due or a charging status would change.

        Waking the background loops only then keeps a many-charger site on a virtual
        clock cheap: most steps change nothing they act on.
        """
        now = self.clock.monotonic()
        if any(due is not None and due <= now for due in self._due.values()):
            return True
        return any(
            state.transaction_id is not None
            and state.status in _CHARGING_STATES
            and self._electrics.charging_status(state) != state.status
            for state in self.connectors.values()
        )

    def connector(self, connector_id: int) -> ConnectorState:
        """Return a connector's state; SimulatorError if there is no such connector."""
        try:
            return self.connectors[connector_id]
        except KeyError:
            raise SimulatorError(f"no connector {connector_id}") from None

    def effective_limit(self, connector_id: int) -> float | None:
        """The profiles' limit on a connector now, A per phase (None: unlimited)."""
        return self._electrics.limit(self.connector(connector_id))

    def offered(self, connector_id: int) -> float:
        """Current.Offered: A per phase the charger lets the car draw now."""
        return self._electrics.offered(self.connector(connector_id))

    def draw(self, connector_id: int) -> float:
        """A per phase the car draws now (0 unless charging)."""
        state = self.connector(connector_id)
        if state.ev is not None:
            self._electrics.integrate(state)
        return self._electrics.draw(state)

    def energy_wh(self, connector_id: int) -> float:
        """The connector's energy register now, Wh."""
        state = self.connector(connector_id)
        self._electrics.integrate(state)
        return state.register_wh

    def reading(self, connector_id: int) -> Reading:
        """The connector's electrical values now, as MeterValues would report them."""
        return self._electrics.reading(self.connector(connector_id))

    def ev(self, connector_id: int) -> EV | None:
        """The car attached to a connector, if any."""
        return self.connector(connector_id).ev

    # -- connection --------------------------------------------------------------------------

    async def connect(self, *, boot: bool = True) -> str | None:
        """Open the websocket and boot; return the first boot status.

        A Pending or Rejected boot is retried in the background after the
        interval the central system returned. With `boot` False (a reconnect)
        the charger skips BootNotification and reports its statuses.
        """
        key, charge_point_id = self.config.authorization_key, self.spec.charge_point_id
        spec = self.spec
        await self._uplink.open(
            f"{self.url}/{charge_point_id}",
            None if key is None else basic_authorization(charge_point_id, key),
            self._charge_point,
            client_tls(spec.tls_ca, spec.client_certificate, spec.client_key),
        )
        if not boot:
            await self._on_accepted()
            return self.boot_status
        return await self.send_boot_notification()

    async def connect_with_retry(self, max_backoff: float = 5.0, *, boot: bool = True) -> None:
        """Connect, retrying with exponential backoff (up to `max_backoff` s) until it works."""
        delay = min(_RETRY_FIRST_DELAY, max_backoff)
        while True:
            try:
                await self.connect(boot=boot)
            except LINK_ERRORS as err:
                _LOGGER.info("%s: cannot connect (%s); retrying in %.1f s", self, err, delay)
                await self._uplink.drop()
                await asyncio.sleep(delay)
                delay = min(delay * 2, max_backoff)
            else:
                return

    async def close(self) -> None:
        """Stop every task and close the socket and the HTTP session."""
        await self._uplink.close()

    async def reset(self, kind: str = "Soft") -> None:
        """Reboot (`kind` Soft or Hard): stop the transactions, reconnect, boot again."""
        if kind not in ("Soft", "Hard"):
            raise ValueError(f"unknown reset type {kind!r}")
        _LOGGER.info("%s: %s reset", self, kind)
        for state in self.connectors.values():
            if state.transaction_id is not None:
                with logged(self, "StopTransaction before reset"):
                    await self.stop_transaction(state.connector_id, reason=f"{kind}Reset")
        await self._uplink.drop()
        if not self._uplink.closing:
            await self.connect_with_retry()

    # -- messages to the central system -----------------------------------------------------

    async def send_boot_notification(self) -> str:
        """Send BootNotification and act on the answer; return its status."""
        result = await self._uplink.request(
            call.BootNotification(
                charge_point_model=self.spec.model,
                charge_point_vendor=self.spec.vendor,
                charge_point_serial_number=self.spec.serial,
                firmware_version=self.spec.firmware_version,
            )
        )
        status, interval = str(result.status), int(result.interval)
        self.boot_status = status
        _LOGGER.info("%s: boot %s (interval %d s)", self, status, interval)
        if status == ACCEPTED:
            if self.spec.heartbeat_interval is None:
                self.config.set_internal(HEARTBEAT_INTERVAL, str(interval))
                self.configuration_changed(HEARTBEAT_INTERVAL)
            await self._on_accepted()
        else:
            retry_at = self.clock.monotonic() + max(interval, 1)
            self._uplink.spawn(self._boot_again(retry_at), link=True)
        return status

    async def send_heartbeat(self) -> str:
        """Send Heartbeat; return the central system's current time."""
        result = await self._uplink.request(call.Heartbeat())
        return str(result.current_time)

    async def send_status(
        self, connector_id: int, status: str, error_code: str = "NoError"
    ) -> None:
        """Report `status` for a connector (0: the charge point) and remember it."""
        if connector_id == 0:
            self.station_status = status
        else:
            self.connector(connector_id).status = status
        _LOGGER.info("%s: connector %d %s", self, connector_id, status)
        await self._uplink.request(
            call.StatusNotification(
                connector_id=connector_id,
                error_code=enums.ChargePointErrorCode(error_code),
                status=enums.ChargePointStatus(status),
                timestamp=to_iso(self.now()),
            )
        )

    async def send_meter_values(self, connector_id: int, context: str = "Sample.Periodic") -> None:
        """Send one MeterValues with the measurands of MeterValuesSampledData."""
        state = self.connector(connector_id)
        reading = self._electrics.reading(state)
        values = sampled_values(
            reading, self.config.sampled_data, context, energy_in_kwh=self.spec.has(ENERGY_KWH)
        )
        if not values:
            return
        _LOGGER.info(
            "%s: connector %d meter %.0f Wh, %.1f A",
            self,
            connector_id,
            reading.register_wh,
            reading.draw_a,
        )
        await self._uplink.request(
            call.MeterValues(
                connector_id=connector_id,
                meter_value=[{"timestamp": to_iso(self.now()), "sampledValue": values}],
                transaction_id=state.transaction_id,
            )
        )

    async def send_raw(self, text: str) -> None:
        """Send an arbitrary frame; read its answer with `next_raw_incoming`."""
        await self._uplink.live().connection.send_raw(text)

    async def next_raw_incoming(self, timeout: float = 5.0) -> str:  # noqa: ASYNC109
        """Return the next frame answering a `send_raw` frame (TimeoutError if none)."""
        return await self._uplink.live().connection.next_raw_incoming(timeout)

    # -- the car -----------------------------------------------------------------------------

    async def plug_in(self, connector_id: int) -> None:
        """Plug a car in: Preparing."""
        state = self.connector(connector_id)
        state.plugged = True
        if state.status == AVAILABLE:
            await self.send_status(connector_id, PREPARING)

    async def start_transaction(
        self,
        connector_id: int,
        id_tag: str = "SIMTAG",
        *,
        authorize: bool = True,
        charging_profile: ChargingProfile | None = None,
    ) -> tuple[int | None, str]:
        """Authorize, start a transaction and charge; return (transaction id, idTag status).

        The id is None when Authorize is refused. `charging_profile` is installed
        as the transaction's TxProfile (RemoteStartTransaction).
        """
        state = self.connector(connector_id)
        if state.transaction_id is not None:
            raise SimulatorError(f"connector {connector_id} already has a transaction")
        if not state.plugged:
            await self.plug_in(connector_id)
        if authorize:
            result = await self._uplink.request(call.Authorize(id_tag=id_tag))
            status = str(result.id_tag_info["status"])
            if status != ACCEPTED:
                _LOGGER.info("%s: idTag %s %s", self, id_tag, status)
                return None, status
        self._electrics.integrate(state)
        state.session_start = self.now()
        result = await self._uplink.request(
            call.StartTransaction(
                connector_id=connector_id,
                id_tag=id_tag,
                meter_start=int(state.register_wh),
                timestamp=to_iso(state.session_start),
            )
        )
        transaction_id, status = int(result.transaction_id), str(result.id_tag_info["status"])
        self._electrics.integrate(state)  # nothing flowed before: metering starts now
        state.transaction_id, state.id_tag = transaction_id, id_tag
        _LOGGER.info("%s: connector %d transaction %d started", self, connector_id, transaction_id)
        if charging_profile is not None:
            self._install_tx_profile(connector_id, charging_profile)
        if status != ACCEPTED and self.config.flag("StopTransactionOnInvalidId"):
            await self.stop_transaction(connector_id, reason="DeAuthorized")
            return transaction_id, status
        await self.send_status(connector_id, self._electrics.charging_status(state))
        self._wake.fire()
        return transaction_id, status

    async def stop_transaction(self, connector_id: int, reason: str = "EVDisconnected") -> None:
        """Stop the transaction (Finishing), the car leaves (Available)."""
        state = self.connector(connector_id)
        transaction_id = state.transaction_id
        if transaction_id is None:
            raise SimulatorError(f"no transaction on connector {connector_id}")
        self._electrics.integrate(state)
        stopped_at, id_tag = self.now(), state.id_tag
        state.transaction_id = state.id_tag = state.session_start = None
        self._electrics.integrate(state)  # the contactor opens: an attached car stops at once
        self.profiles.clear(connector_id=connector_id, purpose=TX_PROFILE)
        self._wake.fire()
        await self.send_status(connector_id, FINISHING)
        final = energy_register(
            state.register_wh, "Transaction.End", energy_in_kwh=self.spec.has(ENERGY_KWH)
        )
        await self._uplink.request(
            call.StopTransaction(
                meter_stop=int(state.register_wh),
                timestamp=to_iso(stopped_at),
                transaction_id=transaction_id,
                reason=enums.Reason(reason),
                id_tag=id_tag,
                transaction_data=[{"timestamp": to_iso(stopped_at), "sampledValue": [final]}],
            )
        )
        _LOGGER.info("%s: connector %d transaction %d stopped", self, connector_id, transaction_id)
        await self.unplug(connector_id)

    async def unplug(self, connector_id: int) -> None:
        """The car leaves an idle connector: Available (or Unavailable if scheduled)."""
        state = self.connector(connector_id)
        if state.transaction_id is not None:
            raise SimulatorError(f"connector {connector_id} has a transaction: stop it first")
        state.plugged = False
        if state.unavailable_after_transaction:
            state.unavailable_after_transaction, state.operative = False, False
        await self.send_status(connector_id, AVAILABLE if state.operative else UNAVAILABLE)

    async def set_availability(self, connector_id: int, operative: bool) -> None:
        """Apply ChangeAvailability (0: every connector); busy connectors change later."""
        targets = list(self.connectors) if connector_id == 0 else [connector_id]
        busy = any(self.connector(n).transaction_id is not None for n in targets)
        if connector_id == 0 and (operative or not busy):
            # The station as a whole; with a busy connector it stays as it is.
            await self.send_status(0, AVAILABLE if operative else UNAVAILABLE)
        for number in targets:
            state = self.connector(number)
            if not operative and state.transaction_id is not None:
                state.unavailable_after_transaction = True
                continue
            state.unavailable_after_transaction = False
            if state.operative != operative:
                state.operative = operative
                idle = PREPARING if state.plugged else AVAILABLE
                await self.send_status(number, idle if operative else UNAVAILABLE)

    async def run_demo_session(self, connector_id: int) -> None:
        """Plug a car in, start charging and send a first MeterValues."""
        await self.plug_in(connector_id)
        await self.start_transaction(connector_id)
        await self.send_meter_values(connector_id)

    # -- attached cars and offline use ------------------------------------------------------

    def attach_ev(self, connector_id: int, spec: EVSpec) -> EV:
        """Attach a car of `spec` to a connector (no messages); it replaces the stand-in.

        The car follows the offered current with its delay, ramp and taper, and
        the meter reports its current, phases, energy and SoC.
        """
        ev = self._electrics.attach(self.connector(connector_id), spec)
        self._wake.fire()
        return ev

    def detach_ev(self, connector_id: int) -> EV | None:
        """Detach the car from a connector (no messages) and return it."""
        ev = self._electrics.detach(self.connector(connector_id))
        self._wake.fire()
        return ev

    def begin_offline_session(
        self, connector_id: int, spec: EVSpec, transaction_id: int, id_tag: str = "SIMTAG"
    ) -> EV:
        """Plug a car of `spec` in and start `transaction_id` without any message.

        For chargers driven without a central system: limits come from
        `set_local_limit`, time from `advance` or the shared clock and `catch_up`.
        """
        state = self.connector(connector_id)
        if state.transaction_id is not None:
            raise SimulatorError(f"connector {connector_id} already has a transaction")
        ev = self.attach_ev(connector_id, spec)
        state.plugged = True
        state.transaction_id, state.id_tag, state.session_start = transaction_id, id_tag, self.now()
        state.status = self._electrics.charging_status(state)
        return ev

    def end_offline_session(self, connector_id: int) -> EV | None:
        """Stop the transaction and unplug the car without any message; return the car."""
        state = self.connector(connector_id)
        if state.transaction_id is None:
            raise SimulatorError(f"no transaction on connector {connector_id}")
        self._electrics.integrate(state)
        state.transaction_id = state.id_tag = state.session_start = None
        self.profiles.clear(connector_id=connector_id, purpose=TX_PROFILE)
        state.plugged = False
        if state.unavailable_after_transaction:
            state.unavailable_after_transaction, state.operative = False, False
        state.status = AVAILABLE if state.operative else UNAVAILABLE
        return self.detach_ev(connector_id)

    def set_local_limit(self, connector_id: int, amps: float | None) -> None:
        """Limit a connector (0: every one) to `amps` per phase locally, without OCPP.

        Installs a TxDefaultProfile on stack level 0 with the reserved id
        `local_profile_id(connector_id)` (None: clears it), as a local controller
        would. A central system's TxDefaultProfile on the same connector and stack
        level replaces it (and vice versa); TxProfiles still override it. Offline,
        the connector's status follows at the next `advance` or `catch_up`.
        """
        profile_id = local_profile_id(connector_id)
        if amps is None:
            self.profiles.clear(profile_id=profile_id)
        else:
            profile = ChargingProfile(
                profile_id=profile_id,
                stack_level=0,
                purpose=TX_DEFAULT,
                kind=RELATIVE,
                rate_unit="A",
                periods=(SchedulePeriod(0, amps),),
                installed_at=self.now(),
            )
            profile.check()
            self.profiles.install(connector_id, profile)
        self.limits_changed()

    # -- reactions to the central system -----------------------------------------------------

    def limits_changed(self) -> None:
        """Re-evaluate draws and statuses (after a profile change)."""
        self._wake.fire()

    def configuration_changed(self, key: str) -> None:
        """Pick up a changed configuration key: a new interval restarts its period."""
        if key in _PERIODIC:
            self._schedule(key)
        self._wake.fire()

    def composite_schedule(self, connector_id: int, duration: int, unit: str) -> dict[str, Any]:
        """Return GetCompositeSchedule's chargingSchedule, from now for `duration` s."""
        state = self.connectors.get(connector_id)
        return self._electrics.composite_schedule(connector_id, state, duration, unit)

    # -- internals ---------------------------------------------------------------------------

    def _meter_all(self) -> None:
        """Meter every connector up to now (the cars follow their offers meanwhile)."""
        for state in self.connectors.values():
            self._electrics.integrate(state)

    def _charge_point(self, connection: WebSocketConnection) -> SimChargePoint:
        return SimChargePoint(
            self.spec.charge_point_id,
            connection,
            self,
            self._uplink.spawn,
            response_timeout=self.spec.response_timeout,
        )

    def _link_lost(self, unexpected: bool) -> None:
        self._accepted.clear()
        if unexpected and self.spec.reconnect:
            self._uplink.spawn(self._reconnect(boot=not self.spec.has(NO_BOOT_ON_RECONNECT)))

    async def _reconnect(self, boot: bool) -> None:
        await self._uplink.drop()
        await self.connect_with_retry(boot=boot)

    def _install_tx_profile(self, connector_id: int, profile: ChargingProfile) -> None:
        try:
            self.profiles.install(connector_id, profile)
        except ProfileError as err:
            _LOGGER.warning("%s: TxProfile not installed: %s", self, err)

    async def _boot_again(self, when: float) -> None:
        await self._sleep_until(when)
        if not self._uplink.accepted:
            with logged(self, "BootNotification"):
                await self.send_boot_notification()

    async def _on_accepted(self) -> None:
        """Report every connector, then start the periodic work (once per connection)."""
        if not self._uplink.mark_accepted():
            return
        await self.send_status(0, self.station_status)
        for state in self.connectors.values():
            await self.send_status(state.connector_id, state.status)
        for key in _PERIODIC:
            self._schedule(key)
        self._uplink.spawn(self._every(HEARTBEAT_INTERVAL, self._heartbeat), link=True)
        self._uplink.spawn(self._every(METER_VALUE_SAMPLE_INTERVAL, self._sample), link=True)
        self._uplink.spawn(self._regulate(), link=True)
        self._accepted.set()

    def _schedule(self, key: str) -> None:
        """Set when the periodic message of interval `key` is next due (0: never)."""
        interval = self.config.integer(key)
        self._due[key] = self.clock.monotonic() + interval if interval > 0 else None

    async def _every(self, key: str, work: Work) -> None:
        """Run `work` whenever the period of `key` is due (`advance` can make it so)."""
        while True:
            due = self._due[key]
            if due is not None and due <= self.clock.monotonic():
                self._schedule(key)
                with logged(self, key):
                    await work()
                continue
            await self._wake.wait_at_most(None if due is None else due - self.clock.monotonic())

    async def _sleep_until(self, when: float) -> None:
        """Sleep until `when` on the charger's monotonic clock: `advance` cuts it short."""
        while (remaining := when - self.clock.monotonic()) > 0:
            await self._wake.wait_at_most(remaining)

    async def _heartbeat(self) -> None:
        await self.send_heartbeat()

    async def _sample(self) -> None:
        for state in self.connectors.values():
            if state.transaction_id is not None:
                await self.send_meter_values(state.connector_id)

    async def _regulate(self) -> None:
        """Follow the limits: Charging below 6 A becomes SuspendedEVSE and back."""
        while True:
            for state in self.connectors.values():
                if state.transaction_id is None or state.status not in _CHARGING_STATES:
                    continue
                wanted = self._electrics.charging_status(state)
                if wanted != state.status:
                    with logged(self, "StatusNotification"):
                        await self.send_status(state.connector_id, wanted)
            await self._wake.wait_at_most(self._next_check())

    def _next_check(self) -> float | None:
        """Seconds until a status may change: a schedule change, or a charging EV filling up."""
        states = list(self.connectors.values())
        wait = self._electrics.seconds_to_next_change(states)
        if any(s.ev is not None and s.transaction_id is not None and not s.ev.full for s in states):
            wait = _EV_POLL if wait is None else min(wait, _EV_POLL)
        return wait


def local_profile_id(connector_id: int) -> int:
    """The chargingProfileId `set_local_limit` uses: negative, so no central system's."""
    return -1 - connector_id
