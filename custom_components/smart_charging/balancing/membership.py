"""Which constraints each connector counts against, and sums over them.

`MembershipIndex` is the part of the per-call state (`context.Context`) that maps
connectors to constraints: the phases each draws on, its constraints with weights, its
innermost constraint per phase, its power constraints, and the connectors per station.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .constants import ALL_PHASES, NO_PHASE, THREE_PHASES
from .model import ConnectorInput
from .network import GRID_PAIRS, Network, Pairs


@dataclass(slots=True)
class MembershipIndex:
    """Connectors' constraint memberships (connectors by index, sorted by station)."""

    net: Network
    voltage: float
    connectors: list[ConnectorInput]
    switchable: list[bool]  # a 3-phase car on a charger that can switch it to 1 phase
    wired: list[tuple[int, ...]]  # the phases the input says it draws on
    phase_count: list[int]  # as decided this call (starts from memory)
    phases: list[tuple[int, ...]]  # the grid phases it draws on (set by `build_members`)
    members: list[Pairs]  # its constraints with weights (set by `build_members`)
    leaves: list[tuple[int, ...]]  # its innermost constraint per phase (`build_members`)
    extras: list[Pairs]  # its power constraints with weights (`build_members`)
    by_station: dict[str, range]  # connectors per station id (see `_stations`)

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
                return (self.connectors[i].single_phase % THREE_PHASES,)
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
                own = (
                    (connector.single_phase % THREE_PHASES,) if phase_count[i] == 1 else ALL_PHASES
                )
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
