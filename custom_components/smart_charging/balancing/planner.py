"""Price mode: which cars charge from the grid now, planned for the whole site.

A plan per car alone fails on a shared connection: fifty vans that each pick the same
cheap hours find the fuse full then. So the cars are planned together, earliest
departure first, each into the cheapest slots before its departure that the
connection still has room for (earlier first among equal prices). What a car cannot
fit into known slots goes into the unknown (dearer than every known price).

A car then charges from the grid whenever the price is at most the dearest price its
plan has to pay (its threshold), not only in the slots the plan gave it: among equal
prices, now is better than later, and the sharing spreads what the connection gives
over everyone at that price. Because the sharing is equal, not car by car, the plan is
checked against it: a car that would leave short has its threshold raised to the next
price level (a few rounds), so it starts in dearer slots before the cheap ones fill.
A car charging as planned is patient (see `sharing`): it first gets what its departure
needs, then shares the rest; the check shares the same way.
The plan is made again at every call, so energy that came in, or did not, moves the
thresholds. A car that starts in a slot keeps charging
until the slot ends, or the noise of a house load would start and stop it. A car that
just arrived charges for a moment first, until its draw shows what it takes: the plan
counts on that power.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
import itertools
import math

from .constants import SECONDS_PER_HOUR
from .context import Context, Status
from .deadline import departure_power, energy_wanted
from .model import EngineSettings, Mode, PriceSlot


@dataclass(frozen=True, slots=True)
class Need:
    """One car to plan: Wh still wanted from the grid by `departure`, at most `power` W."""

    key: int
    energy: float
    departure: float
    power: float


@dataclass(frozen=True, slots=True)
class Plan:
    """A car's plan: the dearest price it has to pay, and when it first charges."""

    threshold: float  # math.inf: it needs slots of unknown price, so it charges now
    start: float


def timeline(now: float, slots: Sequence[PriceSlot], until: float) -> list[PriceSlot]:
    """The forecast from `now` to `until`, sorted, without overlaps, gaps as unknown.

    Unknown stretches (before the first slot, between slots, after the last, or a slot
    with a price that is not a number) get the price math.inf: dearer than every known.
    """
    known = sorted(
        (slot for slot in slots if slot.end > now and slot.start < until and slot.end > slot.start),
        key=lambda slot: (slot.start, slot.end),
    )
    out: list[PriceSlot] = []
    at = now
    for slot in known:
        start = max(slot.start, at)
        end = min(slot.end, until)
        if end <= start:
            continue
        if start > at:
            out.append(PriceSlot(start=at, end=start, price=math.inf))
        price = slot.price if math.isfinite(slot.price) else math.inf
        out.append(PriceSlot(start=start, end=end, price=price))
        at = end
    if at < until:
        out.append(PriceSlot(start=at, end=until, price=math.inf))
    return out


def plan(
    now: float,
    slots: Sequence[PriceSlot],
    needs: Sequence[Need],
    capacity_now: float,
    capacity_later: float,
    pace: EngineSettings | None = None,
) -> dict[int, Plan]:
    """Plan every car's grid energy into the cheapest slots the connection has room for.

    `capacity_now` (W) is what the cars may draw in the slot under way, `capacity_later`
    what is counted on in later ones. `pace` (its deadline margin and buffer): the
    sharing gives each car what its departure needs first (`departure_power`, as
    `sharing.on_schedule` does); None: plain equal sharing. Returns a plan for each car
    that needs energy.
    """
    wanting = [need for need in needs if need.energy > 0 and need.power > 0]
    if not wanting:
        return {}
    until = max(need.departure for need in wanting)
    line = timeline(now, slots, until)
    # Room per slot, in Wh.
    room = [
        max(0.0, capacity_now if n == 0 else capacity_later)
        * (slot.end - slot.start)
        / SECONDS_PER_HOUR
        for n, slot in enumerate(line)
    ]
    plans = _greedy(now, line, list(room), wanting)
    if len(wanting) * (len(line) + len(wanting)) > _CHECK_BUDGET:
        return plans  # too many cars to check every call: the plan stays car by car
    for _round in range(_SHARING_ROUNDS):
        short = _short_when_shared(line, room, wanting, plans, pace)
        if not short:
            break
        for need in short:
            plans[need.key] = _dearer(now, line, need, plans[need.key])
    return plans


# How often a plan is checked against equal sharing and its short cars sent to dearer
# slots (each round costs a pass over the slots and cars).
_SHARING_ROUNDS = 3
# Cars x (slots + departures) up to which the check runs at every call (about 120 cars
# over 36 hourly prices); beyond, it would cost more than the allocation itself.
_CHECK_BUDGET = 20_000


def _greedy(
    now: float, line: list[PriceSlot], room: list[float], wanting: list[Need]
) -> dict[int, Plan]:
    """Earliest departure first, each car into the cheapest slots with room left."""
    # Cheapest first, earlier first among equal prices.
    order = sorted(range(len(line)), key=lambda n: (line[n].price, line[n].start))
    plans: dict[int, Plan] = {}
    for need in sorted(wanting, key=lambda need: (need.departure, need.key)):
        left = need.energy
        threshold = -math.inf
        start = math.inf
        for n in order:
            slot = line[n]
            if slot.start >= need.departure:
                continue
            hours = (min(slot.end, need.departure) - slot.start) / SECONDS_PER_HOUR
            take = min(left, need.power * hours, room[n])
            if take <= 0:
                continue
            room[n] -= take
            left -= take
            threshold = max(threshold, slot.price)
            start = min(start, slot.start)
            if left <= 0:
                break
        if left > 0:  # more than the known slots hold: charge at any price, now
            threshold, start = math.inf, now
        plans[need.key] = Plan(threshold=threshold, start=start)
    return plans


def _short_when_shared(
    line: list[PriceSlot],
    room: list[float],
    wanting: list[Need],
    plans: dict[int, Plan],
    pace: EngineSettings | None,
) -> list[Need]:
    """The cars that would leave short if each slot were shared by who charges in it.

    The plan fills the connection car by car; the sharing gives every car charging in a
    slot an equal share (max-min fair, within what each still wants and can take), after
    what each one's departure needs (`pace`). A car with a large need and an early
    departure may then get less of the cheap slots than its plan assumed.
    """
    left = {need.key: need.energy for need in wanting}
    departures = sorted({need.departure for need in wanting})
    for n, slot in enumerate(line):
        # Cut at departures: who charges changes there, and with it the shares.
        cuts = [slot.start, *(d for d in departures if slot.start < d < slot.end), slot.end]
        per_hour = room[n] / (slot.end - slot.start) * SECONDS_PER_HOUR
        for start, end in itertools.pairwise(cuts):
            _share_piece(start, end, slot.price, per_hour, wanting, plans, left, pace)
    return [need for need in wanting if left[need.key] > _SHORT_WH]


def _share_piece(
    start: float,
    end: float,
    price: float,
    per_hour: float,
    wanting: list[Need],
    plans: dict[int, Plan],
    left: dict[int, float],
    pace: EngineSettings | None,
) -> None:
    """Share `per_hour` Wh/h from `start` to `end` among the cars charging then.

    As the engine shares: max-min fair, each car first only up to what its departure
    needs over the piece (if that is less than it can take), then the rest among them.
    """
    hours = (end - start) / SECONDS_PER_HOUR
    caps: list[tuple[float, int]] = []
    patient: dict[int, float] = {}
    for need in wanting:
        key = need.key
        if left[key] <= 0 or need.departure <= start or price > plans[key].threshold:
            continue
        cap = min(left[key], need.power * hours)
        if pace is not None:
            needed = departure_power(left[key], need.departure - start, pace) * hours
            if needed < cap:
                patient[key] = cap
                cap = needed
        caps.append((cap, key))
    before = {key: left[key] for key in patient}
    energy = _fair(caps, per_hour * hours, left)
    if patient and energy > 0:
        # The rest raises them to one common level, from what each got first.
        _pour([(before[key] - left[key], cap, key) for key, cap in patient.items()], energy, left)


def _fair(caps: list[tuple[float, int]], energy: float, left: dict[int, float]) -> float:
    """Give `energy` max-min fair to the cars of `caps` (Wh each may take); returns the rest."""
    count = len(caps)
    for cap, key in sorted(caps):
        given = min(cap, energy / count)
        left[key] -= given
        energy -= given
        count -= 1
    return energy


def _pour(items: list[tuple[float, float, int]], energy: float, left: dict[int, float]) -> None:
    """Raise `items` (got, cap, key; Wh over the piece) to one common level with `energy`.

    As the engine's second filling does: who got least rises first, none above its cap.
    """
    events = sorted(
        [(got, 1) for got, cap, _key in items if cap > got]
        + [(cap, -1) for got, cap, _key in items if cap > got]
    )
    level = -math.inf
    rising = 0
    poured = 0.0
    for at, change in events:
        if rising:
            more = rising * (at - level)
            if poured + more >= energy:
                level += (energy - poured) / rising
                break
            poured += more
        level = at
        rising += change
    else:
        level = math.inf  # room for all of it: every car to its cap
    for got, cap, key in items:
        left[key] -= max(0.0, min(level, cap) - got)


# Wh a car may lack in the sharing check and still count as served (rounding).
_SHORT_WH = 1.0


def _dearer(now: float, line: list[PriceSlot], need: Need, found: Plan) -> Plan:
    """The next dearer price level before the car's departure (∞: charge now, at any price)."""
    dearer = [
        slot.price
        for slot in line
        if slot.start < need.departure and found.threshold < slot.price < math.inf
    ]
    if not dearer:
        return Plan(threshold=math.inf, start=now)
    threshold = min(dearer)
    start = min(
        slot.start for slot in line if slot.start < need.departure and slot.price <= threshold
    )
    return Plan(threshold=threshold, start=start)


def slot_under_way(now: float, slots: Sequence[PriceSlot]) -> tuple[float, float]:
    """The price of the slot under way (math.inf if none is known) and when it ends (`now`)."""
    price = end = math.inf
    for slot in slots:
        if slot.start <= now < slot.end:
            end = min(end, slot.end)
            if math.isinf(price) and math.isfinite(slot.price):
                price = slot.price
    return price, (now if math.isinf(end) else end)


def plan_capacity(context: Context, ev_power: float, planned: set[int]) -> float:
    """W the planned cars may draw: `ev_power` less what the other cars draw now."""
    measured = context.measured
    others = sum(
        max(0.0, sum(measured[i]))  # a car that discharges leaves the others nothing more
        for i, status in enumerate(context.status)
        if status is Status.CHARGE and i not in planned
    )
    return max(0.0, ev_power - others * context.voltage)


def _need(context: Context, i: int, energy: float) -> Need:
    """Car i's need of `energy` Wh by its departure, at its maximum."""
    connector = context.connectors[i]
    return Need(
        key=i,
        energy=energy,
        departure=connector.departure or context.now,
        power=context.max_current[i] * context.voltage * len(context.wired[i]),
    )


def worth_discharging(context: Context, refills: dict[int, tuple[float, float]]) -> set[int]:
    """V2X price objective: the cars for which discharging now pays.

    `refills`: per car, the Wh (grid side) it must charge anyway by its departure and the
    Wh it would discharge until the slot under way ends. The site is planned once, every
    such car also charging back what it would discharge (/ both efficiencies); a car
    discharges when the price now beats the dearest price its plan pays (what charging
    back costs) / (charge efficiency * discharge efficiency) + the wear cost per kWh.
    A car that cannot charge it back in known slots before its departure does not.
    """
    site = context.site
    now = context.now
    price_now, _end = slot_under_way(now, site.prices)
    if not math.isfinite(price_now):
        return set()
    v2x = site.v2x
    both = v2x.charge_efficiency * v2x.discharge_efficiency
    if not 0 < both <= 1:
        both = 1.0
    settings = site.settings
    needs = {
        i: _need(context, i, energy_wanted(context.connectors[i], settings))
        for i in context.price_mode
    }
    for i, (own, discharged) in refills.items():
        needs[i] = _need(context, i, max(own, needs[i].energy if i in needs else 0.0))
        needs[i] = replace(needs[i], energy=needs[i].energy + discharged / both)
    capacity = plan_capacity(context, context.ev_power, set(needs))
    plans = plan(now, site.prices, list(needs.values()), capacity, capacity, settings)
    wear = max(0.0, v2x.wear_cost) if math.isfinite(v2x.wear_cost) else 0.0
    worth: set[int] = set()
    for i in refills:
        found = plans.get(i)
        if found is None or not math.isfinite(found.threshold):
            continue
        if price_now > max(found.threshold, found.threshold / both + wear):
            worth.add(i)
    return worth


def apply_plan(context: Context, ev_power: float) -> None:
    """Decide the price-mode connectors: FAST if the plan lets them charge now, else SOLAR.

    `ev_power` (W) is what the cars may draw in total now; later slots count on as much
    (the plan is made again at every call, so a house load that rises later moves it
    then). Connectors in price mode without a forecast, departure or energy target never
    get here (they are FAST).
    """
    site = context.site
    slots = site.prices
    connectors = context.connectors
    memories = context.memories
    now = context.now
    price_mode = context.price_mode = [i for i in context.solar if connectors[i].mode is Mode.PRICE]
    if not price_mode:
        return
    capacity = plan_capacity(context, ev_power, set(price_mode))
    needs = [_need(context, i, energy_wanted(connectors[i], site.settings)) for i in price_mode]
    plans = plan(now, slots, needs, capacity, capacity, site.settings)
    current, ends = slot_under_way(now, slots)
    charging: set[int] = set()
    for i in price_mode:
        found = plans.get(i)
        if found is None:  # its energy target is in: surplus only
            connectors[i] = replace(connectors[i], mode=Mode.SOLAR)
            continue
        until = memories[i].planned_until
        if until is not None and now < until:
            charging.add(i)
            context.planned_until[i] = until
        elif current <= found.threshold:
            charging.add(i)
            context.planned_until[i] = ends
        elif not context.car_checked[i]:
            # Not seen following an offer yet: a moment of charging tells the plan what
            # the car takes (an 11 kW van on a 22 kW wallbox needs twice the hours).
            charging.add(i)
            context.checking.add(i)
        else:
            context.planned_start[i] = found.start
            context.waiting_for_price.add(i)
            connectors[i] = replace(connectors[i], mode=Mode.SOLAR)
            continue
        # Charging as planned since an earlier call: its start stays when it began.
        before = context.previous_allocations.get(connectors[i].connector_id)
        started = before.planned_start if before is not None else None
        keep = memories[i].planned_until is not None and started is not None and started <= now
        context.planned_start[i] = started if keep else now
        context.solar_drawn -= sum(context.measured[i])
        context.solar_rising -= context.raised.get(i, 0.0)
        connectors[i] = replace(connectors[i], mode=Mode.FAST)
        context.patient.add(i)  # its departure and energy target are known
    if charging:
        context.solar = [i for i in context.solar if i not in charging]
