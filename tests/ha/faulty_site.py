"""A balanced site for the fault tests: a grid meter in HA, one simulated charger charging.

Shared by tests/ha/test_partitions.py and tests/ha/test_clock_jump.py. The charger is
connected over a real websocket on 127.0.0.1; the balancer's engine clock is the test's
(`Clock`), the event loop's timers stay real.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.smart_charging.const import DOMAIN
from custom_components.smart_charging.coordinator import SmartChargingHub
from custom_components.smart_charging.site_balancer import TICK_INTERVAL
from custom_components.smart_charging.site_options import default_site_options
from simulator.charger import SimulatedCharger
from simulator.spec import ChargerSpec
from tests.helpers import connect_charger, hub_of, wait_for

METER = ["sensor.grid_l1", "sensor.grid_l2", "sensor.grid_l3"]
FAILSAFE = 8.0  # A: the failsafe current, also the charger's safe default (one connector)
MAXIMUM = 16.0  # A: the connector's maximum, what it gets while the meter works
STALE_AFTER = 60  # s: the default *meter counts as unavailable after*
VALIDITY = 120  # s: the default validity of live limits


class Clock:
    """The balancer's monotonic clock, moved by the test."""

    def __init__(self) -> None:
        """Start at an arbitrary time."""
        self.now = 1000.0

    def __call__(self) -> float:
        """Return the time."""
        return self.now


@dataclass
class Site:
    """The integration balancing one charging car against the meter."""

    entry: MockConfigEntry
    hub: SmartChargingHub
    clock: Clock
    charger: SimulatedCharger


def site_options(entry_options: dict[str, Any]) -> dict[str, Any]:
    """A 25 A fuse, a meter of three phase currents, an 8 A failsafe current."""
    return {
        **entry_options,
        **default_site_options(),
        "grid_limit": 25,
        "meter_source": "phase_currents",
        "meter_entities": METER,
        "failsafe_current": FAILSAFE,
    }


def set_meter(hass: HomeAssistant, current: float = 5.0) -> None:
    """The meter's integration writes its three phases (A)."""
    for entity_id in METER:
        hass.states.async_set(entity_id, str(current), {"unit_of_measurement": "A"})


async def start_site(hass: HomeAssistant, entry: MockConfigEntry) -> Site:
    """Balancing on, the meter at 5 A, a car charging at its 16 A maximum."""
    set_meter(hass)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    hub = hub_of(entry)
    clock = Clock()
    hub.balancer.clock = clock
    charger, coordinator = await connect_charger(hass, entry, ChargerSpec("CP-A", meter_interval=0))
    await charger.start_transaction(1)
    await charger.send_meter_values(1)
    await wait_for(hass, lambda: coordinator.data.connector(1).transaction_id is not None)
    hub.update_connector_settings("CP-A", 1, max_current=MAXIMUM)
    site = Site(entry, hub, clock, charger)
    await allocate(hass, site)
    await wait_for(hass, lambda: charger.effective_limit(1) == MAXIMUM)
    await wait_for(hass, lambda: hub.charger_settings("CP-A").safe_default == FAILSAFE)
    return site


async def stop_site(hass: HomeAssistant, site: Site) -> None:
    """Disconnect the charger, unload the entry."""
    await site.charger.close()
    await hass.config_entries.async_unload(site.entry.entry_id)


async def allocate(
    hass: HomeAssistant, site: Site, seconds: float = 30, *, report: bool = True
) -> None:
    """`seconds` pass on the balancer's clock, it allocates, the limits go out.

    With `report`, the charger reports what it draws first, as it does every few seconds: a
    reading from before its last limit would look like a car drawing more than it may.
    """
    if report:
        await site.charger.send_meter_values(1)
    site.clock.now += seconds
    site.hub.balancer.recompute()
    await hass.async_block_till_done()
    await wait_for(hass, lambda: site.hub.balancer.idle)


async def balancer_tick(hass: HomeAssistant, site: Site) -> None:
    """Run the loop's timers due within one balancer tick (on the loop's clock, not the wall's).

    Only once no limit is on its way: its answer's timeout is one of those timers.
    """
    await wait_for(hass, lambda: site.hub.balancer.idle)
    async_fire_time_changed(hass, dt_util.utcnow() + TICK_INTERVAL + timedelta(seconds=1))
    await hass.async_block_till_done()
    await wait_for(hass, lambda: site.hub.balancer.idle)


def failsafe(site: Site) -> bool:
    """Whether the last allocation fell back to the failsafe (the meter counts as failed)."""
    result = site.hub.balancer.site.data
    assert result is not None
    return result.failsafe


def limit_reason(hass: HomeAssistant) -> str:
    """The connector's *Limit reason*."""
    state = hass.states.get("sensor.cp_a_connector_1_limit_reason")
    assert state is not None
    return state.state


def meter_issue(hass: HomeAssistant, site: Site) -> ir.IssueEntry | None:
    """The repair issue that names the failed meter, if raised."""
    issue_id = f"meter_unavailable_{site.entry.entry_id}"
    return ir.async_get(hass).async_get_issue(DOMAIN, issue_id)


def live_profiles(charger: SimulatedCharger) -> list[dict[str, Any]]:
    """The live limits (stack level 2) the charger received, oldest first."""
    return [
        payload["csChargingProfiles"]
        for action, payload in charger.calls
        if action == "SetChargingProfile" and payload["csChargingProfiles"]["stackLevel"] == 2
    ]


def limit_of(profile: dict[str, Any]) -> float:
    """The limit a profile sets (A)."""
    return float(profile["chargingSchedule"]["chargingSchedulePeriod"][0]["limit"])
