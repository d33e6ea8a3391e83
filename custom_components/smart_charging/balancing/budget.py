"""What the EVs may draw: non-EV load, headroom per phase, circuit, station, import power."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .constants import ALL_PHASES, EPS, NO_CONSTRAINT, NOMINAL_VOLTAGE, THREE_PHASES
from .context import Context, Status
from .model import EngineState, PhaseCurrents, SiteInput
from .network import Network, finite


@dataclass(frozen=True, slots=True)
class Budget:
    """The site's non-EV load and the EV budget per grid phase."""

    non_ev_load: PhaseCurrents  # A per phase, never below 0
    ev_budget: PhaseCurrents  # A per phase the EVs may draw in total
    overloaded: tuple[str, ...]  # limits the measured draw exceeds now
    falling_since: tuple[float | None, float | None, float | None] = (None, None, None)
    # The settled non-EV load with its sign (PV export < 0): what the next call settles
    # from, and what the maximum import power nets over the phases.
    settled: PhaseCurrents = (0.0, 0.0, 0.0)


def _phases(values: Sequence[float]) -> PhaseCurrents:
    return (values[0], values[1], values[2])


def _settled(
    measured: list[float],
    previous: EngineState | None,
    now: float,
    delay: float,
    rising: Sequence[float],
    overloaded: Sequence[bool],
) -> tuple[list[float], tuple[float | None, float | None, float | None]]:
    """The non-EV load to use (signed), robust to chargers reporting later than the grid meter.

    A fall counts only once it has lasted `delay`: right after a cut, the grid shows the
    car drawing less while its charger's reading does not. A rise up to what recently
    raised connectors may add (`rising`) is taken as theirs, not the house's: right
    after a raise, the grid shows the car drawing more while its reading does not. A
    phase whose grid current is over its limit is never explained away.
    """
    if previous is None or previous.non_ev_load is None:
        return measured, (None, None, None)
    kept = previous.non_ev_load
    since = list(previous.non_ev_falling_since)
    used = list(measured)
    for phase in ALL_PHASES:
        if measured[phase] >= kept[phase]:
            since[phase] = None
            if rising[phase] > 0 and not overloaded[phase]:
                used[phase] = max(kept[phase], measured[phase] - rising[phase])
            continue
        started = since[phase]
        if started is None:
            since[phase] = now
            used[phase] = kept[phase]
        elif now - started < delay:
            used[phase] = kept[phase]
        else:
            since[phase] = None
    return used, (since[0], since[1], since[2])


def apply_budget(
    net: Network,
    site: SiteInput,
    station_draw: dict[str, list[float]],
    *,
    static: bool,
    previous: EngineState | None = None,
    rising: Sequence[float] = (0.0, 0.0, 0.0),
) -> Budget:
    """Set every constraint's capacity to what the EVs may draw under it.

    `station_draw`: what the connectors measure, summed per station id. Dynamic (a grid
    meter): the non-EV load per phase is the grid current minus what the connectors
    measure (never below 0). Static (no meter, or failsafe): it is the configured base
    load. A safety margin is kept below every limit; the max import power keeps one
    margin per live phase and nets the phases (as the meter does).
    """
    settings = site.settings
    margin = max(0.0, finite(settings.safety_margin))
    voltage = finite(settings.voltage, NOMINAL_VOLTAGE) or NOMINAL_VOLTAGE
    drawn = [0.0, 0.0, 0.0]
    for a, b, c in station_draw.values():
        drawn[0] += a
        drawn[1] += b
        drawn[2] += c

    grid = site.grid_current
    falling: tuple[float | None, float | None, float | None] = (None, None, None)
    if static or grid is None:
        base = [max(0.0, finite(site.base_load[phase])) for phase in ALL_PHASES]
        signed = raw = base
        total = [base[phase] + drawn[phase] for phase in ALL_PHASES]
    else:
        total = [finite(grid[phase]) for phase in ALL_PHASES]
        raw = [total[phase] - drawn[phase] for phase in ALL_PHASES]
        signed, falling = _settled(
            raw,
            previous,
            finite(site.now),
            settings.response_time,
            rising,
            [total[phase] > net.limits[phase] - margin for phase in ALL_PHASES],
        )
        base = [max(0.0, value) for value in signed]

    limits = net.limits
    capacity = net.capacity
    capacity[:] = [limit - margin if limit > margin else 0.0 for limit in limits]

    # Measured load under every circuit and station, for the overload report: each
    # station's draw goes to its own limit and its circuit, circuits add up bottom-up.
    load = [0.0] * len(limits)
    links = net.station_links
    for station_id, station in station_draw.items():
        own, circuit = links.get(station_id, (NO_CONSTRAINT, NO_CONSTRAINT))
        for k in (own, circuit):
            if k >= 0:
                load[k] += station[0]
                load[k + 1] += station[1]
                load[k + 2] += station[2]
    for k, parent in net.circuit_links:
        if parent >= 0:
            load[parent] += load[k]
            load[parent + 1] += load[k + 1]
            load[parent + 2] += load[k + 2]
    overloaded: list[str] = []
    budget = [0.0, 0.0, 0.0]
    for phase in ALL_PHASES:
        budget[phase] = max(0.0, limits[phase] - base[phase] - margin)
        capacity[phase] = budget[phase]
        load[phase] = total[phase]
    if net.import_k is not None:
        live = sum(1 for phase in ALL_PHASES if limits[phase] > 0) or THREE_PHASES
        allowed = limits[net.import_k] - margin * voltage * live
        # Netted over the phases, settled as every phase is (a stale reading of a
        # connector just cut is no room); an import over its limit is never explained away.
        non_ev = sum(signed)
        if sum(total) * voltage > allowed:
            non_ev = max(non_ev, sum(raw))
        capacity[net.import_k] = max(0.0, allowed - non_ev * voltage)
        load[net.import_k] = sum(total) * voltage
    overloaded.extend(
        net.label(k)
        for k, (drawing, limit) in enumerate(zip(load, limits, strict=True))
        if drawing > limit + EPS
    )
    return Budget(
        non_ev_load=_phases(base),
        ev_budget=_phases(budget),
        overloaded=tuple(overloaded),
        falling_since=falling,
        settled=_phases(signed),
    )


def reserve_fixed(net: Network, station_id: str, draw: PhaseCurrents, voltage: float) -> None:
    """Take a connector's measured draw out of every constraint it counts against.

    For connectors we cannot steer: offline ones and non-compliant ones. Capacities may
    reach 0 (never below): then nobody else gets anything there. What one discharges
    (V2X: a negative reading) gives nobody room: it may stop at any moment.
    """
    capacity = net.capacity
    for phase in ALL_PHASES:
        amount = draw[phase]
        if amount > 0:
            for k, _w in net.paths(station_id)[phase]:
                capacity[k] = max(0.0, capacity[k] - amount)
    if net.import_k is not None:
        k = net.import_k
        drawn = max(0.0, draw[0]) + max(0.0, draw[1]) + max(0.0, draw[2])
        capacity[k] = max(0.0, capacity[k] - drawn * voltage)


def reserve_unsteerable(context: Context) -> None:
    """Offline and non-compliant connectors: their draw is fixed load for the others."""
    net = context.net
    capacity = net.capacity
    for i in context.unsteerable:
        if context.status[i] is Status.OFFLINE:
            reserve_fixed(
                net, context.connectors[i].station_id, context.measured[i], context.voltage
            )
        else:
            # Non-compliant: it keeps its last sent value, cut to what fits if even that is too much.
            memory = context.memories[i]
            allocation = min(memory.sent, context.max_current[i])
            room = allocation
            for k, w in context.members[i]:
                if w * room > capacity[k]:
                    room = capacity[k] / w
            if room < allocation:
                allocation = room if room >= context.min_current[i] else 0.0
            context.target[i] = allocation
            context.ceiling[i] = allocation
            reserve_fixed(
                net,
                context.connectors[i].station_id,
                fixed_draw(context, i, allocation),
                context.voltage,
            )


def fixed_draw(context: Context, i: int, allocation: float) -> PhaseCurrents:
    """What to reserve for a connector we cannot steer: its draw, at least `allocation`."""
    measured = context.measured[i]
    if allocation <= 0:
        return measured
    phases = context.phases[i]
    a, b, c = (max(measured[p], allocation if p in phases else 0.0) for p in ALL_PHASES)
    return (a, b, c)
