"""Builders for V2X inputs, and an independent check of every discharge promise."""

from __future__ import annotations

import math
from typing import Any

from custom_components.smart_charging.balancing import (
    ConnectorInput,
    DischargeObjective,
    EngineSettings,
    Mode,
    Result,
    SiteInput,
    V2XInput,
    V2XSettings,
)
from custom_components.smart_charging.balancing.model import PhaseCurrents

from .sites import PLAIN, TOLERANCE, car, drawing_phases, reading, three

VOLTAGE = 230.0


def battery(**fields: Any) -> V2XInput:
    """A car that may discharge 16 A, 60 kWh at 80 %, reserve 30 %, unless told otherwise."""
    fields.setdefault("max_discharge_current", 16.0)
    fields.setdefault("capacity", 60_000.0)
    fields.setdefault("soc", 80.0)
    return V2XInput(**fields)


def v2x_car(connector_id: str = "v", station_id: str = "s1", **fields: Any) -> ConnectorInput:
    """A V2X car in solar mode (it charges from surplus only, so it is free to discharge)."""
    fields.setdefault("mode", Mode.SOLAR)
    fields.setdefault("v2x", battery())
    return car(connector_id, station_id, **fields)


def v2x_site(
    *connectors: ConnectorInput,
    house: PhaseCurrents = (0.0, 0.0, 0.0),
    limit: float = 32.0,
    now: float = 0.0,
    settings: EngineSettings = PLAIN,
    objective: DischargeObjective = DischargeObjective.SELF_CONSUMPTION,
    **v2x_fields: Any,
) -> SiteInput:
    """A metered site: the grid reads the house load plus what every connector reads."""
    grid = [house[p] + sum(reading(c)[p] for c in connectors) for p in range(3)]
    return SiteInput(
        now=now,
        grid_limit=three(limit),
        grid_current=(grid[0], grid[1], grid[2]),
        connectors=connectors,
        settings=settings,
        v2x=V2XSettings(objective=objective, **v2x_fields),
    )


def setpoints(result: Result) -> dict[str, float]:
    """Each connector's signed setpoint, rounded to µA."""
    return {cid: round(a.setpoint, 6) for cid, a in result.allocations.items()}


def _efficiency(value: float) -> float:
    return value if 0 < value <= 1 else 1.0


def _reserve_floor(connector: ConnectorInput, v2x: V2XInput) -> float:
    floor = v2x.reserve_soc
    if connector.departure is None and v2x.target_soc is not None:
        floor = max(floor, v2x.target_soc)
    return floor


def car_violations(site: SiteInput, connector: ConnectorInput, amount: float, n: int) -> list[str]:
    """A discharging car's own promises: V2X, maximum, request, reserve, departure.

    `amount` A on `n` phases. The departure is checked at the connector's maximum (a car
    limit learned since may only make the engine stricter).
    """
    cid = connector.connector_id
    v2x = connector.v2x
    if v2x is None or not v2x.allowed or not connector.online or not connector.active:
        return [f"{cid} may not discharge"]
    out: list[str] = []
    if amount > v2x.max_discharge_current + TOLERANCE:
        out.append(f"{cid} beyond its maximum")
    if v2x.requested is not None and amount > v2x.requested + TOLERANCE:
        out.append(f"{cid} beyond its request")
    settings = site.settings
    charge_eff = _efficiency(site.v2x.charge_efficiency)
    discharge_eff = _efficiency(site.v2x.discharge_efficiency)
    seconds = max(1.0, settings.response_time)
    delivered = amount * n * settings.voltage * seconds / 3600  # Wh, grid side
    if v2x.soc is None:
        return [*out, f"{cid} discharges with an unknown SoC"]
    above = (v2x.soc - _reserve_floor(connector, v2x)) / 100 * v2x.capacity
    if above * discharge_eff < delivered - 1e-6:
        out.append(f"{cid} would be below its reserve within the response time")
    if connector.departure is not None:
        wired = tuple(sorted({p for p in connector.phases if p in (0, 1, 2)})) or (0, 1, 2)
        power = min(connector.max_current, connector.external_limit or math.inf)
        power *= settings.voltage * len(wired)
        left = connector.departure - site.now - settings.deadline_buffer
        room = power * left / 3600 / (1 + settings.deadline_margin) if left > 0 else 0.0
        wanted = connector.energy_needed or 0.0
        back = wanted if wanted > settings.energy_tolerance else 0.0
        if v2x.target_soc is not None:
            back = max(back, (v2x.target_soc - v2x.soc) / 100 * v2x.capacity / charge_eff)
        if back + delivered / (charge_eff * discharge_eff) > room + 1e-6:
            out.append(f"{cid} discharges though its departure target would not fit")
    return out


def discharge_violations(site: SiteInput, result: Result) -> list[str]:
    """Every discharge promise a first call's answer breaks, from the inputs alone.

    A discharging connector does not charge, may discharge (V2X, allowed, a car, online,
    a working meter), stays within its maximum, its request, its reserve (for the
    response time) and its departure. Per phase the export stays within the fuse less
    the margin, in total within the export limit less the margin per live phase, and
    with `export_car_energy` off within the house's import (per phase for AC cars):
    all against the house load alone (grid - every reading, an offline connector's
    discharge counted in).
    """
    settings = site.settings
    voltage = settings.voltage
    grid = site.grid_current
    metered = grid is not None and site.meter_available and all(math.isfinite(g) for g in grid)
    out: list[str] = []
    phase = [0.0, 0.0, 0.0]
    ac_phase = [0.0, 0.0, 0.0]
    total = 0.0
    for connector in site.connectors:
        allocation = result.allocations[connector.connector_id]
        amount = allocation.discharge
        if amount < 0:
            out.append(f"{connector.connector_id}: negative discharge")
        if amount <= 0:
            continue
        if allocation.current != 0:
            out.append(f"{connector.connector_id} charges and discharges")
        if not metered:
            out.append(f"{connector.connector_id} discharges without a meter")
        v2x = connector.v2x
        dc = v2x is not None and v2x.dc
        phases = (0, 1, 2) if dc else drawing_phases(connector, allocation, None)
        out.extend(car_violations(site, connector, amount, len(phases)))
        for p in phases:
            phase[p] += amount
            if not dc:
                ac_phase[p] += amount
        total += amount * len(phases) * voltage
    if not metered or total <= 0:
        return out
    assert grid is not None
    house = list(grid)
    for connector in site.connectors:
        for p, value in enumerate(reading(connector)):
            house[p] -= value
            if not connector.online and value < 0:
                house[p] += value
    return out + _export_violations(site, house, phase, ac_phase, total)


def _export_violations(
    site: SiteInput, house: list[float], phase: list[float], ac_phase: list[float], total: float
) -> list[str]:
    """Export per phase, in total, and beyond the house's import without export_car_energy."""
    voltage = site.settings.voltage
    margin = site.settings.safety_margin
    out = [
        f"export beyond the fuse on L{p + 1}: {phase[p]}"
        for p in range(3)
        if phase[p] > max(0.0, house[p] + max(0.0, site.grid_limit[p] - margin)) + TOLERANCE
    ]
    if site.v2x.export_limit is not None:
        live = sum(1 for value in site.grid_limit if value > 0) or 3
        allowed = site.v2x.export_limit - margin * voltage * live
        bound = max(0.0, sum(house) * voltage + allowed)
        if total > bound + TOLERANCE * voltage:
            out.append(f"export beyond the export limit: {total} > {bound}")
    if not site.v2x.export_car_energy:
        out.extend(
            f"AC discharge beyond the house's import on L{p + 1}"
            for p in range(3)
            if ac_phase[p] > max(0.0, house[p]) + TOLERANCE
        )
        if total > max(0.0, sum(house)) * voltage + TOLERANCE * voltage:
            out.append(f"discharge beyond the house's import: {total}")
    return out
