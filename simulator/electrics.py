"""The electrical side: what a connector offers and the car draws, and the energy metered."""

from __future__ import annotations

from datetime import datetime, timedelta
import math
from typing import Any

from .meter import (
    CHARGING,
    MIN_CHARGING_CURRENT,
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
    """Applies the charging profiles to the connectors of one charger."""

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

    def draw(self, state: ConnectorState, at: datetime | None = None) -> float:
        """A per phase the car draws: the offer while a transaction runs."""
        if state.transaction_id is None or not state.operative:
            return 0.0
        return self.offered(state, at)

    def charging_status(self, state: ConnectorState) -> str:
        """Charging while the car draws, else SuspendedEVSE."""
        return CHARGING if self.draw(state) > 0 else SUSPENDED_EVSE

    def integrate(self, state: ConnectorState) -> None:
        """Meter the energy since the last call, period by period of the schedule."""
        now_monotonic = self._clock.monotonic()
        elapsed = now_monotonic - state.integrated_until
        state.integrated_until = now_monotonic
        if elapsed <= 0 or state.transaction_id is None:
            return
        end = self._clock.now()
        moment = end - timedelta(seconds=elapsed)
        while moment < end:
            change = self._profiles.next_change(
                state.connector_id,
                moment,
                transaction_start=state.session_start,
                horizon=end - moment,
            )
            until = end if change is None else min(change, end)
            seconds = (until - moment).total_seconds()
            draw = self.draw(state, moment)
            state.add_energy(energy_wh(draw, self._spec.voltage, self._spec.phases, seconds))
            moment = until

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


def _tenths_down(value: float) -> float:
    """Round down to a multiple of 0.1, as 1.6 schedules require."""
    return math.floor(value * 10 + 1e-6) / 10
