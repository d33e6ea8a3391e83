"""A car behind a connector: battery, onboard charger, taper and response delay (pure)."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

_FULL = 100.0  # %
_MAX_STEP = 1.0  # s: longest sub-step while the current ramps or tapers
_EPSILON = 1e-9  # s: instants closer than this are the same
_MIN_STEADY = 1e-6  # s: shorter steady stretches are stepped like a taper


@dataclass(frozen=True, slots=True, kw_only=True)
class EVSpec:
    """What a car is: its battery, its onboard charger and how fast it follows a limit."""

    name: str = "EV"
    capacity_wh: float = 60_000.0  # usable battery
    initial_soc: float = 20.0  # % when it plugs in
    target_soc: float = 100.0  # % at which it stops drawing (SuspendedEV)
    max_current: float = 16.0  # A per phase the onboard charger (or DC battery) takes
    phases: int = 3  # 1 or 3: phases the onboard charger uses (DC: 3, on the grid side)
    min_current: float = 6.0  # A per phase below which it cannot charge
    taper_soc: float = 80.0  # % above which the accepted current falls linearly ...
    taper_floor: float = 0.1  # ... to this share of max_current at 100 %
    response_delay: float = 3.0  # s before it follows a new offered current (IEC 61851: <= 5 s)
    ramp_rate: float = 5.0  # A/s at which it rises to a higher offer, once it follows
    efficiency: float = 0.9  # share of grid energy that ends up in the battery

    def __post_init__(self) -> None:
        """Reject impossible cars early."""
        checks = {
            "capacity_wh must be positive": self.capacity_wh > 0,
            "initial_soc must be within 0..100": 0 <= self.initial_soc <= _FULL,
            "target_soc must be within 0..100": 0 <= self.target_soc <= _FULL,
            "phases must be 1 or 3": self.phases in (1, 3),
            "max_current must be positive": self.max_current > 0,
            "min_current must not be negative": self.min_current >= 0,
            "taper_soc must be within 0..100": 0 <= self.taper_soc <= _FULL,
            "taper_floor must be within 0..1": 0 <= self.taper_floor <= 1,
            "response_delay must not be negative": self.response_delay >= 0,
            "ramp_rate must be positive": self.ramp_rate > 0,
            "efficiency must be within (0, 1]": 0 < self.efficiency <= 1,
        }
        for message, ok in checks.items():
            if not ok:
                raise ValueError(message)

    def accepted_current(self, soc: float) -> float:
        """A per phase the car takes at `soc`: full up to the taper, then less; 0 when done."""
        if soc >= self.target_soc:
            return 0.0
        if soc <= self.taper_soc:
            return self.max_current
        share = (soc - self.taper_soc) / (_FULL - self.taper_soc)
        return self.max_current * (1 - (1 - self.taper_floor) * share)

    def soc_where_accepted_falls_below(self, amps: float) -> float:
        """The state of charge from which the car takes less than `amps` (capped at the target)."""
        if amps >= self.max_current:
            soc = self.taper_soc
        elif amps <= self.max_current * self.taper_floor:
            soc = _FULL
        else:
            share = (1 - amps / self.max_current) / (1 - self.taper_floor)
            soc = self.taper_soc + share * (_FULL - self.taper_soc)
        return min(soc, self.target_soc)


@dataclass(frozen=True, slots=True)
class _Change:
    """An offer the car follows from `at` on."""

    at: float
    amps: float


class EV:
    """One car plugged into a connector, on a time axis of seconds that `advance` moves.

    The car follows the offered current (the pilot signal) with a dead time of
    `response_delay`; then it drops to a lower offer at once and rises to a
    higher one at `ramp_rate`. It never takes more than `accepted_current(soc)`.
    """

    def __init__(
        self,
        spec: EVSpec,
        *,
        voltage: float = 230.0,
        charger_phases: int = 3,
        start: float = 0.0,
    ) -> None:
        """Plug `spec` into a charger of `charger_phases` at `voltage`, at time `start` (s)."""
        self.spec = spec
        self.voltage = voltage
        self.phases = min(spec.phases, charger_phases)  # phases it draws on: L1 first
        self.time = start
        self.battery_wh = 0.0  # charged into the battery since it plugged in
        self.grid_wh = 0.0  # drawn from the grid since it plugged in
        self.current = 0.0  # A per phase drawn now
        self.offer = 0.0  # A per phase offered that it follows now (0: below min_current)
        self._pending: deque[_Change] = deque()
        self._room_wh = max(0.0, (spec.target_soc - spec.initial_soc) / _FULL * spec.capacity_wh)

    def __repr__(self) -> str:
        """Name the car and its state in logs."""
        return f"<EV {self.spec.name} {self.soc:.1f} % {self.current:.1f} A>"

    @property
    def soc(self) -> float:
        """State of charge, %."""
        return self.spec.initial_soc + self.battery_wh / self.spec.capacity_wh * _FULL

    @property
    def draw(self) -> float:
        """A per phase the car draws now."""
        return self.current

    @property
    def full(self) -> bool:
        """Whether it reached its target state of charge (then it draws nothing)."""
        return self.battery_wh >= self._room_wh or self.soc >= self.spec.target_soc

    @property
    def pending(self) -> list[tuple[float, float]]:
        """Offer changes it has yet to follow: (from when, A)."""
        return [(change.at, change.amps) for change in self._pending]

    def accepts(self, offered: float) -> bool:
        """Whether it would charge at `offered` A (else the charger reports SuspendedEV)."""
        return not self.full and offered >= self.spec.min_current

    def set_offer(self, now: float, amps: float) -> None:
        """The charger offers `amps` per phase from `now` on; it follows after its delay.

        A change that takes effect no later than a pending one supersedes it.
        """
        amps = amps if amps >= self.spec.min_current else 0.0
        at = now + self.spec.response_delay
        while self._pending and self._pending[-1].at >= at - _EPSILON:
            self._pending.pop()
        last = self._pending[-1].amps if self._pending else self.offer
        if amps != last:
            self._pending.append(_Change(at, amps))
        self._follow_due()
        self.current = min(self.current, self._target())

    def supply_off(self) -> None:
        """The contactor opens (the transaction ended): no current, no offer, at once."""
        self.current = self.offer = 0.0
        self._pending.clear()

    def advance(self, seconds: float) -> float:
        """Charge for `seconds`; return the grid energy drawn meanwhile, Wh."""
        if seconds < 0:
            raise ValueError("an EV does not run backwards")
        end = self.time + seconds
        drawn = 0.0
        while True:
            self._follow_due()
            remaining = end - self.time
            if remaining <= _EPSILON:
                break
            target = self._target()
            self.current = min(self.current, target)
            step = self._step(remaining, target)
            drawn += self._run(step, target)
            self.time += step
        self.time = end
        self.current = min(self.current, self._target())  # a decrease due right now
        return drawn

    def _follow_due(self) -> None:
        while self._pending and self._pending[0].at <= self.time + _EPSILON:
            self.offer = self._pending.popleft().amps

    def _target(self) -> float:
        """The current it heads for now: the offer, capped by what the battery takes."""
        if self.full:
            return 0.0
        return min(self.offer, self.spec.accepted_current(self.soc))

    def _step(self, remaining: float, target: float) -> float:
        """How long the current may be integrated in one piece from now."""
        step = remaining
        if self._pending:
            step = min(step, self._pending[0].at - self.time)
        if target <= 0:
            return step
        if self.current < target:
            return min(step, _MAX_STEP)
        # Steady: the target holds until the taper or the target soc cuts below it.
        until_soc = self.spec.soc_where_accepted_falls_below(target)
        battery_wh = (until_soc - self.soc) / _FULL * self.spec.capacity_wh
        steady = battery_wh / self.spec.efficiency / self._watts(target) * 3600
        return min(step, steady if steady > _MIN_STEADY else _MAX_STEP)

    def _run(self, seconds: float, target: float) -> float:
        """Integrate `seconds` heading for `target`; return the grid energy, Wh."""
        start = self.current
        if start < target:
            ramp = (target - start) / self.spec.ramp_rate
            if ramp >= seconds:
                self.current = start + self.spec.ramp_rate * seconds
                amp_seconds = (start + self.current) / 2 * seconds
            else:
                self.current = target
                amp_seconds = (start + target) / 2 * ramp + target * (seconds - ramp)
        else:
            amp_seconds = start * seconds
        grid_wh = self._watts(amp_seconds) / 3600
        room = self._room_wh - self.battery_wh
        if grid_wh * self.spec.efficiency >= room:
            # It fills up within this step and stops there.
            grid_wh = room / self.spec.efficiency
            self.battery_wh, self.current = self._room_wh, 0.0
        else:
            self.battery_wh += grid_wh * self.spec.efficiency
        self.grid_wh += grid_wh
        return grid_wh

    def _watts(self, amps: float) -> float:
        """Total power (or, given A*s, energy in W*s) at `amps` per phase."""
        return amps * self.voltage * self.phases
