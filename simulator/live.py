r"""Run a scenario day live against a running Home Assistant (`scripts/develop --scenario`).

    python -m simulator.live --url ws://127.0.0.1:9000 --ha http://127.0.0.1:8123 \\
        --token-file config/.demo_token --scenario home [--day N] [--speed 60] [--start 07:00]

The scenario's chargers connect to the central system over OCPP and the `Plant` runs the site:
cars arrive and leave, the house and the PV follow the scenario, the home battery (if any) keeps
the meter near zero. Every real second the site advances `speed` seconds and its meters are
written to Home Assistant through the REST API as `sensor.demo_*` states, which the integration
is configured to balance against (`scripts/develop_helper.py prepare --scenario`). Only the site
runs faster: OCPP (meter intervals, profiles' validity) and the cars' charging stay on real time,
so at `--speed 60` an hour of house load and PV passes in a minute while a car charges a minute's
worth. When the day is over the next day of the scenario starts (the last wraps to the first).

A V2X day's bidirectional chargers run as OCPP 2.1 stations (`site.bidi_station`): their cars tell
their V2X needs, may discharge (their signed draw lowers the grid meter) and have their battery
scaled by 1/speed, so that their state of charge moves at the site's pace.

Also here, because the demo dashboard is made of the same entities: `dashboard_config` (the
Lovelace dashboard `prepare` installs) and `demo_site_options` (the entry's options for the demo).
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence
import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
import logging
from pathlib import Path
import re
import signal
import sys
import time
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp

from .background import LINK_ERRORS
from .charger import SimulatedCharger
from .site.bidi_station import BidiStation
from .site.driver import driver_settings
from .site.entity_ids import CONNECTOR, connector_entity, site_entity, unit_of
from .site.ha_options import balancing_options
from .site.model import DAY, ScenarioDay, Visit
from .site.plant import Plant, Snapshot, charger_spec
from .site.v2x_live import v2x_charts, v2x_driver_settings, v2x_options, v2x_rows, v2x_site_card
from .timeutil import SimClock

_LOGGER = logging.getLogger("simulator.live")  # also when run as __main__

ROOT = Path(__file__).resolve().parent.parent
SCENARIO_DIR = ROOT / "benchmarks" / "scenarios"
STEP = 1.0  # real seconds between two steps (and two publications)
_SHUTDOWN_TIMEOUT = 5.0  # s for each charger to stop its transactions
_HTTP_TIMEOUT = 5.0  # s for a request to Home Assistant

GRID_SENSORS = tuple(f"sensor.demo_grid_current_l{phase}" for phase in (1, 2, 3))
PV_SENSOR = "sensor.demo_pv_power"
HOUSE_SENSOR = "sensor.demo_house_power"
EV_SENSOR = "sensor.demo_ev_power"
BATTERY_SENSOR = "sensor.demo_battery_power"
FUSE_SENSOR = "sensor.demo_fuse_limit"
TIME_SENSOR = "sensor.demo_site_time"

DASHBOARD_URL_PATH = "smart-charging-demo"
DASHBOARD_TITLE = "Smart charging demo"

type Payload = dict[str, Any]


# --------------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class LiveOptions:
    """What `python -m simulator.live` was asked to do."""

    url: str  # the central system, without a charge point id
    ha: str  # Home Assistant's base URL
    token_file: Path
    scenario: str  # a name in benchmarks/scenarios, or a path to a .toml file
    day: int = 0  # index of the scenario's day to start with
    speed: float = 1.0  # site seconds per real second
    start: float | None = None  # local wall time (s after midnight) to start at; None: run start
    verbose: bool = False


def parse_clock(text: str) -> float:
    """Parse `HH:MM` into seconds after midnight."""
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", text.strip())
    if match is None or int(match[1]) > 23 or int(match[2]) > 59:  # noqa: PLR2004
        raise argparse.ArgumentTypeError(f"expected HH:MM, got {text!r}")
    return int(match[1]) * 3600.0 + int(match[2]) * 60.0


def parse_speed(text: str) -> float:
    """Parse a speed: site seconds per real second, in (0, 3600]."""
    try:
        speed = float(text)
    except ValueError:
        speed = 0.0
    if not 0 < speed <= 3600:  # noqa: PLR2004
        raise argparse.ArgumentTypeError(f"speed must be a number in (0, 3600], got {text!r}")
    return speed


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of `python -m simulator.live`."""
    parser = argparse.ArgumentParser(
        prog="python -m simulator.live",
        description="Run a scenario live: its chargers over OCPP, its meters as HA sensors.",
    )
    parser.add_argument("--url", required=True, help="central system, e.g. ws://127.0.0.1:9000")
    parser.add_argument("--ha", required=True, help="Home Assistant, e.g. http://127.0.0.1:8123")
    parser.add_argument(
        "--token-file", required=True, type=Path, help="file with a long-lived access token"
    )
    parser.add_argument(
        "--scenario", required=True, help="home, office (benchmarks/scenarios) or a .toml path"
    )
    parser.add_argument("--day", type=int, default=0, help="the scenario's day to start with")
    parser.add_argument(
        "--speed", type=parse_speed, default=1.0, help="site seconds per real second (default 1)"
    )
    parser.add_argument(
        "--start", type=parse_clock, help="local time to start at, HH:MM (default: run start)"
    )
    parser.add_argument("--verbose", action="store_true", help="also log every OCPP frame")
    return parser


def parse_args(argv: Sequence[str] | None = None) -> LiveOptions:
    """Parse the command line."""
    args = build_parser().parse_args(argv)
    return LiveOptions(
        url=args.url,
        ha=args.ha.rstrip("/"),
        token_file=args.token_file,
        scenario=args.scenario,
        day=args.day,
        speed=args.speed,
        start=args.start,
        verbose=args.verbose,
    )


def read_token(path: Path) -> str:
    """Read an access token (the file's only line); raise ValueError if there is none."""
    try:
        token = path.read_text(encoding="utf-8").strip()
    except OSError as err:
        raise ValueError(f"cannot read the token file {path}: {err.strerror}") from err
    if not token or any(char.isspace() for char in token):
        raise ValueError(f"{path} holds no access token")
    return token


def scenario_path(name: str) -> Path:
    """A scenario file: `name` itself if it is a file, else benchmarks/scenarios/<name>.toml."""
    path = Path(name)
    return path if path.is_file() else SCENARIO_DIR / f"{name}.toml"


def load_days(name: str) -> list[ScenarioDay]:
    """Load a scenario's days (ValueError if it has none)."""
    from .site.scenario import load_scenario  # numpy, pvlib: only when needed

    days = load_scenario(scenario_path(name))
    if not days:
        raise ValueError(f"scenario {name!r} has no days")
    return days


# --------------------------------------------------------------------------------------------------
# Time
# --------------------------------------------------------------------------------------------------
def wall_time(day: ScenarioDay, t: float) -> float:
    """Local wall time (s after midnight, 0 to DAY) of run time `t`."""
    return (day.start_offset + t) % DAY


def clock_text(seconds: float) -> str:
    """`HH:MM` of a wall time in seconds after midnight."""
    minutes = int(seconds % DAY // 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def skip_to(day: ScenarioDay, start: float | None) -> float:
    """Run seconds to skip so that the site starts at wall time `start` (None: don't skip)."""
    return 0.0 if start is None else (start - day.start_offset) % DAY


def real_departure(visit: Visit, site_now: float, speed: float, real_now: datetime) -> datetime:
    """When, on the real clock, the car of `visit` leaves; the site is at run time `site_now`.

    The integration times a departure on Home Assistant's real clock, and the car really leaves
    when the site's run time reaches `visit.depart`: `speed` site seconds per real second from now.
    (Its wall time on the site's clock would mean nothing to HA: the site may start at any time
    of day and, at `--speed` above 1, runs ahead of HA.) So at `--speed 60` a 9 h stay lasts 9
    real minutes, and a car that wants its energy by then charges as fast soon after arriving.
    """
    return real_now + timedelta(seconds=max(0.0, visit.depart - site_now) / speed)


class SiteTime:
    """Turns real time into site time: `speed` site seconds per real second."""

    def __init__(self, speed: float, real_now: float) -> None:
        """Start at `real_now` (a monotonic reading)."""
        self.speed = speed
        self._last = real_now

    def advance(self, real_now: float) -> float:
        """Site seconds that passed since the last call (never negative)."""
        elapsed = max(0.0, real_now - self._last)
        self._last = max(self._last, real_now)
        return elapsed * self.speed


# --------------------------------------------------------------------------------------------------
# What Home Assistant shows
# --------------------------------------------------------------------------------------------------
def _sensor(
    value: str, name: str, unit: str | None, device_class: str | None, icon: str
) -> Payload:
    attributes: dict[str, Any] = {"friendly_name": name, "icon": icon}
    if unit is not None:
        attributes |= {"unit_of_measurement": unit, "state_class": "measurement"}
    if device_class is not None:
        attributes["device_class"] = device_class
    return {"state": value, "attributes": attributes}


def state_payloads(day: ScenarioDay, snapshot: Snapshot) -> dict[str, Payload]:
    """The `POST /api/states/<entity_id>` bodies of the site's sensors at `snapshot`."""
    payloads = {
        entity_id: _sensor(
            f"{amps:.2f}",
            f"Demo grid current L{phase}",
            "A",
            "current",
            "mdi:transmission-tower",
        )
        for phase, (entity_id, amps) in enumerate(
            zip(GRID_SENSORS, snapshot.grid_current, strict=True), start=1
        )
    }
    payloads[FUSE_SENSOR] = _sensor(
        f"{day.grid_limit:g}", "Demo fuse limit", "A", "current", "mdi:fuse"
    )
    payloads[PV_SENSOR] = _sensor(
        f"{snapshot.pv_power:.0f}", "Demo PV power", "W", "power", "mdi:solar-power"
    )
    payloads[HOUSE_SENSOR] = _sensor(
        f"{sum(snapshot.house_power):.0f}",
        "Demo house power",
        "W",
        "power",
        "mdi:home-lightning-bolt",
    )
    payloads[EV_SENSOR] = _sensor(
        f"{snapshot.ev_power:.0f}", "Demo EV power", "W", "power", "mdi:car-electric"
    )
    if day.battery is not None:
        payloads[BATTERY_SENSOR] = _sensor(
            f"{snapshot.battery_power:.0f}", "Demo battery power", "W", "power", "mdi:home-battery"
        )
    clock = _sensor(
        clock_text(wall_time(day, snapshot.t)), "Demo site time", None, None, "mdi:clock-outline"
    )
    clock["attributes"] |= {"scenario": day.name, "run_time": round(snapshot.t)}
    payloads[TIME_SENSOR] = clock
    return payloads


def demo_site_options(day: ScenarioDay) -> dict[str, Any]:
    """The entry options that balance against the demo sensors (merged over the defaults).

    A V2X day adds its owner's V2X options (the site's objective).
    """
    return {
        **balancing_options(
            day, grid_sensors=GRID_SENSORS, pv_sensor=PV_SENSOR, battery_sensor=BATTERY_SENSOR
        ),
        "meter_inverted": False,
        **v2x_options(day),
    }


# A driver's setting: (domain, service, the entity id's suffix, the service's value field). The
# suffix is what HA derives from the entity's English name (translations/en.json), not its key.
_SETTING_ENTITIES: dict[str, tuple[str, str, str, str]] = {
    "mode": ("select", "select_option", "charging_mode", "option"),
    "priority": ("number", "set_value", "priority", "value"),
    "min_current": ("number", "set_value", "minimum_current", "value"),
    "departure": ("time", "set_value", "departure", "time"),
    "energy_target": ("number", "set_value", "energy_target", "value"),
    # A bidirectional connector's: a switch is turned on or off (no value field).
    "allow_discharging": ("switch", "turn_on", "allow_discharging", ""),
    "soc_reserve": ("number", "set_value", "soc_reserve", "value"),
}


def setting_call(
    connector: tuple[str, int], name: str, value: object, unit: str = CONNECTOR
) -> tuple[str, str, Payload] | None:
    """The service call (domain, service, data) that sets a connector's setting, as a user would.

    `unit` names the connector's device ("EVSE" on a 2.1 station). None for a departure of
    None: a time entity cannot be unset (`time.set_value` needs a time) and the integration has
    no action for it. Nothing is lost: it only works towards a departure together with an
    energy target, and the driver sets that to 0 then.
    """
    domain, service, suffix, field = _SETTING_ENTITIES[name]
    if value is None:
        return None
    data: Payload = {"entity_id": connector_entity(domain, *connector, suffix, unit)}
    if domain == "switch":
        service = "turn_on" if value else "turn_off"
    else:
        data[field] = value
    return domain, service, data


def dashboard_config(day: ScenarioDay, hours_to_show: float, speed: float = 1.0) -> dict[str, Any]:
    """The Lovelace configuration of the demo dashboard (a sections view, built-in cards only).

    A wide section with the charts over the last `hours_to_show` hours (grid current per phase
    against the fuse; EV, PV and house power; each connector's allocation; its limit reason as a
    timeline), a narrow one with the scenario, the site's headroom and budget, and every
    connector's status, power, allocation, limit reason and mode.
    """

    def history(title: str, entities: list[Payload], size: Payload) -> Payload:
        return {
            "type": "history-graph",
            "title": title,
            "hours_to_show": hours_to_show,
            "entities": entities,
            "grid_options": size,
        }

    grid = history(
        "Grid current per phase vs fuse",
        [
            *({"entity": entity, "name": f"L{n}"} for n, entity in enumerate(GRID_SENSORS, 1)),
            {"entity": FUSE_SENSOR, "name": "Fuse"},
        ],
        {"columns": "full", "rows": 6},
    )
    power_entities = [
        {"entity": EV_SENSOR, "name": "EV"},
        {"entity": PV_SENSOR, "name": "PV"},
        {"entity": HOUSE_SENSOR, "name": "House"},
    ]
    if day.pv is None:
        power_entities.pop(1)
    if day.battery is not None:
        power_entities.append({"entity": BATTERY_SENSOR, "name": "Battery"})
    connectors = [
        (plan.charger_id, connector_id, unit_of(plan))
        for plan in day.chargers
        for connector_id in range(1, plan.connectors + 1)
    ]

    def per_connector(key: str) -> list[Payload]:
        return [
            {
                "entity": connector_entity("sensor", charger_id, connector_id, key, unit),
                "name": f"{charger_id}/{connector_id}",
            }
            for charger_id, connector_id, unit in connectors
        ]

    allocations = history(
        "Allocation per connector", per_connector("allocated_current"), {"columns": 12, "rows": 5}
    )
    # An enum sensor: the history graph draws it as a timeline.
    reasons = history("Limit reason", per_connector("limit_reason"), {"columns": "full"})
    site = {
        "type": "entities",
        "title": "Site",
        "entities": [
            {"entity": TIME_SENSOR, "name": f"Site time ({day.name}, {speed:g}x)"},
            *(
                {"entity": site_entity(f"headroom_l{n}"), "name": f"Headroom L{n}"}
                for n in (1, 2, 3)
            ),
            {"entity": site_entity("ev_budget"), "name": "EV budget"},
            {"entity": site_entity("allocated_total"), "name": "Allocated total"},
        ],
    }
    chargers: list[Payload] = []
    for plan in day.chargers:
        rows: list[Payload] = []
        for connector_id in range(1, plan.connectors + 1):
            if plan.connectors > 1:
                rows.append({"type": "section", "label": f"Connector {connector_id}"})
            unit = unit_of(plan)
            rows.extend(
                {
                    "entity": connector_entity(domain, plan.charger_id, connector_id, key, unit),
                    "name": name,
                }
                for domain, key, name in (
                    ("sensor", "status", "Status"),
                    ("sensor", "power", "Power"),
                    ("sensor", "allocated_current", "Allocation"),
                    ("sensor", "limit_reason", "Limit reason"),
                    ("select", "charging_mode", "Mode"),
                )
            )
            rows.extend(v2x_rows(plan, connector_id))
        chargers.append({"type": "entities", "title": plan.charger_id, "entities": rows})
    about = f"**{day.name}**: {day.description}"
    if speed != 1:
        about += f" The site runs {speed:g}x faster than real time; the charts show real time."
        if day.v2x is not None:
            about += (
                f" The bidirectional cars' batteries are {speed:g}x smaller, so that their state"
                " of charge moves at the site's pace."
            )
    intro = {"type": "markdown", "content": about}
    power = history("Power", power_entities, {"columns": 12, "rows": 5})
    charts = [grid, power, *v2x_charts(day, hours_to_show), allocations, reasons]
    return {
        "title": DASHBOARD_TITLE,
        "views": [
            {
                "title": DASHBOARD_TITLE,
                "path": "site",
                "icon": "mdi:ev-station",
                "type": "sections",
                "max_columns": 3,
                "sections": [
                    {"type": "grid", "column_span": 2, "cards": charts},
                    {"type": "grid", "cards": [intro, site, *v2x_site_card(day), *chargers]},
                ],
            }
        ],
    }


# --------------------------------------------------------------------------------------------------
# Home Assistant's REST API
# --------------------------------------------------------------------------------------------------
class HomeAssistantApi:
    """Writes states and calls services; failures are logged once, not raised."""

    def __init__(self, session: aiohttp.ClientSession, base_url: str, token: str) -> None:
        """Talk to `base_url` with a bearer token."""
        self._session = session
        self._base = base_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {token}"}
        self.failing = False

    async def _post(self, path: str, body: Payload) -> bool:
        try:
            async with self._session.post(
                f"{self._base}{path}",
                json=body,
                headers=self._headers,
                timeout=aiohttp.ClientTimeout(total=_HTTP_TIMEOUT),
            ) as response:
                if response.status >= 400:  # noqa: PLR2004
                    text = (await response.text())[:200]
                    raise aiohttp.ClientResponseError(
                        response.request_info, (), status=response.status, message=text
                    )
        except (aiohttp.ClientError, TimeoutError) as err:
            if not self.failing:
                _LOGGER.warning("Home Assistant: POST %s failed: %r", path, err)
            self.failing = True
            return False
        if self.failing:
            _LOGGER.info("Home Assistant answers again")
        self.failing = False
        return True

    async def publish(self, payloads: dict[str, Payload]) -> bool:
        """Write every state; return whether all were written."""
        results = await asyncio.gather(
            *(self._post(f"/api/states/{entity}", body) for entity, body in payloads.items())
        )
        return all(results)

    async def call_service(self, domain: str, service: str, data: Payload) -> bool:
        """Call a service; return whether Home Assistant accepted the call."""
        return await self._post(f"/api/services/{domain}/{service}", data)

    async def time_zone(self) -> tzinfo | None:
        """Home Assistant's time zone (`GET /api/config`), None if it cannot be read."""
        try:
            async with self._session.get(
                f"{self._base}/api/config",
                headers=self._headers,
                timeout=aiohttp.ClientTimeout(total=_HTTP_TIMEOUT),
                raise_for_status=True,
            ) as response:
                name = (await response.json())["time_zone"]
            return ZoneInfo(name)
        except (aiohttp.ClientError, TimeoutError, ValueError, KeyError, TypeError) as err:
            _LOGGER.warning("Home Assistant: cannot read its time zone: %r", err)
            return None


# --------------------------------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------------------------------
class LiveSite:
    """The scenario's chargers and its plant, advanced in real time and mirrored to HA."""

    def __init__(
        self, days: Sequence[ScenarioDay], options: LiveOptions, api: HomeAssistantApi
    ) -> None:
        """Build the chargers of the first day (every day of a scenario has the same)."""
        self.days = list(days)
        self.options = options
        self.api = api
        self.index = options.day % len(self.days)
        day = self.days[self.index]
        self.chargers = {
            plan.charger_id: SimulatedCharger(
                charger_spec(plan, day.meter_values_interval), options.url
            )
            for plan in day.chargers
            if not plan.bidirectional
        }
        # Bidirectional chargers: OCPP 2.1 stations.
        self.stations = {
            plan.charger_id: BidiStation(
                plan, options.url, voltage=day.voltage, speed=options.speed
            )
            for plan in day.chargers
            if plan.bidirectional
        }
        self.units = {plan.charger_id: unit_of(plan) for plan in day.chargers}
        self.plant: Plant | None = None
        self._pending_skip = 0.0
        # What the drivers last set on each connector (settings persist across sessions).
        self._drivers_picked: dict[tuple[str, int], dict[str, object]] = {}
        self._time_zone: tzinfo | None = None

    @property
    def day(self) -> ScenarioDay:
        """The day that runs now."""
        return self.days[self.index]

    async def connect(self) -> None:
        """Connect every charger (retrying until the central system is up) and wait for boot."""

        async def one(charger: SimulatedCharger | BidiStation) -> None:
            await charger.connect_with_retry(max_backoff=5.0)
            await charger.wait_accepted(timeout=None)

        every: list[SimulatedCharger | BidiStation] = [
            *self.chargers.values(),
            *self.stations.values(),
        ]
        await asyncio.gather(*(one(charger) for charger in every))
        _LOGGER.info("%d chargers connected and accepted", len(every))

    def start_day(self, skip: float = 0.0) -> Plant:
        """A new plant for the current day; `skip` run seconds are jumped over at the first step."""
        # The site's own clock: only the plant moves it; the chargers stay on real time.
        self.plant = Plant(self.day, self.chargers, SimClock(), online=True, stations=self.stations)
        self._pending_skip = skip
        _LOGGER.info(
            "day %s starts at %s (speed %gx)",
            self.day.name,
            clock_text(wall_time(self.day, skip)),
            self.options.speed,
        )
        return self.plant

    async def step(self, dt: float) -> Snapshot:
        """Advance the site by `dt` site seconds (plus a pending skip); publish its meters."""
        plant = self.plant if self.plant is not None else self.start_day()
        dt += self._pending_skip
        self._pending_skip = 0.0
        if plant.t + dt >= DAY:
            await self._finish(plant)
            self.index = (self.index + 1) % len(self.days)
            plant = self.start_day()
            dt = 0.0
        await self._drivers_pick(plant, dt)
        try:
            snapshot = await plant.step(dt)
        except (*LINK_ERRORS, RuntimeError) as err:
            _LOGGER.warning("step at %s failed: %r", clock_text(wall_time(plant.day, plant.t)), err)
            snapshot = plant.snapshot
        await self.api.publish(state_payloads(plant.day, snapshot))
        return snapshot

    async def _drivers_pick(self, plant: Plant, dt: float) -> None:
        """Cars about to arrive: their drivers set the connector up (as on the dashboard).

        The same settings as in the benchmark (`driver_settings`), each through its entity; a
        setting is only sent when it differs from what was last set on that connector.
        """
        visits = plant.arriving(dt)
        if not visits:
            return
        if self._time_zone is None:
            self._time_zone = await self.api.time_zone()
        # Until HA tells its time zone: this machine's (the demo runs HA on it).
        time_zone = self._time_zone or datetime.now().astimezone().tzinfo or UTC
        # The step catches the site up to now: its end is the site's present.
        site_now, real_now = plant.t + dt, datetime.now(UTC)
        for visit in visits:
            key = (visit.charger_id, visit.connector_id)
            departs_at = real_departure(visit, site_now, self.options.speed, real_now)
            unit = self.units[visit.charger_id]
            settings: dict[str, object] = (
                dict(driver_settings(visit, departs_at, time_zone))
                if visit.charger_id in self.chargers
                else v2x_driver_settings(visit, departs_at, time_zone)
            )
            done = self._drivers_picked.setdefault(key, {})
            for name, value in settings.items():
                if name in done and done[name] == value:
                    continue
                call = setting_call(key, name, value, unit)
                if call is None or await self.api.call_service(*call):
                    done[name] = value

    async def _finish(self, plant: Plant) -> None:
        try:
            count = len(self.chargers) + len(self.stations)
            async with asyncio.timeout(_SHUTDOWN_TIMEOUT * max(1, count)):
                await plant.finish()
        except (*LINK_ERRORS, RuntimeError) as err:
            _LOGGER.warning("could not end every session: %r", err)

    async def close(self) -> None:
        """End the sessions still running and disconnect every charger."""
        if self.plant is not None:
            await self._finish(self.plant)
        await asyncio.gather(
            *(charger.close() for charger in self.chargers.values()),
            *(station.close() for station in self.stations.values()),
        )


async def run(options: LiveOptions, stop: asyncio.Event) -> int:
    """Run until `stop` is set; return the exit code."""
    try:
        token = read_token(options.token_file)
        days = load_days(options.scenario)
    except (ValueError, OSError) as err:
        _LOGGER.error("%s", err)  # noqa: TRY400 (a message, not a traceback)
        return 2
    async with aiohttp.ClientSession() as session:
        site = LiveSite(days, options, HomeAssistantApi(session, options.ha, token))
        connecting = asyncio.create_task(site.connect())
        stopping = asyncio.create_task(stop.wait())
        try:
            await asyncio.wait({connecting, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if not stop.is_set():
                await _run_steps(site, options, stop)
        finally:
            for task in (connecting, stopping):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            _LOGGER.info("stopping")
            await site.close()
    return 0


async def _run_steps(site: LiveSite, options: LiveOptions, stop: asyncio.Event) -> None:
    site.start_day(skip_to(site.day, options.start))
    clock = SiteTime(options.speed, time.monotonic())
    tick = time.monotonic()
    while not stop.is_set():
        await site.step(clock.advance(time.monotonic()))
        tick = max(tick + STEP, time.monotonic())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=tick - time.monotonic())


async def _main(options: LiveOptions) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    return await run(options, stop)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `python -m simulator.live`; returns the exit code."""
    options = parse_args(argv)
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not options.verbose:
        logging.getLogger("ocpp").setLevel(logging.WARNING)
        logging.getLogger("aiohttp").setLevel(logging.WARNING)
    return asyncio.run(_main(options))


if __name__ == "__main__":
    sys.exit(main())
