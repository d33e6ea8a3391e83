"""One call's working state: each connector's status, phases and memberships.

Connectors are handled by index, sorted by station then id (so the input order never
matters, and ties are always broken the same way), in parallel lists: the engine's
inner loops run over plain lists of floats and ints.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from enum import IntEnum
import math
from operator import attrgetter

from .car_limit import had_time_to_follow, learn_car_limit
from .compliance import check_compliance
from .model import (
    Allocation,
    ConnectorInput,
    ConnectorMemory,
    EngineSettings,
    EngineState,
    LimitReason,
    Mode,
    PhaseCurrents,
    SiteInput,
)
from .network import GRID_PAIRS, NO_PHASE, Network, Pairs, build_network, finite

BLANK = ConnectorMemory()
ALL_PHASES = (0, 1, 2)
NONE = -1  # no constraint bound the connector
# Phase tuples already valid (sorted, unique, within 0..2): used as given.
_VALID_PHASES = {
    (0,),
    (1,),
    (2,),
    (0, 1),
    (0, 2),
    (1, 2),
    (0, 1, 2),
}


class Status(IntEnum):
    """What the engine can do with a connector."""

    CHARGE = 0  # takes part in the sharing
    OFFLINE = 1  # cannot be steered: its draw is fixed load
    NON_COMPLIANT = 2  # does not obey: its draw is fixed load
    INACTIVE = 3  # no car / no session
    OFF = 4  # mode off
    UNABLE = 5  # its maximum is below its minimum


STATUS_REASONS = {
    Status.OFFLINE: LimitReason.CHARGER_OFFLINE,
    Status.NON_COMPLIANT: LimitReason.NON_COMPLIANT,
    Status.INACTIVE: LimitReason.NOT_CHARGING,
    Status.OFF: LimitReason.MODE_OFF,
    Status.UNABLE: LimitReason.USER_MAXIMUM,
}


def _clean(values: PhaseCurrents) -> PhaseCurrents:
    """Measured currents: missing, NaN or negative readings are 0."""
    a, b, c = (max(0.0, finite(value)) for value in values)
    return (a, b, c)


def _phases(phases: tuple[int, ...]) -> tuple[int, ...]:
    """Valid grid phases, sorted; none valid: all three (the cautious guess)."""
    if phases in _VALID_PHASES:
        return phases
    valid = tuple(sorted({phase for phase in phases if phase in ALL_PHASES}))
    return valid or ALL_PHASES


@dataclass(slots=True)
class Context:
    """Per-call state shared by the stages of `allocate`."""

    site: SiteInput
    now: float
    dt: float | None  # seconds since the last call; None on the first
    voltage: float
    net: Network
    previous_allocations: dict[str, Allocation]
    connectors: list[ConnectorInput]
    memories: list[ConnectorMemory]
    measured: list[PhaseCurrents]
    min_current: list[float]
    max_current: list[float]
    priority: list[int]
    status: list[Status]
    over_since: list[float | None]
    switchable: list[bool]  # a 3-phase car on a charger that can switch it to 1 phase
    wired: list[tuple[int, ...]]  # the phases the input says it draws on
    # Solar and phase state, as decided this call (start from memory).
    phase_count: list[int]
    phase_since: list[float | None]
    solar_on: list[bool]
    solar_energy: list[float]
    # The answer being built.
    target: list[float]
    reason: list[LimitReason]
    bound_by: list[int]  # the constraint that bound it (NONE: none)
    ceiling: list[float]  # the most it may be held at by the dead band
    phases: list[tuple[int, ...]]  # the grid phases it draws on (set by `build_members`)
    members: list[Pairs]  # its constraints with weights (set by `build_members`)
    # Gathered while classifying: the measured draw per station (only those drawing),
    # what solar-mode cars draw (A, over all phases), who can charge in a solar mode,
    # who cannot be steered (offline, non-compliant), who does not take part.
    station_draw: dict[str, list[float]]
    # A per phase that recently raised connectors may still add to their readings: the
    # grid can already show it (see budget._settled).
    rising: list[float]
    # Of that, A summed over the phases, per connector that has some (see `_add_rise`).
    raised: dict[int, float]
    solar_drawn: float
    solar_rising: float  # what the connectors counted in solar_drawn may still add (A)
    solar: list[int]
    unsteerable: list[int]
    idle: list[int]
    leaves: list[tuple[int, ...]]  # its innermost constraint per phase (`build_members`)
    extras: list[Pairs]  # its power constraints with weights (`build_members`)
    by_station: dict[str, range]  # connectors per station id (see `_stations`)
    # Connectors a departure makes charge as FAST, first in their priority (see `_deadline`).
    deadline: set[int]
    # FAST connectors with a departure and an energy target still wanted: they may give
    # way to their class beyond what their departure needs (see `sharing.on_schedule`).
    patient: set[int]
    # Price mode (see `planner`): until when a connector charges in its planned slot,
    # when its planned charging starts, and who waits for cheaper slots.
    planned_until: list[float | None]
    planned_start: list[float | None]
    waiting_for_price: set[int]
    # The car's learned maximum and since when; who it holds below the input's maximum.
    car_limit: list[float | None]
    car_limit_since: list[float | None]
    car_limited: set[int]
    # The car had the time to follow an offer this session (`ConnectorMemory.car_checked`).
    car_checked: list[bool]
    # Connectors charging a moment until their car is checked (see `_deadline`).
    checking: set[int]

    def members_of(self, k: int, among: Sequence[int]) -> Iterable[int]:
        """The connectors of `among` that count against constraint k.

        For circuit and station constraints, found from the stations under them (so
        connectors not in `among` may be named too); grid phases hold every connector on
        that phase, power constraints (import, surplus) every connector filled with them.
        """
        phase = self.net.phase_of[k]
        phases = self.phases
        if phase == NO_PHASE:
            return among
        under = self.net.stations_under.get(k)
        if under is None:  # a grid phase
            return [i for i in among if phase in phases[i]]
        by_station = self._stations()
        return [i for sid in under for i in by_station.get(sid, ()) if phase in phases[i]]

    def effective_phases(self, i: int) -> tuple[int, ...]:
        """The grid phases it draws on with its current phase count."""
        if self.switchable[i]:
            if self.phase_count[i] == 1:
                return (self.connectors[i].single_phase % 3,)
            return ALL_PHASES
        return self.wired[i]

    def build_members(self) -> None:
        """Every connector's constraints on the phases it draws on, with weights.

        Also, for `sums`: its innermost constraint on each phase (the others are above
        it), and its power constraints with their weights.
        """
        net = self.net
        import_k = net.import_k
        voltage = self.voltage
        station_paths = net.station_paths
        phases = self.phases
        members = self.members
        leaves = self.leaves
        extras = self.extras
        phases.clear()
        members.clear()
        leaves.clear()
        extras.clear()
        self.by_station.clear()
        cache = net.member_cache.get(voltage)
        if cache is None:
            net.member_cache.clear()
            cache = net.member_cache[voltage] = {}
        switchable = self.switchable
        phase_count = self.phase_count
        wired = self.wired
        own: tuple[int, ...]
        for i, connector in enumerate(self.connectors):
            if switchable[i]:
                own = (connector.single_phase % 3,) if phase_count[i] == 1 else ALL_PHASES
            else:
                own = wired[i]
            phases.append(own)
            station: str | None = connector.station_id
            if station not in station_paths:
                station = None  # directly on the grid connection
            key = (station, own)
            known = cache.get(key)
            if known is None:
                # The widest limits first (import, grid, outer circuits): a check that
                # fails on a full one fails at once.
                paths = GRID_PAIRS if station is None else station_paths[station]
                pairs = tuple(pair for phase in own for pair in reversed(paths[phase]))
                power: Pairs = ()
                if import_k is not None:
                    power = ((import_k, len(own) * voltage),)
                    pairs = (*power, *pairs)
                known = cache[key] = (pairs, tuple(paths[phase][0][0] for phase in own), power)
            members.append(known[0])
            leaves.append(known[1])
            extras.append(known[2])

    def sums(
        self,
        items: Iterable[int],
        amounts: Sequence[float] | None = None,
        extras: Sequence[Pairs] | None = None,
    ) -> list[float]:
        """Per constraint: the weighted sum of `amounts[i]` (1 if None) over `items`.

        Adds at each connector's innermost constraint per phase, then upwards: cheaper
        than going through every membership when many connectors are concerned.
        `extras` replaces the connectors' power constraints (the solar stage adds one).
        """
        delta = [0.0] * len(self.net.capacity)
        leaves = self.leaves
        power = self.extras if extras is None else extras
        if amounts is None:
            for i in items:
                for k in leaves[i]:
                    delta[k] += 1.0
                for k, w in power[i]:
                    delta[k] += w
        else:
            for i in items:
                amount = amounts[i]
                for k in leaves[i]:
                    delta[k] += amount
                for k, w in power[i]:
                    delta[k] += w * amount
        up = self.net.up
        for k in self.net.upward:
            value = delta[k]
            if value:
                delta[up[k]] += value
        return delta

    def _stations(self) -> dict[str, range]:
        """Connectors per station id (built when first needed; they are contiguous)."""
        by_station = self.by_station
        if not by_station:
            start = 0
            connectors = self.connectors
            for i in range(1, len(connectors) + 1):
                if i == len(connectors) or connectors[i].station_id != connectors[start].station_id:
                    by_station[connectors[start].station_id] = range(start, i)
                    start = i
        return by_station


def _duplicate(connectors: Sequence[ConnectorInput]) -> None:
    seen: set[str] = set()
    for connector in connectors:
        if connector.connector_id in seen:
            raise ValueError(f"connector {connector.connector_id!r} appears twice")
        seen.add(connector.connector_id)


def make_context(site: SiteInput, previous: EngineState | None) -> Context:
    """Sort the connectors, recall their memory, classify them."""
    state = previous or EngineState()
    now = finite(site.now)
    dt = None if state.last_now is None else max(0.0, now - state.last_now)
    # By station, then id: the order never depends on the input's, and each station's
    # connectors are next to each other.
    connectors = sorted(site.connectors, key=attrgetter("station_id", "connector_id"))
    if len({c.connector_id for c in connectors}) != len(connectors):
        _duplicate(connectors)
    settings = site.settings
    remembered = state.connectors
    n = len(connectors)
    inf = math.inf
    get_memory = remembered.get
    memories = [get_memory(c.connector_id, BLANK) for c in connectors]
    measured = [c.measured for c in connectors]
    wired = [c.phases for c in connectors]
    context = Context(
        site=site,
        now=now,
        dt=dt,
        voltage=finite(settings.voltage, 230.0) or 230.0,
        net=build_network(site),
        previous_allocations=state.allocations,
        connectors=connectors,
        memories=memories,
        measured=measured,
        min_current=[low if 0 <= (low := c.min_current) < inf else 0.0 for c in connectors],
        max_current=[high if 0 <= (high := c.max_current) < inf else 0.0 for c in connectors],
        priority=[c.priority for c in connectors],
        status=[Status.CHARGE] * n,
        over_since=[None] * n,
        switchable=[False] * n,
        wired=wired,
        phase_count=[3] * n,
        phase_since=[None] * n,
        solar_on=[False] * n,
        solar_energy=[0.0] * n,
        target=[0.0] * n,
        reason=[LimitReason.NOT_CHARGING] * n,
        bound_by=[NONE] * n,
        ceiling=[0.0] * n,
        phases=[],
        members=[],
        leaves=[],
        extras=[],
        by_station={},
        deadline=set(),
        patient=set(),
        planned_until=[None] * n,
        planned_start=[None] * n,
        waiting_for_price=set(),
        car_limit=[None] * n,
        car_limit_since=[None] * n,
        car_limited=set(),
        car_checked=[False] * n,
        checking=set(),
        station_draw={},
        rising=[0.0, 0.0, 0.0],
        raised={},
        solar_drawn=0.0,
        solar_rising=0.0,
        solar=[],
        unsteerable=[],
        idle=[],
    )
    _gather(context)
    _classify(context)
    return context


def _gather(context: Context) -> None:
    """Clean readings and phase sets; station draws; who can switch; who has a deadline."""
    inf = math.inf
    connectors = context.connectors
    memories = context.memories
    measured = context.measured
    wired = context.wired
    station_draw = context.station_draw
    switchable = context.switchable
    station_id: str | None = None
    station_sum = [0.0, 0.0, 0.0]
    response_time = context.site.settings.response_time
    settings = context.site.settings
    plannable = bool(context.site.prices)
    now = context.now
    car_limit_slack = settings.car_limit_slack
    for i, connector in enumerate(connectors):
        a, b, c = measured[i]
        if not (0 <= a < inf and 0 <= b < inf and 0 <= c < inf):
            measured[i] = _clean(measured[i])
            a, b, c = measured[i]
        memory = memories[i]
        read_at = connector.measured_at
        if (
            memory.sent_at is not None
            # Only a reading from before the car could follow the change can hide it (a
            # reading of None is fresh) ...
            and read_at is not None
            and read_at < memory.sent_at + response_time
            # ... and following takes up to response_time, the next reading as long again.
            and context.now - memory.sent_at < 2 * response_time
            and connector.active
            and connector.online
        ):
            context.raised[i] = _add_rise(context.rising, memory.sent, (a, b, c), wired[i])
        if a or b or c:  # connectors of a station are next to each other
            if connector.station_id != station_id:
                station_id = connector.station_id
                station_sum = station_draw[station_id] = [a, b, c]
            else:
                station_sum[0] += a
                station_sum[1] += b
                station_sum[2] += c
        own = wired[i]
        if own not in _VALID_PHASES:
            own = wired[i] = _phases(own)
        if connector.can_switch_phases and (len(own) == 3 or memories[i].phases == 1):  # noqa: PLR2004
            switchable[i] = True
        # Most cars draw what they were given: only the others need a closer look.
        if (
            memory.car_limit is not None
            or connector.suspended
            or memory.sent - max(a, b, c) > car_limit_slack
        ):
            limit, since = learn_car_limit(
                connector, memory, measured[i], own, context.min_current[i], now, settings
            )
        else:
            limit = since = None
        # Checked once this session: the car had time to follow an offer, its draw told.
        context.car_checked[i] = connector.active and (
            memory.car_checked
            or had_time_to_follow(memory, read_at, now, response_time)
            # No reading came in time: as if one came now, after car_check_timeout.
            or had_time_to_follow(memory, None, now, settings.car_check_timeout)
        )
        if limit is not None:
            context.car_limit[i], context.car_limit_since[i] = limit, since
            if limit < context.max_current[i]:
                context.max_current[i] = limit
                context.car_limited.add(i)
        if connector.mode is Mode.PRICE and not (
            plannable and connector.departure is not None and connector.energy_needed is not None
        ):
            # Nothing to plan with: charge now rather than wait for nothing.
            connector = connectors[i] = replace(connector, mode=Mode.FAST)  # noqa: PLW2901
        if connector.departure is not None and connector.energy_needed is not None:
            _deadline(context, i, connector, settings)
    if context.deadline:
        # Within a priority, who must leave soon is served first.
        deadline = context.deadline
        context.priority = [2 * p + (i in deadline) for i, p in enumerate(context.priority)]


# Modes that wait for something (surplus, cheaper slots) and so may need a deadline.
_WAITING_MODES = (Mode.SOLAR, Mode.MIN_SOLAR, Mode.PRICE)
_SOLAR_MODES = (Mode.SOLAR, Mode.MIN_SOLAR)


def energy_wanted(connector: ConnectorInput, settings: EngineSettings) -> float:
    """Wh its energy target still lacks; 0 within `energy_tolerance` (or without a target)."""
    needed = connector.energy_needed or 0.0
    return needed if needed > settings.energy_tolerance else 0.0


def departure_power(energy: float, seconds: float, settings: EngineSettings) -> float:
    """W that deliver `energy` Wh in the `seconds` left before a departure.

    With the deadline's margin and buffer: `energy` * (1 + deadline_margin) over the time
    left less deadline_buffer (math.inf once that is gone): `_deadline`'s test as a rate
    (due once this reaches the car's maximum). Giving way (`sharing.on_schedule`) and the
    plan's sharing check (`planner`) both ask it.
    """
    seconds -= settings.deadline_buffer
    if seconds <= 0:
        return math.inf
    return energy * (1 + settings.deadline_margin) * 3600 / seconds


def _deadline(
    context: Context, i: int, connector: ConnectorInput, settings: EngineSettings
) -> ConnectorInput:
    """A connector as FAST, served first in its priority, once its energy only just fits.

    That is: before its departure, at its maximum, with the margin and the buffer. In
    the modes that wait (surplus, cheaper slots) it stops waiting; a FAST connector stops
    giving way. Once on, it stays on until the energy is in (or the deadline is gone):
    charging at the maximum gains on the margin, so the test alone would toggle it at
    every call. A FAST connector not yet due is patient (see `sharing.on_schedule`).
    A solar car not checked yet that would be due on one phase charges a moment as FAST,
    not flagged, until its draw tells its phases and its maximum.
    """
    needed = energy_wanted(connector, settings)
    departure = connector.departure
    fast = connector.mode is Mode.FAST
    if not connector.active or not needed or not (fast or connector.mode in _WAITING_MODES):
        return connector
    if not context.memories[i].deadline:
        high = context.max_current[i]  # the car's learned maximum, if lower
        if high <= context.min_current[i] < connector.max_current:
            # Learned as taking nothing (SuspendedEV): that says nothing about what it
            # takes once it resumes, and counted as its maximum it was due hours early.
            high = connector.max_current
        phases = len(_phases(connector.phases))
        power = high * context.voltage * phases
        if not 0 < power < math.inf or departure is None:
            return connector
        seconds = needed / power * 3600 * (1 + settings.deadline_margin)
        if not context.now + seconds + settings.deadline_buffer >= departure:
            if connector.mode in _SOLAR_MODES and not context.car_checked[i]:
                # Not seen following an offer yet, it may take a third of what its
                # wallbox offers on three phases (a 1-phase car): due on one phase, it
                # charges a moment, until its draw tells its phases and its maximum.
                # Counted on three, such a car was due hours late and left with half its
                # energy. (A price car's plan checks the car on arrival.)
                one_phase = seconds * phases
                if context.now + one_phase + settings.deadline_buffer >= departure:
                    connector = context.connectors[i] = replace(connector, mode=Mode.FAST)
                    context.checking.add(i)
            elif fast:
                context.patient.add(i)
            return connector
    connector = context.connectors[i] = replace(connector, mode=Mode.FAST)
    context.deadline.add(i)
    return connector


def _classify(context: Context) -> None:
    """Each connector's status; who is in a solar mode, who is idle or unsteerable."""
    settings = context.site.settings
    now = context.now
    memories = context.memories
    measured = context.measured
    status = context.status
    tolerance = settings.compliance_tolerance
    low_currents = context.min_current
    high_currents = context.max_current
    add_solar = context.solar.append
    add_idle = context.idle.append
    solar, min_solar, price, off = Mode.SOLAR, Mode.MIN_SOLAR, Mode.PRICE, Mode.OFF
    solar_drawn = solar_rising = 0.0
    raised = context.raised
    for i, connector in enumerate(context.connectors):
        if not connector.online:
            status[i] = Status.OFFLINE
            context.unsteerable.append(i)
            add_idle(i)
            continue
        memory = memories[i]
        a, b, c = draw = measured[i]
        mode = connector.mode
        # Price mode is planned once the budget is known (`planner.apply_plan`); until
        # then it counts as a solar mode.
        is_solar = mode is solar or mode is min_solar or mode is price
        if is_solar and connector.active:
            solar_drawn += a + b + c
            if raised:
                solar_rising += raised.get(i, 0.0)
        if memory.sent_at is not None:
            ceiling = memory.sent + tolerance
            if memory.over_since is not None or a > ceiling or b > ceiling or c > ceiling:
                flagged, context.over_since[i] = check_compliance(draw, memory, now, settings)
                if flagged:
                    _non_compliant(context, i, memory)
                    continue
        if not connector.active:
            status[i] = Status.INACTIVE
        elif mode is off:
            status[i] = Status.OFF
        elif high_currents[i] < low_currents[i] or high_currents[i] <= 0:
            status[i] = Status.UNABLE
        else:
            if is_solar:
                add_solar(i)
            continue
        add_idle(i)
    context.solar_drawn = solar_drawn
    context.solar_rising = solar_rising


def _non_compliant(context: Context, i: int, memory: ConnectorMemory) -> None:
    context.status[i] = Status.NON_COMPLIANT
    # It keeps the phase count and solar state it had (its draw says the rest).
    context.phase_count[i] = memory.phases
    context.solar_on[i] = memory.solar_on
    context.solar_energy[i] = memory.solar_energy
    context.unsteerable.append(i)
    context.idle.append(i)


def _add_rise(
    rising: list[float], sent: float, reading: PhaseCurrents, wired: tuple[int, ...]
) -> float:
    """Add what a connector may still rise to `sent` above its reading, per phase.

    Returns what it added, summed over the phases.
    """
    added = 0.0
    for phase in wired if wired in _VALID_PHASES else _phases(wired):
        if sent > reading[phase]:
            rising[phase] += sent - reading[phase]
            added += sent - reading[phase]
    return added


def fixed_draw(context: Context, i: int, allocation: float) -> PhaseCurrents:
    """What to reserve for a connector we cannot steer: its draw, at least `allocation`."""
    measured = context.measured[i]
    if allocation <= 0:
        return measured
    phases = context.phases[i]
    a, b, c = (max(measured[p], allocation if p in phases else 0.0) for p in ALL_PHASES)
    return (a, b, c)
