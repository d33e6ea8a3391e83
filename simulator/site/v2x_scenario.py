"""The V2X keys of a scenario file (read by `scenario.py`).

On top of the keys `scenario.py` lists::

    [site]
    export_limit_kw = 0  # W the site may export in total (optional)
    [v2x]  # the owner's settings: objective (an engine
    objective = "peak_shaving"  # DischargeObjective), wear_eur_per_kwh,
    # export_car_energy, charge_efficiency,
    # discharge_efficiency, also (more objectives
    # to run ours with)
    [[charger]]
    bidirectional = true  # its connectors discharge; dc = true: a DC
    dc = true  # station (balanced on all three phases)
    [cars.van]  # a bidirectional car: max_discharge_current (A per
    max_discharge_current = 16  # phase, grid side), discharge_efficiency, min_soc
    [[day.car]]  # reserve_soc (%); energy_kwh may be left out: the
    reserve_soc = 30  # target_soc from initial_soc is the wish
    [[day.fleet]]  # reserve_soc, min_arrival_soc (%)
    [[day.grid_event]]  # from, to ("HH:MM"), import_cap_kw
    [[day.load_step]]  # name, from, to, kw = [L1, L2, L3]
"""

from __future__ import annotations

from .load_steps import LoadStep
from .model import DAY, Bidirectional, GridEvent, V2XSite
from .toml_table import ScenarioError, Table

OBJECTIVES = ("off", "self_consumption", "peak_shaving", "price", "grid_signal")
_CAR_KEYS = ("max_discharge_current", "discharge_efficiency", "min_soc")


def bidirectional(table: Table, base: Bidirectional | None = None) -> Bidirectional | None:
    """The V2X keys of a car table over `base` (None: the car only charges)."""
    if base is None and not table.has("max_discharge_current"):
        for key in _CAR_KEYS:
            if table.has(key):
                raise ScenarioError(f"{table.key(key)}: needs max_discharge_current")
        return None
    return Bidirectional(
        max_discharge_current=table.number(
            "max_discharge_current", base.max_discharge_current if base else None, low=0.0
        ),
        discharge_efficiency=table.number(
            "discharge_efficiency", base.discharge_efficiency if base else 0.92, positive=True
        ),
        min_soc=table.number("min_soc", base.min_soc if base else 5.0, low=0.0, high=100.0),
    )


def v2x_site(table: Table | None) -> V2XSite | None:
    """The `[v2x]` table (None: a day without V2X)."""
    if table is None:
        return None
    also = table.raw("also") or []
    if not isinstance(also, list) or not all(name in OBJECTIVES for name in also):
        raise ScenarioError(f"{table.key('also')}: expected a list of {', '.join(OBJECTIVES)}")
    site = V2XSite(
        objective=table.string("objective", choices=OBJECTIVES),
        wear_eur_per_kwh=table.number("wear_eur_per_kwh", 0.05, low=0.0),
        export_car_energy=table.boolean("export_car_energy", False),
        charge_efficiency=table.number("charge_efficiency", 0.92, positive=True, high=1.0),
        discharge_efficiency=table.number("discharge_efficiency", 0.92, positive=True, high=1.0),
        also=tuple(str(name) for name in also),
    )
    table.finish()
    return site


def _span(table: Table, start: float) -> tuple[float, float]:
    """`from` and `to` ("HH:MM") as s after the run start (`to` after `from`)."""
    begin = (table.clock("from") - start) % DAY
    end = table.clock("to") - start
    while end <= begin:
        end += DAY
    return begin, end


def grid_events(day: Table, start: float) -> tuple[GridEvent, ...]:
    """The day's `[[day.grid_event]]` tables."""
    events = []
    for table in day.tables("grid_event"):
        begin, end = _span(table, start)
        cap = table.number("import_cap_kw", low=0.0) * 1000.0
        events.append(GridEvent(start=begin, end=end, import_cap=cap))
        table.finish()
    return tuple(events)


def load_steps(day: Table, start: float) -> tuple[LoadStep, ...]:
    """The day's `[[day.load_step]]` tables."""
    steps = []
    for table in day.tables("load_step"):
        begin, end = _span(table, start)
        kw = table.numbers("kw")
        if not isinstance(kw, list) or len(kw) != 3:  # noqa: PLR2004
            raise ScenarioError(f"{table.key('kw')}: expected 3 values, kW on L1, L2, L3")
        name = table.string("name", "load step")
        watts = (kw[0] * 1000.0, kw[1] * 1000.0, kw[2] * 1000.0)
        steps.append(LoadStep(name=name, start=begin, end=end, watts=watts))
        table.finish()
    return tuple(steps)


def describe_events(events: tuple[GridEvent, ...]) -> str:
    """The grid events, for `ScenarioDay.notes`."""
    return "; ".join(
        f"import cap {e.import_cap / 1000:g} kW from +{e.start / 3600:.2f} h to +{e.end / 3600:.2f} h"
        for e in events
    )
