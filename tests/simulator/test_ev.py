"""The pure car model: taper, response delay, ramp, minimum current, full, phases."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings, strategies as st
import pytest

from simulator.ev import EV, EVSpec

VOLTS = 230.0


def wh(amp_seconds: float, phases: int = 3) -> float:
    """Grid energy of `amp_seconds` per phase at 230 V."""
    return amp_seconds * VOLTS * phases / 3600


def car(**fields: Any) -> EV:
    """A 3-phase car on a 3-phase charger at 230 V, starting at t = 0."""
    return EV(EVSpec(**fields), voltage=VOLTS, charger_phases=3)


def test_accepted_current_tapers_and_stops_at_the_target() -> None:
    """Full current up to the taper, then linearly down to the floor; 0 from the target."""
    spec = EVSpec(max_current=16, taper_soc=80, taper_floor=0.1, target_soc=100)
    assert spec.accepted_current(50) == 16
    assert spec.accepted_current(80) == 16
    assert spec.accepted_current(90) == pytest.approx(8.8)
    assert spec.accepted_current(99.9999) == pytest.approx(1.6, abs=1e-3)
    assert spec.accepted_current(100) == 0
    capped = EVSpec(max_current=16, taper_soc=80, taper_floor=0.1, target_soc=90)
    assert capped.accepted_current(85) == pytest.approx(12.4)
    assert capped.accepted_current(90) == 0


def test_spec_refuses_impossible_cars() -> None:
    """Mistakes in a spec fail at once."""
    with pytest.raises(ValueError, match="phases"):
        EVSpec(phases=2)
    with pytest.raises(ValueError, match="efficiency"):
        EVSpec(efficiency=0)


def test_dead_time_then_ramp() -> None:
    """Nothing for response_delay s, then up at ramp_rate; energy of the ramp is exact."""
    ev = car(response_delay=3, ramp_rate=5)
    ev.set_offer(0, 16)
    assert ev.pending == [(3.0, 16.0)]
    assert ev.advance(3) == 0
    assert ev.draw == 0
    assert ev.advance(1) == pytest.approx(wh(2.5))  # 0 -> 5 A
    assert ev.draw == pytest.approx(5)
    assert ev.advance(1) == pytest.approx(wh(7.5))  # 5 -> 10 A
    # 10 -> 16 A in 1.2 s (15.6 A*s), then 16 A for 0.8 s.
    assert ev.advance(2) == pytest.approx(wh(15.6 + 12.8))
    assert ev.draw == 16
    assert ev.grid_wh == pytest.approx(wh(2.5 + 7.5 + 15.6 + 12.8))


def test_decrease_after_the_delay_applies_at_once() -> None:
    """A lower offer is followed response_delay s later, in one jump."""
    ev = car(response_delay=3, ramp_rate=1000)
    ev.set_offer(0, 16)
    ev.advance(10)
    ev.set_offer(10, 8)
    ev.advance(2.5)
    assert ev.draw == 16
    assert ev.advance(1) == pytest.approx(wh(16 * 0.5 + 8 * 0.5))
    assert ev.draw == 8


def test_queued_changes_are_followed_in_order() -> None:
    """Two changes in quick succession reach the car one after the other, each delayed."""
    ev = car(response_delay=3, ramp_rate=1000)
    ev.set_offer(0, 16)
    ev.advance(10)
    ev.set_offer(10, 8)
    ev.advance(1)
    ev.set_offer(11, 16)
    assert ev.pending == [(13.0, 8.0), (14.0, 16.0)]
    ev.advance(1.5)
    assert ev.draw == 16  # t = 12.5
    ev.advance(1)
    assert ev.draw == 8  # t = 13.5
    ev.advance(0.5)
    assert ev.draw == 8  # t = 14: the second change is due and ramps from here
    ev.advance(0.5)
    assert ev.draw == 16


def test_superseded_changes() -> None:
    """A change at the same instant replaces a pending one; going back cancels it."""
    ev = car(response_delay=3, ramp_rate=1000)
    ev.set_offer(0, 16)
    ev.set_offer(0, 10)
    assert ev.pending == [(3.0, 10.0)]
    ev.advance(10)
    assert ev.draw == 10
    ev.set_offer(10, 6)
    ev.set_offer(10, 10)
    assert ev.pending == []
    ev.set_offer(12, 6)
    ev.set_offer(11, 8)  # reported late: it takes effect first and drops the later one
    assert ev.pending == [(14.0, 8.0)]


def test_offer_below_min_current_means_nothing() -> None:
    """IEC 61851: below min_current the car does not charge (SuspendedEV)."""
    ev = car(response_delay=0, ramp_rate=1000, min_current=6)
    ev.set_offer(0, 5.9)
    assert ev.advance(60) == 0
    assert ev.draw == 0
    assert not ev.accepts(5.9)
    assert ev.accepts(6)
    ev.set_offer(60, 6)
    ev.advance(60)
    assert ev.draw == 6


def test_full_car_stops_drawing() -> None:
    """At the target soc it stops exactly: battery energy is the room it had."""
    ev = car(capacity_wh=60_000, initial_soc=70, target_soc=71, response_delay=0, ramp_rate=1000)
    ev.set_offer(0, 16)
    drawn = ev.advance(3600)
    assert drawn == pytest.approx(600 / 0.9)
    assert ev.battery_wh == pytest.approx(600)
    assert ev.soc == pytest.approx(71)
    assert ev.full
    assert ev.draw == 0
    assert not ev.accepts(16)
    assert ev.advance(60) == 0


def test_taper_follows_the_soc() -> None:
    """Above taper_soc the car draws what the battery takes, less as it fills."""
    ev = car(capacity_wh=20_000, initial_soc=90, response_delay=0, ramp_rate=1000)
    ev.set_offer(0, 16)
    ev.advance(60)
    assert ev.draw == pytest.approx(ev.spec.accepted_current(ev.soc), abs=0.01)
    assert ev.draw < 8.8
    assert ev.soc > 90
    assert ev.battery_wh == pytest.approx(ev.grid_wh * 0.9)


def test_one_phase_car_on_a_three_phase_charger() -> None:
    """A 1-phase car draws on L1 only: a third of the energy at the same current."""
    ev = EV(EVSpec(phases=1, response_delay=0, ramp_rate=1000), voltage=VOLTS, charger_phases=3)
    assert ev.phases == 1
    ev.set_offer(0, 16)
    assert ev.advance(3600) == pytest.approx(16 * 230 - wh(16 * 16 / 1000 / 2, 1))
    three_phase_car = EV(EVSpec(phases=3), charger_phases=1)
    assert three_phase_car.phases == 1


_offers = st.lists(
    st.tuples(st.floats(0.01, 120), st.sampled_from([0.0, 4.0, 6.0, 8.5, 10.0, 13.0, 16.0, 32.0])),
    min_size=1,
    max_size=30,
)


@settings(max_examples=60, deadline=None)
@given(offers=_offers, initial_soc=st.floats(0, 99), delay=st.floats(0, 5))
def test_energy_is_conserved(
    offers: list[tuple[float, float]], initial_soc: float, delay: float
) -> None:
    """Whatever the offers: battery energy is grid energy * efficiency, soc follows it."""
    ev = car(capacity_wh=5_000, initial_soc=initial_soc, response_delay=delay, ramp_rate=4)
    now, total = 0.0, 0.0
    for seconds, amps in offers:
        ev.set_offer(now, amps)
        total += ev.advance(seconds)
        now += seconds
        assert 0 <= ev.draw <= 16
    assert ev.time == pytest.approx(now)
    assert ev.grid_wh == pytest.approx(total)
    assert ev.battery_wh == pytest.approx(total * 0.9)
    assert ev.soc == pytest.approx(initial_soc + total * 0.9 / 5_000 * 100)
    assert ev.soc <= 100 + 1e-9


@settings(max_examples=40, deadline=None)
@given(chunks=st.lists(st.floats(0.01, 50), min_size=1, max_size=20))
def test_chunking_does_not_change_the_energy(chunks: list[float]) -> None:
    """Below the taper, advancing in pieces draws what advancing at once draws."""
    whole, pieces = car(response_delay=3, ramp_rate=5), car(response_delay=3, ramp_rate=5)
    whole.set_offer(0, 13)
    pieces.set_offer(0, 13)
    drawn = sum(pieces.advance(chunk) for chunk in chunks)
    assert whole.advance(sum(chunks)) == pytest.approx(drawn)
    assert whole.draw == pytest.approx(pieces.draw)
