"""The constraint network: every limit of the site as an integer index.

A constraint is a capacity that a set of connectors shares: a grid phase, a circuit on
one phase, a station on one phase (all in amperes, weight 1 per connector drawing on
that phase), or a total power (max import, solar surplus: in watts, weight = the
connector's phase count * voltage). Circuits nest, so a connector counts against its
station, its station's circuit and every ancestor of it, on each phase it draws on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import functools
import itertools
import math

from .constants import ALL_PHASES, NO_CONSTRAINT, NO_PHASE
from .model import CircuitInput, DischargeObjective, LimitReason, SiteInput, StationInput

PHASE_NAMES = ("L1", "L2", "L3")

type Pairs = tuple[tuple[int, float], ...]  # (constraint index, weight)
type PhasePairs = tuple[Pairs, Pairs, Pairs]

GRID_PAIRS: PhasePairs = (((0, 1.0),), ((1, 1.0),), ((2, 1.0),))


@dataclass(slots=True)
class Network:
    """Constraint indices, their limits and labels; capacities are filled in by `budget`."""

    limits: list[float] = field(default_factory=list)  # the raw limit (A or W)
    capacity: list[float] = field(default_factory=list)  # what is left (A or W)
    reasons: list[LimitReason] = field(default_factory=list)
    names: list[str] = field(default_factory=list)  # "grid", "circuit garage", ...
    phase_of: list[int] = field(default_factory=list)  # NO_PHASE for power constraints
    # Per station id, per grid phase: (constraint, 1.0) from the station up to the grid
    # phase (innermost first).
    station_paths: dict[str, PhasePairs] = field(default_factory=dict)
    # Per circuit or station constraint: the stations under it (read-only).
    stations_under: dict[int, list[str]] = field(default_factory=dict)
    # Per station id: its own first constraint and its circuit's (NO_CONSTRAINT: none), and every
    # circuit's first constraint with its parent's, children before parents: to add up
    # loads bottom-up.
    station_links: dict[str, tuple[int, int]] = field(default_factory=dict)
    circuit_links: list[tuple[int, int]] = field(default_factory=list)
    # Per constraint: the one just above it on the same phase (NO_CONSTRAINT: none); and every
    # constraint that has one, innermost first. To add up per-phase sums bottom-up.
    up: list[int] = field(default_factory=list)
    upward: list[int] = field(default_factory=list)
    # Memberships already built, per voltage (only the last one is kept), per (station id
    # or None for none known, phases): shared by the calls on one topology.
    member_cache: dict[
        float, dict[tuple[str | None, tuple[int, ...]], tuple[Pairs, tuple[int, ...], Pairs]]
    ] = field(default_factory=dict)
    import_k: int | None = None  # the max import power constraint, if any

    def add(self, limit: float, reason: LimitReason, name: str, phase: int = NO_PHASE) -> int:
        """Add a constraint; its capacity starts at its limit."""
        self.limits.append(limit)
        self.capacity.append(limit)
        self.reasons.append(reason)
        self.names.append(name)
        self.phase_of.append(phase)
        return len(self.limits) - 1

    def add_phases(self, limit: tuple[float, float, float], reason: LimitReason, name: str) -> int:
        """Add one constraint per phase (indices k, k + 1, k + 2); returns k."""
        k = len(self.limits)
        values = [finite(limit[0]), finite(limit[1]), finite(limit[2])]
        self.limits.extend(values)
        self.capacity.extend(values)
        self.reasons.extend((reason, reason, reason))
        self.names.extend((name, name, name))
        self.phase_of.extend(ALL_PHASES)
        return k

    def label(self, k: int) -> str:
        """How a constraint is shown: "grid L1", "circuit garage L2", "max import power"."""
        phase = self.phase_of[k]
        return self.names[k] if phase == NO_PHASE else f"{self.names[k]} {PHASE_NAMES[phase]}"

    def paths(self, station_id: str) -> PhasePairs:
        """Per phase, the current constraints a connector of this station counts against."""
        return self.station_paths.get(station_id, GRID_PAIRS)


def finite(value: float | None, default: float = 0.0) -> float:
    """The value, or the default when it is missing, NaN or infinite."""
    if value is None or not math.isfinite(value):
        return default
    return float(value)


def build_network(site: SiteInput) -> Network:
    """The site's constraints with their raw limits (grid phases are 0, 1, 2).

    The structure is built once per distinct topology (a small cache keyed by value:
    the answer is the same with or without it); each call gets its own copy of the
    lists it may change.
    """
    shared = _topology(site.grid_limit, import_limit(site), site.circuits, site.stations)
    return Network(
        limits=list(shared.limits),
        capacity=list(shared.limits),
        reasons=list(shared.reasons),
        names=list(shared.names),
        phase_of=list(shared.phase_of),
        station_paths=shared.station_paths,  # read-only
        stations_under=shared.stations_under,  # read-only
        station_links=shared.station_links,  # read-only
        circuit_links=shared.circuit_links,  # read-only
        up=shared.up,  # read-only
        upward=shared.upward,  # read-only
        member_cache=shared.member_cache,
        import_k=shared.import_k,
    )


def import_limit(site: SiteInput) -> float | None:
    """The maximum import power (W): with peak shaving the site's, also its import cap."""
    limit = site.max_import_power
    v2x = site.v2x
    cap = v2x.import_cap
    if cap is None or v2x.objective is not DischargeObjective.PEAK_SHAVING:
        return limit
    return cap if limit is None else min(limit, cap)


@functools.lru_cache(maxsize=8)
def _topology(
    grid_limit: tuple[float, float, float],
    max_import_power: float | None,
    circuit_inputs: tuple[CircuitInput, ...],
    stations: tuple[StationInput, ...],
) -> Network:
    net = Network()
    net.add_phases(grid_limit, LimitReason.GRID_LIMIT, "grid")
    if max_import_power is not None:
        net.import_k = net.add(finite(max_import_power), LimitReason.GRID_LIMIT, "max import power")

    circuits = {circuit.circuit_id: circuit for circuit in circuit_inputs}
    circuit_ks = {
        circuit_id: net.add_phases(
            circuits[circuit_id].limit, LimitReason.CIRCUIT_LIMIT, f"circuit {circuit_id}"
        )
        for circuit_id in sorted(circuits)
    }
    circuit_paths: dict[str | None, PhasePairs] = {None: GRID_PAIRS}

    def circuit_path(circuit_id: str) -> PhasePairs:
        # Walk up to a circuit whose path is known: an unknown parent is the grid, and a
        # cycle is cut where it closes (that circuit is then directly on the grid).
        chain: list[str] = []
        seen: set[str] = set()
        cursor: str | None = circuit_id
        while cursor is not None and cursor not in circuit_paths:
            if cursor in seen or cursor not in circuits:
                cursor = None
                break
            seen.add(cursor)
            chain.append(cursor)
            cursor = circuits[cursor].parent_id
        above = circuit_paths[cursor]
        for link in reversed(chain):
            k = circuit_ks[link]
            above = (
                ((k, 1.0), *above[0]),
                ((k + 1, 1.0), *above[1]),
                ((k + 2, 1.0), *above[2]),
            )
            circuit_paths[link] = above
        return above

    unique = {station.station_id: station for station in stations}  # the last one counts
    for _station_id, station in sorted(unique.items()):
        circuit_id = station.circuit_id
        if circuit_id is None or circuit_id not in circuits:
            above = GRID_PAIRS
            circuit_k = NO_CONSTRAINT
        else:
            above = circuit_paths.get(circuit_id) or circuit_path(circuit_id)
            circuit_k = circuit_ks[circuit_id]
        if station.max_current is None:
            paths = above
            net.station_links[station.station_id] = (NO_CONSTRAINT, circuit_k)
        else:
            k = net.add_phases(
                station.max_current, LimitReason.STATION_LIMIT, f"station {station.station_id}"
            )
            net.station_links[station.station_id] = (k, circuit_k)
            paths = (
                ((k, 1.0), *above[0]),
                ((k + 1, 1.0), *above[1]),
                ((k + 2, 1.0), *above[2]),
            )
        net.station_paths[station.station_id] = paths
        for phase_path in paths:
            for k, _w in phase_path[:-1]:  # the last is the grid phase
                net.stations_under.setdefault(k, []).append(station.station_id)
    for circuit_id in circuits:
        circuit_path(circuit_id)
    for circuit_id in sorted(circuits, key=lambda c: (-len(circuit_paths[c][0]), c)):
        chain = circuit_paths[circuit_id][0]  # itself, its ancestors, the grid phase
        parent = chain[1][0] if len(chain) > 2 else NO_CONSTRAINT  # noqa: PLR2004
        net.circuit_links.append((circuit_ks[circuit_id], parent))
    _link_upward(net, [*circuit_paths.values(), *net.station_paths.values()])
    return net


def _link_upward(net: Network, all_paths: list[PhasePairs]) -> None:
    """Fill `up` and `upward` from every path (station or circuit up to the grid)."""
    net.up = [NO_CONSTRAINT] * len(net.limits)
    height: dict[int, int] = {}
    for paths in all_paths:
        for path in paths:
            for step, ((k, _w), (above, _above_w)) in enumerate(itertools.pairwise(path)):
                net.up[k] = above
                height[k] = len(path) - step
    net.upward = sorted(height, key=lambda k: (-height[k], k))
