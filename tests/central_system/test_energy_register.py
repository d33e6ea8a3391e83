"""The energy register guard: monotonic, glitch-proof, each Wh counted once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise

from hypothesis import example, given, settings, strategies as st

from custom_components.smart_charging.central_system.energy_register import EnergyRegister

T0 = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)
STEP = timedelta(seconds=60)


def at(minutes: float) -> datetime:
    """A timestamp `minutes` after T0."""
    return T0 + timedelta(minutes=minutes)


def feed(register: EnergyRegister, values: list[float]) -> list[float | None]:
    """Feed readings one minute apart; return the guarded value after each."""
    seen: list[float | None] = []
    for index, value in enumerate(values):
        register.update(value, at(index))
        seen.append(register.value)
    return seen


def test_first_reading_is_taken() -> None:
    """The first reading is the base, whatever it is."""
    register = EnergyRegister()
    assert register.value is None
    assert register.update(123456.0, T0) is True
    assert register.value == 123456.0


def test_rises_are_followed() -> None:
    """Normal readings: the value follows, `update` reports changes only."""
    register = EnergyRegister()
    assert register.update(1000.0, at(0)) is True
    assert register.update(1100.0, at(1)) is True
    assert register.update(1100.0, at(2)) is False
    assert register.value == 1100.0
    assert register.last_time == at(2)


def test_float_noise_never_lowers_the_value() -> None:
    """KWh values with float noise dip by milliwatt-hours: the value holds."""
    register = EnergyRegister()
    values = [12345.678, 12345.677999999, 12345.6779, 12345.678, 12346.2, 12346.1995]
    assert feed(register, values) == [
        12345.678,
        12345.678,
        12345.678,
        12345.678,
        12346.2,
        12346.2,
    ]
    assert register.reset_candidate is None


def test_relative_noise_on_a_large_register() -> None:
    """On a 10 MWh register a dip of a millionth (10 Wh) is noise too."""
    register = EnergyRegister()
    feed(register, [10_000_000.0, 9_999_990.5, 10_000_001.0])
    assert register.value == 10_000_001.0
    assert register.offset == 0.0


def test_single_glitch_to_zero_is_ignored() -> None:
    """One stray 0 between good readings changes nothing."""
    register = EnergyRegister()
    assert feed(register, [5000.0, 0.0, 5010.0, 5020.0]) == [5000.0, 5000.0, 5010.0, 5020.0]
    assert register.offset == 0.0


def test_glitch_then_noise_then_glitch_is_not_a_reset() -> None:
    """Two stray zeros separated by a reading at the old level do not confirm a reset.

    The reading in between shows the register is still at its old base.
    """
    register = EnergyRegister()
    assert feed(register, [5000.0, 0.0, 4999.6, 0.0, 5010.0]) == [
        5000.0,
        5000.0,
        5000.0,
        5000.0,
        5010.0,
    ]
    assert register.offset == 0.0


def test_confirmed_reset_continues_counting() -> None:
    """A meter swap: two readings agree on a new, lower base; nothing is counted twice."""
    register = EnergyRegister()
    assert feed(register, [5000.0, 5100.0, 10.0, 20.0, 30.0]) == [
        5000.0,
        5100.0,
        5100.0,  # one low reading: maybe a glitch, held
        5110.0,  # confirmed: counting on from 5100, 10 Wh later
        5120.0,
    ]
    assert register.offset == 5090.0


def test_negative_readings_are_ignored() -> None:
    """A negative register is nonsense."""
    register = EnergyRegister()
    assert register.update(-5.0, T0) is False
    assert register.value is None


def test_implausible_spike_is_ignored() -> None:
    """A rise faster than 1 MW is a glitch (a mislabelled unit, say)."""
    register = EnergyRegister()
    register.update(5000.0, at(0))
    # 5 MWh in one minute.
    assert register.update(5_005_000.0, at(1)) is False
    assert register.value == 5000.0
    assert register.update(5100.0, at(2)) is True
    assert register.value == 5100.0


def test_rise_is_judged_over_the_time_elapsed() -> None:
    """The same rise is plausible after long enough; equal or missing times count a minute."""
    register = EnergyRegister()
    register.update(0.0, at(0))
    # 1 MW for one minute is 16 667 Wh at most.
    assert register.update(17_000.0, at(0)) is False
    assert register.update(17_000.0, None) is False
    assert register.update(16_000.0, None) is True
    assert register.update(100_000.0, at(60)) is True
    assert register.value == 100_000.0


def test_older_timestamps_are_ignored() -> None:
    """A queued reading older than the last one is history."""
    register = EnergyRegister()
    register.update(5000.0, at(10))
    assert register.update(6000.0, at(5)) is False
    assert register.update(100.0, at(5)) is False
    assert register.value == 5000.0
    assert register.reset_candidate is None
    assert register.last_time == at(10)


def test_as_dict_from_dict_round_trip() -> None:
    """The state survives a restart: the value, the offset and the last time."""
    register = EnergyRegister()
    feed(register, [5000.0, 5100.0, 10.0, 20.0])
    data = register.as_dict()
    assert data == {"offset": 5090.0, "last_raw": 20.0, "last_time": at(3).isoformat()}
    restored = EnergyRegister.from_dict(data)
    assert restored == EnergyRegister(offset=5090.0, last_raw=20.0, last_time=at(3))
    assert restored.value == 5110.0
    # It goes on judging time and drops as before.
    assert restored.update(25.0, at(2)) is False
    assert restored.update(30.0, at(4)) is True
    assert restored.value == 5120.0


def test_from_dict_of_an_empty_register() -> None:
    """A register that never saw a reading restores as empty."""
    assert EnergyRegister.from_dict(EnergyRegister().as_dict()) == EnergyRegister()
    assert EnergyRegister.from_dict({}) == EnergyRegister()


# --- property: whatever the noise, the value only grows and counts each Wh once ----------

NOISE = 0.4  # Wh either way: two noisy readings differ by less than the 1 Wh noise floor
SPIKE = 10_000_000.0  # Wh: far above what one minute can deliver


@dataclass(frozen=True)
class Step:
    """One reading: the true register rose by `rise`, the charger reported it as `kind`."""

    rise: float
    kind: str
    noise: float


steps = st.builds(
    Step,
    rise=st.one_of(st.just(0.0), st.floats(0.0, 3000.0, allow_nan=False)),
    kind=st.sampled_from(["true", "true", "noise", "noise", "glitch", "spike"]),
    noise=st.floats(-NOISE, NOISE, allow_nan=False),
)


def readings_of(base: float, plan: list[Step]) -> tuple[list[float], float]:
    """Return the reported readings and the true final register.

    The first reading (the base, taken as is) and the last are true or noisy ones; a
    glitch never follows another glitch (two agreeing zeros are a reset).
    """
    reported: list[float] = []
    true = base
    previous = "true"
    for index, step in enumerate(plan):
        true += step.rise
        kind = step.kind
        if (kind == "glitch" and previous == "glitch") or (
            index in (0, len(plan) - 1) and kind in ("glitch", "spike")
        ):
            kind = "noise"
        value = {
            "true": true,
            "noise": max(0.0, true + step.noise),
            "glitch": 0.0,
            "spike": true + SPIKE,
        }[kind]
        reported.append(value)
        previous = kind
    return reported, true


@settings(max_examples=200, deadline=None, database=None)
@given(
    base=st.floats(0.0, 1_000_000.0, allow_nan=False), plan=st.lists(steps, min_size=1, max_size=30)
)
@example(base=5000.0, plan=[Step(0, "true", 0), Step(0, "glitch", 0), Step(0, "noise", -0.4),
                            Step(0, "glitch", 0), Step(10, "true", 0)])  # fmt: skip
def test_guarded_value_never_decreases_and_counts_once(base: float, plan: list[Step]) -> None:
    """Non-decreasing truth + noise/glitches/spikes: monotonic, ends within noise of the truth."""
    reported, true_total = readings_of(base, plan)
    register = EnergyRegister()
    values: list[float] = []
    for index, raw in enumerate(reported):
        register.update(raw, T0 + index * STEP)
        assert register.value is not None
        values.append(register.value)
    assert all(later >= earlier for earlier, later in pairwise(values))
    assert abs(values[-1] - true_total) <= NOISE + 1e-6
