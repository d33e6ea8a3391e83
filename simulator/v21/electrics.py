"""A bidirectional EVSE's electrics: what the profiles command, what the car does, the meter.

The EVSE commands W per phase (operation.command); the car follows a changed command
after its `response_delay`, within its own maxima and SoC limits, and the meter counts
import and export in two registers. Metering is exact between the instants where
something changes (profile periods, the car taking up a command, a SoC limit).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..timeutil import SimClock
from ..v201.evse import Electrics, EvseState, Reading
from .car import V2XCar
from .metering import BidiReading
from .operation import CHARGING_ONLY, Operation, Phases, Rating, command, operation
from .profiles import ProfileBook21

_RUNNING = 1  # any transaction number: the store only asks whether one runs


@dataclass
class BidiEvse(EvseState):
    """An EVSE with a bidirectional car: export register, V2X permission, the car's lag."""

    export_wh: float = 0.0
    allowed: frozenset[str] = frozenset()  # allowedEnergyTransfer of the transaction
    local_setpoint: float | None = None  # W from a local controller (External modes)
    following: Phases = ()  # W per phase the car is executing
    pending: Phases | None = None  # a newer command, executed from `pending_at`
    pending_at: datetime | None = None
    reported_mode: str | None = None  # the operationMode the CSMS was last told

    def v2x_car(self) -> V2XCar | None:
        """The car, if it is a bidirectional one."""
        return self.car if isinstance(self.car, V2XCar) else None


class BidiElectrics(Electrics):
    """Commands, the cars' response and metering of every EVSE on the station's clock."""

    def __init__(
        self,
        profiles: ProfileBook21,
        clock: SimClock,
        rating: Rating,
        may_discharge: Callable[[BidiEvse], bool],
        *,
        dc: bool,
        signed_power: bool = False,
    ) -> None:
        """Evaluate `profiles` for EVSEs of `rating`; `may_discharge` tells V2X permission."""
        max_current = rating.charge / rating.voltage
        super().__init__(
            profiles, clock, max_current=max_current, voltage=rating.voltage, phases=rating.phases
        )
        self.book = profiles
        self.rating = rating
        self.may_discharge = may_discharge
        self.dc = dc
        self.signed_power = signed_power

    def operation_at(self, state: EvseState, at: datetime) -> Operation:
        """What the profiles ask of the EVSE at `at`."""
        session, station = self.book.sources_at(
            state.evse_id,
            at,
            running=state.transaction_id is not None,
            started=state.started_at,
        )
        return operation(session, station, self.rating)

    def command_at(self, state: EvseState, at: datetime) -> Phases:
        """W per phase the EVSE asks the car for at `at` (0 without a transaction)."""
        if not isinstance(state, BidiEvse) or state.transaction_id is None or state.car is None:
            return (0.0,) * self.rating.phases
        return command(
            self.operation_at(state, at),
            self.rating,
            may_discharge=self.may_discharge(state),
            local=state.local_setpoint,
        )

    def offered_at(self, state: EvseState, at: datetime) -> float:
        """Current.Offered: the charge cap now, A per phase (DC: A DC)."""
        op = self.operation_at(state, at)
        cap = min(op.charge_cap) if op.mode != CHARGING_ONLY else self._charging_cap(op)
        return cap / self.voltage

    def draw_at(self, state: EvseState, at: datetime) -> float:
        """A per phase on average the car draws now (negative: discharging)."""
        del at  # only now is known: the car's state moves with the meter
        return sum(self.actual(state)) / self.voltage / self.phases

    def actual(self, state: EvseState) -> Phases:
        """W per phase the car transfers now (after metering up to now)."""
        self.integrate(state)
        return self._actual(state)

    def integrate(self, state: EvseState) -> None:
        """Meter from the last call to now, piece by piece where something changes."""
        if not isinstance(state, BidiEvse):
            return
        now = self.clock.now()
        moment = state.metered_at
        while moment < now:
            self._follow(state, moment)
            end = min(self._changes(state, moment), now)
            self._transfer(state, (end - moment).total_seconds())
            moment = end
        state.metered_at = max(now, state.metered_at)
        self._follow(state, state.metered_at)

    def reading(self, state: EvseState) -> Reading:
        """Meter up to now and return the values (with the car's SoC during a transaction)."""
        self.integrate(state)
        now = self.clock.now()
        actual = self._actual(state)
        car = state.car if state.transaction_id is not None else None
        asked = sum(self.command_at(state, now))
        # The car refuses what it is asked for (full, at its minimum, or no discharge).
        refused = isinstance(car, V2XCar) and asked != 0 and car.accepted(asked, self._volts()) == 0
        return BidiReading(
            state.register_wh,
            sum(actual) / self.voltage / self.phases,
            self.offered_at(state, now),
            self.voltage,
            self.phases,
            dc=self.dc,
            soc=None if car is None else car.soc,
            suspended_ev=refused,
            export_wh=state.export_wh if isinstance(state, BidiEvse) else 0.0,
            phase_w=actual,
            setpoint=asked,
            signed_power=self.signed_power,
        )

    # -- internals -------------------------------------------------------------------------

    def _charging_cap(self, op: Operation) -> float:
        caps = [cap if cap >= self.rating.min_charge else 0.0 for cap in op.charge_cap]
        return min(caps)

    def _volts(self) -> float:
        """The car's current maximum times this is its power maximum (AC: V x phases)."""
        return self.voltage * self.phases

    def _follow(self, state: BidiEvse, at: datetime) -> None:
        """Take up the command at `at`: at once without a transaction, else after the delay."""
        wanted = self.command_at(state, at)
        car = state.v2x_car()
        if state.transaction_id is None or car is None:
            state.following, state.pending, state.pending_at = wanted, None, None
            return
        if wanted != (state.pending if state.pending is not None else state.following):
            state.pending, state.pending_at = wanted, at + timedelta(seconds=car.response_delay)
        if state.pending is not None and state.pending_at is not None and state.pending_at <= at:
            state.following, state.pending, state.pending_at = state.pending, None, None

    def _changes(self, state: BidiEvse, after: datetime) -> datetime:
        """The next instant after `after` where the command or the car may change."""
        points = [after + timedelta(days=1)]
        change = self.profiles.store.next_change(
            state.evse_id, after, transaction_start=state.started_at
        )
        if change is not None:
            points.append(change)
        if state.pending_at is not None and state.pending_at > after:
            points.append(state.pending_at)
        return min(points)

    def _actual(self, state: EvseState) -> Phases:
        """The command being executed, as far as the car follows it now."""
        following = state.following if isinstance(state, BidiEvse) else ()
        car = state.car if isinstance(state.car, V2XCar) else None
        total = sum(following)
        if car is None or state.transaction_id is None or total == 0:
            return (0.0,) * self.phases
        share = car.accepted(total, self._volts()) / total
        return tuple(watts * share for watts in following)

    def _transfer(self, state: BidiEvse, seconds: float) -> None:
        car = state.v2x_car()
        if car is None or state.transaction_id is None or seconds <= 0:
            return
        imported, exported = car.transfer(sum(state.following), self._volts(), seconds)
        state.register_wh += imported
        state.export_wh += exported
