"""Partitions between the balancer and its grid meter: the documented failsafe, and recovery.

Documented (docs/load-balancing.md, *When something fails*): when the meter fails
(unavailable, or silent for longer than *meter counts as unavailable after*), every charging
connector gets the failsafe current and a repair issue says why, until the meter is back.
Here the meter's integration fails the ways integrations do: its entities turn unavailable
(a device it cannot reach, the integration unloaded), its entities vanish (the integration
removed), or it hangs and writes nothing at all. A simulated charger is connected over a real
websocket and charging throughout; what it is sent is checked on the charger itself.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smart_charging.balancing import LimitReason
from tests.ha.faulty_site import (
    FAILSAFE,
    MAXIMUM,
    METER,
    STALE_AFTER,
    Site,
    allocate,
    balancer_tick,
    failsafe,
    limit_of,
    limit_reason,
    live_profiles,
    meter_issue,
    set_meter,
    site_options,
    start_site,
    stop_site,
)
from tests.helpers import wait_for
from tests.wall_clock import wall_clock


@pytest.fixture
def entry_options(entry_options: dict[str, Any]) -> dict[str, Any]:
    """Balancing against a meter of three phase currents."""
    return site_options(entry_options)


@pytest.fixture
async def site(hass: HomeAssistant, mock_config_entry: MockConfigEntry) -> AsyncGenerator[Site]:
    """A car charging at its maximum, balanced against the meter."""
    site = await start_site(hass, mock_config_entry)
    yield site
    await stop_site(hass, site)


async def assert_failsafe(hass: HomeAssistant, site: Site) -> None:
    """The documented failsafe: the failsafe current, its reason, a repair issue."""
    await wait_for(hass, lambda: site.charger.effective_limit(1) == FAILSAFE)
    assert failsafe(site)
    result = site.hub.balancer.site.data
    assert result is not None
    assert result.allocations["CP-A/1"].reason is LimitReason.FAILSAFE
    assert limit_reason(hass) == "failsafe"
    issue = meter_issue(hass, site)
    assert issue is not None
    assert issue.translation_placeholders == {"entities": ", ".join(METER)}
    # Still a live limit that expires: should HA stop now too, the safe default takes over.
    assert "validTo" in live_profiles(site.charger)[-1]


async def assert_recovered(hass: HomeAssistant, site: Site) -> None:
    """Balancing against the meter again: the issue is gone, the car back at its maximum."""
    await hass.async_block_till_done()
    assert not failsafe(site)
    assert meter_issue(hass, site) is None
    await allocate(hass, site)  # increases are ramped: let time pass
    await wait_for(hass, lambda: site.charger.effective_limit(1) == MAXIMUM)
    assert limit_reason(hass) != "failsafe"


@pytest.mark.parametrize("failure", ["unavailable", "removed"])
async def test_meter_integration_fails_failsafe_then_recovery(
    hass: HomeAssistant, site: Site, failure: str
) -> None:
    """Its entities turn unavailable, or vanish: failsafe at once, held, and undone when back."""
    for entity_id in METER:
        if failure == "unavailable":
            hass.states.async_set(entity_id, STATE_UNAVAILABLE, {"restored": True})
        else:
            hass.states.async_remove(entity_id)
    # A cut: in the event that reports it, no tick waited for.
    await assert_failsafe(hass, site)

    # Held while the meter stays away: renewed like any live limit, never raised.
    sent = len(live_profiles(site.charger))
    for _ in range(3):
        await allocate(hass, site)
        await balancer_tick(hass, site)
    renewals = live_profiles(site.charger)[sent:]
    assert renewals  # after half their validity
    assert {limit_of(profile) for profile in renewals} == {FAILSAFE}
    assert site.charger.effective_limit(1) == FAILSAFE
    assert failsafe(site)

    set_meter(hass)  # the integration is back: a state change, balanced at once
    await assert_recovered(hass, site)


async def test_silent_meter_counts_as_failed_after_the_stale_time(
    hass: HomeAssistant, site: Site
) -> None:
    """It hangs and writes nothing: no event at all, the periodic tick finds it stale."""
    with wall_clock(chargers_too=True) as frozen:  # time passes, for the charger too
        set_meter(hass)
        await hass.async_block_till_done()
        frozen.tick(STALE_AFTER - 5)
        await balancer_tick(hass, site)
        assert not failsafe(site)
        assert site.charger.effective_limit(1) == MAXIMUM

        frozen.tick(10)  # silent for longer than it may be
        await balancer_tick(hass, site)
        await assert_failsafe(hass, site)

        # It writes again, the same values: HA reports no state change, so the next tick
        # (15 s at most) finds the meter fresh.
        set_meter(hass)
        await hass.async_block_till_done()
        assert failsafe(site)
        await balancer_tick(hass, site)
        await assert_recovered(hass, site)
