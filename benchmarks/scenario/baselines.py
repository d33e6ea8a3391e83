"""Baseline controllers the balancer is compared with (deterministic, pure Python).

Uncontrolled and static ignore the mode: every mode, "price" too, charges as fast.
"""

from __future__ import annotations

from dataclasses import dataclass
import math

from .interface import ConnectorView, Observation

STEPS_PER_A = 10  # limits are floored to 0.1 A
_EPSILON = 1e-9  # A: a limit this close to the last one is not a change

# evcc defaults (core/site.go interval, core/loadpoint.go enable/disable, effectiveCurrent).
EVCC_INTERVAL = 30.0  # s between control loop ticks
EVCC_ENABLE_DELAY = 60.0  # s of surplus >= min power before PV charging starts
EVCC_DISABLE_DELAY = 180.0  # s of surplus < min power before PV charging stops
EVCC_EFFECTIVE_MARGIN = 2.0  # A over the measured current evcc assumes the car could take
_PV_MODES = ("solar", "min_solar")  # evcc "pv" and "minpv"; every other mode but "off" is "now"


def floor_to_resolution(current: float) -> float:
    """Floor a current to the 0.1 A step (never below 0)."""
    return max(0.0, math.floor(current * STEPS_PER_A + _EPSILON) / STEPS_PER_A)


def _changed(view: ConnectorView, limit: float) -> bool:
    """Whether `limit` differs from what the controller set last."""
    return view.limit is None or abs(view.limit - limit) > _EPSILON


def _usable(view: ConnectorView, current: float) -> float:
    """Cap at the connector maximum; pause (0) below its minimum."""
    current = floor_to_resolution(min(current, view.max_current))
    return current if current >= view.min_current - _EPSILON else 0.0


class Uncontrolled:
    """Every active connector at its maximum, set once per session."""

    name = "uncontrolled"

    def __init__(self) -> None:
        """Start with no session seen."""
        self._sessions: dict[str, float | None] = {}

    def step(self, observation: Observation) -> dict[str, float]:
        """Set the maximum on each connector whose session is new."""
        changes: dict[str, float] = {}
        for view in observation.connectors:
            if not view.active or self._sessions.get(view.key, -1.0) == view.arrived_at:
                continue
            self._sessions[view.key] = view.arrived_at
            changes[view.key] = view.max_current
        return changes


class StaticSplit:
    """A static cluster: (fuse - reserved house load) split equally over all installed connectors.

    No meter: the share is fixed by the installation, whatever the house or the cars do.
    """

    name = "static"

    def __init__(self, static_base_load: float) -> None:
        """`static_base_load`: A per phase the installer reserved for the house."""
        self.static_base_load = static_base_load

    def step(self, observation: Observation) -> dict[str, float]:
        """Answer the static share of every connector whose limit is not set to it yet."""
        installed = len(observation.connectors)
        if not installed:
            return {}
        share = (min(observation.grid_limit) - self.static_base_load) / installed
        per_station: dict[str, int] = {}
        for view in observation.connectors:
            per_station[view.station_id] = per_station.get(view.station_id, 0) + 1
        changes: dict[str, float] = {}
        for view in observation.connectors:
            current = share
            station_max = observation.station_max.get(view.station_id)
            if station_max is not None:
                current = min(current, station_max / per_station[view.station_id])
            limit = _usable(view, current)
            if _changed(view, limit):
                changes[view.key] = limit
        return changes


@dataclass(slots=True)
class _PvTimer:
    """When the surplus last crossed the min power threshold (evcc's enable/disable timers)."""

    enable_since: float | None = None
    disable_since: float | None = None


class EvccStyle:
    """Imitates evcc: one loadpoint per 30 s tick in round robin, headroom on the worst phase.

    First come first served falls out of the headroom rule: a new session only gets what the
    grid meter shows is left. Modes: "fast" (evcc "now"), "solar" (evcc "pv"), "min_solar"
    (evcc "minpv"), "off". evcc also plans charging in the cheapest slots of a dynamic tariff
    (its "plan" with a target time and energy), but this baseline models its PV modes only:
    "price" charges as "fast" (evcc "now").
    """

    name = "evcc"

    def __init__(self) -> None:
        """Start before the first tick."""
        self._next_tick: float | None = None
        self._last_key: str | None = None
        self._timers: dict[str, _PvTimer] = {}

    def step(self, observation: Observation) -> dict[str, float]:
        """On a tick, adjust the next active connector in round robin."""
        if not self._tick_due(observation.now):
            return {}
        view = self._next_connector(observation)
        if view is None:
            return {}
        limit = self._limit(observation, view)
        return {view.key: limit} if _changed(view, limit) else {}

    def _tick_due(self, now: float) -> bool:
        """Whether the control loop runs at `now` (every EVCC_INTERVAL s from the first step)."""
        if self._next_tick is None:
            self._next_tick = now
        if now < self._next_tick:
            return False
        while self._next_tick <= now:
            self._next_tick += EVCC_INTERVAL
        return True

    def _next_connector(self, observation: Observation) -> ConnectorView | None:
        """The active connector after the last adjusted one (by key, wrapping around)."""
        active = sorted((v for v in observation.connectors if v.active), key=lambda v: v.key)
        if not active:
            return None
        last = self._last_key
        view = next((v for v in active if last is None or v.key > last), active[0])
        self._last_key = view.key
        return view

    def _limit(self, observation: Observation, view: ConnectorView) -> float:
        """The limit evcc would set on `view` now."""
        if view.mode == "off":
            return 0.0
        cap = min(view.max_current, _headroom(observation, view), _station_room(observation, view))
        if view.mode in _PV_MODES:
            cap = min(self._pv_target(observation, view), cap)
        return _usable(view, cap)

    def _pv_target(self, observation: Observation, view: ConnectorView) -> float:
        """The surplus current (evcc's pvMaxCurrent), gated by the enable/disable timers."""
        phases = max(1, len(view.phases))
        site_power = observation.voltage * sum(observation.grid_current)
        offered = view.limit or 0.0
        drawing = max(view.draw) > 0.0
        effective = min(max(view.draw) + EVCC_EFFECTIVE_MARGIN, offered) if drawing else 0.0
        target = effective - site_power / (observation.voltage * phases)
        timer = self._timers.setdefault(view.key, _PvTimer())
        if view.mode == "min_solar":
            timer.enable_since = timer.disable_since = None
            return max(target, view.min_current)
        if offered <= 0.0:
            return self._enable(timer, observation.now, view, target)
        return self._disable(timer, observation.now, view, target)

    @staticmethod
    def _enable(timer: _PvTimer, now: float, view: ConnectorView, target: float) -> float:
        """Paused: start at the min current once the surplus held for EVCC_ENABLE_DELAY s."""
        timer.disable_since = None
        if target < view.min_current:
            timer.enable_since = None
            return 0.0
        if timer.enable_since is None:
            timer.enable_since = now
        return view.min_current if now - timer.enable_since >= EVCC_ENABLE_DELAY else 0.0

    @staticmethod
    def _disable(timer: _PvTimer, now: float, view: ConnectorView, target: float) -> float:
        """Enabled: follow the surplus; hold the min current for EVCC_DISABLE_DELAY s, then stop."""
        timer.enable_since = None
        if target >= view.min_current:
            timer.disable_since = None
            return target
        if timer.disable_since is None:
            timer.disable_since = now
        return 0.0 if now - timer.disable_since >= EVCC_DISABLE_DELAY else view.min_current


def _headroom(observation: Observation, view: ConnectorView) -> float:
    """Fuse minus the most loaded phase, plus this connector's own draw on its max phase."""
    spare = min(
        f - i for f, i in zip(observation.grid_limit, observation.grid_current, strict=True)
    )
    return spare + max(view.draw)


def _station_room(observation: Observation, view: ConnectorView) -> float:
    """What the station's shared maximum leaves once its other connectors' limits are counted."""
    station_max = observation.station_max.get(view.station_id)
    if station_max is None:
        return math.inf
    others = sum(
        v.limit or 0.0
        for v in observation.connectors
        if v.station_id == view.station_id and v.key != view.key and v.active
    )
    return station_max - others
