"""Home battery: self-consumption within its power, SoC and efficiency."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.site.battery import HomeBattery
from simulator.site.model import BatterySpec

SPEC = BatterySpec(
    capacity_wh=10_000.0, max_power=3_000.0, initial_soc=50.0, min_soc=10.0, efficiency=0.95
)


def test_charges_from_export_and_discharges_to_cover_import() -> None:
    """It answers the opposite of the net power, up to its maximum."""
    battery = HomeBattery(SPEC)
    assert battery.step(-1_000.0, 10.0) == 1_000.0
    assert battery.step(2_000.0, 10.0) == -2_000.0
    assert battery.step(-9_000.0, 10.0) == 3_000.0
    assert battery.step(9_000.0, 10.0) == -3_000.0
    assert battery.step(500.0, 0.0) == 0.0


def test_efficiency_each_way() -> None:
    """1 kWh charged stores 0.95 kWh; 1 kWh delivered takes 1/0.95 kWh."""
    battery = HomeBattery(SPEC)
    battery.step(-1_000.0, 3600.0)
    assert battery.energy_wh == pytest.approx(5_950.0)
    battery.step(1_000.0, 3600.0)
    assert battery.energy_wh == pytest.approx(5_950.0 - 1_000.0 / 0.95)


def test_limits_hold_over_a_random_day() -> None:
    """Never above 100 %, never below min_soc, never above max_power."""
    battery = HomeBattery(SPEC)
    rng = np.random.default_rng(5)
    socs = []
    nets = np.concatenate(
        [rng.normal(-1_500.0, 3_000.0, 2_000), rng.normal(1_500.0, 3_000.0, 2_000)]
    )
    for net in nets:
        power = battery.step(float(net), 60.0)
        assert abs(power) <= SPEC.max_power + 1e-9
        socs.append(battery.soc)
    assert min(socs) >= SPEC.min_soc - 1e-9
    assert max(socs) <= 100.0 + 1e-9
    assert min(socs) == pytest.approx(SPEC.min_soc)
    assert max(socs) == pytest.approx(100.0)


def test_full_and_empty_answer_zero() -> None:
    """A full battery takes nothing; one at its floor gives nothing."""
    full = HomeBattery(BatterySpec(capacity_wh=1_000.0, max_power=1_000.0, initial_soc=100.0))
    assert full.step(-500.0, 1.0) == 0.0
    empty = HomeBattery(BatterySpec(capacity_wh=1_000.0, max_power=1_000.0, initial_soc=10.0))
    assert empty.step(500.0, 1.0) == 0.0
    assert "10 kWh" in HomeBattery(SPEC).describe()


@pytest.mark.parametrize(
    "spec",
    [
        BatterySpec(capacity_wh=0.0, max_power=1.0),
        BatterySpec(capacity_wh=1.0, max_power=1.0, initial_soc=5.0, min_soc=10.0),
        BatterySpec(capacity_wh=1.0, max_power=1.0, efficiency=0.0),
    ],
)
def test_invalid_specs(spec: BatterySpec) -> None:
    """Nonsense specs fail at once."""
    with pytest.raises(ValueError, match="battery"):
        HomeBattery(spec)
