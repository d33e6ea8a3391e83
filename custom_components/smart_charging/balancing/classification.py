"""Classifying the input: the per-call `Context` built from a site snapshot.

Sorts the connectors, recalls their memory, cleans readings and phase sets, learns what
the car takes, applies departure deadlines (`deadline`), and gives each connector its
status: charging, offline, non-compliant, idle, in a solar mode.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
import math
from operator import attrgetter

from .car_limit import had_time_to_follow, learn_car_limit
from .compliance import check_compliance
from .constants import ALL_PHASES, NO_CONSTRAINT, NOMINAL_VOLTAGE, THREE_PHASES
from .context import Context, Status
from .deadline import mark_deadline
from .model import (
    ConnectorInput,
    ConnectorMemory,
    EngineState,
    LimitReason,
    Mode,
    PhaseCurrents,
    SiteInput,
)
from .network import build_network, finite

BLANK = ConnectorMemory()

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


def _clean(values: PhaseCurrents) -> PhaseCurrents:
    """Measured currents: missing, NaN or negative readings are 0."""
    a, b, c = (max(0.0, finite(value)) for value in values)
    return (a, b, c)


def _clean_signed(values: PhaseCurrents) -> PhaseCurrents:
    """A V2X connector's readings: missing or NaN are 0, negative ones discharge."""
    a, b, c = (finite(value) for value in values)
    return (a, b, c)


def _phases(phases: tuple[int, ...]) -> tuple[int, ...]:
    """Valid grid phases, sorted; none valid: all three (the cautious guess)."""
    if phases in _VALID_PHASES:
        return phases
    valid = tuple(sorted({phase for phase in phases if phase in ALL_PHASES}))
    return valid or ALL_PHASES


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
        voltage=finite(settings.voltage, NOMINAL_VOLTAGE) or NOMINAL_VOLTAGE,
        net=build_network(site),
        previous_allocations=state.allocations,
        connectors=connectors,
        memories=memories,
        measured=measured,
        min_current=[low if 0 <= (low := c.min_current) < inf else 0.0 for c in connectors],
        max_current=[_maximum(c) for c in connectors],
        priority=[c.priority for c in connectors],
        status=[Status.CHARGE] * n,
        over_since=[None] * n,
        switchable=[False] * n,
        wired=wired,
        phase_count=[THREE_PHASES] * n,
        phase_since=[None] * n,
        solar_on=[False] * n,
        solar_energy=[0.0] * n,
        target=[0.0] * n,
        reason=[LimitReason.NOT_CHARGING] * n,
        bound_by=[NO_CONSTRAINT] * n,
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
        external_limited={
            i
            for i, c in enumerate(connectors)
            if c.external_limit is not None and c.external_limit < c.max_current
        },
        car_checked=[False] * n,
        checking=set(),
        v2x=[],
        negative=set(),
        falling=[0.0, 0.0, 0.0],
        discharge={},
        recheck_at=None,
        price_mode=[],
        ev_power=0.0,
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


def _gather(context: Context) -> None:  # noqa: PLR0912 - one hot loop, kept inline for speed
    """Clean readings and phase sets; station draws; who can switch; who has a deadline."""
    inf = math.inf
    connectors = context.connectors
    memories = context.memories
    measured = context.measured
    wired = context.wired
    station_draw = context.station_draw
    switchable = context.switchable
    v2x = context.v2x
    station_id: str | None = None
    station_sum = [0.0, 0.0, 0.0]
    response_time = context.site.settings.response_time
    settings = context.site.settings
    plannable = bool(context.site.prices)
    now = context.now
    car_limit_slack = settings.car_limit_slack
    for i, connector in enumerate(connectors):
        a, b, c = measured[i]
        memory = memories[i]
        if not (0 <= a < inf and 0 <= b < inf and 0 <= c < inf):
            # Missing, NaN or negative: only a V2X connector discharges (keeps the sign).
            signed = connector.v2x is not None
            measured[i] = _clean_signed(measured[i]) if signed else _clean(measured[i])
            a, b, c = measured[i]
            if signed and (a < 0 or b < 0 or c < 0):
                context.negative.add(i)
        if connector.v2x is not None or memory.discharged:
            # It may discharge, or did until now (it passes through 0 before it charges).
            v2x.append(i)
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
            context.raised[i] = _add_rise(
                context.rising,
                context.falling,
                _span(memory, now, response_time),
                (a, b, c),
                wired[i],
            )
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
        if connector.can_switch_phases and (len(own) == THREE_PHASES or memories[i].phases == 1):
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
            mark_deadline(context, i, connector, settings)
    if context.deadline:
        # Within a priority, who must leave soon is served first.
        deadline = context.deadline
        context.priority = [2 * p + (i in deadline) for i, p in enumerate(context.priority)]


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
    negative = context.negative
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
            if i in raised:
                # Read before the car could follow its last limit: after a cut, what it
                # drew then is not surplus now (the grid meter may already show the cut).
                sent = memory.sent
                solar_drawn += min(a, sent) + min(b, sent) + min(c, sent)
                solar_rising += raised[i]
            else:
                solar_drawn += a + b + c
        if memory.sent_at is not None:
            ceiling = memory.sent + tolerance
            if (
                memory.over_since is not None
                or a > ceiling
                or b > ceiling
                or c > ceiling
                # Only a V2X connector reads negative: it may discharge more than allowed.
                or (negative and i in negative)
            ):
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


def _span(memory: ConnectorMemory, now: float, window: float) -> tuple[float, float]:
    """The lowest and highest signed setpoint the car may still show (a discharge < 0).

    The last one sent; for a V2X connector every one sent within `window` and the one in
    force before them (`ConnectorMemory.recent`): the grid meter, read a moment before a
    charger's reading, may still show the car where it was before it followed.
    """
    low = high = memory.sent - memory.discharge
    recent = memory.recent
    for k, (_at, value) in enumerate(recent):
        if k + 1 < len(recent) and recent[k + 1][0] <= now - window:
            continue  # the next one was sent long enough ago: the car left this one
        low, high = min(low, value), max(high, value)
    return low, high


def _add_rise(
    rising: list[float],
    falling: list[float],
    span: tuple[float, float],
    reading: PhaseCurrents,
    wired: tuple[int, ...],
) -> float:
    """Add what a connector may still rise above its reading, per phase, to `rising`.

    Up to the highest setpoint of its `span`; what it may still fall, down to the lowest,
    goes to `falling`. Returns what it added to `rising`, summed over the phases.
    """
    low, high = span
    added = 0.0
    for phase in wired if wired in _VALID_PHASES else _phases(wired):
        value = reading[phase]
        if high > value:
            rising[phase] += high - value
            added += high - value
        if low < value:
            falling[phase] += value - low
    return added


def _maximum(connector: ConnectorInput) -> float:
    """The most a connector may get: its maximum, or another system's limit below it."""
    high = connector.max_current
    if connector.external_limit is not None and connector.external_limit < high:
        high = connector.external_limit
    return high if 0 <= high < math.inf else 0.0
