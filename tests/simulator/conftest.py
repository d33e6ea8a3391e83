"""Fixtures: a central system on 127.0.0.1 and simulated chargers connected to it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import pytest_asyncio

from simulator.charger import ChargerSpec, SimulatedCharger
from simulator.v201 import SimulatedStation201

from .central_system import CentralSystem, ChargerFactory
from .csms201 import Csms, CsmsChargePoint


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """Override the project-wide autouse fixture: these tests need no Home Assistant."""


@pytest_asyncio.fixture
async def central_system(socket_enabled: None) -> AsyncIterator[CentralSystem]:
    """A running central system (pytest-socket lets 127.0.0.1 through only)."""
    server = CentralSystem()
    await server.start()
    yield server
    await server.stop()


@pytest_asyncio.fixture
async def make_charger(central_system: CentralSystem) -> AsyncIterator[ChargerFactory]:
    """Build chargers for the central system (closed after the test)."""
    chargers: list[SimulatedCharger] = []

    def build(charge_point_id: str = "SIM-TEST", **spec: Any) -> SimulatedCharger:
        spec.setdefault("reconnect", False)
        spec.setdefault("response_timeout", 5.0)
        charger = SimulatedCharger(ChargerSpec(charge_point_id, **spec), central_system.url)
        chargers.append(charger)
        return charger

    yield build
    for charger in chargers:
        await charger.close()


@pytest_asyncio.fixture
async def csms(socket_enabled: None) -> AsyncIterator[Csms]:
    """A running 2.0.1 CSMS stub (pytest-socket lets 127.0.0.1 through only)."""
    server = Csms()
    await server.start()
    yield server
    await server.stop()


StationFactory = Callable[..., SimulatedStation201]


@pytest_asyncio.fixture
async def make_station(csms: Csms) -> AsyncIterator[StationFactory]:
    """Build 2.0.1 stations for the CSMS (closed after the test)."""
    stations: list[SimulatedStation201] = []

    def build_station(station_id: str = "SIM201", **options: Any) -> SimulatedStation201:
        station = SimulatedStation201(station_id, csms.url, **options)
        stations.append(station)
        return station

    yield build_station
    for station in stations:
        await station.close()


async def online(
    csms: Csms, make_station: StationFactory, **options: Any
) -> tuple[SimulatedStation201, CsmsChargePoint]:
    """Connect and boot a station; return it and the CSMS's side of it."""
    station = make_station(**options)
    assert await station.connect() == "Accepted"
    await station.wait_accepted()
    return station, await csms.wait_connected()
