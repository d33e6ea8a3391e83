"""The live demo of a V2X day (`scripts/develop --scenario v2h`): options, drivers, dashboard, run."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio

from custom_components.smart_charging import const
from custom_components.smart_charging.settings import ConnectorSettings
from simulator import live
from simulator.site import v2x_live
from simulator.site.entity_ids import slug
from simulator.site.model import ScenarioDay
from simulator.site.scenario import load_scenario
from simulator.timeutil import parse_iso
from tests.simulator.csms21 import Csms21

from .conftest import TOKEN, FakeHomeAssistant

ROOT = Path(__file__).parents[2]
MINI_V2H = Path(__file__).with_name("mini-v2h.toml")
V2H = ROOT / "benchmarks" / "scenarios" / "v2h.toml"
TRANSLATIONS = ROOT / "custom_components" / "smart_charging" / "translations" / "en.json"
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture(scope="module")
def v2h() -> ScenarioDay:
    """The shipped live V2H day."""
    (day,) = load_scenario(V2H)
    return day


@pytest.fixture(scope="module")
def mini_v2h() -> ScenarioDay:
    """A one-wallbox V2H day: a bidirectional car home 18:00-07:30, 50 % to 80 %, reserve 35 %."""
    (day,) = load_scenario(MINI_V2H)
    return day


def test_the_shipped_day(v2h: ScenarioDay) -> None:
    """A bidirectional AC wallbox; the car home 18:00-07:30 at 50 %, to 80 %, reserve 30 %."""
    assert v2h.name == "v2h-evening"
    assert v2h.v2x is not None
    assert v2h.v2x.objective == "self_consumption"
    (plan,) = v2h.chargers
    assert (plan.bidirectional, plan.dc) == (True, False)
    (visit,) = v2h.visits
    assert live.clock_text(live.wall_time(v2h, visit.arrive)) == "18:00"
    assert live.clock_text(live.wall_time(v2h, visit.depart)) == "07:30"
    assert (visit.ev.initial_soc, visit.ev.target_soc, visit.reserve_soc) == (50, 80, 30)
    assert visit.mode == "solar"  # the car waits (no surplus at night): it may discharge


def test_demo_site_options(mini_v2h: ScenarioDay, v2h: ScenarioDay) -> None:
    """The site options as for every day, plus the owner's V2X options under the entry's keys."""
    options = live.demo_site_options(mini_v2h)
    assert options["meter_entities"] == list(live.GRID_SENSORS)
    assert {key: options[key] for key in v2x_live.v2x_options(mini_v2h)} == {
        const.CONF_V2X_OBJECTIVE: "self_consumption",
        const.CONF_EXPORT_CAR_ENERGY: False,
        const.CONF_WEAR_COST: 0.04,
        const.CONF_EXPORT_LIMIT: 0.0,
    }
    assert const.CONF_EXPORT_LIMIT not in live.demo_site_options(v2h)
    assert v2x_live.v2x_options(replace(v2h, v2x=None)) == {}


def test_driver_settings(mini_v2h: ScenarioDay) -> None:
    """Discharging allowed with the reserve; the car tells its departure and target itself."""
    (visit,) = mini_v2h.visits
    departs = datetime(2025, 3, 11, 17, 0, tzinfo=UTC)
    assert v2x_live.v2x_driver_settings(visit, departs, BERLIN) == {
        "mode": "solar",
        "priority": 0,
        "min_current": 6.0,
        "departure": None,
        "energy_target": 0.0,
        "allow_discharging": True,
        "soc_reserve": 35.0,
    }
    plain = v2x_live.v2x_driver_settings(replace(visit, v2x=None), departs, BERLIN)
    assert plain["departure"] == "18:00:00"
    assert "allow_discharging" not in plain


def test_setting_calls() -> None:
    """A 2.1 station's EVSE: its switch is turned on or off, its reserve set."""
    evse = ("WB-2", 1)
    assert live.setting_call(evse, "allow_discharging", True, "EVSE") == (
        "switch",
        "turn_on",
        {"entity_id": "switch.wb_2_evse_1_allow_discharging"},
    )
    assert live.setting_call(evse, "allow_discharging", False, "EVSE") == (
        "switch",
        "turn_off",
        {"entity_id": "switch.wb_2_evse_1_allow_discharging"},
    )
    assert live.setting_call(evse, "soc_reserve", 35.0, "EVSE") == (
        "number",
        "set_value",
        {"entity_id": "number.wb_2_evse_1_soc_reserve", "value": 35.0},
    )


def test_stored_connector_settings(mini_v2h: ScenarioDay) -> None:
    """What develop_helper stores: the first V2X car's driver's settings, valid settings."""
    stored = v2x_live.stored_connector_settings(mini_v2h)
    assert stored == {
        ("WB-2", 1): {
            "mode": "solar",
            "priority": 0,
            "energy_target": 0.0,
            "discharge_allowed": True,
            "soc_reserve": 35.0,
        }
    }
    settings = ConnectorSettings(**stored["WB-2", 1])
    assert settings.discharge_allowed
    plain = replace(mini_v2h, chargers=(replace(mini_v2h.chargers[0], bidirectional=False),))
    assert v2x_live.stored_connector_settings(plain) == {}


def test_entity_ids_match_translations() -> None:
    """The V2X rows' and sensors' entity id suffixes are slugs of the entities' English names."""
    translations = json.loads(TRANSLATIONS.read_text(encoding="utf-8"))["entity"]

    def names(domain: str) -> set[str]:
        return {slug(entity["name"]) for entity in translations[domain].values()}

    for domain, suffix, _ in v2x_live._V2X_ROWS:
        assert suffix in names(domain), (domain, suffix)
    for key, _ in v2x_live.SITE_V2X_SENSORS:
        assert key in names("sensor")
    for name in ("allow_discharging", "soc_reserve"):
        domain, _, suffix, _ = live._SETTING_ENTITIES[name]
        assert slug(translations[domain][name]["name"]) == suffix


def _cards(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    (view,) = config["views"]
    return {
        card.get("title", card["type"]): card
        for section in view["sections"]
        for card in section["cards"]
    }


def test_dashboard(v2h: ScenarioDay) -> None:
    """The cars' setpoint, power and SoC charts; the site's V2X sensors; the EVSE's V2X rows."""
    config = live.dashboard_config(v2h, hours_to_show=0.1, speed=60)
    charts, side = config["views"][0]["sections"]
    assert [card["title"] for card in charts["cards"]] == [
        "Grid current per phase vs fuse",
        "Power",
        "Car setpoint and power",
        "Car state of charge",
        "Allocation per connector",
        "Limit reason",
    ]
    assert [card.get("title") for card in side["cards"]] == [None, "Site", "V2X", "WALLBOX"]
    assert "60x smaller" in side["cards"][0]["content"]
    cards = _cards(config)
    assert [row["entity"] for row in cards["Car setpoint and power"]["entities"]] == [
        "sensor.wallbox_evse_1_setpoint",
        "sensor.wallbox_evse_1_power",
    ]
    assert cards["Car state of charge"]["entities"] == [
        {"entity": "sensor.wallbox_evse_1_state_of_charge", "name": "WALLBOX/1"}
    ]
    assert [row["entity"] for row in cards["Allocation per connector"]["entities"]] == [
        "sensor.wallbox_evse_1_allocated_current"
    ]
    assert [row["entity"] for row in cards["V2X"]["entities"]] == [
        "sensor.charging_site_v2x_objective",
        "sensor.charging_site_v2x_power_available",
        "sensor.charging_site_v2x_energy_available",
        "sensor.charging_site_grid_signal",
    ]
    rows = [row["entity"] for row in cards["WALLBOX"]["entities"]]
    assert rows[0] == "sensor.wallbox_evse_1_status"
    for entity in (
        "sensor.wallbox_evse_1_limit_reason",
        "select.wallbox_evse_1_charging_mode",
        "sensor.wallbox_evse_1_setpoint",
        "sensor.wallbox_evse_1_energy_discharged",
        "sensor.wallbox_evse_1_energy_above_reserve",
        "switch.wallbox_evse_1_allow_discharging",
        "number.wallbox_evse_1_soc_reserve",
        "select.wallbox_evse_1_discharge_mode",
    ):
        assert entity in rows
    same_speed = live.dashboard_config(v2h, hours_to_show=6)["views"][0]["sections"][1]
    assert "smaller" not in same_speed["cards"][0]["content"]


def _develop_helper() -> ModuleType:
    """scripts/develop_helper.py as a module."""
    path = ROOT / "scripts" / "develop_helper.py"
    spec = importlib.util.spec_from_file_location("develop_helper", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_develop_helper_options(mini_v2h: ScenarioDay, v2h: ScenarioDay) -> None:
    """A V2X day sets its V2X options as a whole; the default simulators get them reset."""
    helper = _develop_helper()
    before = {"unknown_chargers": "accept_all", "import_cap": 5000, "v2x_objective": "price"}
    options = helper._demo_options(before, mini_v2h)
    assert options["v2x_objective"] == "self_consumption"
    assert options["export_limit"] == 0
    assert "import_cap" not in options
    assert options["unknown_chargers"] == "accept_all"
    assert options["grid_limit"] == 25
    # v2h has no export limit: the mini day's is gone.
    assert "export_limit" not in helper._demo_options(options, v2h)
    reset = helper._demo_options(options, None)
    assert reset["v2x_objective"] == "off"
    assert reset["grid_limit"] == 0
    assert "export_limit" not in reset


@pytest_asyncio.fixture
async def csms21(socket_enabled: None) -> AsyncIterator[Csms21]:
    """An OCPP 2.1 CSMS stub on 127.0.0.1 that lets cars discharge."""
    server = Csms21()
    server.allowed_energy_transfer = ["AC_BPT", "AC_three_phase"]
    await server.start()
    yield server
    await server.stop()


async def test_run(tmp_path: Path, csms21: Csms21, fake_ha: FakeHomeAssistant) -> None:
    """The bidirectional charger runs as a 2.1 station; the car tells its needs.

    Its driver allows discharging first; the departure is on the real clock; the session ends
    with the run.
    """
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    options = live.LiveOptions(
        url=csms21.url,
        ha=fake_ha.url,
        token_file=token_file,
        scenario=str(MINI_V2H),
        speed=600.0,
        start=17 * 3600 + 58 * 60,
    )
    stop = asyncio.Event()
    running = asyncio.create_task(live.run(options, stop))
    try:
        await csms21.wait_connected()
        log = csms21.log("WB-2")
        await log.wait_for("TransactionEvent", timeout=10)
        needs = await log.wait_for("NotifyEVChargingNeeds")
        # 13.5 h of the site at 600x: 81 s, told with the deadline buffer (15 min less 1.5 s).
        departure = parse_iso(needs["charging_needs"]["departure_time"])
        stay = (departure - datetime.now(UTC)).total_seconds()
        assert stay == pytest.approx(81 + 898.5, abs=5)
        assert needs["charging_needs"]["v2x_charging_parameters"]["target_soc"] == 80
        calls = [(path, body) for path, body in fake_ha.service_calls()]
        assert (
            "/api/services/switch/turn_on",
            {"entity_id": "switch.wb_2_evse_1_allow_discharging"},
        ) in calls
        assert (
            "/api/services/number/set_value",
            {"entity_id": "number.wb_2_evse_1_soc_reserve", "value": 35.0},
        ) in calls
        assert (
            "/api/services/select/select_option",
            {"entity_id": "select.wb_2_evse_1_charging_mode", "option": "solar"},
        ) in calls
        assert not any(path == "/api/services/time/set_value" for path, _ in calls)
        await fake_ha.wait_for_state("sensor.demo_site_time", lambda state: state >= "18:01")
        assert "sensor.demo_ev_power" in fake_ha.states
    finally:
        stop.set()
        assert await asyncio.wait_for(running, 10) == 0
    await log.wait_for("TransactionEvent", predicate=lambda e: e["event_type"] == "Ended")
