"""Max-min fair progressive filling (water-filling) under shared linear constraints.

Every item (a connector) has a floor and a cap; a water level L rises from 0, and each
item not yet frozen holds clamp(L, floor, cap). An item stops at its cap, or freezes
when one of its constraints fills up; an item whose floor is above the level when a
constraint fills stays at its floor. The result is max-min fair: no item can get more
without taking from one that has as little or less.

Event driven, O(m log m) for m memberships (item * constraint): the level jumps from
event to event (a floor reached, a cap reached, a constraint full). What constraint k
has taken at level L is base[k] + rate[k] * L, rate[k] being the weight of its rising
items (base absorbs every change of rate), so an event only touches the items it
concerns. The next constraint to fill comes from a heap of lower bounds of the level
at which each would fill: an item starting lowers that level (a new entry is
pushed), an item stopping only raises it (the entry is corrected when it reaches the
top), so stops cost no heap work at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
import heapq

from .constants import AGGREGATE_SHARE, EPS, OWN_CAP, RATE_EPS

_WAITING = 0  # its floor is above the level
_RISING = 1
_DONE = 2

type Members = Sequence[tuple[int, float]]  # (constraint index, weight)
type MembersOf = Callable[[int, Sequence[int]], Iterable[int]]
# Per constraint, the sum of the weights of the given items' memberships (see
# Context.sums): lets a large batch of items start or stop at once.
type Aggregate = Callable[[Sequence[int]], list[float]]


def fill(
    items: Sequence[int],
    floors: Sequence[float],
    caps: Sequence[float],
    members: Sequence[Members],
    capacity: list[float],
    level_out: list[float],
    bind_out: list[int],
    members_of: MembersOf,
    aggregate: Aggregate | None = None,
) -> None:
    """Fill `items` fairly, each from its floor towards its cap.

    `capacity[k]` is what constraint k has left *above the floors* (they are reserved
    already); it is reduced by what the filling takes. `members_of(k, items)` names the
    items that count against k (exactly those; items not being filled may be named
    too, they are skipped). Writes each item's level to `level_out[i]` and what
    stopped it to `bind_out[i]`: a constraint index, or `OWN_CAP`. `aggregate`, if
    given, must agree with `members`.
    """
    live: list[int] = []
    for i in items:
        if caps[i] - floors[i] <= EPS:
            level_out[i] = max(floors[i], caps[i])
            bind_out[i] = OWN_CAP
        else:
            live.append(i)
    if live:
        filling = _Filling(live, floors, caps, members, capacity, level_out, bind_out, aggregate)
        filling.run(members_of)


class _Filling:
    """The state of one filling."""

    def __init__(
        self,
        live: list[int],
        floors: Sequence[float],
        caps: Sequence[float],
        members: Sequence[Members],
        capacity: list[float],
        level_out: list[float],
        bind_out: list[int],
        aggregate: Aggregate | None,
    ) -> None:
        self.live = live
        self.aggregate = aggregate
        self.floors = floors
        self.caps = caps
        self.members = members
        self.capacity = capacity
        self.level_out = level_out
        self.bind_out = bind_out
        n_cons = len(capacity)
        self.rate = [0.0] * n_cons
        self.base = [0.0] * n_cons
        self.heap: list[tuple[float, int]] = []
        self.state = dict.fromkeys(live, _WAITING)
        self.active = len(live)  # items not done
        self.level = 0.0

    def run(self, members_of: MembersOf) -> None:
        """Advance from event to event until every item is done."""
        live = self.live
        floors = self.floors
        caps = self.caps
        state = self.state
        starts = sorted(live, key=floors.__getitem__)
        ends = sorted(live, key=caps.__getitem__)
        n_live = len(live)
        next_start = next_end = 0
        inf = float("inf")
        while self.active:
            while next_end < n_live and state[ends[next_end]] == _DONE:
                next_end += 1
            while next_start < n_live and state[starts[next_start]] != _WAITING:
                next_start += 1
            upcoming = min(
                caps[ends[next_end]] if next_end < n_live else inf,
                floors[starts[next_start]] if next_start < n_live else inf,
                self.next_full(),
            )
            if upcoming == inf:  # pragma: no cover - every rising item has a cap
                break
            level = self.level = upcoming
            # Caps reached: those items are done at their cap.
            stopping: list[int] = []
            while next_end < n_live and caps[ends[next_end]] <= level + EPS:
                i = ends[next_end]
                next_end += 1
                if state[i] == _RISING:
                    stopping.append(i)
            if stopping:
                self.stop_all(stopping, OWN_CAP)
            # Floors reached: those items begin to rise.
            rising: list[int] = []
            while next_start < n_live and floors[starts[next_start]] <= level + EPS:
                i = starts[next_start]
                next_start += 1
                if state[i] == _WAITING:
                    state[i] = _RISING
                    rising.append(i)
            if rising:
                self.start(rising)
            # Constraints full: every item in them freezes.
            while self.active and self.next_full() <= level + EPS:
                _estimate, k = heapq.heappop(self.heap)
                self.freeze(k, members_of(k, live))
        self.charge()

    def next_full(self) -> float:
        """The lowest level at which a constraint fills, correcting stale entries."""
        heap = self.heap
        rate = self.rate
        while heap:
            estimate, k = heap[0]
            speed = rate[k]
            if speed <= RATE_EPS:
                heapq.heappop(heap)
                continue
            full = (self.capacity[k] - self.base[k]) / speed
            if full > estimate + EPS:
                heapq.heapreplace(heap, (full, k))
                continue
            return full
        return float("inf")

    def _large(self, batch: Sequence[int]) -> bool:
        """Whether a batch is better handled through `aggregate`."""
        return self.aggregate is not None and len(batch) * AGGREGATE_SHARE > len(self.rate)

    def stop_all(self, stopping: list[int], bound_by: int) -> None:
        """Rising items stop at this level (within EPS: at their cap, or frozen)."""
        level = self.level
        state = self.state
        level_out = self.level_out
        bind_out = self.bind_out
        caps = self.caps
        floors = self.floors
        for i in stopping:
            state[i] = _DONE
            at = caps[i] if bound_by == OWN_CAP else floors[i]
            level_out[i] = at if bound_by == OWN_CAP or at > level else level
            bind_out[i] = bound_by
        self.active -= len(stopping)
        if self.aggregate is not None and self._large(stopping):
            delta = self.aggregate(stopping)
            self.rate[:] = [speed - d for speed, d in zip(self.rate, delta, strict=False)]
            self.base[:] = [taken + d * level for taken, d in zip(self.base, delta, strict=False)]
            return
        rate = self.rate
        base = self.base
        members = self.members
        for i in stopping:
            at = level_out[i]
            for k, w in members[i]:
                rate[k] -= w
                base[k] += w * at

    def start(self, rising: list[int]) -> None:
        """Items begin to rise (at this level, within EPS of their floor).

        A large batch (typically every item at a common minimum) moves every rate and
        base at once and rebuilds the heap: cheaper than tracking each constraint.
        """
        rate = self.rate
        base = self.base
        capacity = self.capacity
        level = self.level
        heap = self.heap
        if self.aggregate is not None and self._large(rising):
            delta = self.aggregate(rising)
            rate[:] = [speed + d for speed, d in zip(rate, delta, strict=False)]
            base[:] = [taken - d * level for taken, d in zip(base, delta, strict=False)]
        else:
            touched: set[int] = set()
            floors = self.floors
            members = self.members
            for i in rising:
                at = floors[i]
                own = members[i]
                for k, w in own:
                    rate[k] += w
                    base[k] -= w * at
                touched.update([k for k, _w in own])
            if len(touched) * 4 < len(rate):
                for k in touched:
                    if rate[k] > RATE_EPS:
                        heapq.heappush(heap, (max(level, (capacity[k] - base[k]) / rate[k]), k))
                return
        heap[:] = [
            ((capacity[k] - base[k]) / speed, k) for k, speed in enumerate(rate) if speed > RATE_EPS
        ]
        for index, (full, k) in enumerate(heap):
            if full < level:  # full already (rounding): at this level
                heap[index] = (level, k)
        heapq.heapify(heap)

    def freeze(self, k: int, candidates: Iterable[int]) -> None:
        """Constraint k is full: its rising items stop here, its waiting ones at their floor.

        When this freezes every item still active, nobody's rate matters any more: the
        bookkeeping is left to `charge` (base + rate * level covers them).
        """
        state = self.state
        get = state.get
        hit = [i for i in candidates if get(i, _DONE) != _DONE]
        level = self.level
        floors = self.floors
        if len(hit) == self.active:
            for i in hit:
                at = floors[i]
                if state[i] == _RISING and level > at:
                    at = level
                state[i] = _DONE
                self.level_out[i] = at
                self.bind_out[i] = k
            self.active = 0
            return
        rising = [i for i in hit if state[i] == _RISING]
        for i in hit:
            if state[i] == _WAITING:
                state[i] = _DONE
                self.active -= 1
                self.level_out[i] = floors[i]
                self.bind_out[i] = k
        if rising:
            self.stop_all(rising, k)
        self.rate[k] = 0.0  # every item in it is done (guards against rounding)

    def charge(self) -> None:
        """Take what the items got above their floors out of every constraint.

        base[k] + rate[k] * level: rate is 0 except for items frozen by the last freeze.
        """
        capacity = self.capacity
        base = self.base
        rate = self.rate
        level = self.level
        if len(self.live) * 8 < len(capacity):
            members = self.members
            for k in {k for i in self.live for k, _w in members[i]}:
                capacity[k] -= base[k] + rate[k] * level
            return
        capacity[:] = [
            room - (taken + speed * level)
            for room, taken, speed in zip(capacity, base, rate, strict=True)
        ]
