"""What a driver sets before plugging in: the rule the benchmark and the live demo share."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from simulator.ev import EVSpec
from simulator.site.driver import DEADLINE_MODES, driver_settings, requested_grid_wh
from simulator.site.model import Visit

BERLIN = ZoneInfo("Europe/Berlin")
CAR = EVSpec(capacity_wh=60_000.0, initial_soc=20.0, max_current=16.0, phases=3)
VISIT = Visit(
    charger_id="WB-1",
    connector_id=1,
    arrive=1800.0,
    depart=21_600.0,
    energy_wh=10_000.0,
    ev=CAR,
    mode="solar",
    priority=2,
)
# 16:00:30 UTC is 18:00:30 in Berlin (summer time).
LEAVES = datetime(2025, 6, 10, 16, 0, 30, tzinfo=UTC)


@pytest.mark.parametrize("mode", sorted(DEADLINE_MODES))
def test_deadline_modes(mode: str) -> None:
    """Solar, min-solar and price: the departure (local time of day) and the kWh wanted."""
    settings = driver_settings(replace(VISIT, mode=mode), LEAVES, BERLIN)
    assert settings == {
        "mode": mode,
        "priority": 2,
        "min_current": 6.0,
        "departure": "18:00:30",
        "energy_target": pytest.approx(10 / 0.9),
    }
    assert driver_settings(VISIT, LEAVES, UTC)["departure"] == "16:00:30"


def test_fast_mode() -> None:
    """FAST (and off): no departure, no energy target; the car's higher minimum counts."""
    dc_car = replace(CAR, min_current=10.0)
    for mode in ("fast", "off"):
        settings = driver_settings(replace(VISIT, mode=mode, ev=dc_car), LEAVES, BERLIN)
        assert settings == {
            "mode": mode,
            "priority": 2,
            "min_current": 10.0,
            "departure": None,
            "energy_target": 0.0,
        }
    # Below the IEC 61851 minimum: 6 A.
    low = replace(CAR, min_current=0.0)
    assert driver_settings(replace(VISIT, ev=low), LEAVES, BERLIN)["min_current"] == 6.0


def test_a_fast_driver_who_gives_the_departure() -> None:
    """`gives_departure` (a pool car's booking): FAST with the departure and the kWh wanted."""
    settings = driver_settings(replace(VISIT, mode="fast", gives_departure=True), LEAVES, BERLIN)
    assert (settings["mode"], settings["departure"]) == ("fast", "18:00:30")
    assert settings["energy_target"] == pytest.approx(10 / 0.9)


def test_requested_grid_wh() -> None:
    """What the battery takes (capped by its room up to the target SoC), over the efficiency."""
    assert requested_grid_wh(VISIT) == pytest.approx(10_000 / 0.9)
    nearly_full = replace(VISIT, ev=replace(CAR, initial_soc=90.0, efficiency=0.8))
    assert requested_grid_wh(nearly_full) == pytest.approx(6_000 / 0.8)
    full = replace(VISIT, ev=replace(CAR, initial_soc=100.0))
    assert requested_grid_wh(full) == 0.0
