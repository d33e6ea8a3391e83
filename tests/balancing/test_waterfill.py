"""The progressive filling, checked against a slow and obvious reference."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.smart_charging.balancing.constants import OWN_CAP
from custom_components.smart_charging.balancing.waterfill import fill

Members = Sequence[tuple[int, float]]


def _members_of(members: list[Members]) -> Callable[[int, Sequence[int]], list[int]]:
    def members_of(k: int, among: Sequence[int]) -> list[int]:
        return [i for i in among if any(kk == k for kk, _w in members[i])]

    return members_of


def reference_fill(
    floors: list[float], caps: list[float], members: list[Members], capacity: list[float]
) -> list[float]:
    """Raise a common level step by step to the next event, recomputing everything."""
    n = len(floors)
    value = list(floors)
    done = [caps[i] - floors[i] <= 1e-9 for i in range(n)]

    def used(k: int) -> float:
        return sum(w * (value[i] - floors[i]) for i in range(n) for kk, w in members[i] if kk == k)

    level = 0.0
    while not all(done):
        rising = [i for i in range(n) if not done[i] and floors[i] <= level + 1e-12]
        events = [caps[i] for i in rising]
        events += [floors[i] for i in range(n) if not done[i] and floors[i] > level + 1e-12]
        for k in range(len(capacity)):
            rate = sum(w for i in rising for kk, w in members[i] if kk == k)
            if rate > 0:
                events.append(level + (capacity[k] - used(k)) / rate)
        level = max(level, min(events))
        for i in rising:
            value[i] = min(caps[i], level)
            if caps[i] <= level + 1e-9:
                done[i] = True
        for k in range(len(capacity)):
            if used(k) >= capacity[k] - 1e-9:
                for i in range(n):
                    if not done[i] and any(kk == k for kk, _w in members[i]):
                        done[i] = True
    return value


@st.composite
def instances(draw: st.DrawFn) -> tuple[list[float], list[float], list[Members], list[float]]:
    """Items with floors, caps and weighted constraint memberships."""
    n_cons = draw(st.integers(1, 5))
    n = draw(st.integers(1, 8))
    floors = [draw(st.sampled_from([0.0, 0.0, 6.0, 6.0, 8.0, 10.0])) for _ in range(n)]
    caps = [f + draw(st.sampled_from([0.0, 1.0, 4.0, 10.0, 26.0])) for f in floors]
    members: list[Members] = [
        tuple(
            (k, draw(st.sampled_from([1.0, 1.0, 2.0, 3.0])))
            for k in sorted(draw(st.sets(st.integers(0, n_cons - 1), max_size=n_cons)))
        )
        for _ in range(n)
    ]
    capacity = [draw(st.sampled_from([0.0, 3.0, 10.0, 25.0, 60.0, 200.0])) for _ in range(n_cons)]
    return floors, caps, members, capacity


@settings(max_examples=300, deadline=None)
@given(instances())
def test_fill_matches_the_reference(
    instance: tuple[list[float], list[float], list[Members], list[float]],
) -> None:
    """Same levels as the naive progressive filling; capacity charged exactly."""
    floors, caps, members, capacity = instance
    n = len(floors)
    expected = reference_fill(floors, caps, members, capacity)
    level = [0.0] * n
    bind = [OWN_CAP] * n
    left = list(capacity)
    fill(range(n), floors, caps, members, left, level, bind, _members_of(members))
    assert level == pytest.approx(expected, abs=1e-6)
    for k in range(len(capacity)):
        taken = sum(w * (level[i] - floors[i]) for i in range(n) for kk, w in members[i] if kk == k)
        assert left[k] == pytest.approx(capacity[k] - taken, abs=1e-6)
    for i in range(n):
        if bind[i] == OWN_CAP:
            assert level[i] == pytest.approx(caps[i]) or caps[i] <= floors[i]
        else:
            assert any(k == bind[i] for k, _w in members[i])


def test_fill_binding_constraints() -> None:
    """Two items on one 20 A constraint, one capped at 4 A: 4 and 16; who bound whom."""
    level = [0.0, 0.0]
    bind = [OWN_CAP, OWN_CAP]
    capacity = [20.0]
    members: list[Members] = [((0, 1.0),), ((0, 1.0),)]
    fill([0, 1], [0.0, 0.0], [4.0, 30.0], members, capacity, level, bind, _members_of(members))
    assert level == [4.0, 16.0]
    assert bind == [OWN_CAP, 0]
    assert capacity == [pytest.approx(0.0)]


def test_item_above_the_level_stays_at_its_floor() -> None:
    """A constraint that fills below an item's floor leaves it at the floor."""
    level = [0.0, 0.0]
    bind = [OWN_CAP, OWN_CAP]
    capacity = [4.0]  # above the floors (already reserved)
    members: list[Members] = [((0, 1.0),), ((0, 1.0),)]
    fill([0, 1], [0.0, 10.0], [16.0, 16.0], members, capacity, level, bind, _members_of(members))
    assert level == [4.0, 10.0]
    assert bind == [0, 0]
