"""How long one allocation takes, for sites of 10, 100 and 1,000 connectors.

Each site is deterministic: two connectors per station, a station per circuit leaf in
nested circuits (20 circuits at 1,000 connectors), a mix of 3-phase and 1-phase cars
on every phase, priorities, FAST / MIN_SOLAR / SOLAR modes, switchable chargers, and a
grid limit that binds. Every call is a new snapshot one second later: the cars draw
roughly what they were given (with +-10 % noise), the house load and the solar export
drift, cars arrive and leave (a few per second at 1,000 connectors). The engine's
state is carried from call to call, as the coordinator does.

`--price`: half the connectors are in price mode, each with an energy need and a
departure 4-16 h ahead, against a 36 h hourly price forecast, so every call also
plans the site (see `balancing/planner.py`).

    .venv/bin/python -m benchmarks.allocation_time [--calls 200] [--gc] [--price]
"""

from __future__ import annotations

import argparse
import gc
import math
import statistics
import time

from custom_components.smart_charging.balancing import (
    CircuitInput,
    ConnectorInput,
    EngineSettings,
    EngineState,
    Mode,
    PriceSlot,
    SiteInput,
    StationInput,
    allocate,
)
from custom_components.smart_charging.balancing.model import PhaseCurrents

SIZES = (10, 100, 1000)


def _noise(*values: int) -> float:
    """A deterministic value in [0, 1) (no randomness: the same run every time)."""
    seed = 0
    for value in values:
        seed = (seed * 1_000_003 + value * 7919 + 104_729) % 2_147_483_647
    return ((seed * 48_271) % 2_147_483_647) / 2_147_483_647


HOUR = 3600.0
# 36 hourly prices from now on: a day / night pattern with some noise (EUR/kWh).
PRICES = tuple(
    PriceSlot(
        start=hour * HOUR,
        end=(hour + 1) * HOUR,
        price=round(0.25 + 0.08 * math.sin(hour / 24 * 2 * math.pi) + 0.02 * _noise(hour), 4),
    )
    for hour in range(36)
)


def build_site(
    size: int, *, price: bool = False
) -> tuple[tuple[CircuitInput, ...], tuple[StationInput, ...], list[ConnectorInput]]:
    """The fixed part of a site: circuits, stations and connectors.

    Sized so that every kind of limit binds somewhere: the grid (as the house load
    drifts), the circuits (about 9 A per connector on a leaf, less higher up), the
    stations (32 A shared by two connectors that may take 32 A each).
    """
    n_circuits = max(1, size // 50)
    top = max(1, n_circuits // 5)
    leaves = max(1, n_circuits - top)
    n_stations = max(1, size // 2)
    per_leaf = size / leaves if n_circuits > top else size
    circuits = tuple(
        CircuitInput(
            circuit_id=f"c{c}",
            limit=(per_leaf * 9.0,) * 3 if c >= top else (size / top * 8.5,) * 3,
            parent_id=None if c < top else f"c{c % top}",
        )
        for c in range(n_circuits)
    )
    stations = tuple(
        StationInput(
            station_id=f"s{s}",
            max_current=(32.0, 32.0, 32.0) if s % 3 else None,
            circuit_id=f"c{top + s % leaves}" if n_circuits > top else "c0",
        )
        for s in range(n_stations)
    )
    connectors: list[ConnectorInput] = []
    for i in range(size):
        one_phase = i % 5 == 0
        mode = Mode.FAST
        if i % 7 == 3:
            mode = Mode.SOLAR
        elif i % 7 == 5:
            mode = Mode.MIN_SOLAR
        planned = price and i % 2 == 1
        if planned:
            mode = Mode.PRICE
        connectors.append(
            ConnectorInput(
                connector_id=f"cp{i:04d}/1",
                station_id=f"s{i // 2 % n_stations}",
                phases=(i % 3,) if one_phase else (0, 1, 2),
                min_current=6.0,
                max_current=32.0 if i % 4 == 0 else 16.0,
                priority=1 if i % 10 == 0 else 0,
                mode=mode,
                can_switch_phases=i % 3 == 0,
                single_phase=i % 3,
                energy_needed=20_000.0 + 40_000.0 * _noise(i, 3) if planned else None,
                departure=(4 + 12 * _noise(i, 4)) * HOUR if planned else None,
            )
        )
    return circuits, stations, connectors


def snapshot(
    size: int,
    step: int,
    fixed: tuple[tuple[CircuitInput, ...], tuple[StationInput, ...], list[ConnectorInput]],
    previous: dict[str, float],
) -> SiteInput:
    """The site at `step` seconds: draws follow the last allocation, loads drift."""
    circuits, stations, connectors = fixed
    settings = EngineSettings(solar_start_delay=5.0, solar_stop_delay=10.0, phase_switch_delay=10.0)
    house = [20.0 + size * 0.5 * (1 + math.sin(step / 30 + phase)) for phase in range(3)]
    pv = size * 400.0 * (1 + math.sin(step / 50)) / 2  # W
    drawn = [0.0, 0.0, 0.0]
    live: list[ConnectorInput] = []
    for i, connector in enumerate(connectors):
        # Sessions: each connector is busy 3/4 of the time, in spells of 100-400 s, so
        # a few cars arrive or leave every second (a busy depot).
        period = 100 + int(300 * _noise(i, 1))
        present = (step + int(period * 4 * _noise(i, 2))) // period % 4 != 0
        given = previous.get(connector.connector_id, 0.0)
        draw = given * (0.9 + 0.1 * _noise(i, step)) if present else 0.0
        per_phase: PhaseCurrents = tuple(  # type: ignore[assignment]
            draw if phase in connector.phases else 0.0 for phase in range(3)
        )
        for phase in range(3):
            drawn[phase] += per_phase[phase]
        live.append(
            ConnectorInput(
                connector_id=connector.connector_id,
                station_id=connector.station_id,
                phases=connector.phases,
                min_current=connector.min_current,
                max_current=connector.max_current,
                priority=connector.priority,
                mode=connector.mode,
                active=present,
                online=_noise(i, 7) > 0.01,
                measured=per_phase,
                can_switch_phases=connector.can_switch_phases,
                single_phase=connector.single_phase,
                energy_needed=connector.energy_needed,
                departure=connector.departure,
            )
        )
    grid = tuple(house[phase] + drawn[phase] - pv / 230.0 / 3 for phase in range(3))
    limit = 40.0 + size * 8.0
    return SiteInput(
        now=float(step),
        grid_limit=(limit, limit, limit),
        max_import_power=limit * 3 * 230.0 * 0.95,
        grid_current=(grid[0], grid[1], grid[2]),
        circuits=circuits,
        stations=stations,
        connectors=tuple(live),
        settings=settings,
        prices=PRICES if any(c.mode is Mode.PRICE for c in connectors) else (),
    )


def run(size: int, calls: int, *, with_gc: bool = False, price: bool = False) -> list[float]:
    """Time `calls` consecutive allocations (seconds each).

    The garbage collector is paused while timing (as `timeit` does) unless `with_gc`:
    a collection pass is the whole process's, not the engine's.
    """
    fixed = build_site(size, price=price)
    state: EngineState | None = None
    given: dict[str, float] = {}
    times: list[float] = []
    try:
        if not with_gc:
            gc.disable()
        for step in range(calls + 20):
            site = snapshot(size, step, fixed, given)
            start = time.perf_counter()
            result = allocate(site, state)
            elapsed = time.perf_counter() - start
            state = result.state
            given = {key: allocation.current for key, allocation in result.allocations.items()}
            if step >= 20:  # warm-up: the first calls start from nothing
                times.append(elapsed)
    finally:
        gc.enable()
        gc.collect()
    return times


def main() -> None:
    """Print a table of median and p99 allocation times."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--gc", action="store_true", help="leave the garbage collector on")
    parser.add_argument("--price", action="store_true", help="half the connectors in price mode")
    args = parser.parse_args()
    print(f"{'connectors':>10} {'median ms':>10} {'p99 ms':>8} {'max ms':>8}")
    for size in SIZES:
        times = sorted(run(size, args.calls, with_gc=args.gc, price=args.price))
        p99 = times[min(len(times) - 1, math.ceil(len(times) * 0.99) - 1)]
        print(
            f"{size:>10} {statistics.median(times) * 1e3:>10.3f} "
            f"{p99 * 1e3:>8.3f} {times[-1] * 1e3:>8.3f}"
        )


if __name__ == "__main__":
    main()
