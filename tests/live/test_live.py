"""`python -m simulator.live`: arguments, time, payloads, dashboard, publishing, a live run."""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta, tzinfo
import json
import logging
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from simulator import live
from simulator.site.entity_ids import connector_entity, site_entity, slug
from simulator.site.model import DAY, BatterySpec, ScenarioDay, Visit
from simulator.site.plant import Snapshot
from tests.simulator.central_system import CentralSystem

from .conftest import MINI, TOKEN, FakeHomeAssistant

TRANSLATIONS = (
    Path(__file__).parents[2] / "custom_components" / "smart_charging" / "translations" / "en.json"
)
DEMO_SENSORS = {
    *live.GRID_SENSORS,
    live.PV_SENSOR,
    live.HOUSE_SENSOR,
    live.EV_SENSOR,
    live.FUSE_SENSOR,
    live.TIME_SENSOR,
}


def _options(tmp_path: Path, **changes: object) -> live.LiveOptions:
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    argv = ["--url", "ws://127.0.0.1:1", "--ha", "http://127.0.0.1:2/", "--token-file"]
    options = live.parse_args([*argv, str(token_file), "--scenario", str(MINI)])
    fields = {
        "url": options.url,
        "ha": options.ha,
        "token_file": options.token_file,
        "scenario": options.scenario,
        "day": options.day,
        "speed": options.speed,
        "start": options.start,
        "verbose": options.verbose,
    }
    return live.LiveOptions(**(fields | changes))  # type: ignore[arg-type]


def _snapshot(t: float = 3600.0) -> Snapshot:
    return Snapshot(
        t=t,
        grid_current=(12.345, -3.0, 0.0),
        house_power=(500.0, 300.0, 200.4),
        pv_power=4321.4,
        battery_power=-250.0,
        ev_power=7360.0,
    )


# --- command line ------------------------------------------------------------------------------
def test_parse_args() -> None:
    """Required URLs, token file and scenario; speed, day and start are optional."""
    urls = ["--url", "ws://h:9000", "--ha", "http://h:8123/", "--token-file", "t"]
    options = live.parse_args(
        [*urls, "--scenario", "home", "--speed", "60", "--day", "2", "--start", "7:05", "--verbose"]
    )
    assert options == live.LiveOptions(
        url="ws://h:9000",
        ha="http://h:8123",
        token_file=Path("t"),
        scenario="home",
        day=2,
        speed=60.0,
        start=7 * 3600 + 5 * 60,
        verbose=True,
    )
    defaults = live.parse_args(["--url", "u", "--ha", "h", "--token-file", "t", "--scenario", "s"])
    assert (defaults.day, defaults.speed, defaults.start, defaults.verbose) == (0, 1.0, None, False)


@pytest.mark.parametrize(
    "extra", [["--speed", "0"], ["--speed", "fast"], ["--speed", "9999"], ["--start", "24:00"]]
)
def test_parse_args_refuses(extra: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """A speed outside (0, 3600] or a start that is no time of day is a usage error."""
    with pytest.raises(SystemExit) as exit_info:
        live.parse_args(["--url", "u", "--ha", "h", "--token-file", "t", "--scenario", "s", *extra])
    assert exit_info.value.code == 2
    assert "expected HH:MM" in capsys.readouterr().err or "speed" in extra[0]


@pytest.mark.parametrize(
    ("text", "seconds"), [("00:00", 0.0), ("7:30", 27_000.0), ("23:59", 86_340.0)]
)
def test_parse_clock(text: str, seconds: float) -> None:
    """HH:MM is seconds after midnight."""
    assert live.parse_clock(text) == seconds


@pytest.mark.parametrize("text", ["7", "7:3", "12:60", "-1:00", "noon"])
def test_parse_clock_refuses(text: str) -> None:
    """Anything else is refused."""
    with pytest.raises(argparse.ArgumentTypeError):
        live.parse_clock(text)


def test_read_token(tmp_path: Path) -> None:
    """The file's only word; a missing, empty or multi-word file is an error."""
    path = tmp_path / "token"
    path.write_text(f"  {TOKEN}\n")
    assert live.read_token(path) == TOKEN
    for text in ("", "\n", "two words"):
        path.write_text(text)
        with pytest.raises(ValueError, match="no access token"):
            live.read_token(path)
    with pytest.raises(ValueError, match="cannot read"):
        live.read_token(tmp_path / "missing")


def test_scenario_path(tmp_path: Path) -> None:
    """A name is a file in benchmarks/scenarios; an existing path is taken as it is."""
    assert live.scenario_path("home") == live.ROOT / "benchmarks" / "scenarios" / "home.toml"
    assert live.scenario_path(str(MINI)) == MINI
    assert live.load_days(str(MINI))[0].name == "mini-weekday"
    with pytest.raises(OSError, match="nowhere"):
        live.load_days(str(tmp_path / "nowhere"))


# --- time --------------------------------------------------------------------------------------
def test_wall_time(mini_day: ScenarioDay) -> None:
    """The mini day runs from noon to noon: run time 0 is 12:00, 13 h later it is 01:00."""
    assert mini_day.start_offset == 12 * 3600
    assert live.clock_text(live.wall_time(mini_day, 0)) == "12:00"
    assert live.clock_text(live.wall_time(mini_day, 13 * 3600 + 59)) == "01:00"
    assert live.clock_text(DAY + 61) == "00:01"
    assert live.skip_to(mini_day, None) == 0
    assert live.skip_to(mini_day, 13 * 3600) == 3600
    assert live.skip_to(mini_day, 6 * 3600) == 18 * 3600


def test_real_departure(mini_day: ScenarioDay) -> None:
    """The departure on the real clock: the rest of the stay, `speed` times faster."""
    (visit,) = mini_day.visits  # leaves at run time 6 h (18:00)
    now = datetime(2025, 6, 10, 8, 0, tzinfo=UTC)
    assert live.real_departure(visit, 3600.0, 1.0, now) == now + timedelta(hours=5)
    assert live.real_departure(visit, 3600.0, 60.0, now) == now + timedelta(minutes=5)
    assert live.real_departure(visit, visit.depart + 10, 60.0, now) == now


def test_site_time() -> None:
    """`speed` site seconds per real second, never backwards."""
    clock = live.SiteTime(60, real_now=100.0)
    assert clock.advance(100.5) == 30
    assert clock.advance(102.5) == 120
    assert clock.advance(101.0) == 0
    assert clock.advance(102.6) == pytest.approx(6)


# --- what HA gets ------------------------------------------------------------------------------
def test_state_payloads(mini_day: ScenarioDay) -> None:
    """Every sensor with its unit and classes; rounded states; the site clock as HH:MM."""
    payloads = live.state_payloads(mini_day, _snapshot())
    assert set(payloads) == DEMO_SENSORS
    l1 = payloads["sensor.demo_grid_current_l1"]
    assert l1["state"] == "12.35"
    assert l1["attributes"] == {
        "friendly_name": "Demo grid current L1",
        "icon": "mdi:transmission-tower",
        "unit_of_measurement": "A",
        "state_class": "measurement",
        "device_class": "current",
    }
    assert payloads["sensor.demo_grid_current_l2"]["state"] == "-3.00"
    assert payloads["sensor.demo_fuse_limit"]["state"] == "25"
    assert payloads["sensor.demo_pv_power"]["state"] == "4321"
    assert payloads["sensor.demo_pv_power"]["attributes"]["device_class"] == "power"
    assert payloads["sensor.demo_house_power"]["state"] == "1000"
    assert payloads["sensor.demo_ev_power"]["state"] == "7360"
    clock = payloads["sensor.demo_site_time"]
    assert clock["state"] == "13:00"
    assert "unit_of_measurement" not in clock["attributes"]
    assert clock["attributes"]["scenario"] == "mini-weekday"


def test_state_payloads_battery(mini_day: ScenarioDay) -> None:
    """A site with a home battery also reports its power."""
    battery = BatterySpec(capacity_wh=10_000, max_power=5000)
    day = replace(mini_day, battery=battery)
    assert live.state_payloads(day, _snapshot())["sensor.demo_battery_power"]["state"] == "-250"
    assert live.demo_site_options(day)["battery_power_entity"] == "sensor.demo_battery_power"


def test_demo_site_options(mini_day: ScenarioDay) -> None:
    """Balance against the demo meter with the scenario's limits; accept every charger."""
    options = live.demo_site_options(mini_day)
    assert options == {
        "unknown_chargers": "accept_all",
        "id_tag_policy": "accept_all",
        "meter_interval": mini_day.meter_values_interval,
        "grid_limit": 25.0,
        "safety_margin": mini_day.safety_margin,
        "nominal_voltage": 230.0,
        "meter_source": "phase_currents",
        "meter_entities": list(live.GRID_SENSORS),
        "meter_inverted": False,
        "pv_power_entity": "sensor.demo_pv_power",
    }
    no_pv = replace(mini_day, pv=None, max_import_power=11_000.0)
    options = live.demo_site_options(no_pv)
    assert "pv_power_entity" not in options
    assert options["max_import_power"] == 11_000


def test_entity_ids() -> None:
    """Entity ids as HA derives them from the device and entity names."""
    assert slug("Office HPC-2 connector 1") == "office_hpc_2_connector_1"
    assert connector_entity("sensor", "WB-1", 2, "limit_reason") == (
        "sensor.wb_1_connector_2_limit_reason"
    )
    assert site_entity("headroom_l1") == "sensor.charging_site_headroom_l1"
    assert connector_entity("switch", "V2X", 1, "allow_discharging", "EVSE") == (
        "switch.v2x_evse_1_allow_discharging"
    )


def test_setting_calls() -> None:
    """Each setting through its entity; ids from the entities' English names (en.json)."""
    connector = ("WB-1", 2)
    assert live.setting_call(connector, "mode", "solar") == (
        "select",
        "select_option",
        {"entity_id": "select.wb_1_connector_2_charging_mode", "option": "solar"},
    )
    assert live.setting_call(connector, "priority", 3) == (
        "number",
        "set_value",
        {"entity_id": "number.wb_1_connector_2_priority", "value": 3},
    )
    assert live.setting_call(connector, "min_current", 10.0) == (
        "number",
        "set_value",
        {"entity_id": "number.wb_1_connector_2_minimum_current", "value": 10.0},
    )
    assert live.setting_call(connector, "energy_target", 0.0) == (
        "number",
        "set_value",
        {"entity_id": "number.wb_1_connector_2_energy_target", "value": 0.0},
    )
    assert live.setting_call(connector, "departure", "17:30:00") == (
        "time",
        "set_value",
        {"entity_id": "time.wb_1_connector_2_departure", "time": "17:30:00"},
    )
    # A time entity cannot be unset: no call (the energy target of 0 turns the deadline off).
    assert live.setting_call(connector, "departure", None) is None


def test_entity_names_match_translations() -> None:
    """The entity id suffixes the drivers use are the slugs of the entities' English names."""
    translations = json.loads(TRANSLATIONS.read_text(encoding="utf-8"))["entity"]
    for name, (domain, _, suffix, _) in live._SETTING_ENTITIES.items():
        key = "charging_mode" if name == "mode" else name
        assert slug(translations[domain][key]["name"]) == suffix


def _cards(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    (view,) = config["views"]
    assert view["type"] == "sections"
    return {
        card.get("title", card["type"]): card
        for section in view["sections"]
        for card in section["cards"]
    }


def test_dashboard_config(mini_day: ScenarioDay) -> None:
    """Grid current against the fuse, power, the site's budget and each connector."""
    plans = (replace(mini_day.chargers[0], charger_id="HPC", connectors=2, max_current=(32, 32)),)
    config = live.dashboard_config(replace(mini_day, chargers=plans), hours_to_show=0.1, speed=60)
    assert config["title"] == "Smart charging demo"
    charts, side = config["views"][0]["sections"]
    assert charts["column_span"] == 2
    assert [card["title"] for card in charts["cards"]] == [
        "Grid current per phase vs fuse",
        "Power",
        "Allocation per connector",
        "Limit reason",
    ]
    assert [card.get("title") for card in side["cards"]] == [None, "Site", "HPC"]
    assert side["cards"][0]["content"].startswith("**mini-weekday**: A tiny site")
    assert "60x faster" in side["cards"][0]["content"]
    cards = _cards(config)
    grid = cards["Grid current per phase vs fuse"]
    assert grid["type"] == "history-graph"
    assert grid["hours_to_show"] == 0.1
    assert [row["entity"] for row in grid["entities"]] == [
        *live.GRID_SENSORS,
        "sensor.demo_fuse_limit",
    ]
    assert [row["name"] for row in cards["Power"]["entities"]] == ["EV", "PV", "House"]
    site_rows = cards["Site"]["entities"]
    assert site_rows[0]["name"] == "Site time (mini-weekday, 60x)"
    assert "sensor.charging_site_ev_budget" in [row["entity"] for row in site_rows]
    assert [row["entity"] for row in cards["Allocation per connector"]["entities"]] == [
        "sensor.hpc_connector_1_allocated_current",
        "sensor.hpc_connector_2_allocated_current",
    ]
    assert [row["entity"] for row in cards["Limit reason"]["entities"]] == [
        "sensor.hpc_connector_1_limit_reason",
        "sensor.hpc_connector_2_limit_reason",
    ]
    rows = cards["HPC"]["entities"]
    assert rows[0] == {"type": "section", "label": "Connector 1"}
    entities = [row.get("entity") for row in rows]
    assert "sensor.hpc_connector_2_limit_reason" in entities
    assert "select.hpc_connector_1_charging_mode" in entities

    battery = BatterySpec(capacity_wh=10_000, max_power=5000)
    cards = _cards(live.dashboard_config(replace(mini_day, pv=None, battery=battery), 6))
    assert [row["name"] for row in cards["Power"]["entities"]] == ["EV", "House", "Battery"]
    assert cards["WB-1"]["entities"][0]["entity"] == "sensor.wb_1_connector_1_status"
    assert "faster" not in cards["markdown"]["content"]


# --- the REST API ------------------------------------------------------------------------------
async def test_publish(fake_ha: FakeHomeAssistant, caplog: pytest.LogCaptureFixture) -> None:
    """States are posted with the token; a failure is logged once, the recovery too."""
    async with aiohttp.ClientSession() as session:
        api = live.HomeAssistantApi(session, fake_ha.url + "/", TOKEN)
        payloads = {"sensor.demo_x": {"state": "1", "attributes": {}}}
        assert await api.publish(payloads)
        assert fake_ha.states == payloads
        fake_ha.status = 500
        with caplog.at_level(logging.INFO, logger="simulator.live"):
            assert not await api.publish(payloads)
            assert not await api.call_service("select", "select_option", {"option": "fast"})
            fake_ha.status = 200
            assert await api.call_service("select", "select_option", {"option": "fast"})
        messages = [record.getMessage() for record in caplog.records]
        assert len([m for m in messages if "failed" in m]) == 1
        assert "Home Assistant answers again" in messages
        wrong = live.HomeAssistantApi(session, fake_ha.url, "wrong")
        assert not await wrong.publish(payloads)
        unreachable = live.HomeAssistantApi(session, "http://127.0.0.1:1", TOKEN)
        assert not await unreachable.publish(payloads)


async def test_time_zone(fake_ha: FakeHomeAssistant, caplog: pytest.LogCaptureFixture) -> None:
    """HA's time zone from its configuration; None (logged) when it cannot be read."""
    async with aiohttp.ClientSession() as session:
        api = live.HomeAssistantApi(session, fake_ha.url, TOKEN)
        assert await api.time_zone() == ZoneInfo("Europe/Berlin")
        fake_ha.config = {"time_zone": "Nowhere/Atlantis"}
        assert await api.time_zone() is None
        fake_ha.config = {}
        assert await api.time_zone() is None
        assert await live.HomeAssistantApi(session, fake_ha.url, "wrong").time_zone() is None
        assert "cannot read its time zone" in caplog.text


# --- drivers -----------------------------------------------------------------------------------
class _FrozenDatetime(datetime):
    """`datetime` whose `now` is 2025-06-10 10:00:00 UTC."""

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> _FrozenDatetime:
        moment = cls(2025, 6, 10, 10, 0, tzinfo=UTC)
        return moment if tz is None else moment.astimezone(tz)


async def test_drivers_pick(
    tmp_path: Path,
    fake_ha: FakeHomeAssistant,
    mini_day: ScenarioDay,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Drivers set their connector up through its entities, as on the dashboard.

    A solar car's driver sets mode, priority, minimum, departure and energy target; a fast car's
    what differs, without departure and with no energy; a call that failed is made again.
    """
    monkeypatch.setattr(live, "datetime", _FrozenDatetime)
    (solar,) = mini_day.visits  # run time 1800 (12:30) to 21 600 (18:00), 10 kWh
    fast = replace(
        solar,
        arrive=22_200.0,
        depart=25_200.0,
        mode="fast",
        priority=3,
        ev=replace(solar.ev, min_current=10.0),  # a DC car: 10 A at least
    )
    fast_again = replace(fast, arrive=25_800.0, depart=28_800.0)
    solar_again = replace(solar, arrive=29_400.0, depart=32_400.0)
    day = replace(mini_day, visits=(solar, fast, fast_again, solar_again))
    entity = "wb_1_connector_1"
    async with aiohttp.ClientSession() as session:
        api = live.HomeAssistantApi(session, fake_ha.url, TOKEN)
        site = live.LiveSite([day], _options(tmp_path, speed=60.0), api)
        plant = site.start_day(live.skip_to(day, 12 * 3600 + 29 * 60))

        async def arrive(visit: Visit) -> list[tuple[str, dict[str, Any]]]:
            fake_ha.posts.clear()
            await site.step(visit.arrive - plant.t - site._pending_skip)  # the charger is offline
            assert plant.t == visit.arrive
            return fake_ha.service_calls()

        # At run time 1800 the car leaves in 19 800 site s: 330 real s at 60x, from 10:00:00
        # UTC, so at 12:05:30 in HA's time zone (Berlin, summer time).
        assert await arrive(solar) == [
            (
                "/api/services/select/select_option",
                {"entity_id": f"select.{entity}_charging_mode", "option": "solar"},
            ),
            (
                "/api/services/number/set_value",
                {"entity_id": f"number.{entity}_priority", "value": 0},
            ),
            (
                "/api/services/number/set_value",
                {"entity_id": f"number.{entity}_minimum_current", "value": 6.0},
            ),
            (
                "/api/services/time/set_value",
                {"entity_id": f"time.{entity}_departure", "time": "12:05:30"},
            ),
            (
                "/api/services/number/set_value",
                {"entity_id": f"number.{entity}_energy_target", "value": pytest.approx(10 / 0.9)},
            ),
        ]
        fake_ha.status = 500
        failed = await arrive(fast)
        fake_ha.status = 200
        fast_calls = [
            {"entity_id": f"select.{entity}_charging_mode", "option": "fast"},
            {"entity_id": f"number.{entity}_priority", "value": 3},
            {"entity_id": f"number.{entity}_minimum_current", "value": 10.0},
            {"entity_id": f"number.{entity}_energy_target", "value": 0.0},
        ]
        assert [body for _, body in failed] == fast_calls
        assert [body for _, body in await arrive(fast_again)] == fast_calls
        # 3000 site s: 50 real s. All differs from the fast car's.
        assert [body for _, body in await arrive(solar_again)] == [
            {"entity_id": f"select.{entity}_charging_mode", "option": "solar"},
            {"entity_id": f"number.{entity}_priority", "value": 0},
            {"entity_id": f"number.{entity}_minimum_current", "value": 6.0},
            {"entity_id": f"time.{entity}_departure", "time": "12:00:50"},
            {"entity_id": f"number.{entity}_energy_target", "value": pytest.approx(10 / 0.9)},
        ]
        await site.close()


# --- runs --------------------------------------------------------------------------------------
async def test_run(
    tmp_path: Path, central_system: CentralSystem, fake_ha: FakeHomeAssistant
) -> None:
    """The car arrives, its driver picks solar, it charges; on stop the session ends."""
    options = _options(
        tmp_path, url=central_system.url, ha=fake_ha.url, speed=600.0, start=12 * 3600 + 28 * 60
    )
    stop = asyncio.Event()
    running = asyncio.create_task(live.run(options, stop))
    try:
        await central_system.wait_connected(count=1)
        log = central_system.logs["WB-1"]
        await log.wait_for("StartTransaction", timeout=10)
        assert fake_ha.service_calls()[:2] == [
            (
                "/api/services/select/select_option",
                {"entity_id": "select.wb_1_connector_1_charging_mode", "option": "solar"},
            ),
            (
                "/api/services/number/set_value",
                {"entity_id": "number.wb_1_connector_1_priority", "value": 0},
            ),
        ]
        assert [body["entity_id"] for _, body in fake_ha.service_calls()[2:5]] == [
            "number.wb_1_connector_1_minimum_current",
            "time.wb_1_connector_1_departure",
            "number.wb_1_connector_1_energy_target",
        ]
        await fake_ha.wait_for_state("sensor.demo_site_time", lambda state: state >= "12:30")
        assert set(fake_ha.states) == DEMO_SENSORS
        assert float(fake_ha.states["sensor.demo_ev_power"]["state"]) >= 0
    finally:
        stop.set()
        assert await asyncio.wait_for(running, 10) == 0
    assert [action for action, _ in log.calls].count("StopTransaction") == 1


async def test_run_stops_while_connecting(tmp_path: Path, fake_ha: FakeHomeAssistant) -> None:
    """Stopped before the central system is up: no step runs, the chargers close."""
    options = _options(tmp_path, url="ws://127.0.0.1:1", ha=fake_ha.url)
    stop = asyncio.Event()
    running = asyncio.create_task(live.run(options, stop))
    await asyncio.sleep(0.3)
    stop.set()
    assert await asyncio.wait_for(running, 10) == 0
    assert fake_ha.posts == []


async def test_day_wraps(
    tmp_path: Path, fake_ha: FakeHomeAssistant, mini_days: list[ScenarioDay]
) -> None:
    """After 24 h the next day starts (here the same one again); a failed step is logged."""
    async with aiohttp.ClientSession() as session:
        api = live.HomeAssistantApi(session, fake_ha.url, TOKEN)
        site = live.LiveSite(mini_days, _options(tmp_path, day=1), api)
        first = site.start_day(live.skip_to(site.day, 19 * 3600))
        await site.step(0)
        assert fake_ha.states["sensor.demo_site_time"]["state"] == "19:00"
        await site.step(DAY)
        assert site.plant is not first
        assert fake_ha.states["sensor.demo_site_time"]["state"] == "12:00"
        # The car arrives at 12:30, but its charger is not connected: logged, the run goes on.
        snapshot = await site.step(3600)
        assert snapshot.ev_power == 0
        await site.close()


def test_main_without_token(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A missing token file ends the run at once with exit code 2."""
    argv = ["--url", "ws://127.0.0.1:1", "--ha", "http://127.0.0.1:1", "--token-file"]
    assert live.main([*argv, str(tmp_path / "none"), "--scenario", str(MINI)]) == 2
    assert "cannot read the token file" in caplog.text
