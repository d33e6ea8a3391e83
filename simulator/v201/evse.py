"""One EVSE's state, its electrics under the installed profiles, and its meter values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..meter import CURRENT, ENERGY, OFFERED, POWER, SOC, VOLTAGE
from ..timeutil import SimClock, to_iso
from .car import Car
from .profiles import ProfileBook

MIN_CURRENT = 6.0  # A: below this an IEC 61851 car cannot charge
_RUNNING = 1  # any transaction number: the store only asks whether one runs
_UNITS = {
    ENERGY: "Wh",
    POWER: "W",
    CURRENT: "A",
    OFFERED: "A",
    VOLTAGE: "V",
    SOC: "Percent",
}


@dataclass
class EvseState:
    """An EVSE with connector 1: status, energy register and its transaction."""

    evse_id: int
    metered_at: datetime
    status: str = "Available"
    operative: bool = True
    register_wh: float = 0.0
    transaction_id: str | None = None
    started_at: datetime | None = None
    seq_no: int = 0
    starting: bool = False  # a RequestStartTransaction was accepted, the start is on its way
    car: Car | None = None  # a DC station's car (it charges during a transaction)

    def next_seq_no(self) -> int:
        """The seqNo of the transaction's next TransactionEvent."""
        seq_no = self.seq_no
        self.seq_no += 1
        return seq_no


@dataclass(frozen=True)
class Reading:
    """What the meter shows now; DC: `draw_a`/`offered_a` in A DC, `phases` 1, `soc` the car's."""

    register_wh: float
    draw_a: float
    offered_a: float
    voltage: float
    phases: int
    dc: bool = False
    soc: float | None = None  # % (DC, during a transaction)
    suspended_ev: bool = False  # the car refuses what the EVSE offers (besides being full)

    @property
    def power_w(self) -> float:
        """Active power, W."""
        return self.draw_a * self.voltage * self.phases

    def samples(self, measurand: str, context: str) -> list[dict[str, Any]]:
        """The sampledValues of one measurand (none when it has no value now)."""
        if measurand == SOC:
            return [] if self.soc is None else [_sample(SOC, self.soc, context, location="EV")]
        if measurand == CURRENT and not self.dc:
            return [
                _sample(measurand, self.draw_a, context, f"L{phase}")
                for phase in range(1, self.phases + 1)
            ]
        number = {
            CURRENT: self.draw_a,
            ENERGY: self.register_wh,
            POWER: self.power_w,
            OFFERED: self.offered_a,
            VOLTAGE: self.voltage,
        }[measurand]
        return [_sample(measurand, number, context)]


class Electrics:
    """Limits, draw and metering of every EVSE on the station's clock."""

    def __init__(
        self,
        profiles: ProfileBook,
        clock: SimClock,
        *,
        max_current: float,
        voltage: float,
        phases: int,
    ) -> None:
        """Evaluate `profiles` against `clock` for a station of these ratings."""
        self.profiles = profiles
        self.clock = clock
        self.max_current = max_current
        self.voltage = voltage
        self.phases = phases

    def limit_at(self, state: EvseState, at: datetime) -> float | None:
        """The profiles' limit at `at`, A per phase (None: unlimited)."""
        limit = self.profiles.store.effective_limit(
            state.evse_id,
            at,
            None if state.transaction_id is None else _RUNNING,
            transaction_start=state.started_at,
        )
        return None if limit is None else limit.value

    def limit_w_at(self, state: EvseState, at: datetime) -> float | None:
        """The profiles' limit at `at`, W (None: unlimited)."""
        limit = self.profiles.store.effective_limit(
            state.evse_id,
            at,
            None if state.transaction_id is None else _RUNNING,
            transaction_start=state.started_at,
            unit="W",
        )
        return None if limit is None else limit.value

    def offered_at(self, state: EvseState, at: datetime) -> float:
        """Current.Offered: min(max_current, limit), 0 below 6 A."""
        limit = self.limit_at(state, at)
        amps = self.max_current if limit is None else min(self.max_current, limit)
        return amps if amps >= MIN_CURRENT else 0.0

    def draw_at(self, state: EvseState, at: datetime) -> float:
        """A per phase the car draws at `at` (0 without a transaction)."""
        return 0.0 if state.transaction_id is None else self.offered_at(state, at)

    def integrate(self, state: EvseState) -> None:
        """Add the energy drawn since the last call, period by period of the profiles."""
        now = self.clock.now()
        moment = state.metered_at
        while moment < now:
            change = self.profiles.store.next_change(
                state.evse_id, moment, transaction_start=state.started_at
            )
            end = now if change is None else min(change, now)
            state.register_wh += self._energy_wh(state, moment, (end - moment).total_seconds())
            moment = end
        state.metered_at = max(now, state.metered_at)

    def _energy_wh(self, state: EvseState, start: datetime, seconds: float) -> float:
        """Wh drawn over `seconds` from `start`, within one period of the profiles."""
        return self.draw_at(state, start) * self.voltage * self.phases * seconds / 3600

    def reading(self, state: EvseState) -> Reading:
        """Meter up to now and return the values."""
        self.integrate(state)
        now = self.clock.now()
        return Reading(
            state.register_wh,
            self.draw_at(state, now),
            self.offered_at(state, now),
            self.voltage,
            self.phases,
        )


class DcElectrics(Electrics):
    """A DC station's EVSEs: limits in W, each car's draw follows its SoC and taper.

    The profiles' limits are read in W; an A limit means A DC at the station's voltage
    (its ProfileBook counts one "phase").
    """

    def __init__(
        self, profiles: ProfileBook, clock: SimClock, *, max_power: float, voltage: float
    ) -> None:
        """Evaluate `profiles` against `clock` for EVSEs of `max_power` W at `voltage` V DC."""
        super().__init__(
            profiles, clock, max_current=max_power / voltage, voltage=voltage, phases=1
        )
        self.max_power = max_power

    def limit_at(self, state: EvseState, at: datetime) -> float | None:
        """The profiles' limit at `at`, A DC (None: unlimited)."""
        limit = self.limit_w_at(state, at)
        return None if limit is None else limit / self.voltage

    def offered_power_at(self, state: EvseState, at: datetime) -> float:
        """W the EVSE offers: min(max_power, limit)."""
        limit = self.limit_w_at(state, at)
        return self.max_power if limit is None else max(0.0, min(self.max_power, limit))

    def offered_at(self, state: EvseState, at: datetime) -> float:
        """Current.Offered, A DC."""
        return self.offered_power_at(state, at) / self.voltage

    def power_at(self, state: EvseState, at: datetime) -> float:
        """W the car draws: min(offer, the car's maximum, its taper); 0 without a transaction."""
        if state.transaction_id is None or state.car is None:
            return 0.0
        return state.car.power(self.offered_power_at(state, at), self.voltage)

    def draw_at(self, state: EvseState, at: datetime) -> float:
        """A DC the car draws at `at`."""
        return self.power_at(state, at) / self.voltage

    def _energy_wh(self, state: EvseState, start: datetime, seconds: float) -> float:
        """Charge the car over `seconds` from `start`; the Wh it took."""
        if state.transaction_id is None or state.car is None:
            return 0.0
        return state.car.charge(self.offered_power_at(state, start), self.voltage, seconds)

    def reading(self, state: EvseState) -> Reading:
        """Meter up to now and return the values (with the car's SoC during a transaction)."""
        self.integrate(state)
        now = self.clock.now()
        car = state.car if state.transaction_id is not None else None
        return Reading(
            state.register_wh,
            self.draw_at(state, now),
            self.offered_at(state, now),
            self.voltage,
            1,
            dc=True,
            soc=None if car is None else car.soc,
        )


def meter_value(
    reading: Reading, measurands: list[str], context: str, at: datetime
) -> dict[str, Any]:
    """One snake_case MeterValue with the `measurands`, numbers rounded sensibly."""
    values = [sample for measurand in measurands for sample in reading.samples(measurand, context)]
    return {"timestamp": to_iso(at), "sampled_value": values}


def _sample(
    measurand: str,
    value: float,
    context: str,
    phase: str | None = None,
    location: str | None = None,
) -> dict[str, Any]:
    sample: dict[str, Any] = {
        "value": round(value, 3),
        "context": context,
        "measurand": measurand,
        "unit_of_measure": {"unit": _UNITS[measurand]},
    }
    if phase is not None:
        sample["phase"] = phase
    if location is not None:
        sample["location"] = location
    return sample
