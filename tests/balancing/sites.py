"""Builders for engine inputs, and an independent check of every limit."""

from __future__ import annotations

from collections.abc import Iterable
import math
from typing import Any

from custom_components.smart_charging.balancing import (
    Allocation,
    ConnectorInput,
    EngineSettings,
    EngineState,
    Result,
    SiteInput,
)
from custom_components.smart_charging.balancing.model import PhaseCurrents

# No margin, no dead band: exact values are easy to state.
PLAIN = EngineSettings(safety_margin=0.0, dead_band=0.0)
TOLERANCE = 1e-6


def three(value: float) -> PhaseCurrents:
    """The same value on every phase."""
    return (value, value, value)


def car(connector_id: str, station_id: str = "s1", **fields: Any) -> ConnectorInput:
    """A connector with a car, FAST, 3-phase, 6-16 A unless told otherwise."""
    return ConnectorInput(connector_id=connector_id, station_id=station_id, **fields)


def site(
    *connectors: ConnectorInput,
    now: float = 0.0,
    limit: float = 32.0,
    settings: EngineSettings = PLAIN,
    **fields: Any,
) -> SiteInput:
    """A site with a grid limit on every phase; no meter unless `grid_current` is given."""
    fields.setdefault("grid_limit", three(limit))
    return SiteInput(now=now, connectors=connectors, settings=settings, **fields)


def currents(result: Result) -> dict[str, float]:
    """Each connector's allocated current, rounded to µA."""
    return {cid: round(a.current, 6) for cid, a in result.allocations.items()}


def _finite(value: float) -> float:
    return value if math.isfinite(value) else 0.0


def _clean(values: PhaseCurrents) -> list[float]:
    return [max(0.0, _finite(value)) for value in values]


def reading(connector: ConnectorInput) -> list[float]:
    """What the engine reads: a V2X connector's sign is kept (it discharges below 0)."""
    if connector.v2x is not None:
        return [_finite(value) for value in connector.measured]
    return _clean(connector.measured)


def drawing_phases(
    connector: ConnectorInput, allocation: Allocation, previous: EngineState | None
) -> tuple[int, ...]:
    """The grid phases an allocation is drawn on (as documented in the model)."""
    wired = tuple(sorted({p for p in connector.phases if p in (0, 1, 2)})) or (0, 1, 2)
    memory = previous.connectors.get(connector.connector_id) if previous else None
    switched_before = memory is not None and memory.phases == 1
    switchable = connector.can_switch_phases and (len(wired) == 3 or switched_before)
    if not switchable:
        return wired
    return (connector.single_phase % 3,) if allocation.phases == 1 else (0, 1, 2)


def circuit_chain(site_input: SiteInput, circuit_id: str | None) -> list[str]:
    """A circuit and its ancestors (the inputs built here have no cycles)."""
    circuits = {circuit.circuit_id: circuit for circuit in site_input.circuits}
    chain: list[str] = []
    while circuit_id is not None and circuit_id in circuits and circuit_id not in chain:
        chain.append(circuit_id)
        circuit_id = circuits[circuit_id].parent_id
    return chain


def limit_violations(
    site_input: SiteInput, result: Result, previous: EngineState | None = None
) -> list[str]:
    """Every limit that the allocations together exceed, computed from the inputs alone.

    Grid phases: Σ allocations ≤ limit - non-EV - margin, non-EV = grid - Σ measured
    (≥ 0) with a meter, else the base load (also while the meter is unavailable).
    Circuits (with every descendant) and stations: Σ ≤ limit - margin. Max import:
    Σ phases (non-EV + EV) * V ≤ max - margin * V * live phases (the phases netted).
    """
    settings = site_input.settings
    margin = settings.safety_margin
    voltage = settings.voltage
    grid = site_input.grid_current
    meter = grid is not None and site_input.meter_available and all(math.isfinite(g) for g in grid)
    drawn = [0.0, 0.0, 0.0]
    for connector in site_input.connectors:
        for phase, value in enumerate(reading(connector)):
            drawn[phase] += value
    if meter:
        assert grid is not None
        raw = [grid[p] - drawn[p] for p in range(3)]
        non_ev = [max(0.0, value) for value in raw]
    else:
        raw = non_ev = [max(0.0, _finite(value)) for value in site_input.base_load]

    stations = {station.station_id: station for station in site_input.stations}
    loads: dict[str, list[float]] = {}
    power = 0.0

    def add(key: str, phases: Iterable[int], current: float) -> None:
        load = loads.setdefault(key, [0.0, 0.0, 0.0])
        for phase in phases:
            load[phase] += current

    for connector in site_input.connectors:
        allocation = result.allocations[connector.connector_id]
        if allocation.current <= 0:
            continue
        phases = drawing_phases(connector, allocation, previous)
        power += allocation.current * len(phases) * voltage
        add("grid", phases, allocation.current)
        station = stations.get(connector.station_id)
        if station is not None:
            add(f"station {station.station_id}", phases, allocation.current)
            for circuit_id in circuit_chain(site_input, station.circuit_id):
                add(f"circuit {circuit_id}", phases, allocation.current)

    budgets: dict[str, list[float]] = {
        "grid": [max(0.0, site_input.grid_limit[p] - non_ev[p] - margin) for p in range(3)]
    }
    for circuit in site_input.circuits:
        budgets[f"circuit {circuit.circuit_id}"] = [max(0.0, v - margin) for v in circuit.limit]
    for station in stations.values():
        if station.max_current is not None:
            budgets[f"station {station.station_id}"] = [
                max(0.0, v - margin) for v in station.max_current
            ]
    violations = [
        f"{key} L{phase + 1}: {load[phase]} > {budgets[key][phase]}"
        for key, load in loads.items()
        if key in budgets
        for phase in range(3)
        if load[phase] > budgets[key][phase] + TOLERANCE
    ]
    if site_input.max_import_power is not None:
        live = sum(1 for value in site_input.grid_limit if value > 0) or 3
        room = site_input.max_import_power - margin * voltage * live - sum(raw) * voltage
        if power > max(0.0, room) + TOLERANCE * voltage:
            violations.append(f"max import power: {power} > {room}")
    return violations
