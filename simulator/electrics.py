"""The electrical side: what a connector offers and the car draws, and the energy metered."""

from __future__ import annotations

from datetime import datetime, timedelta
import math
from typing import Any

from .ev import EV, EVSpec
from .meter import (
    CHARGING,
    MIN_CHARGING_CURRENT,
    SUSPENDED_EV,
    SUSPENDED_EVSE,
    ConnectorState,
    Reading,
    energy_wh,
)
from .profiles import ProfileStore
from .spec import IGNORE_LIMITS, ChargerSpec
from .timeutil import SimClock, to_iso

_WAKE_SLACK = 0.01  # s past a schedule change, so the new period is in force


class Electrics:
    """Applies the charging profiles to the connectors of one charger.

    A connector without an attached EV has a stand-in car that draws exactly
    what is offered; an attached `EV` follows the offer with its own delay,
    ramp and taper, on the clock's monotonic time.
    """

    def __init__(self, spec: ChargerSpec, profiles: ProfileStore, clock: SimClock) -> None:
        """Model `spec` under `profiles`, on `clock`."""
        self._spec = spec
        self._profiles = profiles
        self._clock = clock

    def limit(self, state: ConnectorState, at: datetime | None = None) -> float | None:
        """The profiles' limit, A per phase (None: unlimited)."""
        limit = self._profiles.effective_limit(
            state.connector_id,
            at or self._clock.now(),
            state.transaction_id,
            transaction_start=state.session_start,
        )
        return None if limit is None else limit.value

    def offered(self, state: ConnectorState, at: datetime | None = None) -> float:
        """Current.Offered: the limit capped by the hardware; 0 below 6 A."""
        offered = self._spec.max_current
        limit = None if self._spec.has(IGNORE_LIMITS) else self.limit(state, at)
        if limit is not None:
            offered = min(offered, limit)
        return offered if offered >= MIN_CHARGING_CURRENT else 0.0

    def attach(self, state: ConnectorState, spec: EVSpec) -> EV:
        """Plug a car of `spec` into `state` (metering the stand-in up to now first)."""
        self.integrate(state)
        ev = EV(
            spec,
            voltage=self._spec.voltage,
            charger_phases=self._spec.phases,
            start=state.integrated_until,
        )
        state.ev, state.soc = ev, ev.soc
        return ev

    def detach(self, state: ConnectorState) -> EV | None:
        """Unplug the attached car (metered up to now) and return it."""
        self.integrate(state)
        ev, state.ev = state.ev, None
        return ev

    def draw(self, state: ConnectorState, at: datetime | None = None) -> float:
        """A per phase the car draws while a transaction runs.

        The stand-in draws the offer at `at`; an EV what it drew when last integrated.
        """
        if not _supplied(state):
            return 0.0
        if state.ev is not None:
            return state.ev.draw
        return self.offered(state, at)

    def charging_status(self, state: ConnectorState) -> str:
        """Charging while the car draws; SuspendedEVSE below 6 A; SuspendedEV if it declines."""
        ev = state.ev
        if ev is None:
            return CHARGING if self.draw(state) > 0 else SUSPENDED_EVSE
        self.integrate(state)
        offered = self.offered(state) if _supplied(state) else 0.0
        if offered <= 0:
            return SUSPENDED_EVSE
        return CHARGING if ev.accepts(offered) else SUSPENDED_EV

    def integrate(self, state: ConnectorState) -> None:
        """Meter the energy since the last call, period by period of the schedule."""
        now_monotonic = self._clock.monotonic()
        elapsed = now_monotonic - state.integrated_until
        state.integrated_until = now_monotonic
        if state.ev is not None:
            self._integrate_ev(state, state.ev, now_monotonic)
            return
        if elapsed <= 0 or state.transaction_id is None:
            return
        end = self._clock.now()
        moment = end - timedelta(seconds=elapsed)
        while moment < end:
            until = self._period_end(state, moment, end)
            seconds = (until - moment).total_seconds()
            draw = self.draw(state, moment)
            state.add_energy(energy_wh(draw, self._spec.voltage, self._spec.phases, seconds))
            moment = until

    def _integrate_ev(self, state: ConnectorState, ev: EV, now_monotonic: float) -> None:
        """Let the car follow the offers up to now, period by period; meter what it drew."""
        elapsed = now_monotonic - ev.time
        if not _supplied(state):
            ev.supply_off()
            ev.advance(max(elapsed, 0.0))
            return
        if elapsed <= 0:
            return
        end = self._clock.now()
        start = end - timedelta(seconds=elapsed)
        moment, start_monotonic = start, ev.time
        while moment < end:
            until = self._period_end(state, moment, end)
            ev.set_offer(ev.time, self.offered(state, moment))
            # The last period ends exactly on the monotonic clock: no drift between the two.
            if until >= end:
                until_monotonic = now_monotonic
            else:
                until_monotonic = start_monotonic + (until - start).total_seconds()
            state.register_wh += ev.advance(max(until_monotonic - ev.time, 0.0))
            moment = until
        state.soc = ev.soc

    def _period_end(self, state: ConnectorState, moment: datetime, end: datetime) -> datetime:
        """When the schedule's period in force at `moment` ends (at most `end`)."""
        change = self._profiles.next_change(
            state.connector_id,
            moment,
            transaction_start=state.session_start,
            horizon=end - moment,
        )
        return end if change is None else min(change, end)

    def reading(self, state: ConnectorState) -> Reading:
        """Meter up to now and return the connector's values."""
        self.integrate(state)
        at = self._clock.now()
        return Reading(
            register_wh=state.register_wh,
            draw_a=self.draw(state, at),
            offered_a=self.offered(state, at),
            phases=self._spec.phases,
            voltage=self._spec.voltage,
            soc=state.soc,
            used_phases=None if state.ev is None else state.ev.phases,
        )

    def seconds_to_next_change(self, states: list[ConnectorState]) -> float | None:
        """Seconds until a limit of a running transaction may change (None: never)."""
        now = self._clock.now()
        changes = [
            self._profiles.next_change(
                state.connector_id, now, transaction_start=state.session_start
            )
            for state in states
            if state.transaction_id is not None
        ]
        upcoming = [change for change in changes if change is not None]
        if not upcoming:
            return None
        return (min(upcoming) - now).total_seconds() + _WAKE_SLACK

    def composite_schedule(
        self, connector_id: int, state: ConnectorState | None, duration: int, unit: str
    ) -> dict[str, Any]:
        """Return GetCompositeSchedule's chargingSchedule from now, capped by the hardware."""
        start = self._clock.now()
        periods = self._profiles.composite_schedule(
            connector_id,
            start,
            duration,
            transaction_id=None if state is None else state.transaction_id,
            transaction_start=None if state is None else state.session_start,
            unit=unit,
            ceiling=self._spec.max_current,
        )
        return {
            "duration": duration,
            "startSchedule": to_iso(start),
            "chargingRateUnit": unit,
            "chargingSchedulePeriod": [
                {
                    "startPeriod": period.start_period,
                    "limit": _tenths_down(period.limit.value),
                    "numberPhases": period.limit.number_phases,
                }
                for period in periods
                if period.limit is not None
            ],
        }


def _supplied(state: ConnectorState) -> bool:
    """Whether the contactor is closed: a transaction runs on an operative connector."""
    return state.transaction_id is not None and state.operative


def _tenths_down(value: float) -> float:
    """Round down to a multiple of 0.1, as 1.6 schedules require."""
    return math.floor(value * 10 + 1e-6) / 10
