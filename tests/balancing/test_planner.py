"""Price mode: the site plan of cheap slots, and how the engine follows it."""

from __future__ import annotations

from dataclasses import replace
import math
from typing import Any

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.smart_charging.balancing import (
    ConnectorInput,
    EngineSettings,
    EngineState,
    LimitReason,
    Mode,
    PriceSlot,
    Result,
    allocate,
)
from custom_components.smart_charging.balancing.model import ConnectorMemory
from custom_components.smart_charging.balancing.planner import Need, _greedy, _pour, plan, timeline

from .sites import car, site

HOUR = 3600.0
VOLTAGE = 230.0
POWER = 16.0 * 3 * VOLTAGE  # 11 040 W: a 3-phase car at 16 A
SETTINGS = EngineSettings(
    safety_margin=0.0, dead_band=0.0, solar_start_delay=0.0, solar_stop_delay=0.0
)
# Dear until 2 h, cheap 2-6 h, dear again 6-8 h.
DAY_NIGHT = (
    PriceSlot(start=0.0, end=2 * HOUR, price=0.30),
    PriceSlot(start=2 * HOUR, end=6 * HOUR, price=0.10),
    PriceSlot(start=6 * HOUR, end=8 * HOUR, price=0.30),
)


def slot(start_h: float, end_h: float, price: float) -> PriceSlot:
    """A slot given in hours."""
    return PriceSlot(start=start_h * HOUR, end=end_h * HOUR, price=price)


# --- the forecast as a timeline ------------------------------------------------------


def test_timeline_fills_gaps_and_cuts_at_both_ends() -> None:
    """Gaps and the stretch after the forecast are unknown (infinitely dear)."""
    line = timeline(HOUR / 2, (slot(0, 1, 0.2), slot(2, 3, 0.1)), 4 * HOUR)
    assert [(s.start / HOUR, s.end / HOUR, s.price) for s in line] == [
        (0.5, 1, 0.2),
        (1, 2, math.inf),
        (2, 3, 0.1),
        (3, 4, math.inf),
    ]


def test_timeline_sorts_clips_overlaps_and_distrusts_nan() -> None:
    """Unsorted input, an overlap (the earlier slot wins), a NaN price, an empty slot."""
    line = timeline(
        0.0,
        (slot(1, 3, 0.3), slot(0, 2, 0.1), slot(3, 4, math.nan), slot(5, 5, 0.0)),
        4 * HOUR,
    )
    assert [(s.start / HOUR, s.end / HOUR, s.price) for s in line] == [
        (0, 2, 0.1),
        (2, 3, 0.3),
        (3, 4, math.inf),
    ]


# --- the plan ----------------------------------------------------------------------


def test_one_car_waits_for_the_cheap_slots() -> None:
    """11 kWh fit into the cheap 4 h: it pays the cheap price, from 2 h on."""
    plans = plan(0.0, DAY_NIGHT, [Need(0, POWER, 8 * HOUR, POWER)], 50_000.0, 50_000.0)
    assert plans[0].threshold == 0.10
    assert plans[0].start == 2 * HOUR


def test_a_shared_connection_sends_the_later_car_to_dearer_slots() -> None:
    """Room for one car: the one leaving first gets the cheap slots, the other dear ones."""
    needs = [Need(1, 2 * POWER, 8 * HOUR, POWER), Need(0, 3 * POWER, 6 * HOUR, POWER)]
    plans = plan(0.0, DAY_NIGHT, needs, POWER, POWER)
    assert (plans[0].threshold, plans[0].start) == (0.10, 2 * HOUR)
    assert (plans[1].threshold, plans[1].start) == (0.30, 0.0)  # dear now rather than later


def test_the_plan_holds_when_the_cheap_slots_are_shared_equally() -> None:
    """Two cars in the same cheap slots share them equally, not one after the other.

    Car by car, 3 h for the first (leaving at 5 h) and 1 h for the second fit into the
    cheap 2-6 h. Shared equally, the first has only 2 h worth by 5 h: it must start
    in the dear hours now; then both get what they need.
    """
    needs = [Need(0, 3 * POWER, 5 * HOUR, POWER), Need(1, POWER, 6 * HOUR, POWER)]
    plans = plan(0.0, DAY_NIGHT, needs, POWER, POWER)
    assert (plans[0].threshold, plans[0].start) == (0.30, 0.0)
    assert (plans[1].threshold, plans[1].start) == (0.10, 2 * HOUR)


def test_capacity_later_is_what_the_future_slots_count_on() -> None:
    """Half the room after now: 8 h of a car's energy no longer fit into the cheap 4 h."""
    needs = [Need(0, 3 * POWER, 8 * HOUR, POWER)]
    assert plan(0.0, DAY_NIGHT, needs, POWER, POWER)[0].threshold == 0.10
    assert plan(0.0, DAY_NIGHT, needs, POWER, POWER / 2)[0].threshold == 0.30


def test_more_than_the_forecast_holds_charges_now_at_any_price() -> None:
    """A need beyond every known slot before the departure: threshold ∞, start now."""
    plans = plan(600.0, DAY_NIGHT, [Need(0, 9 * POWER, 8 * HOUR, POWER)], POWER, POWER)
    assert plans[0] == type(plans[0])(threshold=math.inf, start=600.0)


def test_a_car_is_limited_by_its_own_power_and_its_departure() -> None:
    """A 1 h stay in the cheap slots holds one hour at the car's power, not more."""
    needs = [Need(0, 1.5 * POWER, 3 * HOUR, POWER)]
    plans = plan(0.0, DAY_NIGHT, needs, 10 * POWER, 10 * POWER)
    assert plans[0].threshold == 0.30
    assert plans[0].start == 0.0


def test_cars_that_need_nothing_get_no_plan() -> None:
    """Zero energy or zero power: nothing to plan."""
    needs = [Need(0, 0.0, 8 * HOUR, POWER), Need(1, POWER, 8 * HOUR, 0.0)]
    assert plan(0.0, DAY_NIGHT, needs, POWER, POWER) == {}


@st.composite
def planning_cases(draw: st.DrawFn) -> tuple[list[PriceSlot], list[Need], float]:
    """Hourly prices over 12 h and a few cars with random needs and departures."""
    prices = draw(st.lists(st.sampled_from([0.1, 0.2, 0.3]), min_size=12, max_size=12))
    slots = [slot(n, n + 1, price) for n, price in enumerate(prices)]
    needs = [
        Need(
            key,
            draw(st.floats(0.0, 60_000.0)),
            draw(st.sampled_from([3, 6, 9, 12])) * HOUR,
            draw(st.sampled_from([3680.0, 11_040.0, 22_080.0])),
        )
        for key in range(draw(st.integers(1, 6)))
    ]
    return slots, needs, draw(st.sampled_from([5000.0, 20_000.0, 60_000.0]))


@settings(max_examples=150, deadline=None)
@given(planning_cases())
def test_charging_at_the_threshold_delivers_every_feasible_need(
    case: tuple[list[PriceSlot], list[Need], float],
) -> None:
    """Every plan is feasible: charging at the threshold's prices holds the need.

    For each car alone, the slots before its departure whose price is at most its
    threshold hold its energy at its power; a car whose threshold is ∞ could not be
    planned within the known slots (the site's room) and starts now.
    """
    slots, needs, capacity = case
    plans = plan(0.0, slots, needs, capacity, capacity)
    for need in needs:
        if need.energy <= 0:
            assert need.key not in plans
            continue
        found = plans[need.key]
        if math.isinf(found.threshold):
            assert found.start == 0.0
            continue
        hours = sum(
            (min(s.end, need.departure) - s.start) / HOUR
            for s in slots
            if s.start < need.departure and s.price <= found.threshold
        )
        assert need.power * hours >= need.energy - 1e-6


@settings(max_examples=60, deadline=None)
@given(planning_cases(), st.randoms())
def test_the_plan_does_not_depend_on_the_order_of_the_input(
    case: tuple[list[PriceSlot], list[Need], float], shuffler: Any
) -> None:
    """Slots and cars in any order: the same plan."""
    slots, needs, capacity = case
    shuffled_slots, shuffled_needs = list(slots), list(needs)
    shuffler.shuffle(shuffled_slots)
    shuffler.shuffle(shuffled_needs)
    assert plan(0.0, shuffled_slots, shuffled_needs, capacity, capacity) == plan(
        0.0, slots, needs, capacity, capacity
    )


# --- the engine in price mode -------------------------------------------------------


def priced_car(**fields: Any) -> ConnectorInput:
    """A price-mode car wanting 11 kWh by 8 h, 3-phase, 6-16 A."""
    fields.setdefault("energy_needed", POWER)
    fields.setdefault("departure", 8 * HOUR)
    return car("ev", mode=Mode.PRICE, **fields)


def checked(*keys: str) -> EngineState:
    """A state in which these cars were seen following an offer: the plan knows them."""
    return EngineState(connectors={key: ConnectorMemory(car_checked=True) for key in keys})


def run(
    connector: ConnectorInput,
    now: float = 0.0,
    state: EngineState | None = None,
    export: float = 0.0,
    prices: tuple[PriceSlot, ...] = DAY_NIGHT,
) -> Result:
    """One call with a grid meter: no house load, `export` A per phase of PV export.

    Without a state, the car has been seen following an offer (it needs no first moment
    of charging to tell what it takes).
    """
    drawn = connector.measured
    grid = (drawn[0] - export, drawn[1] - export, drawn[2] - export)
    return allocate(
        site(connector, now=now, limit=32.0, grid_current=grid, settings=SETTINGS, prices=prices),
        checked(connector.connector_id) if state is None else state,
    )


def test_price_mode_waits_for_the_cheap_slots_and_says_when() -> None:
    """Dear now, cheap from 2 h: nothing now, planned start 2 h, reason cheaper later."""
    result = run(priced_car())
    allocation = result.allocations["ev"]
    assert allocation.current == 0.0
    assert allocation.reason is LimitReason.CHEAPER_LATER
    assert allocation.planned_start == 2 * HOUR


def arrive_and_draw(van: ConnectorInput, amps: float) -> Result:
    """A price-mode car arrives, is offered current, and its charger reports `amps` 15 s on."""
    first = run(van, state=EngineState())
    assert first.allocations["ev"].current == 16.0  # not seen yet: it charges a moment
    assert first.allocations["ev"].reason is LimitReason.CHECKING_CAR
    assert not first.state.connectors["ev"].car_checked
    drawing = replace(van, measured=(amps,) * 3, measured_at=15.0)
    return run(drawing, now=15.0, state=first.state)


def test_a_car_just_arrived_charges_a_moment_to_show_what_it_takes() -> None:
    """Then the plan counts on what it takes: a van taking 8 A of 16 needs twice the hours.

    2.5 car-hours at 9 A (its draw + 1) do not fit into the 4 cheap hours: it keeps on,
    dear. 1 car-hour fits: it waits, and keeps its learned limit while it waits (no
    offer, nothing to probe).
    """
    big = arrive_and_draw(priced_car(energy_needed=2.5 * POWER), 8.0)
    memory = big.state.connectors["ev"]
    assert (memory.car_checked, memory.car_limit) == (True, 9.0)
    assert (big.allocations["ev"].current, big.allocations["ev"].planned_start) == (9.0, 15.0)

    small = arrive_and_draw(priced_car(energy_needed=POWER), 8.0)
    assert small.allocations["ev"].reason is LimitReason.CHEAPER_LATER
    idle = priced_car(energy_needed=POWER, measured_at=30.0)
    later = run(idle, now=1800.0, state=small.state)
    assert later.allocations["ev"].reason is LimitReason.CHEAPER_LATER
    assert later.state.connectors["ev"].car_limit == 9.0
    assert later.state.connectors["ev"].car_checked


def test_the_session_ends_what_was_learned() -> None:
    """Unplugged: the next car is not known (it charges a moment first again)."""
    state = checked("ev")
    gone = run(priced_car(active=False), state=state)
    assert not gone.state.connectors["ev"].car_checked
    back = run(priced_car(), now=60.0, state=gone.state)
    assert back.allocations["ev"].current == 16.0


def test_price_mode_charges_in_the_cheap_slot_until_it_ends() -> None:
    """In the cheap slot it charges as FAST; it keeps on until the slot's end (12 h stay)."""
    first = run(priced_car(departure=12 * HOUR), now=2 * HOUR)
    allocation = first.allocations["ev"]
    assert (allocation.current, allocation.reason) == (16.0, LimitReason.USER_MAXIMUM)
    assert allocation.planned_start == 2 * HOUR
    assert first.state.connectors["ev"].planned_until == 6 * HOUR
    # Charging on in the slot: the planned start stays when it began, not "now".
    on = run(priced_car(departure=12 * HOUR), now=2.5 * HOUR, state=first.state)
    assert on.allocations["ev"].planned_start == 2 * HOUR
    # A dearer slot now, but the slot it started in has not ended: it goes on.
    dearer = (slot(0, 6, 0.5), slot(6, 7, 0.1))
    again = run(
        priced_car(departure=12 * HOUR, measured=(16.0,) * 3),
        now=3 * HOUR,
        state=first.state,
        prices=dearer,
    )
    assert again.allocations["ev"].current == 16.0
    later = run(
        priced_car(departure=12 * HOUR, measured=(16.0,) * 3),
        now=6.5 * HOUR,
        state=again.state,
        prices=dearer,
    )
    assert later.allocations["ev"].current == 16.0  # 6-7 h is the cheapest now
    # Past the forecast, with energy still wanted: unknown prices, so it charges now.
    gone = run(
        priced_car(departure=12 * HOUR, measured=(16.0,) * 3),
        now=7 * HOUR,
        state=later.state,
        prices=dearer,
    )
    assert (gone.allocations["ev"].current, gone.allocations["ev"].planned_start) == (
        16.0,
        2 * HOUR,  # charging without a break since 2 h
    )


def test_price_mode_takes_surplus_while_it_waits() -> None:
    """Waiting for cheap slots, it still charges from surplus (as SOLAR does)."""
    result = run(priced_car(), export=10.0)
    allocation = result.allocations["ev"]
    assert allocation.current == pytest.approx(10.0)
    assert allocation.reason is LimitReason.SOLAR_SURPLUS
    assert allocation.planned_start == 2 * HOUR


def test_price_mode_without_a_forecast_or_target_charges_as_fast() -> None:
    """Nothing to plan with: no forecast, or no departure, or no energy target."""
    for connector, prices in (
        (priced_car(), ()),
        (priced_car(departure=None), DAY_NIGHT),
        (priced_car(energy_needed=None), DAY_NIGHT),
    ):
        allocation = run(connector, prices=prices).allocations["ev"]
        assert (allocation.current, allocation.planned_start) == (16.0, None)


def test_price_mode_with_its_target_in_takes_surplus_only() -> None:
    """The energy is in: no grid charging, not even in the cheap slot; surplus still."""
    done = priced_car(energy_needed=0.0)
    cheap = run(done, now=3 * HOUR).allocations["ev"]
    assert (cheap.current, cheap.planned_start) == (0.0, None)
    sunny = run(done, now=3 * HOUR, export=8.0).allocations["ev"]
    assert sunny.current == pytest.approx(8.0)


def test_a_target_a_few_wh_short_counts_as_reached() -> None:
    """Meter rounding leaves a full car a few Wh short: no grid charging for those."""
    almost = run(priced_car(energy_needed=40.0), now=3 * HOUR).allocations["ev"]
    assert (almost.current, almost.planned_start) == (0.0, None)


def test_price_mode_that_cannot_wait_charges_now() -> None:
    """More than the cheap slots hold before the departure: it charges now, dear."""
    allocation = run(priced_car(energy_needed=5 * POWER)).allocations["ev"]
    assert allocation.current == 16.0
    assert allocation.planned_start == 0.0


def test_the_deadline_overrides_the_plan() -> None:
    """Close to the departure the deadline makes it FAST, whatever the prices say."""
    prices = (slot(0, 1, 0.3), slot(1, 2, 0.1))
    allocation = run(priced_car(departure=1.3 * HOUR), prices=prices).allocations["ev"]
    assert (allocation.current, allocation.deadline) == (16.0, True)


def test_other_cars_take_their_share_of_the_planned_room() -> None:
    """A FAST car drawing half the fuse halves the room the plan has for the others.

    Without it, both price-mode cars fit into the cheap slots and wait; with it, one of
    them must start in the dear hours.
    """
    fast = car("fast", station_id="s0", measured=(16.0,) * 3)
    first = priced_car(energy_needed=3 * POWER)
    second = replace(first, connector_id="ev2")

    def run_site(*connectors: ConnectorInput) -> Result:
        grid = tuple(sum(c.measured[p] for c in connectors) for p in range(3))
        snapshot = site(
            *connectors,
            limit=32.0,
            grid_current=grid,
            settings=SETTINGS,
            prices=DAY_NIGHT,
        )
        return allocate(snapshot, checked("fast", "ev", "ev2"))

    alone = run_site(first, second).allocations
    assert [alone[key].planned_start for key in ("ev", "ev2")] == [2 * HOUR, 2 * HOUR]
    shared = run_site(fast, first, second).allocations
    # 2 x 33 kWh, 44 kWh of room in the cheap 4 h: the second car starts in the dear
    # hours now, the first waits; shared equally, the cheap hours still serve both.
    assert shared["ev"].planned_start == 2 * HOUR
    assert shared["ev"].reason is LimitReason.CHEAPER_LATER
    assert shared["ev2"].planned_start == 0.0
    assert [shared[key].current for key in ("fast", "ev2")] == pytest.approx([16.0, 16.0])


def test_a_car_with_no_dearer_level_left_charges_now() -> None:
    """Short even at the dearest known price: it charges now, at any price."""
    flat = (slot(0, 4, 0.2),)
    needs = [Need(0, 3 * POWER, 3 * HOUR, POWER), Need(1, 3 * POWER, 4 * HOUR, POWER)]
    plans = plan(600.0, flat, needs, POWER, POWER)
    assert plans[0] == type(plans[0])(threshold=math.inf, start=600.0)


def test_a_large_site_keeps_the_plan_car_by_car() -> None:
    """Too many cars to check against equal sharing at every call: the greedy plan."""
    needs = [Need(key, 2 * POWER, (5 + key % 3) * HOUR, POWER) for key in range(200)]
    line = timeline(0.0, DAY_NIGHT, 8 * HOUR)
    room = [60 * POWER * (s.end - s.start) / HOUR for s in line]
    assert plan(0.0, DAY_NIGHT, needs, 60 * POWER, 60 * POWER) == _greedy(0.0, line, room, needs)


# --- patient sharing: what the departure needs first -------------------------------


def test_the_check_shares_as_the_engine_does_departures_first() -> None:
    """Two cars on 1.5 cars' worth of room, the first leaving at 4 h with 3.5 h of need.

    Shared equally (0.75 each), the first would get 3 car-hours by its departure and be
    sent to a dearer level (none is known: charge now at any price). Shared as the
    engine does, each first gets what its departure needs (3.5 and 2 car-hours by 4 h)
    and the second takes the rest after: both fit into the cheap slot.
    """
    flat = (slot(0, 8, 0.10),)
    needs = [Need(0, 3.5 * POWER, 4 * HOUR, POWER), Need(1, 4 * POWER, 8 * HOUR, POWER)]

    def planned(pace: EngineSettings | None) -> list[float]:
        plans = plan(0.0, flat, needs, 1.5 * POWER, 1.5 * POWER, pace)
        return [plans[key].threshold for key in (0, 1)]

    assert planned(None)[0] == math.inf
    no_margin = EngineSettings(deadline_margin=0.0, deadline_buffer=0.0)
    assert planned(no_margin) == [0.10, 0.10]
    # With the deadline's margin and buffer the first car needs more than it can take
    # (it is not patient), the second still gives way: both fit again.
    assert planned(EngineSettings(deadline_margin=0.15, deadline_buffer=900.0)) == [0.10, 0.10]


def test_the_check_counts_the_buffer_of_a_car_that_gives_way() -> None:
    """The second car's need by 8 h counts the 15 minutes: with them it takes too much.

    Same room, the first car wanting 3.5 car-hours by 4 h (all it can take then), the
    second 4.3 by 8 h. Needing 4.3 * 1.15 car-hours by 7:45, the second first takes 2.55
    of the 6 the first 4 h hold, and the first is left 0.05 short: it charges now. Aimed
    at 8 h, the second would take 2.47 and both would fit the cheap slot.
    """
    flat = (slot(0, 8, 0.10),)
    needs = [Need(0, 3.5 * POWER, 4 * HOUR, POWER), Need(1, 4.3 * POWER, 8 * HOUR, POWER)]

    def planned(pace: EngineSettings) -> list[float]:
        plans = plan(0.0, flat, needs, 1.5 * POWER, 1.5 * POWER, pace)
        return [plans[key].threshold for key in (0, 1)]

    assert planned(EngineSettings(deadline_buffer=0.0)) == [0.10, 0.10]
    assert planned(EngineSettings()) == [math.inf, 0.10]


def test_price_cars_charging_as_planned_are_patient() -> None:
    """In the cheap slot, a car leaving later gives way to one that must leave soon.

    Both want 11 kWh on a 20 A fuse. The first leaves at 1.5 h and needs 14.7 A (with
    margin and buffer), the second at 8 h needs 2.4 A: it keeps its 6 A minimum and the
    first gets the rest. Equal sharing would give each 10 A.
    """
    soon = car("soon", mode=Mode.PRICE, energy_needed=POWER, departure=1.5 * HOUR)
    later = car("later", mode=Mode.PRICE, energy_needed=POWER, departure=8 * HOUR)
    cheap = (slot(0, 8, 0.10),)
    snapshot = site(
        soon, later, limit=20.0, grid_current=(0.0,) * 3, settings=SETTINGS, prices=cheap
    )
    allocations = allocate(snapshot, checked("soon", "later")).allocations
    assert allocations["soon"].current == pytest.approx(14.0)
    assert allocations["later"].current == pytest.approx(6.0)
    assert allocations["later"].reason is LimitReason.ON_SCHEDULE


def test_the_plan_counts_on_cars_giving_way() -> None:
    """Through `allocate`: the plan's check shares as the engine does, so nobody pays dear.

    27 A (1.69 cars' worth), dear until 2 h, cheap 2-8 h. The first car leaves at 6 h with
    3.5 car-hours, the second at 8 h with 3.8. Shared equally, the first would get 3.375
    car-hours of the cheap hours by 6 h and start now, dear. The second needs only about
    3 car-hours by 6 h to leave full at 8 h: it gives way, and both wait for 2 h.
    """
    prices = (slot(0, 2, 0.30), slot(2, 8, 0.10))
    first = car("first", mode=Mode.PRICE, energy_needed=3.5 * POWER, departure=6 * HOUR)
    second = car("second", mode=Mode.PRICE, energy_needed=3.8 * POWER, departure=8 * HOUR)
    snapshot = site(
        first, second, limit=27.0, grid_current=(0.0,) * 3, settings=SETTINGS, prices=prices
    )
    allocations = allocate(snapshot, checked("first", "second")).allocations
    for key in ("first", "second"):
        assert allocations[key].current == 0.0
        assert allocations[key].planned_start == 2 * HOUR
        assert allocations[key].reason is LimitReason.CHEAPER_LATER


def test_the_rest_is_poured_to_one_level() -> None:
    """After their needs, who got least rises first, to a common level, none above its cap."""
    left = {0: 10_000.0, 1: 10_000.0, 2: 10_000.0}
    _pour([(1000.0, 10_000.0, 0), (5000.0, 10_000.0, 1), (6500.0, 6600.0, 2)], 8000.0, left)
    # 0 rises alone to 5000 (4000), 0 and 1 to 6500 (3000), all three to 2's cap of 6600
    # (300), then 0 and 1 to 6950 (700).
    assert left == pytest.approx({0: 4050.0, 1: 8050.0, 2: 9900.0})
    plenty = {0: 10_000.0, 1: 10_000.0}
    _pour([(1000.0, 3000.0, 0), (5000.0, 6000.0, 1)], 1e9, plenty)
    assert plenty == pytest.approx({0: 8000.0, 1: 9000.0})
