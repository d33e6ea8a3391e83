"""A car on a bidirectional connector: it follows a signed setpoint (pure).

The setpoint is A per phase on the grid side, charging positive, discharging negative. The
car follows a new setpoint after its `response_delay`; towards 0 (and through 0, when the
direction changes) it moves at once, away from 0 at its `ramp_rate`. Charging takes what the
battery accepts (the taper of its `EVSpec`, nothing at its target SoC, nothing below its
minimum current); discharging gives up to its `Bidirectional.max_discharge_current`, never
below its own `min_soc`. Energy: the battery gains `efficiency` of what the grid gives and
gives the grid `discharge_efficiency` of what it loses.
"""

from __future__ import annotations

from collections import deque

from simulator.ev import EVSpec

from .model import Bidirectional

_MAX_STEP = 1.0  # s: longest piece integrated at once
_EPSILON = 1e-9
_FULL = 100.0


class BidiCar:
    """One car behind a connector, on a time axis of seconds that `advance` moves."""

    def __init__(
        self,
        spec: EVSpec,
        v2x: Bidirectional | None,
        *,
        phases: int,
        voltage: float = 230.0,
        start: float = 0.0,
    ) -> None:
        """Plug `spec` in, drawing on `phases` grid phases (3 on a DC station), at `start` s."""
        self.spec = spec
        self.v2x = v2x
        self.phases = phases
        self.voltage = voltage
        self.time = start
        self.energy_wh = spec.capacity_wh * spec.initial_soc / _FULL  # in the battery
        self.current = 0.0  # A per phase now, signed
        self.offer = 0.0  # the setpoint it follows now
        self.charged_wh = 0.0  # from the grid (grid side)
        self.discharged_wh = 0.0  # to the grid (grid side)
        self._pending: deque[tuple[float, float]] = deque()

    @property
    def soc(self) -> float:
        """State of charge, %."""
        return _FULL * self.energy_wh / self.spec.capacity_wh

    @property
    def full(self) -> bool:
        """At its target SoC: it takes nothing more."""
        return self.soc >= self.spec.target_soc - _EPSILON

    def set_setpoint(self, now: float, amps: float) -> None:
        """Follow `amps` (signed) from `now` + its response delay; later changes supersede."""
        at = now + self.spec.response_delay
        while self._pending and self._pending[-1][0] >= at - _EPSILON:
            self._pending.pop()
        last = self._pending[-1][1] if self._pending else self.offer
        if amps != last:
            self._pending.append((at, amps))
        self._follow_due()

    def advance(self, seconds: float) -> float:
        """Run for `seconds`; return the grid energy meanwhile, Wh (negative: discharged)."""
        end = self.time + seconds
        total = 0.0
        while end - self.time > _EPSILON:
            self._follow_due()
            piece = min(end - self.time, _MAX_STEP)
            if self._pending:
                piece = min(piece, max(self._pending[0][0] - self.time, _EPSILON))
            total += self._run(piece)
            self.time += piece
        self.time = end
        self._follow_due()
        return total

    def _follow_due(self) -> None:
        while self._pending and self._pending[0][0] <= self.time + _EPSILON:
            self.offer = self._pending.popleft()[1]

    def _target(self) -> float:
        """The current it heads for now: the offer, within what the battery takes or gives."""
        offer = self.offer
        if offer > 0:
            if offer < self.spec.min_current or self.full:
                return 0.0
            return min(offer, self.spec.accepted_current(self.soc))
        if offer < 0 and self.v2x is not None and self.soc > self.v2x.min_soc + _EPSILON:
            return max(offer, -self.v2x.max_discharge_current)
        return 0.0

    def _run(self, seconds: float) -> float:
        """Integrate one piece; return its grid energy, Wh."""
        target = self._target()
        start = self.current
        if start * target < 0 or abs(target) <= abs(start):
            start = 0.0 if start * target < 0 else target  # through 0 / down: at once
        step = self.spec.ramp_rate * seconds
        end = start + max(-step, min(step, target - start))
        grid_wh = (start + end) / 2 * self.voltage * self.phases * seconds / 3600.0
        if grid_wh > 0:
            room = self.spec.capacity_wh * self.spec.target_soc / _FULL - self.energy_wh
            if grid_wh * self.spec.efficiency >= room:
                grid_wh, end = max(room, 0.0) / self.spec.efficiency, 0.0
            self.energy_wh += grid_wh * self.spec.efficiency
            self.charged_wh += grid_wh
        elif grid_wh < 0 and self.v2x is not None:
            eff = self.v2x.discharge_efficiency
            left = self.energy_wh - self.spec.capacity_wh * self.v2x.min_soc / _FULL
            if -grid_wh / eff >= left:
                grid_wh, end = -max(left, 0.0) * eff, 0.0
            self.energy_wh += grid_wh / eff
            self.discharged_wh -= grid_wh
        self.current = end
        return grid_wh
