"""HA's wall clock jumps by hours, forward or back, while the balancer runs.

What uses which clock: every timer of the integration is the event loop's (monotonic): the
balancer's tick, its rechecks, the end of a discharge request, the chargers' boot timeout and
WebSocket heartbeat; so is the engine's time (ramps, hysteresis, renewals of live limits). The
wall clock is what HA tells the chargers and stamps on what it sends them (a live limit's
`startSchedule` and `validTo`, Heartbeat `currentTime`), what HA's states are dated with (the
grid meter's last report), and the time of day of a departure and of price slots.

So after a jump: renewals keep their pace; each limit is stamped with HA's time at sending,
never in HA's past; a charger whose clock disagrees with HA's (until it sets it from HA's
Heartbeat answer) finds the limit not in force and holds its safe default, which is safe; the
grid meter counts as failed until it reports again (never trusted from before a jump back);
departures are times of day on the new clock. The charger's clock (the simulator's) stays real.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import UTC, datetime, timedelta
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smart_charging.central_system.timestamps import parse_timestamp
from custom_components.smart_charging.site_balancer import seconds_until
from tests.ha.faulty_site import (
    FAILSAFE,
    MAXIMUM,
    STALE_AFTER,
    VALIDITY,
    Site,
    allocate,
    balancer_tick,
    failsafe,
    limit_of,
    live_profiles,
    meter_issue,
    set_meter,
    site_options,
    start_site,
    stop_site,
)
from tests.helpers import wait_for
from tests.wall_clock import wall_clock

JUMP = timedelta(hours=3)


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


def assert_stamped_now(profile: dict[str, Any]) -> None:
    """A live limit stamped with HA's clock at sending: valid for its validity from now."""
    now = dt_util.utcnow()
    valid_to = parse_timestamp(profile["validTo"])
    start = parse_timestamp(profile["chargingSchedule"]["startSchedule"])
    assert valid_to is not None
    assert start is not None
    assert abs((valid_to - now).total_seconds() - VALIDITY) < 3
    assert start <= now < valid_to


async def test_renewals_keep_their_pace_and_the_charger_fails_safe(
    hass: HomeAssistant, site: Site
) -> None:
    """Live limits renew on the engine's clock; a charger whose clock disagrees holds its safe default."""
    charger = site.charger
    with wall_clock() as frozen:
        for jump, in_force in ((JUMP, FAILSAFE), (-2 * JUMP, FAILSAFE), (JUMP, MAXIMUM)):
            # Meter readings keep coming, as they do: only the clock jumped.
            set_meter(hass)
            sent = len(live_profiles(charger))
            frozen.move_to(datetime.now(UTC) + jump)
            set_meter(hass, 5.1)
            await balancer_tick(hass, site)
            # Not one renewal more or less because the wall clock moved.
            assert len(live_profiles(charger)) == sent

            # Half the validity later on the engine's clock: renewed, stamped with HA's time.
            # (The charger's readings are left out: holding its safe default, it reports a
            # car taking 8 A, which the engine would take for all the car takes and offer it
            # less. A consequence of the clocks disagreeing, not of the renewals' timing.)
            await allocate(hass, site, VALIDITY / 2 + 1, report=False)
            renewals = live_profiles(charger)[sent:]
            assert len(renewals) == 1
            assert limit_of(renewals[0]) == MAXIMUM
            assert_stamped_now(renewals[0])
            # HA 3 h ahead of the charger: the limit starts in the charger's future; 3 h
            # behind: it ended in the charger's past. Either way the charger holds its safe
            # default (never unlimited); with the clocks agreeing again, the limit holds.
            await wait_for(hass, lambda: charger.effective_limit(1) == in_force)  # noqa: B023


@pytest.mark.parametrize("jump", [JUMP, -JUMP], ids=["forward", "back"])
async def test_meter_after_a_jump_counts_as_failed_until_it_reports(
    hass: HomeAssistant, site: Site, jump: timedelta
) -> None:
    """Its last report is hours old, or hours ahead: failsafe until its next report."""
    with wall_clock() as frozen:
        set_meter(hass)
        frozen.move_to(datetime.now(UTC) + jump)
        await balancer_tick(hass, site)
        assert failsafe(site)
        set_meter(hass, 5.1)  # its next report
        await hass.async_block_till_done()
        assert not failsafe(site)


async def test_a_silent_meter_stays_failed_when_the_clock_goes_back(
    hass: HomeAssistant, site: Site
) -> None:
    """Back: a meter silent since before the jump is not trusted again (it was, for hours)."""
    with wall_clock() as frozen:
        set_meter(hass)
        frozen.tick(STALE_AFTER + 10)  # the meter has gone silent
        await balancer_tick(hass, site)
        assert failsafe(site)
        frozen.move_to(datetime.now(UTC) - JUMP)
        await balancer_tick(hass, site)
        # Its last report now lies hours in the future: no age to trust it by.
        assert failsafe(site)
        assert meter_issue(hass, site) is not None
        set_meter(hass, 5.1)  # it reports again
        await hass.async_block_till_done()
        assert not failsafe(site)
        assert meter_issue(hass, site) is None


async def test_the_safe_default_holds_after_the_chargers_clock_went_back(
    hass: HomeAssistant, site: Site
) -> None:
    """HA's clock and, from its Heartbeat answer, the charger's go back 3 h; then HA stops.

    Every profile HA stamped before now starts in the charger's future. The live limit is
    renewed (when HA runs) or expires anyway; the safe default is written once, so it
    started "now" when written and was not in force for 3 h: the charger, left alone,
    charged unlimited. It starts long ago now.
    """
    charger = site.charger
    assert charger.effective_limit(1) == MAXIMUM
    with wall_clock(chargers_too=True) as frozen:
        frozen.move_to(datetime.now(UTC) - JUMP)
        site.hub.balancer.async_stop()  # HA stops: nothing renews or re-stamps anything
        assert charger.effective_limit(1) == FAILSAFE  # its safe default, not unlimited
        frozen.tick(VALIDITY + 60)
        assert charger.effective_limit(1) == FAILSAFE


async def test_departure_is_a_time_of_day_on_the_new_clock(hass: HomeAssistant, site: Site) -> None:
    """The departure deadline is worked out at every allocation from the wall clock."""
    site.hub.update_connector_settings(
        "CP-A", 1, mode="solar", departure="07:00:00", energy_target=20.0
    )
    start = dt_util.now().replace(hour=4, minute=0, second=0, microsecond=0)
    with wall_clock(dt_util.as_utc(start)) as frozen:
        for jump in (timedelta(0), JUMP + timedelta(minutes=30), -2 * JUMP):
            frozen.move_to(datetime.now(UTC) + jump)
            await allocate(hass, site, 1)
            site_input = site.hub.balancer.last_site
            assert site_input is not None
            departure = site_input.connectors[0].departure
            assert departure is not None
            expected = seconds_until(dt_util.now(), "07:00:00")
            assert abs(departure - site_input.now - expected) < 2
