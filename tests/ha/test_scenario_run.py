"""The scenario benchmark's harness: our integration and a baseline on the same short day."""

from __future__ import annotations

import tomllib
from typing import Any

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from benchmarks.scenario.baselines import Uncontrolled
from benchmarks.scenario.evaluate import trace_metrics
from benchmarks.scenario.offline import run_offline
from benchmarks.scenario.ours import run_ours, site_options
from simulator.site.model import ScenarioDay
from simulator.site.scenario import parse_scenario

# A 12 A fuse and a 16 A wallbox: balancing must hold the car below what it could draw.
SMALL_SITE = """
name = "small"
description = "a wallbox behind a small fuse"

[site]
timezone = "Europe/Berlin"
latitude = 52.5
longitude = 13.4
grid_limit = 12
safety_margin = 1.0

[house]
profile = "h0"
annual_kwh = 3500

[prices]
import = 0.3

[[charger]]
id = "WB-1"
max_current = 16

[[day]]
name = "noon"
date = 2025-06-10
start = "12:00"

[[day.car]]
charger = "WB-1"
arrive = "12:01"
depart = "18:00"
energy_kwh = 20
mode = "fast"
"""
MINUTES = 15


@pytest.fixture
def day() -> ScenarioDay:
    """The short day."""
    return parse_scenario(tomllib.loads(SMALL_SITE))[0]


@pytest.fixture
def entry_options(day: ScenarioDay) -> dict[str, Any]:
    """The site's owner configured balancing against the plant's meter."""
    return site_options(day)


async def test_ours_keeps_the_fuse_where_uncontrolled_does_not(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, day: ScenarioDay
) -> None:
    """Fifteen minutes on the virtual clock: the car charges, the fuse holds."""
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    ours = await run_ours(hass, mock_config_entry, day, until=MINUTES * 60)
    baseline = await run_offline(day, Uncontrolled(), until=MINUTES * 60)

    assert len(ours.grid) == len(baseline.grid) == MINUTES * 60
    mine, theirs = trace_metrics(day, ours), trace_metrics(day, baseline)
    assert theirs.seconds_above_fuse > 600  # 16 A plus the house on a 12 A fuse
    assert mine.seconds_above_fuse == 0
    # Ours charged all the same: about 11 A minus the house, for most of the quarter hour.
    assert mine.energy_delivered_kwh > 0.3
    assert ours.delivered_wh[0] < baseline.delivered_wh[0]
    peak = max(max(phases) for phases in ours.grid)
    assert peak <= day.grid_limit
