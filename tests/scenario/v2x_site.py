"""Hand-made V2X sites for the tests: flat loads, flat or two-level prices, one car."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from simulator.ev import EVSpec
from simulator.site.model import Bidirectional, ChargerPlan, PhaseWatts, ScenarioDay, V2XSite, Visit

VOLTS = 230.0
HOUR = 3600.0


@dataclass
class Flat:
    """The same load per phase all day."""

    watts: PhaseWatts = (VOLTS * 5.0,) * 3

    def at(self, t: float) -> PhaseWatts:
        """W per phase."""
        return self.watts


@dataclass
class TwoPrices:
    """One import price before `switch` s, another after; a flat export price."""

    before: float = 0.3
    after: float = 0.3
    export: float = 0.0
    switch: float = HOUR / 2

    def import_price(self, t: float) -> float:
        """EUR/kWh bought."""
        return self.before if t < self.switch else self.after

    def export_price(self, t: float) -> float:
        """EUR/kWh sold."""
        return self.export


def bidi_visit(**changes: Any) -> Visit:
    """A 10 kWh DC-style car at 50 %, to leave at 50 % after an hour, 20 % reserve."""
    ev = EVSpec(
        capacity_wh=10_000.0,
        initial_soc=50.0,
        target_soc=50.0,
        max_current=16.0,
        efficiency=0.9,
        response_delay=0.0,
        ramp_rate=100.0,
        taper_soc=100.0,
    )
    fields: dict[str, Any] = {
        "charger_id": "WB",
        "connector_id": 1,
        "arrive": 0.0,
        "depart": HOUR,
        "energy_wh": 0.0,
        "ev": ev,
        "v2x": Bidirectional(max_discharge_current=16.0, discharge_efficiency=0.9, min_soc=5.0),
        "reserve_soc": 20.0,
    } | changes
    return Visit(**fields)


def v2x_day(*visits: Visit, **changes: Any) -> ScenarioDay:
    """A 25 A site with a bidirectional DC wallbox, a flat 5 A house and the visits."""
    base = ScenarioDay(
        name="v2x",
        description="",
        day=date(2025, 3, 11),
        timezone="Europe/Berlin",
        latitude=51.3,
        longitude=9.5,
        grid_limit=25.0,
        meter_period=2.0,
        house=Flat(),
        prices=TwoPrices(),
        chargers=(ChargerPlan(charger_id="WB", bidirectional=True, dc=True),),
        visits=visits or (bidi_visit(),),
        v2x=V2XSite(objective="peak_shaving", wear_eur_per_kwh=0.05),
    )
    return replace(base, **changes)
