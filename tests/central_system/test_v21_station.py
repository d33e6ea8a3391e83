"""A simulated OCPP 2.1 bidirectional station against the central system, over real websockets.

The permission, a discharge and its metering, and the failsafe: with the central system
gone, the station stops discharging once the live limit's validity runs out.
"""

from __future__ import annotations

import pytest

from custom_components.smart_charging.central_system.errors import ChargerNotSupportedError
from custom_components.smart_charging.central_system.limits import ChargingLimit
from custom_components.smart_charging.central_system.session import ChargerSession
from simulator.v21 import SimulatedStation21
from simulator.v21.kinds import ac_wallbox, dc_station

from .conftest import Server, ServerFactory, StationFactory, fast_settings, wait_until

ID = "CS-21"
VALIDITY = 60


@pytest.fixture
async def server(make_server: ServerFactory) -> Server:
    """A central system that wants no periodic samples (the test sends what it needs)."""
    return await make_server(settings=fast_settings(meter_interval=0))


async def plugged_in(
    server: Server, make_station: StationFactory, *, dc: bool = False
) -> tuple[SimulatedStation21, ChargerSession]:
    """A bidirectional station, set up, its car plugged in and its needs told."""
    station = make_station(server, ID, kind=dc_station if dc else ac_wallbox)
    assert isinstance(station, SimulatedStation21)
    assert await station.connect() == "Accepted"
    session = server.session(ID)
    await wait_until(lambda: session.state.configured)
    connector = session.state.connector(1)
    await wait_until(lambda: connector.discharge_capable)
    await station.start_transaction(1)
    assert await station.send_car_needs(1) == "Accepted"
    # The central system answers with the one-way mode: discharging is not allowed yet.
    await wait_until(lambda: bool(connector.allowed_transfer))
    assert connector.bidirectional
    assert not station.discharge_allowed(1)
    return station, session


async def test_discharge_metered_and_stopped_by_the_failsafe(
    server: Server, make_station: StationFactory
) -> None:
    """A discharge is metered; with the central system gone it ends after the validity.

    Allowed, then told to discharge 10 A, the car gives and the export register counts it;
    then the station is back to charging only, at its safe share.
    """
    station, session = await plugged_in(server, make_station)
    await session.apply_limit(ChargingLimit(connector_id=0, value=6, safe_default=True))
    await session.allow_discharge(1, True)
    await wait_until(lambda: station.discharge_allowed(1))

    await session.apply_limit(
        ChargingLimit(connector_id=1, value=0, discharge=10, duration=VALIDITY)
    )
    assert station.command(1) == pytest.approx(-10 * 230 * 3)
    station.advance(30)
    await station.send_meter_values(1)
    connector = session.state.connector(1)
    await wait_until(lambda: (connector.power or 0) < 0)
    assert connector.power == pytest.approx(-6900, rel=0.02)
    # 30 s at 6.9 kW, less the car's response delay.
    assert 6900 * 25 / 3600 < (connector.energy_export or 0) <= 6900 * 30 / 3600
    assert all(value is not None and value < 0 for value in connector.current_phases.as_tuple())

    await server.system.stop()  # Home Assistant is gone: nothing renews the limit
    station.advance(VALIDITY)
    assert station.operation(1).mode == "ChargingOnly"
    assert station.command(1) >= 0
    # The safe default holds: the car charges at the safe share again.
    assert station.command(1) == pytest.approx(6 * 230 * 3)


async def test_no_permission_no_discharge(server: Server, make_station: StationFactory) -> None:
    """Without the permission the station holds 0 however negative the setpoint."""
    station, session = await plugged_in(server, make_station)
    await session.apply_limit(
        ChargingLimit(connector_id=1, value=0, discharge=10, duration=VALIDITY)
    )
    assert station.command(1) == 0
    # Taken back: allowed, then not, and the discharge stops.
    await session.allow_discharge(1, True)
    await wait_until(lambda: station.discharge_allowed(1))
    await session.apply_limit(
        ChargingLimit(connector_id=1, value=0, discharge=10, duration=VALIDITY)
    )
    assert station.command(1) < 0
    await session.allow_discharge(1, False)
    await wait_until(lambda: not station.discharge_allowed(1))
    assert station.command(1) == 0


async def test_dc_station_in_watts(server: Server, make_station: StationFactory) -> None:
    """A W-only DC station gets its setpoint in W; its car's needs reach the model."""
    station, session = await plugged_in(server, make_station, dc=True)
    connector = session.state.connector(1)
    assert connector.ev_transfer_mode == "DC_BPT"
    assert connector.ev_max_discharge_power == 22000
    capabilities = session.state.capabilities
    assert capabilities is not None
    assert capabilities.v2x_of(1).max_discharge_power == 22000  # the EVSE's DischargePower
    assert capabilities.v2x_of(1).iso15118
    await session.allow_discharge(1, True)
    await wait_until(lambda: station.discharge_allowed(1))
    await session.apply_limit(
        ChargingLimit(connector_id=1, value=0, discharge=20, duration=VALIDITY)
    )
    assert station.command(1) == pytest.approx(-20 * 230 * 3, rel=0.01)


async def test_a_one_way_station_refuses(server: Server, make_station: StationFactory) -> None:
    """A 2.0.1 station's connectors never become bidirectional; a discharge is refused."""
    station = make_station(server, "CS-201")
    assert await station.connect() == "Accepted"
    session = server.session("CS-201")
    await wait_until(lambda: session.state.configured)
    assert not session.state.connector(1).discharge_capable
    with pytest.raises(ChargerNotSupportedError):
        await session.apply_limit(
            ChargingLimit(connector_id=1, value=0, discharge=6, duration=VALIDITY)
        )
