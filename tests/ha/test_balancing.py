"""Load balancing end to end: a meter in HA, simulated chargers on real websockets."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from datetime import datetime, timedelta
import math
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smart_charging.balancing import LimitReason, Result
from custom_components.smart_charging.central_system.model import ConnectorStatus
from custom_components.smart_charging.const import DOMAIN
from custom_components.smart_charging.coordinator import SmartChargingHub
from custom_components.smart_charging.site_balancer import seconds_until
from custom_components.smart_charging.site_options import default_site_options
from simulator.charger import SimulatedCharger
from simulator.ev import EVSpec
from simulator.spec import ChargerSpec
from simulator.v201 import SimulatedStation201
from tests.helpers import charger_url, connect_charger, find_device, hub_of, wait_for

METER = ["sensor.grid_l1", "sensor.grid_l2", "sensor.grid_l3"]


class Clock:
    """The balancer's clock, moved by the test."""

    def __init__(self) -> None:
        """Start at an arbitrary monotonic time."""
        self.now = 1000.0

    def __call__(self) -> float:
        """Return the time."""
        return self.now


@pytest.fixture
def entry_options(entry_options: dict[str, Any]) -> dict[str, Any]:
    """A 25 A fuse, a meter of three phase currents."""
    return {
        **entry_options,
        **default_site_options(),
        "grid_limit": 25,
        "safety_margin": 1.0,
        "meter_source": "phase_currents",
        "meter_entities": METER,
        "failsafe_current": 8.0,
        "solar_start_delay": 0,
        "solar_stop_delay": 120,
    }


def set_meter(hass: HomeAssistant, l1: float, l2: float, l3: float) -> None:
    """The grid meter reports (import positive, A)."""
    for entity_id, value in zip(METER, (l1, l2, l3), strict=True):
        hass.states.async_set(entity_id, str(value), {"unit_of_measurement": "A"})


@pytest.fixture
async def site(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> AsyncGenerator[tuple[MockConfigEntry, SmartChargingHub, Clock]]:
    """The integration with balancing on, a meter showing 5 A of house load per phase."""
    set_meter(hass, 5, 5, 5)
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    hub = hub_of(mock_config_entry)
    clock = Clock()
    hub.balancer.clock = clock
    yield mock_config_entry, hub, clock
    await hass.config_entries.async_unload(mock_config_entry.entry_id)


async def settle(
    hass: HomeAssistant, hub: SmartChargingHub, clock: Clock, seconds: float = 30
) -> None:
    """Let time pass for the balancer (ramps, hysteresis) and allocate again."""
    clock.now += seconds
    hub.balancer.recompute()
    await hass.async_block_till_done()
    await wait_for(hass, lambda: hub.balancer.idle)


class Metered(Protocol):
    """A simulated charger of any OCPP version: what it draws, its meter values."""

    def draw(self, connector_id: int) -> float:
        """A per phase the car draws now."""
        ...

    async def send_meter_values(self, connector_id: int) -> None:
        """Send the connector's meter values."""
        ...


async def report(
    hass: HomeAssistant,
    house: float | tuple[float, float, float],
    *chargers: Metered,
    pv: float = 0.0,
) -> None:
    """Chargers send meter values; the grid meter shows house + cars - PV, per phase.

    Like a real meter, it reports after the chargers have followed their latest limits,
    and it shows what they drew when they sampled (a limit that a reading sets off may
    reach a charger before the reading's answer does).
    """
    load = house if isinstance(house, tuple) else (house, house, house)
    balancer = next(iter(hass.config_entries.async_loaded_entries(DOMAIN))).runtime_data.balancer
    await wait_for(hass, lambda: balancer.idle)
    draw = 0.0
    for charger in chargers:
        draw += charger.draw(1)
        await charger.send_meter_values(1)
    await hass.async_block_till_done()
    set_meter(hass, *(phase + draw - pv for phase in load))
    await hass.async_block_till_done()


async def step(
    hass: HomeAssistant,
    hub: SmartChargingHub,
    clock: Clock,
    house: float | tuple[float, float, float],
    *chargers: Metered,
    pv: float = 0.0,
) -> None:
    """Thirty seconds of a real site: allocate, chargers follow, meters report."""
    await settle(hass, hub, clock)
    await report(hass, house, *chargers, pv=pv)


async def charging(
    hass: HomeAssistant, entry: MockConfigEntry, charger_id: str, **spec: Any
) -> SimulatedCharger:
    """Connect a charger and start a session on connector 1."""
    charger, coordinator = await connect_charger(
        hass, entry, ChargerSpec(charger_id, meter_interval=0, **spec)
    )
    await charger.start_transaction(1)
    await charger.send_meter_values(1)
    await wait_for(hass, lambda: coordinator.data.connector(1).transaction_id is not None)
    return charger


async def charging_at(
    hass: HomeAssistant,
    site: tuple[MockConfigEntry, SmartChargingHub, Clock],
    charger_id: str,
    max_current: float,
) -> SimulatedCharger:
    """A charging car whose connector maximum is `max_current`, followed by the charger."""
    entry, hub, clock = site
    charger = await charging(hass, entry, charger_id)
    hub.update_connector_settings(charger_id, 1, max_current=max_current)
    await settle(hass, hub, clock)
    await wait_for(hass, lambda: charger.effective_limit(1) == max_current)
    return charger


def last_limit(charger: SimulatedCharger) -> float:
    """The limit of the last live profile the charger received."""
    profiles = [
        payload["csChargingProfiles"]
        for action, payload in charger.calls
        if action == "SetChargingProfile" and payload["csChargingProfiles"]["stackLevel"] == 2
    ]
    assert profiles, "no live limit received"
    return float(profiles[-1]["chargingSchedule"]["chargingSchedulePeriod"][0]["limit"])


async def test_meter_step_cuts_in_the_same_event(
    hass: HomeAssistant, site: tuple[MockConfigEntry, SmartChargingHub, Clock]
) -> None:
    """A house load step above the fuse lowers the charger at once, without waiting for a tick."""
    _entry, hub, _clock = site
    charger = await charging_at(hass, site, "CP-A", 16.0)
    try:
        await report(hass, 5, charger)  # the meter shows 5 A of house plus the car's 16 A
        sends_before = len(charger.calls)
        results: list[Result] = []
        unsubscribe = hub.balancer.site.async_add_listener(
            lambda: results.append(hub.balancer.site.data)  # type: ignore[arg-type]
        )
        # An oven: +12 A on L1. Budget L1 = 25 - (33 - 16) - 1 = 7 A.
        set_meter(hass, 33, 21, 21)
        # HA hands the state-change event to its listeners on the next loop iteration; they
        # allocate in the iteration after (once all three phases are in): no tick, no
        # debounce, no clock advanced.
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        unsubscribe()
        # The first allocation that sees the event already cuts (another message of the
        # charger's may have made one before it, on a busy machine).
        allocation = next(
            result.allocations["CP-A/1"]
            for result in results
            if result.allocations["CP-A/1"].current != 16.0
        )
        assert allocation.current == 7.0
        assert allocation.reason is LimitReason.GRID_LIMIT
        assert allocation.changed
        await wait_for(hass, lambda: charger.effective_limit(1) == 7.0)
        assert len(charger.calls) > sends_before
        assert last_limit(charger) == 7.0
        profile = next(
            payload["csChargingProfiles"]
            for action, payload in reversed(charger.calls)
            if action == "SetChargingProfile"
        )
        assert "validTo" in profile  # renewed, or it expires: the offline failsafe
    finally:
        await charger.close()


async def test_second_car_reshares(
    hass: HomeAssistant, site: tuple[MockConfigEntry, SmartChargingHub, Clock]
) -> None:
    """A second car gets an equal share at once (no first come, first served)."""
    entry, hub, clock = site
    first = await charging(hass, entry, "CP-A", max_current=32.0)
    second: SimulatedCharger | None = None
    try:
        hub.update_connector_settings("CP-A", 1, max_current=32.0)
        for _ in range(3):
            await step(hass, hub, clock, 5, first)
        assert first.effective_limit(1) == 19.0  # 25 - 5 - 1
        second = await charging(hass, entry, "CP-B", max_current=32.0)
        hub.update_connector_settings("CP-B", 1, max_current=32.0)
        for _ in range(3):
            await step(hass, hub, clock, 5, first, second)
        await wait_for(
            hass, lambda: first.effective_limit(1) == 9.5 and second.effective_limit(1) == 9.5
        )
    finally:
        await first.close()
        if second is not None:
            await second.close()


async def test_meter_unavailable_failsafe_and_repair(
    hass: HomeAssistant, site: tuple[MockConfigEntry, SmartChargingHub, Clock]
) -> None:
    """Meter lost: failsafe current and a repair issue; meter back: normal again."""
    entry, hub, _clock = site
    charger = await charging_at(hass, site, "CP-A", 16.0)
    try:
        hass.states.async_set(METER[1], "unavailable")
        await hass.async_block_till_done()
        await wait_for(hass, lambda: charger.effective_limit(1) == 8.0)
        result = hub.balancer.site.data
        assert result is not None
        assert result.failsafe
        assert result.allocations["CP-A/1"].reason is LimitReason.FAILSAFE
        issue_id = f"meter_unavailable_{entry.entry_id}"
        assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None
        set_meter(hass, 5, 5, 5)
        await hass.async_block_till_done()
        assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
        result = hub.balancer.site.data
        assert result is not None
        assert not result.failsafe
    finally:
        await charger.close()


async def test_chargers_fall_back_when_home_assistant_stops(
    hass: HomeAssistant, site: tuple[MockConfigEntry, SmartChargingHub, Clock]
) -> None:
    """When the coordinator stops, the charger falls back to its safe share by itself."""
    entry, hub, clock = site
    charger = await charging(hass, entry, "CP-A", max_current=32.0)
    hub.update_connector_settings("CP-A", 1, max_current=32.0)
    try:
        for _ in range(3):
            await step(hass, hub, clock, 5, charger)
        # One connector on the site: its share is min(25 - 0 - 1, failsafe 8) = 8 A.
        await wait_for(hass, lambda: hub.charger_settings("CP-A").safe_default == 8.0)
        safe = next(
            payload
            for action, payload in charger.calls
            if action == "SetChargingProfile"
            and payload["csChargingProfiles"]["chargingProfilePurpose"] == "TxDefaultProfile"
            and payload["connectorId"] == 0
        )
        assert safe["csChargingProfiles"]["stackLevel"] == 1
        assert "validTo" not in safe["csChargingProfiles"]
        await wait_for(hass, lambda: charger.effective_limit(1) == 19.0)
        # Home Assistant stops: the coordinator is gone, nothing renews the live limit.
        hub.balancer.async_stop()
        charger.advance(60)
        assert charger.effective_limit(1) == 19.0  # still valid
        charger.advance(90)  # past the 120 s validity
        assert charger.effective_limit(1) == 8.0
    finally:
        await charger.close()


async def test_solar_follows_surplus_without_flapping(
    hass: HomeAssistant, site: tuple[MockConfigEntry, SmartChargingHub, Clock]
) -> None:
    """Solar mode waits for enough surplus, follows it, and rides out a short cloud."""
    entry, hub, clock = site
    charger = await charging(hass, entry, "CP-A")
    try:
        await hass.services.async_call(
            DOMAIN,
            "set_charging_mode",
            {"device_id": _connector_device(hass, "CP-A", 1), "mode": "solar"},
            blocking=True,
        )
        currents: list[float] = []
        reasons: list[LimitReason] = []
        # Per-phase PV export (A): the sun rises, wobbles, a cloud passes, it is back.
        for pv in (0, 4, 9, 10, 12, 9, 11, 0, 10):
            clock.now += 30
            await report(hass, 2, charger, pv=pv)
            result = hub.balancer.site.data
            assert result is not None
            allocation = result.allocations["CP-A/1"]
            currents.append(allocation.current)
            reasons.append(allocation.reason)
            await wait_for(hass, lambda: charger.effective_limit(1) == currents[-1])
        # Nothing before there is surplus for the 6 A x 3 phase minimum (4.1 kW).
        assert currents[0] == currents[1] == 0.0
        assert LimitReason.SOLAR_SURPLUS in reasons
        started = currents.index(next(current for current in currents if current > 0))
        # Once started it never stopped: the 30 s cloud is shorter than the 120 s stop delay.
        assert all(current >= 6.0 for current in currents[started:])
        # And it followed the surplus (more sun, more current).
        assert max(currents) > min(current for current in currents[started:])
    finally:
        await charger.close()


def _connector_device(hass: HomeAssistant, charger_id: str, connector_id: int) -> str:
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    device = find_device(hass, entry, charger_id, connector_id)
    assert device is not None
    return device.id


async def test_non_compliant_charger_flagged_and_counted_as_load(
    hass: HomeAssistant, site: tuple[MockConfigEntry, SmartChargingHub, Clock]
) -> None:
    """A charger that ignores its limit is flagged (sensor, repair) and its draw is fixed load."""
    entry, hub, clock = site
    charger = await charging(hass, entry, "CP-BAD", quirks=frozenset({"ignore_limits"}))
    try:
        hub.update_connector_settings("CP-BAD", 1, max_current=16.0)
        await step(hass, hub, clock, 5, charger)
        # The house needs more: the charger is told 7 A but keeps drawing 16 A.
        for _ in range(3):
            await step(hass, hub, clock, (17, 5, 5), charger)
        result = hub.balancer.site.data
        assert result is not None
        assert result.allocations["CP-BAD/1"].reason is LimitReason.NON_COMPLIANT
        issue = ir.async_get(hass).async_get_issue(DOMAIN, "non_compliant_CP-BAD/1")
        assert issue is not None
        state = hass.states.get("binary_sensor.cp_bad_connector_1_over_allocation")
        assert state is not None
        assert state.state == "on"
        reason = hass.states.get("sensor.cp_bad_connector_1_limit_reason")
        assert reason is not None
        assert reason.state == "non_compliant"
    finally:
        await charger.close()


@pytest.mark.parametrize(
    ("source", "entities", "states", "inverted", "expected"),
    [
        (
            "phase_powers",
            ["sensor.p1", "sensor.p2", "sensor.p3"],
            [("2300", "W"), ("4.6", "kW"), ("0", "W")],
            False,
            (10.0, 20.0, 0.0),
        ),
        ("total_power", ["sensor.total"], [("6900", "W")], False, (10.0, 10.0, 10.0)),
        ("total_power", ["sensor.total"], [("-6.9", "kW")], True, (10.0, 10.0, 10.0)),
        (
            "phase_currents",
            ["sensor.a", "sensor.b", "sensor.c"],
            [("1000", "mA"), ("2", "A"), ("3", "A")],
            False,
            (1.0, 2.0, 3.0),
        ),
    ],
)
async def test_meter_sources(
    hass: HomeAssistant,
    site: tuple[MockConfigEntry, SmartChargingHub, Clock],
    source: str,
    entities: list[str],
    states: list[tuple[str, str]],
    inverted: bool,
    expected: tuple[float, float, float],
) -> None:
    """Per-phase powers, one total power, inverted signs and mA are read as amperes."""
    entry, hub, _ = site
    for entity_id, (value, unit) in zip(entities, states, strict=True):
        hass.states.async_set(entity_id, value, {"unit_of_measurement": unit})
    hass.config_entries.async_update_entry(
        entry,
        options={
            **entry.options,
            "meter_source": source,
            "meter_entities": entities,
            "meter_inverted": inverted,
        },
    )
    await hass.async_block_till_done()
    assert hub.balancer.last_site is not None
    grid = hub.balancer.last_site.grid_current
    assert grid is not None
    assert grid == pytest.approx(expected)
    # A value that is not a number makes the meter unavailable.
    hass.states.async_set(entities[0], "garbage", {"unit_of_measurement": states[0][1]})
    await hass.async_block_till_done()
    assert not hub.balancer.last_site.meter_available


async def test_stale_meter_is_unavailable(
    hass: HomeAssistant, site: tuple[MockConfigEntry, SmartChargingHub, Clock]
) -> None:
    """A meter that stops reporting counts as unavailable after the configured time."""
    _entry, hub, _clock = site
    reading = hub.balancer.meter.read(dt_util.utcnow())
    assert reading.available
    later = dt_util.utcnow() + timedelta(seconds=61)
    assert not hub.balancer.meter.read(later).available


async def test_site_entities_and_settings(
    hass: HomeAssistant, site: tuple[MockConfigEntry, SmartChargingHub, Clock]
) -> None:
    """Site sensors, the grid limit number, and the connector/charger settings entities."""
    entry, hub, clock = site
    charger = await charging(hass, entry, "CP-S")
    try:
        await step(hass, hub, clock, 5, charger)
        grid = hass.states.get("sensor.charging_site_grid_current_l1")
        assert grid is not None
        assert float(grid.state) == 5 + charger.draw(1)
        assert hass.states.get("sensor.charging_site_headroom_l1") is not None
        budget = hass.states.get("sensor.charging_site_ev_budget")
        assert budget is not None
        assert float(budget.state) == 19 * 3 * 230
        allocated = hass.states.get("sensor.cp_s_connector_1_allocated_current")
        assert allocated is not None
        assert float(allocated.state) == 19.0  # 25 - 5 - 1; the car takes 16 of it

        # Settings through their entities, as a user or an automation would.
        await hass.services.async_call(
            "number",
            "set_value",
            {"entity_id": "number.cp_s_connector_1_priority", "value": 3},
            blocking=True,
        )
        await hass.services.async_call(
            "number",
            "set_value",
            {"entity_id": "number.cp_s_connector_1_minimum_current", "value": 8},
            blocking=True,
        )
        await hass.services.async_call(
            "number",
            "set_value",
            {"entity_id": "number.cp_s_station_maximum_current", "value": 10},
            blocking=True,
        )
        await hass.services.async_call(
            "select",
            "select_option",
            {"entity_id": "select.cp_s_phase_rotation", "option": "l2_l3_l1"},
            blocking=True,
        )
        await hass.services.async_call(
            "select",
            "select_option",
            {"entity_id": "select.cp_s_connector_1_charging_mode", "option": "min_solar"},
            blocking=True,
        )
        settings = hub.connector_settings("CP-S", 1)
        assert (settings.priority, settings.min_current, settings.mode) == (3, 8.0, "min_solar")
        assert hub.charger_settings("CP-S").station_max_current == 10.0
        assert hub.charger_settings("CP-S").phase_rotation == 1
        await step(hass, hub, clock, 5, charger)
        result = hub.balancer.site.data
        assert result is not None
        assert result.allocations["CP-S/1"].current <= 10.0

        # The site limit number: 0 turns balancing off, live.
        await hass.services.async_call(
            "number",
            "set_value",
            {"entity_id": "number.charging_site_site_limit", "value": 0},
            blocking=True,
        )
        await hass.async_block_till_done()
        assert not hub.balancer.enabled
        assert hub.balancer.site.data is None
        state = hass.states.get("number.charging_site_site_limit")
        assert state is not None
        assert state.state == "0.0"
        # Balancing off shows as such; the controls that still work do.
        reason = hass.states.get("sensor.cp_s_connector_1_limit_reason")
        assert reason is not None
        assert reason.state == "balancing_off"
        budget = hass.states.get("sensor.charging_site_ev_budget")
        assert budget is not None
        assert budget.state == "unavailable"
        with pytest.raises(ServiceValidationError) as error:
            await hass.services.async_call(
                "select",
                "select_option",
                {"entity_id": "select.cp_s_connector_1_charging_mode", "option": "solar"},
                blocking=True,
            )
        assert error.value.translation_key == "mode_needs_balancing"
        await hass.services.async_call(
            "select",
            "select_option",
            {"entity_id": "select.cp_s_connector_1_charging_mode", "option": "off"},
            blocking=True,
        )
        await wait_for(hass, lambda: charger.offered(1) == 0)
    finally:
        await charger.close()


async def test_circuit_limits_its_chargers(
    hass: HomeAssistant, site: tuple[MockConfigEntry, SmartChargingHub, Clock]
) -> None:
    """Two chargers on a 16 A sub-circuit share it, whatever the grid would allow."""
    entry, hub, clock = site
    hass.config_entries.async_update_entry(
        entry, options={**entry.options, "circuits": ["garage: 16"]}
    )
    await hass.async_block_till_done()
    first = await charging(hass, entry, "CP-G1")
    second = await charging(hass, entry, "CP-G2")
    try:
        for charger_id in ("CP-G1", "CP-G2"):
            await hass.services.async_call(
                "select",
                "select_option",
                {
                    "entity_id": f"select.{charger_id.lower().replace('-', '_')}_circuit",
                    "option": "garage",
                },
                blocking=True,
            )
        state = hass.states.get("select.cp_g1_circuit")
        assert state is not None
        assert state.attributes["options"] == ["none", "garage"]
        for _ in range(3):
            await step(hass, hub, clock, 5, first, second)
        result = hub.balancer.site.data
        assert result is not None
        allocations = [result.allocations[key] for key in ("CP-G1/1", "CP-G2/1")]
        assert sum(allocation.current for allocation in allocations) <= 16.0
        assert all(allocation.current >= 6.0 for allocation in allocations)
        assert {allocation.reason for allocation in allocations} == {LimitReason.CIRCUIT_LIMIT}
    finally:
        await first.close()
        await second.close()


async def test_live_limit_renewed_before_it_expires(
    hass: HomeAssistant, site: tuple[MockConfigEntry, SmartChargingHub, Clock]
) -> None:
    """An unchanged allocation is sent again after half its validity, and not before."""
    _entry, hub, clock = site
    charger = await charging_at(hass, site, "CP-R", 16.0)
    try:
        await report(hass, 5, charger)
        sent = len([action for action, _ in charger.calls if action == "SetChargingProfile"])
        await settle(hass, hub, clock, seconds=30)  # 30 s < 120 s / 2: nothing to renew
        assert len([a for a, _ in charger.calls if a == "SetChargingProfile"]) == sent
        await settle(hass, hub, clock, seconds=31)  # 61 s since the last send: renew
        await wait_for(
            hass,
            lambda: len([a for a, _ in charger.calls if a == "SetChargingProfile"]) == sent + 1,
        )
        assert last_limit(charger) == 16.0
    finally:
        await charger.close()


def wall_clock_from_noon(hub: SmartChargingHub, clock: Clock) -> None:
    """The balancer's local time: today 12:00 when the test clock starts, then with it."""
    noon = dt_util.now().replace(hour=12, minute=0, second=0, microsecond=0)
    start = clock.now
    hub.balancer.wall_clock = lambda: noon + timedelta(seconds=clock.now - start)


async def set_departure(hass: HomeAssistant, prefix: str, departure: str, kwh: float) -> None:
    """Set a connector's departure time and energy target through its entities."""
    await hass.services.async_call(
        "time",
        "set_value",
        {"entity_id": f"time.{prefix}_departure", "time": departure},
        blocking=True,
    )
    await hass.services.async_call(
        "number",
        "set_value",
        {"entity_id": f"number.{prefix}_energy_target", "value": kwh},
        blocking=True,
    )


async def test_engine_settings_follow_the_options(
    hass: HomeAssistant, site: tuple[MockConfigEntry, SmartChargingHub, Clock]
) -> None:
    """Stop delay from the options; a car counts as checked within two sampling intervals."""
    entry, hub, _clock = site
    settings = hub.balancer.engine_settings()
    assert (settings.solar_stop_delay, settings.car_check_timeout) == (120.0, 60.0)
    hass.config_entries.async_update_entry(entry, options={**entry.options, "meter_interval": 60})
    await hass.async_block_till_done()
    assert hub_of(entry).balancer.engine_settings().car_check_timeout == 120.0


async def test_departure_and_energy_target(
    hass: HomeAssistant, site: tuple[MockConfigEntry, SmartChargingHub, Clock]
) -> None:
    """Solar without surplus waits; near the departure it charges at full to deliver."""
    _entry, hub, clock = site
    start = clock.now
    wall_clock_from_noon(hub, clock)
    charger = await charging_at(hass, site, "CP-D", 16.0)
    try:
        await hass.services.async_call(
            "select",
            "select_option",
            {"entity_id": "select.cp_d_connector_1_charging_mode", "option": "solar"},
            blocking=True,
        )
        await set_departure(hass, "cp_d_connector_1", "14:00:00", 11)
        settings = hub.connector_settings("CP-D", 1)
        assert (settings.departure, settings.energy_target) == ("14:00:00", 11.0)
        departure = hass.states.get("time.cp_d_connector_1_departure")
        assert departure is not None
        assert departure.state == "14:00:00"
        flag = "binary_sensor.cp_d_connector_1_charging_for_departure"

        # Not seen following an offer yet, the car would be due if it took one phase
        # (3 h): it charges a moment, until its draw shows three.
        await settle(hass, hub, clock, seconds=30)
        await report(hass, 5, charger)
        result = hub.balancer.site.data
        assert result is not None
        allocation = result.allocations["CP-D/1"]
        assert (allocation.current, allocation.deadline) == (16.0, False)
        assert allocation.reason is LimitReason.CHECKING_CAR

        # 11 kWh at 16 A x 3 x 230 V: 59.8 min, +15 % and 15 min: due from about 12:36.
        for seconds in (30, 30 * 60):  # 12:01:30, 12:31:30
            await settle(hass, hub, clock, seconds=seconds)
            # A new reading (its own timestamp) and a meter that moved: the car is checked.
            charger.advance(1.0)
            await report(hass, 5.1, charger)
            site_input = hub.balancer.last_site
            assert site_input is not None
            connector = site_input.connectors[0]
            assert connector.energy_needed == pytest.approx(11_000, abs=50)
            assert connector.departure == pytest.approx(start + 7200)
            result = hub.balancer.site.data
            assert result is not None
            allocation = result.allocations["CP-D/1"]
            assert (allocation.current, allocation.reason) == (0.0, LimitReason.SOLAR_SURPLUS)
            assert not allocation.deadline
            await wait_for(hass, lambda: charger.effective_limit(1) == 0.0)
            state = hass.states.get(flag)
            assert state is not None
            assert state.state == "off"

        await settle(hass, hub, clock, seconds=10 * 60)  # 12:41:30
        result = hub.balancer.site.data
        assert result is not None
        allocation = result.allocations["CP-D/1"]
        assert allocation.deadline
        assert (allocation.current, allocation.reason) == (16.0, LimitReason.USER_MAXIMUM)
        await wait_for(hass, lambda: charger.effective_limit(1) == 16.0)
        state = hass.states.get(flag)
        assert state is not None
        assert state.state == "on"
    finally:
        await charger.close()


async def test_fast_car_with_a_departure_gives_way(
    hass: HomeAssistant, site: tuple[MockConfigEntry, SmartChargingHub, Clock]
) -> None:
    """Fast, with a departure in 8 h and 11 kWh to add: its 6 A minimum, the other car the rest."""
    entry, hub, clock = site
    wall_clock_from_noon(hub, clock)
    visitor = await charging(hass, entry, "CP-A", max_current=32.0)
    staff = await charging(hass, entry, "CP-B", max_current=32.0)
    try:
        for charger_id in ("CP-A", "CP-B"):
            hub.update_connector_settings(charger_id, 1, max_current=32.0)
        for _ in range(3):
            await step(hass, hub, clock, 5, visitor, staff)
        await wait_for(hass, lambda: staff.effective_limit(1) == 9.5)  # 25 - 5 - 1, halved
        await set_departure(hass, "cp_b_connector_1", "20:00:00", 11)
        for _ in range(3):
            await step(hass, hub, clock, 5, visitor, staff)
        await wait_for(
            hass, lambda: staff.effective_limit(1) == 6.0 and visitor.effective_limit(1) == 13.0
        )
        reason = hass.states.get("sensor.cp_b_connector_1_limit_reason")
        assert reason is not None
        assert reason.state == "on_schedule"
    finally:
        await visitor.close()
        await staff.close()


def test_seconds_until_the_next_departure() -> None:
    """The next occurrence of a time of day, in real seconds (DST included)."""
    berlin = ZoneInfo("Europe/Berlin")
    evening = datetime(2026, 6, 1, 20, 0, tzinfo=berlin)
    assert seconds_until(evening, "07:30:00") == 11.5 * 3600  # tomorrow morning
    assert seconds_until(evening, "21:00:00") == 3600
    assert seconds_until(evening, "20:00:00") == 24 * 3600  # now: the next one
    # The night the clocks go forward (29 March 2026) is an hour short.
    assert seconds_until(datetime(2026, 3, 28, 20, 0, tzinfo=berlin), "08:00:00") == 11 * 3600
    assert seconds_until(evening, "not a time") == math.inf


async def test_one_phase_car_keeps_its_phase_while_paused(
    hass: HomeAssistant, site: tuple[MockConfigEntry, SmartChargingHub, Clock]
) -> None:
    """A 1-phase car that stops drawing is still a 1-phase car until its session ends."""
    _entry, hub, clock = site
    charger = await charging(hass, _entry, "CP-1P", phases=1)
    try:
        await step(hass, hub, clock, 5, charger)
        assert charger.draw(1) > 0

        def phases() -> tuple[int, ...]:
            site_input = hub.balancer.last_site
            assert site_input is not None
            return site_input.connectors[0].phases

        assert phases() == (0,)
        hub.update_connector_settings("CP-1P", 1, mode="solar")  # no surplus: it pauses
        await step(hass, hub, clock, 5, charger)
        await step(hass, hub, clock, 5, charger)
        assert charger.draw(1) == 0
        assert phases() == (0,)

        # A new session may bring another car: the cautious guess (all three) again.
        await charger.stop_transaction(1)
        await charger.start_transaction(1)
        await step(hass, hub, clock, 5, charger)
        assert phases() == (0, 1, 2)
    finally:
        await charger.close()


async def test_a_suspended_car_keeps_only_its_minimum(
    hass: HomeAssistant, site: tuple[MockConfigEntry, SmartChargingHub, Clock]
) -> None:
    """A full car (SuspendedEV): after the response time it is held at its 6 A minimum."""
    entry, hub, clock = site
    charger = await charging_at(hass, site, "CP-S", max_current=16.0)
    try:
        charger.attach_ev(1, EVSpec(initial_soc=100.0))
        await charger.send_meter_values(1)
        await wait_for(
            hass,
            lambda: hub.coordinators["CP-S"].data.connector(1).status
            is ConnectorStatus.SUSPENDED_EV,
        )
        await settle(hass, hub, clock)
        site_input = hub.balancer.last_site
        assert site_input is not None
        assert site_input.connectors[0].suspended
        result = hub.balancer.site.data
        assert result is not None
        assert result.allocations["CP-S/1"].current == 6.0
        assert result.allocations["CP-S/1"].reason is LimitReason.CAR_LIMIT
        await wait_for(hass, lambda: charger.effective_limit(1) == 6.0)
    finally:
        await charger.close()


async def test_a_site_of_16_and_201_chargers(
    hass: HomeAssistant, site: tuple[MockConfigEntry, SmartChargingHub, Clock]
) -> None:
    """A 1.6 charger and a 2.0.1 station share the fuse alike: half each of what is left."""
    entry, hub, clock = site
    visitor = await charging(hass, entry, "CP-A", max_current=32.0)
    station = SimulatedStation201("CS-B", charger_url(entry), max_current=32.0)
    try:
        assert await station.connect() == "Accepted"
        await wait_for(
            hass, lambda: "CS-B" in hub.coordinators and hub.coordinators["CS-B"].data.configured
        )
        await station.start_transaction(1)
        await station.send_meter_values(1)
        await wait_for(
            hass, lambda: hub.coordinators["CS-B"].data.connector(1).transaction_id is not None
        )
        for charger_id in ("CP-A", "CS-B"):
            hub.update_connector_settings(charger_id, 1, max_current=32.0)
        for _ in range(3):
            await step(hass, hub, clock, 5, visitor, station)
        await wait_for(hass, lambda: station.effective_limit(1) == 9.5)  # 25 - 5 - 1, halved
        await wait_for(hass, lambda: visitor.effective_limit(1) == 9.5)
        profile = station.calls[-1][1]["charging_profile"]
        assert profile["charging_profile_purpose"] == "TxProfile"
        assert profile["transaction_id"] == station.transaction_id(1)
    finally:
        await station.close()
        await visitor.close()


async def test_the_cars_own_range_on_a_201_station(
    hass: HomeAssistant, site: tuple[MockConfigEntry, SmartChargingHub, Clock]
) -> None:
    """A car that tells 10-13 A gets at most 13 A, and waits rather than get 8 A."""
    entry, hub, clock = site
    station = SimulatedStation201("CS-C", charger_url(entry), max_current=32.0)
    try:
        assert await station.connect() == "Accepted"
        await wait_for(
            hass, lambda: "CS-C" in hub.coordinators and hub.coordinators["CS-C"].data.configured
        )
        await station.start_transaction(1)
        assert (
            await station.send_charging_needs(
                1, departure=None, energy_wh=None, min_current=10.0, max_current=13.0
            )
            == "Accepted"
        )
        connector = hub.coordinators["CS-C"].data.connector(1)
        await wait_for(hass, lambda: connector.ev_min_current == 10.0)
        hub.update_connector_settings("CS-C", 1, max_current=32.0)
        for _ in range(3):
            await step(hass, hub, clock, 5, station)
        await wait_for(hass, lambda: station.effective_limit(1) == 13.0)  # 19 A left
        for _ in range(3):
            await step(hass, hub, clock, 16, station)
        await wait_for(hass, lambda: station.effective_limit(1) == 0.0)  # 8 A left < 10 A
    finally:
        await station.close()
