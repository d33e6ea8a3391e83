"""Who gets a minimum when not everyone can: priority first, then rotation.

Within a priority: first the connectors charging for less than `rotation_interval`
(they keep their place); then those that have waited at least an interval, longest
first; then those charging for an interval or more, the longest-running last; last
those that have waited less than an interval, longest first. So once a charging car
has had its interval and another has waited one, they swap, and every car takes its
turn (round robin); nobody is swapped in or out sooner than an interval (no flap).
When there is room for everyone's minimum, the order does not matter.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from .constants import BULK_ADMISSION, EPS
from .context import Context
from .model import ConnectorMemory
from .waterfill import Members

PROTECTED = 0  # charging for less than an interval
WAITED = 1  # waiting for an interval or more
EXPIRED = 2  # charging for an interval or more
WAITING = 3  # waiting for less than an interval (or just arrived)


def admission_order(
    items: Iterable[int],
    priorities: Sequence[int],
    memories: Sequence[ConnectorMemory],
    now: float,
    interval: float,
) -> list[int]:
    """The items in the order they get their minimum.

    Indices break the remaining ties: pass items whose indices follow a fixed order
    (the engine's are sorted by station and connector id).
    """
    keys: dict[int, tuple[int, int, float, int]] = {}
    for i in items:
        memory = memories[i]
        served = memory.served_since
        if served is not None:
            if now - served < interval:
                keys[i] = (-priorities[i], PROTECTED, served, i)
            else:
                keys[i] = (-priorities[i], EXPIRED, -served, i)
        else:
            waiting = memory.waiting_since
            since = now if waiting is None else waiting
            group = WAITED if now - since >= interval else WAITING
            keys[i] = (-priorities[i], group, since, i)
    return sorted(keys, key=keys.__getitem__)


def admit(
    order: Sequence[int],
    need: Sequence[float],
    members: Sequence[Members],
    capacity: list[float],
    blocked: dict[int, int],
) -> list[int]:
    """Admit connectors in order while their minimum fits; reserve it.

    Returns the admitted ones; `blocked[i]` gets the constraint a refused one did not
    fit in.
    """
    admitted: list[int] = []
    for i in order:
        amount = need[i]
        own = members[i]
        # Take it, and give it back if it did not fit (the usual case is that it fits).
        short: int | None = None  # the first constraint it does not fit in
        for k, w in own:
            left = capacity[k] - w * amount
            capacity[k] = left
            if left < -EPS and short is None:
                short = k
        if short is None:
            admitted.append(i)
            continue
        blocked[i] = short
        for k, w in own:
            capacity[k] += w * amount
    return admitted


def fits(amount: float, own: Members, capacity: Sequence[float]) -> float:
    """The most (up to `amount`) that fits in every constraint of `own`."""
    best = amount
    for k, w in own:
        if w * best > capacity[k]:
            best = max(0.0, capacity[k] / w)
    return best


def give_minimums(context: Context, items: list[int], blocked: dict[int, int]) -> list[int]:
    """Reserve the minimum of those who get one (see `admission`).

    When every minimum fits, all get one (the order does not matter): checked and
    reserved at once.
    """
    floors = context.min_current
    capacity = context.net.capacity
    if len(items) > BULK_ADMISSION:
        demand = context.sums(items, floors)
        if all(need <= room + EPS for need, room in zip(demand, capacity, strict=True)):
            capacity[:] = [room - need for room, need in zip(capacity, demand, strict=True)]
            return items
    order = admission_order(
        items,
        context.priority,
        context.memories,
        context.now,
        context.site.settings.rotation_interval,
    )
    return admit(order, floors, context.members, capacity, blocked)
