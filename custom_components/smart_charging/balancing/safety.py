"""Ramp and dead band, applied so that they never break a limit.

Decreases are never delayed: a cut is sent in the call that needs it. Increases are
rate-limited (a ceiling inside the filling, so what a connector cannot take yet goes
to the others). A change smaller than the dead band is not sent: the connector keeps
its last sent value, if that still fits every limit (a lower value always does; a
higher one only where the others left room) and while nothing is overloaded. Where a
small decrease cannot be held, it is sent a little deeper so that the others can be
held (see `hold_small_changes`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .constants import AGGREGATE_SHARE, EPS
from .waterfill import Members

type Sums = Callable[[Sequence[int], Sequence[float]], list[float]]


def ramp_ceiling(sent: float, min_current: float, rate: float, dt: float | None) -> float:
    """The most a connector may get now: its last sent value + rate * elapsed time.

    No limit on the first call. A start is always allowed at the minimum (below it a
    car cannot charge at all).
    """
    if dt is None:
        return float("inf")
    return max(sent + max(0.0, rate) * dt, min_current)


def hold_small_changes(
    holdable: Sequence[int],
    target: list[float],
    sent: Sequence[float],
    min_current: Sequence[float],
    ceiling: Sequence[float],
    members: Sequence[Members],
    capacity: list[float],
    dead_band: float,
    *,
    allow_higher: bool,
    sums: Sums | None = None,
) -> set[int]:
    """Keep the last sent value where the change is below the dead band.

    `holdable` is in priority order; both the target and the sent value are non-zero
    there. `capacity` is the room left by the targets; held values use it (it is only
    kept up to date while a higher value may still be held). Returns the connectors
    held (their target is set to the sent value). `sums` (see Context.sums) may
    speed up the bookkeeping of many values at once.
    """
    lower: list[int] = []
    higher: list[int] = []
    for i in holdable:
        delta = target[i] - sent[i]
        if delta == 0 or abs(delta) >= dead_band:
            continue
        if sent[i] < min_current[i] - EPS or sent[i] > ceiling[i] + EPS:
            continue
        (lower if delta > 0 else higher).append(i)
    allow_higher = allow_higher and bool(higher)
    if allow_higher:  # the room those held lower leave only matters to those held higher
        _free(lower, target, sent, members, capacity, sums)
    for i in lower:  # an increase not sent: the lower value always fits
        target[i] = sent[i]
    held = set(lower)
    if allow_higher:
        held.update(_hold_higher(higher, target, sent, min_current, members, capacity, dead_band))
    return held


def _free(
    lower: list[int],
    target: Sequence[float],
    sent: Sequence[float],
    members: Sequence[Members],
    capacity: list[float],
    sums: Sums | None,
) -> None:
    """Give the room of increases that are not sent back to the constraints."""
    if sums is not None and len(lower) * AGGREGATE_SHARE > len(capacity):
        freed = [0.0] * len(target)
        for i in lower:
            freed[i] = target[i] - sent[i]
        room = sums(lower, freed)
        capacity[:] = [c + r for c, r in zip(capacity, room, strict=False)]
        return
    for i in lower:
        delta = target[i] - sent[i]
        for k, w in members[i]:
            capacity[k] += w * delta


def _hold_higher(
    higher: list[int],
    target: list[float],
    sent: Sequence[float],
    min_current: Sequence[float],
    members: Sequence[Members],
    capacity: list[float],
    dead_band: float,
) -> list[int]:
    """Keep the last sent value of small decreases where there is room.

    Those that do not fit are cut anyway: they are cut a little deeper (half a dead
    band, never below the minimum), the last in order first, so that the room it
    leaves lets the first in order keep their value. A small drop of a shared limit
    then changes a few connectors, not every one of them, and nobody ends more than
    half a dead band below its share.
    """
    held: list[int] = []
    failed: list[int] = []
    for i in higher:
        if _fits(sent[i] - target[i], members[i], capacity):
            _take(i, sent[i], target, members, capacity)
            held.append(i)
        else:
            failed.append(i)
    deeper = dead_band / 2
    first, last = 0, len(failed) - 1
    while first <= last:
        i = failed[first]
        if _fits(sent[i] - target[i], members[i], capacity):
            _take(i, sent[i], target, members, capacity)
            held.append(i)
            first += 1
            continue
        j = failed[last]
        last -= 1
        deep = target[j] - deeper
        if deep >= min_current[j] and deep > 0:
            _take(j, deep, target, members, capacity)
    return held


def hold_small_discharges(
    holdable: Sequence[int],
    target: list[float],
    sent: Sequence[float],
    ceiling: Sequence[float],
    members: Sequence[Members],
    capacity: list[float],
    dead_band: float,
    *,
    allow_higher: bool,
    floor: int,
) -> None:
    """`hold_small_changes` for discharges whose need is a limit (peak shaving).

    Constraint `floor` is that need: what keeps the import under a fuse or a cap. So
    the dead band works on what the cars give together: they keep their last sent values
    while together they give at least the need (a discharge held below it would let the
    import exceed the fuse or the cap: that is a cut, sent at once) and at most a dead
    band more (more costs energy). Once outside, as few cars as possible move, to the
    middle of that band: those whose value is sent anyway first, then the last in order
    (a raise within its cap and every limit; a cut always fits).
    """
    capacity[floor] = float("inf")  # checked on the total below
    wanted = list(target)
    kept: set[int] = set()
    for i in holdable:  # small increases not sent: the lower value always fits
        if 0 < target[i] - sent[i] < dead_band and sent[i] <= ceiling[i] + EPS:
            _take(i, sent[i], target, members, capacity)
            kept.add(i)
    for i in holdable:  # small decreases not sent: where the others leave room
        extra = sent[i] - target[i]
        if (
            allow_higher
            and 0 < extra < dead_band
            and sent[i] <= ceiling[i] + EPS
            and _fits(extra, members[i], capacity)
        ):
            _take(i, sent[i], target, members, capacity)
            kept.add(i)
    held = [i for i in holdable if i in kept]
    moving = [i for i in range(len(target)) if i not in kept and target[i] > 0]
    excess = sum(target[i] - wanted[i] for i in held)
    half = dead_band / 2
    for i in [*reversed(moving), *reversed(held)]:
        if -EPS <= excess <= dead_band + EPS:
            break
        change = half - excess  # > 0: more discharge, < 0: less
        # Never more than half a dead band from its own share: held next time.
        value = min(max(target[i] + change, wanted[i] - half), wanted[i] + half)
        if value > target[i]:
            room = [ceiling[i] - target[i]]
            room += [capacity[k] / w for k, w in members[i] if k != floor and w > 0]
            value = min(value, target[i] + max(0.0, min(room)))
        value = max(0.0, value)
        if abs(value - target[i]) > EPS:
            excess += value - target[i]
            _take(i, value, target, members, capacity)


def _fits(extra: float, own: Members, capacity: Sequence[float]) -> bool:
    return all(capacity[k] >= w * extra - EPS for k, w in own)


def _take(
    i: int, value: float, target: list[float], own_members: Sequence[Members], capacity: list[float]
) -> None:
    """Set a connector's value, moving the room it takes or leaves."""
    extra = value - target[i]
    for k, w in own_members[i]:
        capacity[k] -= w * extra
    target[i] = value
