"""Ours on a V2X day: the real engine (`balancing.allocate`), fed as the integration feeds it.

Our integration drives V2X over OCPP 2.1, which the simulated chargers of `ours.py` (1.6)
do not speak, so this runs the pure engine in the loop instead of Home Assistant: the
same `SiteInput` the coordinator builds (`site_balancer/engine_input.py`, `v2x_input.py`)
from the same readings, called when the coordinator would call it, its changed setpoints
sent at once.

- It is called on every grid meter reading, on every connector reading, when a car plugs
  in or leaves, when the import cap changes and at the engine's own `recheck_at`.
- Each connector: its charger's last signed reading and when it was taken; the car's
  last reported SoC; the driver's departure and the energy still wanted to the target
  SoC (grid side, from that SoC: what ISO 15118 charging needs report); the mode; the
  car's and the station's charge and discharge maxima; its reserve and target.
- The site: the fuse, the import cap now (V2X settings), the export limit, PV, the owner's
  objective, efficiencies and wear cost, and the hourly import price forecast (36 h
  ahead, as a price sensor's `forecast` attribute gives it).

`charge_only=True` is the baseline "charge-only smart charging": the same engine with the
objective OFF. Without V2X the cap has no input of its own, so it gets the cap as its
maximum import power: the most a charge-only balancer can do is to hold charging back.
"""

from __future__ import annotations

import math

from custom_components.smart_charging.balancing import (
    ConnectorInput,
    DischargeObjective,
    EngineSettings,
    EngineState,
    Mode,
    PriceSlot,
    SiteInput,
    StationInput,
    V2XInput,
    V2XSettings,
    allocate,
)
from simulator.site.model import ScenarioDay
from simulator.site.prices import FORECAST_HOURS, tariff_hour

from .v2x_interface import V2XConnectorView, V2XObservation

_HOUR = 3600.0
_EPSILON = 1e-9


class EngineController:
    """The engine in the loop (see the module)."""

    def __init__(
        self, day: ScenarioDay, objective: str | None = None, *, charge_only: bool = False
    ) -> None:
        """Ours with the day's objective (or `objective`); `charge_only`: objective OFF."""
        owner = day.v2x
        chosen = "off" if charge_only else objective or (owner.objective if owner else "off")
        self.name = "charge-only" if charge_only else f"ours ({chosen})"
        self.day = day
        self.charge_only = charge_only
        self.objective = DischargeObjective(chosen)
        self.state: EngineState | None = None
        self.settings = EngineSettings(
            voltage=day.voltage,
            safety_margin=day.safety_margin,
            car_check_timeout=float(max(60, 2 * day.meter_values_interval)),
        )
        self.slots = _price_slots(day)
        self.calls = 0
        self._seen: tuple[object, ...] = ()
        self._recheck: float | None = None

    def step(self, observation: V2XObservation) -> dict[str, float]:
        """Call the engine when the coordinator would; answer its changed setpoints."""
        now = observation.now
        seen = (
            observation.meter_at,
            observation.import_cap,
            tuple((v.key, v.plugged, v.reading_at, v.full) for v in observation.connectors),
        )
        due = self._recheck is not None and now >= self._recheck - _EPSILON
        if seen == self._seen and not due:
            return {}
        self._seen = seen
        result = allocate(self.site_input(observation), self.state)
        self.calls += 1
        self.state = result.state
        self._recheck = result.recheck_at
        return {
            key: allocation.setpoint
            for key, allocation in result.allocations.items()
            if allocation.changed
        }

    def site_input(self, observation: V2XObservation) -> SiteInput:
        """The engine's input now (what `engine_input.snapshot` builds)."""
        now = observation.now
        cap = observation.import_cap
        max_import = self.day.max_import_power
        if self.charge_only and cap is not None:
            max_import = cap if max_import is None else min(max_import, cap)
        owner = self.day.v2x
        v2x = V2XSettings(
            objective=self.objective,
            import_cap=None if self.charge_only else cap,
            export_limit=observation.export_limit,
            export_car_energy=owner.export_car_energy if owner else False,
            charge_efficiency=owner.charge_efficiency if owner else 0.92,
            discharge_efficiency=owner.discharge_efficiency if owner else 0.92,
            wear_cost=owner.wear_eur_per_kwh if owner else 0.05,
        )
        stations = {view.station_id for view in observation.connectors}
        return SiteInput(
            now=now,
            grid_limit=observation.grid_limit,
            max_import_power=max_import,
            grid_current=observation.grid_current,
            pv_power=observation.pv_power if self.day.pv is not None else None,
            prices=tuple([slot for slot in self.slots if slot.end > now][:FORECAST_HOURS]),
            stations=tuple(StationInput(station_id=s) for s in sorted(stations)),
            connectors=tuple(self._connector(view) for view in observation.connectors),
            settings=self.settings,
            v2x=v2x,
        )

    def _connector(self, view: V2XConnectorView) -> ConnectorInput:
        charge_eff = self.day.v2x.charge_efficiency if self.day.v2x else 0.92
        needed = departure = None
        if view.plugged and view.soc is not None and view.departure is not None:
            room = max(0.0, view.target_soc - view.soc) / 100.0 * view.capacity_wh
            needed, departure = room / charge_eff, view.departure
        v2x = None
        if view.max_discharge > 0 and view.plugged:
            v2x = V2XInput(
                max_discharge_current=view.max_discharge,
                capacity=view.capacity_wh,
                soc=view.soc,
                reserve_soc=view.reserve_soc,
                target_soc=view.target_soc,
                dc=view.dc,
            )
        return ConnectorInput(
            connector_id=view.key,
            station_id=view.station_id,
            phases=view.phases,
            min_current=view.min_current,
            max_current=view.max_current,
            mode=Mode(view.mode),
            active=view.plugged,
            measured=view.reading,
            measured_at=view.reading_at,
            suspended=view.plugged and view.full,
            energy_needed=needed,
            departure=departure,
            v2x=v2x,
        )


def _price_slots(day: ScenarioDay) -> tuple[PriceSlot, ...]:
    """The hourly import prices of the run and FORECAST_HOURS after (on the run's clock)."""
    first = tariff_hour(day.start_offset, 0.0) * _HOUR - day.start_offset
    count = math.ceil(24 + FORECAST_HOURS)
    return tuple(
        PriceSlot(
            start=first + k * _HOUR,
            end=first + (k + 1) * _HOUR,
            price=day.prices.import_price(first + k * _HOUR + _HOUR / 2),
        )
        for k in range(count)
    )
