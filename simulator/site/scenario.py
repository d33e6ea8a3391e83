"""Scenario days from a TOML file (stdlib `tomllib`), validated with errors that name the key.

A file describes one site and one or more days::

    name = "home"                       # prefix of each day's name
    description = "..."

    [site]                              # timezone, latitude, longitude, altitude, place,
    grid_limit = 25                     # grid_limit (A per phase), voltage, max_import_kw,
                                        # meter_period, meter_values_interval,
                                        # static_base_load, safety_margin
    [house]                             # profile ("h0", "h0_dyn", "g0".."g6", "l0".."l2"),
    annual_kwh = 3700                   # phase_shares, noise_sd, noise_tau_min, appliances
    [pv]                                # optional: kwp, tilt, azimuth, cloudiness,
    kwp = 6                             # cloud_minutes, losses, gamma, inverter_kw,
                                        # inverter_efficiency, temp_air
    [battery]                           # optional: capacity_kwh, max_kw, initial_soc,
                                        # min_soc, efficiency
    [prices]                            # import, export: EUR/kWh, one number or 24 hourly
    import = 0.32
    [[charger]]                         # id, connectors, phases, max_current (A, one per
    id = "WB"                           # connector or one for all), station_max_current,
                                        # phase_rotation, model, count (n chargers <id>01..)
    [cars.id3]                          # named cars: capacity_kwh and any `EVSpec` field
    capacity_kwh = 77

    [[day]]                             # name, description, date, start ("HH:MM"), seed;
    name = "weekday"                    # [day.site], [day.house], [day.pv], [day.battery],
    date = 2025-01-21                   # [day.prices] override the file's tables key by key
    start = "12:00"
    [[day.car]]                         # charger, connector, arrive, depart ("HH:MM"),
    charger = "WB"                      # energy_kwh, car (a named car) and/or EVSpec
    arrive = "18:00"                    # fields, mode ("fast", "solar", "min_solar",
                                        # "price"), priority,
    depart = "07:30"                    # gives_departure (also in "fast")
    [day.fleet]                         # or [[day.fleet]]: preset ("workplace", "home",
    preset = "workplace"                # "depot"), count, chargers (ids, "D*" = prefix),
                                        # cars = {name = weight},
                                        # modes = {mode = weight}, arrive / depart =
                                        # {mean, sd_min, min, max} ("HH:MM"), dwell =
                                        # {mean_h, sd_h, min_h, max_h}, energy_kwh =
                                        # {median, sigma, min, max} or {mean, sd, min, max},
                                        # min_dwell_min, priority, seed

V2X keys (bidirectional chargers and cars, the reserve, grid events, load steps, the export
limit and the owner's `[v2x]` settings, overridable per day): `v2x_scenario.py`.

Times: a run starts at the day's local midnight plus `start` and lasts 24 h; every `t` (and
`Visit.arrive` / `depart`) counts from that start. A clock time earlier than `start` is on the
next day; a departure not after its arrival is on the next day too ("HH:MM" with HH >= 24 says
"the next day" explicitly).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields, replace
from datetime import date
from pathlib import Path
import tomllib
from typing import Any, cast

from simulator.ev import EVSpec

from .arrivals import PRESETS, FleetSpec, LogNormal, TruncNormal, generate_visits
from .battery import HomeBattery
from .house import PROFILES, BdewHouseLoad
from .load_steps import SteppedLoad
from .model import DAY, BatterySpec, Bidirectional, ChargerPlan, HouseLoad, ScenarioDay, Visit
from .prices import HOURS, TariffPrices
from .pv import ClearSkyPv
from .timeline import format_clock
from .toml_table import ScenarioError, Table as _Table, check_number as _check_number
from .v2x_scenario import bidirectional, describe_events, grid_events, load_steps, v2x_site

__all__ = ["MODES", "ScenarioError", "load_scenario", "parse_scenario"]

# The engine's Mode values a driver picks (custom_components/smart_charging/balancing/model.py).
MODES = ("fast", "min_solar", "solar", "price")
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_OVERRIDABLE = ("site", "house", "pv", "battery", "prices", "v2x")
_PHASES = 3
_SHARE_TOLERANCE = 1e-6


def _merged(top: _Table, day: _Table, key: str) -> _Table | None:
    """The file's table `key` with the day's table of that name over it, key by key."""
    base, over = top.raw(key), day.raw(key)
    if base is None and over is None:
        return None
    merged: dict[str, object] = {}
    for part, name in ((base, key), (over, day.key(key))):
        if part is not None:
            merged.update(_Table(part, name).data)
    return _Table(merged, day.key(key) if over is not None else key)


def _ev(table: _Table, base: EVSpec | None = None) -> EVSpec:
    """An `EVSpec` from `capacity_kwh` and the spec's own field names (over `base`)."""
    values: dict[str, Any] = {}
    if table.has("capacity_kwh"):
        values["capacity_wh"] = table.number("capacity_kwh", positive=True) * 1000.0
    for f in fields(EVSpec):
        if f.name == "capacity_wh" or not table.has(f.name):
            continue
        if f.name == "name":
            values["name"] = table.string("name")
        elif f.name == "phases":
            values["phases"] = table.integer("phases", choices=(1, 3))
        elif f.name in {"initial_soc", "target_soc", "taper_soc"}:
            values[f.name] = table.number(f.name, low=0.0, high=100.0)
        elif f.name in {"efficiency", "taper_floor"}:
            values[f.name] = table.number(f.name, low=0.0, high=1.0)
        elif isinstance(f.default, bool):
            values[f.name] = table.boolean(f.name, f.default)
        elif isinstance(f.default, int | float):
            values[f.name] = table.number(f.name, low=0.0)
        else:
            values[f.name] = table.raw(f.name)
    spec = EVSpec(**values) if base is None else replace(base, **values)
    if spec.min_current > spec.max_current:
        raise ScenarioError(f"{table.key('min_current')}: above max_current")
    return spec


def _chargers(top: _Table) -> tuple[ChargerPlan, ...]:
    plans = []
    for table in top.tables("charger"):
        connectors = table.integer("connectors", 1)
        if connectors < 1:
            raise ScenarioError(f"{table.key('connectors')}: must be >= 1")
        current = table.numbers("max_current", 16.0)
        currents = [current] * connectors if isinstance(current, float) else current
        if len(currents) != connectors:
            raise ScenarioError(
                f"{table.key('max_current')}: expected {connectors} values (one per connector)"
            )
        for i, c in enumerate(currents):
            _check_number(f"{table.key('max_current')}[{i}]", c, positive=True)
        plan = ChargerPlan(
            charger_id=table.string("id"),
            connectors=connectors,
            phases=table.integer("phases", 3, choices=(1, 3)),
            max_current=tuple(currents),
            station_max_current=table.optional_number("station_max_current", positive=True),
            phase_rotation=table.integer("phase_rotation", 0, choices=(0, 1, 2)),
            model=table.string("model", "SimCharger"),
            bidirectional=table.boolean("bidirectional", False),
            dc=table.boolean("dc", False),
        )
        if plan.dc and plan.phases != _PHASES:
            raise ScenarioError(f"{table.key('dc')}: a DC station draws on three phases")
        # `count` identical chargers are named <id>01, <id>02, ...
        count = table.integer("count", 1)
        if count < 1:
            raise ScenarioError(f"{table.key('count')}: must be >= 1")
        if count == 1:
            plans.append(plan)
        else:
            width = max(2, len(str(count)))
            plans.extend(
                replace(plan, charger_id=f"{plan.charger_id}{n:0{width}d}")
                for n in range(1, count + 1)
            )
        table.finish()
    if not plans:
        raise ScenarioError("charger: at least one [[charger]] is required")
    ids = [p.charger_id for p in plans]
    for charger_id in ids:
        if ids.count(charger_id) > 1:
            raise ScenarioError(f"charger.id: {charger_id!r} appears twice")
    return tuple(plans)


def _prices(table: _Table | None, start_offset: float) -> TariffPrices:
    if table is None:
        raise ScenarioError("prices: required")
    values = {}
    for key in ("import", "export"):
        value = table.numbers(key, 0.0 if key == "export" else None)
        if isinstance(value, list) and len(value) != HOURS:
            raise ScenarioError(f"{table.key(key)}: expected one price or {HOURS} hourly prices")
        values[key] = value
    table.finish()
    return TariffPrices(values["import"], values["export"], start_offset=start_offset)


def _distribution_time(table: _Table) -> TruncNormal:
    """{mean, sd_min, min, max} with "HH:MM" times, in hours after midnight."""
    mean, sd = table.clock("mean") / 3600.0, table.number("sd_min", low=0.0) / 60.0
    low, high = table.clock("min") / 3600.0, table.clock("max") / 3600.0
    table.finish()
    if not low <= mean <= high:
        raise ScenarioError(f"{table.key('mean')}: must lie within min..max")
    return TruncNormal(mean=mean, sd=sd, low=low, high=high)


def _distribution_energy(table: _Table) -> TruncNormal | LogNormal:
    low, high = table.number("min", positive=True), table.number("max", positive=True)
    if low > high:
        raise ScenarioError(f"{table.key('min')}: above max")
    if table.has("median"):
        dist: TruncNormal | LogNormal = LogNormal(
            median=table.number("median", positive=True),
            sigma=table.number("sigma", low=0.0),
            low=low,
            high=high,
        )
    else:
        dist = TruncNormal(
            mean=table.number("mean", positive=True),
            sd=table.number("sd", low=0.0),
            low=low,
            high=high,
        )
    table.finish()
    return dist


class _DayBuilder:
    """Builds one `ScenarioDay` from the file's tables and a `[[day]]` table."""

    def __init__(
        self,
        top: _Table,
        day: _Table,
        chargers: tuple[ChargerPlan, ...],
        cars: dict[str, EVSpec],
        bidi: dict[str, Bidirectional],
    ) -> None:
        self.top, self.day, self.chargers, self.cars, self.bidi = top, day, chargers, cars, bidi
        self.notes: dict[str, str] = {}

    def build(self, prefix: str, description: str) -> ScenarioDay:
        day = self.day
        name = day.string("name")
        when = day.day("date")
        start = day.clock("start", "00:00")
        if start >= DAY:
            raise ScenarioError(f"{day.key('start')}: must be before 24:00")
        seed = day.integer("seed", 0)
        site = _merged(self.top, day, "site")
        if site is None:
            raise ScenarioError("site: required")
        timezone = site.string("timezone", "Europe/Berlin")
        lat = site.number("latitude", low=-90.0, high=90.0)
        lon = site.number("longitude", low=-180.0, high=180.0)
        altitude = site.number("altitude", 0.0)
        place = site.string("place", "")
        voltage = site.number("voltage", 230.0, positive=True)
        grid_limit = site.number("grid_limit", positive=True)
        max_import_kw = site.optional_number("max_import_kw", positive=True)
        export_limit_kw = site.optional_number("export_limit_kw", low=0.0)
        plain = {
            "meter_period": site.number("meter_period", 2.0, positive=True),
            "meter_values_interval": site.integer("meter_values_interval", 10),
            "static_base_load": site.number("static_base_load", 0.0, low=0.0),
            "safety_margin": site.number("safety_margin", 1.0, low=0.0),
        }
        site.finish()
        self.notes["run"] = (
            f"{_WEEKDAYS[when.weekday()]} {when.isoformat()} from {format_clock(start)} local time "
            f"({timezone}) for 24 h; seed {seed}"
        )
        connectors = sum(c.connectors for c in self.chargers)
        self.notes["site"] = (
            f"{place + ', ' if place else ''}main fuse {grid_limit:g} A per phase at {voltage:g} V, "
            f"chargers: {len(self.chargers)}, connectors: {connectors}"
        )

        house: HouseLoad = self._house(when, timezone, start, seed)
        if steps := load_steps(day, start):
            house = SteppedLoad(house, steps)
            self.notes["load steps"] = house.describe()
        events = grid_events(day, start)
        if events:
            self.notes["grid events"] = describe_events(events)
        v2x = v2x_site(_merged(self.top, day, "v2x"))
        pv = self._pv(when, timezone, lat, lon, altitude, place, start, seed)
        battery = self._battery()
        prices = _prices(_merged(self.top, day, "prices"), start)
        self.notes["prices"] = prices.describe()
        visits = self._visits(start, seed)
        wanted = sum(v.energy_wh for v in visits) / 1000.0
        self.notes["energy"] = f"{len(visits)} visits wanting {wanted:.1f} kWh in total"
        text = day.string("description", description)
        day.finish()
        return ScenarioDay(
            name=f"{prefix}-{name}" if prefix else name,
            description=text,
            day=when,
            timezone=timezone,
            latitude=lat,
            longitude=lon,
            grid_limit=grid_limit,
            voltage=voltage,
            max_import_power=None if max_import_kw is None else max_import_kw * 1000.0,
            meter_period=plain["meter_period"],
            meter_values_interval=int(plain["meter_values_interval"]),
            static_base_load=plain["static_base_load"],
            safety_margin=plain["safety_margin"],
            house=house,
            pv=pv,
            battery=battery,
            prices=prices,
            chargers=self.chargers,
            visits=visits,
            seed=seed,
            start_offset=start,
            notes=self.notes,
            grid_events=events,
            export_limit=None if export_limit_kw is None else export_limit_kw * 1000.0,
            v2x=v2x,
        )

    def _house(self, when: date, timezone: str, start: float, seed: int) -> BdewHouseLoad:
        table = _merged(self.top, self.day, "house")
        if table is None:
            raise ScenarioError("house: required")
        shares = table.numbers("phase_shares") if table.has("phase_shares") else [0.45, 0.35, 0.2]
        if (
            not isinstance(shares, list)
            or len(shares) != _PHASES
            or abs(sum(shares) - 1.0) > _SHARE_TOLERANCE
            or min(shares) < 0
        ):
            raise ScenarioError(
                f"{table.key('phase_shares')}: expected 3 non-negative shares summing to 1"
            )
        house = BdewHouseLoad(
            day=when,
            timezone=timezone,
            profile=table.string("profile", "h0", choices=PROFILES),
            annual_kwh=table.number("annual_kwh", low=0.0),
            start_offset=start,
            phase_shares=(shares[0], shares[1], shares[2]),
            noise_sd=table.number("noise_sd", 0.08, low=0.0, high=1.0),
            noise_tau=table.number("noise_tau_min", 10.0, positive=True) * 60.0,
            appliances=table.boolean("appliances", False),
            seed=seed,
        )
        table.finish()
        self.notes["house"] = f"{house.describe()}, seed {seed}"
        return house

    def _pv(
        self,
        when: date,
        timezone: str,
        lat: float,
        lon: float,
        altitude: float,
        place: str,
        start: float,
        seed: int,
    ) -> ClearSkyPv | None:
        table = _merged(self.top, self.day, "pv")
        if table is None:
            self.notes["pv"] = "none"
            return None
        pv = ClearSkyPv(
            day=when,
            timezone=timezone,
            latitude=lat,
            longitude=lon,
            altitude=altitude,
            place=place,
            kwp=table.number("kwp", positive=True),
            tilt=table.number("tilt", 30.0, low=0.0, high=90.0),
            azimuth=table.number("azimuth", 180.0, low=0.0, high=360.0),
            start_offset=start,
            cloudiness=table.number("cloudiness", 0.0, low=0.0, high=1.0),
            cloud_minutes=table.number("cloud_minutes", 10.0, positive=True),
            losses=table.number("losses", 0.14, low=0.0, high=0.99),
            gamma=table.number("gamma", -0.0037, low=-0.01, high=0.0),
            inverter_kw=table.optional_number("inverter_kw", positive=True),
            inverter_efficiency=table.number("inverter_efficiency", 0.96, positive=True, high=1.0),
            temp_air=table.optional_number("temp_air"),
            seed=seed,
        )
        table.finish()
        self.notes["pv"] = f"{pv.describe()}, seed {seed}"
        return pv

    def _battery(self) -> BatterySpec | None:
        table = _merged(self.top, self.day, "battery")
        if table is None:
            return None
        spec = BatterySpec(
            capacity_wh=table.number("capacity_kwh", positive=True) * 1000.0,
            max_power=table.number("max_kw", positive=True) * 1000.0,
            initial_soc=table.number("initial_soc", 50.0, low=0.0, high=100.0),
            min_soc=table.number("min_soc", 10.0, low=0.0, high=100.0),
            efficiency=table.number("efficiency", 0.95, positive=True, high=1.0),
        )
        if spec.initial_soc < spec.min_soc:
            raise ScenarioError(f"{table.key('initial_soc')}: below min_soc")
        table.finish()
        self.notes["battery"] = HomeBattery(spec).describe()
        return spec

    def _visits(self, start: float, seed: int) -> tuple[Visit, ...]:
        explicit = [self._car(t, start) for t in self.day.tables("car")]
        for i, v in enumerate(explicit):
            for w in explicit[:i]:
                same = (v.charger_id, v.connector_id) == (w.charger_id, w.connector_id)
                if same and v.arrive < w.depart and w.arrive < v.depart:
                    raise ScenarioError(
                        f"{self.day.key(f'car[{i}]')}: overlaps another car on {v.charger_id}/{v.connector_id}"
                    )
        visits = list(explicit)
        parts = [f"{len(explicit)} explicit cars"] if explicit else []
        for k, table in enumerate(self.day.tables("fleet")):
            fleet, chosen, fleet_seed, source = self._fleet(table, start, seed + k)
            draw = generate_visits(fleet, chosen, seed=fleet_seed, start_offset=start, busy=visits)
            visits.extend(draw.visits)
            unplaced = f", {draw.unplaced} found no free connector" if draw.unplaced else ""
            parts.append(
                f"fleet {fleet.name!r}: {len(draw.visits)} of {fleet.count} cars placed{unplaced} "
                f"({source}), seed {fleet_seed}"
            )
        self.notes["visits"] = "; ".join(parts) if parts else "none"
        return tuple(sorted(visits, key=lambda v: (v.arrive, v.charger_id, v.connector_id)))

    def _connector(self, table: _Table) -> tuple[str, int]:
        charger_id = table.string("charger")
        plan = next((c for c in self.chargers if c.charger_id == charger_id), None)
        if plan is None:
            raise ScenarioError(f"{table.key('charger')}: no [[charger]] with id {charger_id!r}")
        connector = table.integer("connector", 1)
        if not 1 <= connector <= plan.connectors:
            raise ScenarioError(
                f"{table.key('connector')}: {charger_id} has connectors 1..{plan.connectors}"
            )
        return charger_id, connector

    def _car(self, table: _Table, start: float) -> Visit:
        charger_id, connector = self._connector(table)
        arrive = (table.clock("arrive") - start) % DAY
        depart = table.clock("depart") - start
        while depart <= arrive:
            depart += DAY
        base = None
        key = ""
        if table.has("car"):
            key = table.string("car")
            if key not in self.cars:
                raise ScenarioError(f"{table.key('car')}: no [cars.{key}] table")
            base = self.cars[key]
        ev = _ev(table, base)
        v2x = bidirectional(table, self.bidi.get(key))
        if v2x is not None and not table.has("energy_kwh"):
            # A V2X driver sets the SoC to leave with: the energy is what it takes to get there.
            energy_wh = max(0.0, ev.target_soc - ev.initial_soc) / 100.0 * ev.capacity_wh
        else:
            energy_wh = table.number("energy_kwh", positive=True) * 1000.0
        needed = 100.0 * energy_wh / ev.capacity_wh
        if table.has("initial_soc"):
            if ev.initial_soc + needed > ev.target_soc + 1e-9:
                raise ScenarioError(
                    f"{table.key('energy_kwh')}: more than fits between initial_soc and target_soc"
                )
        elif needed > ev.target_soc:
            raise ScenarioError(
                f"{table.key('energy_kwh')}: more than the battery takes up to target_soc"
            )
        else:
            ev = replace(ev, initial_soc=min(ev.initial_soc, ev.target_soc - needed))
        visit = Visit(
            charger_id=charger_id,
            connector_id=connector,
            arrive=arrive,
            depart=depart,
            energy_wh=energy_wh,
            ev=ev,
            mode=table.string("mode", choices=MODES),
            priority=table.integer("priority", 0),
            gives_departure=table.boolean("gives_departure", False),
            v2x=v2x,
            reserve_soc=table.number("reserve_soc", 0.0, low=0.0, high=100.0),
        )
        table.finish()
        return visit

    def _fleet(
        self, table: _Table, start: float, default_seed: int
    ) -> tuple[FleetSpec, list[tuple[str, int]], int, str]:
        preset_name = table.string("preset", "workplace", choices=tuple(PRESETS))
        preset = PRESETS[preset_name]
        ids = table.raw("chargers")
        if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
            raise ScenarioError(f"{table.key('chargers')}: expected a list of charger ids")
        chosen: list[tuple[str, int]] = []
        for cid in cast("list[str]", ids):
            # "D*" picks every charger whose id starts with "D".
            plans = [
                c
                for c in self.chargers
                if c.charger_id == cid or (cid.endswith("*") and c.charger_id.startswith(cid[:-1]))
            ]
            if not plans:
                raise ScenarioError(f"{table.key('chargers')}: no [[charger]] with id {cid!r}")
            for plan in plans:
                chosen.extend((plan.charger_id, n) for n in range(1, plan.connectors + 1))
        chosen = list(dict.fromkeys(chosen))
        arrive = preset.arrive_h
        sub = table.table("arrive")
        if sub is not None:
            arrive = _distribution_time(sub)
        if arrive.mean * 3600.0 < start:
            arrive = arrive.shifted(24.0)
        depart: TruncNormal | None = preset.depart_h
        dwell = None
        sub = table.table("depart")
        if sub is not None:
            depart = _distribution_time(sub)
        sub = table.table("dwell")
        if sub is not None:
            if depart is not preset.depart_h:
                raise ScenarioError(f"{table.key('dwell')}: give either depart or dwell")
            depart = None
            low, high = sub.number("min_h", low=0.0), sub.number("max_h", positive=True)
            if low > high:
                raise ScenarioError(f"{sub.key('min_h')}: above max_h")
            dwell = TruncNormal(
                mean=sub.number("mean_h", positive=True),
                sd=sub.number("sd_h", low=0.0),
                low=low,
                high=high,
            )
            sub.finish()
        if depart is not None:
            while depart.mean <= arrive.mean:
                depart = depart.shifted(24.0)
        energy = preset.energy_kwh
        sub = table.table("energy_kwh")
        if sub is not None:
            energy = _distribution_energy(sub)
        modes = table.weights("modes", MODES)
        cars = table.weights("cars", self.cars)
        count = table.integer("count")
        if count < 0:
            raise ScenarioError(f"{table.key('count')}: must not be negative")
        fleet = FleetSpec(
            name=table.string("name", preset_name),
            count=count,
            arrive_h=arrive,
            depart_h=depart,
            dwell_h=dwell,
            energy_kwh=energy,
            cars=tuple((self.cars[n], w) for n, w in cars),
            modes=tuple(modes),
            min_dwell_h=table.number("min_dwell_min", 30.0, low=0.0) / 60.0,
            priority=table.integer("priority", 0),
            min_arrival_soc=table.number("min_arrival_soc", 5.0, low=0.0, high=100.0),
            bidirectional=tuple(
                (self.cars[n].name, self.bidi[n]) for n, _w in cars if n in self.bidi
            ),
            reserve_soc=table.number("reserve_soc", 0.0, low=0.0, high=100.0),
        )
        fleet_seed = table.integer("seed", default_seed)
        table.finish()
        overridden = any(table.has(k) for k in ("arrive", "depart", "dwell", "energy_kwh"))
        origin = (
            f"preset {preset_name!r} with the file's distributions" if overridden else preset.source
        )
        source = f"{origin}: arrive {_describe_time(arrive)}, "
        source += (
            f"depart {_describe_time(depart)}"
            if depart is not None
            else f"dwell {_describe_hours(dwell)}"
        )
        source += f", energy {_describe_energy(energy)}"
        return fleet, chosen, fleet_seed, source


def _describe_time(d: TruncNormal) -> str:
    return (
        f"N({format_clock(d.mean * 3600.0)}, {d.sd * 60.0:.0f} min) within "
        f"{format_clock(d.low * 3600.0)}-{format_clock(d.high * 3600.0)}"
    )


def _describe_hours(d: TruncNormal | None) -> str:
    return "" if d is None else f"N({d.mean:g} h, {d.sd:g} h) within {d.low:g}-{d.high:g} h"


def _describe_energy(d: TruncNormal | LogNormal) -> str:
    if isinstance(d, LogNormal):
        return (
            f"lognormal median {d.median:g} kWh sigma {d.sigma:g} within {d.low:g}-{d.high:g} kWh"
        )
    return f"N({d.mean:g}, {d.sd:g}) kWh within {d.low:g}-{d.high:g} kWh"


def parse_scenario(data: Mapping[str, object]) -> list[ScenarioDay]:
    """Scenario days from parsed TOML (see the module docstring for the layout)."""
    top = _Table(dict(data), "")
    prefix = top.string("name", "")
    description = top.string("description", "")
    chargers = _chargers(top)
    cars: dict[str, EVSpec] = {}
    bidi: dict[str, Bidirectional] = {}
    car_tables = top.table("cars")
    if car_tables is not None:
        for key in car_tables.data:
            sub = car_tables.table(key)
            if sub is None:  # pragma: no cover (a key in the table always has a value)
                continue
            spec = _ev(sub)
            cars[key] = spec if sub.has("name") else replace(spec, name=key)
            if (v2x := bidirectional(sub)) is not None:
                bidi[key] = v2x
            sub.finish()
    days = top.tables("day")
    if not days:
        raise ScenarioError("day: at least one [[day]] is required")
    out = [_DayBuilder(top, t, chargers, cars, bidi).build(prefix, description) for t in days]
    for key in _OVERRIDABLE:
        top.raw(key)
    top.finish()
    names = [d.name for d in out]
    for n in names:
        if names.count(n) > 1:
            raise ScenarioError(f"day.name: {n!r} appears twice")
    return out


def load_scenario(path: str | Path) -> list[ScenarioDay]:
    """The scenario days of a TOML file."""
    path = Path(path)
    try:
        with path.open("rb") as f:
            data = tomllib.load(f)
    except tomllib.TOMLDecodeError as err:
        raise ScenarioError(f"{path}: not valid TOML: {err}") from err
    try:
        return parse_scenario(data)
    except ValueError as err:
        raise ScenarioError(f"{path}: {err}") from err
