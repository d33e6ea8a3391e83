"""A simulated 2.0.1 DC fast charger against the central system: SoC, the car's needs, W."""

from __future__ import annotations

import pytest

from custom_components.smart_charging.central_system.limits import ChargingLimit
from simulator.v201 import Car

from .conftest import Server, StationFactory, booted, wait_until

ID = "DC-1"


async def test_a_dc_station_shows_the_soc_and_gets_watts(
    server: Server, make_station: StationFactory
) -> None:
    """cCCS2 and W only; the car's needs and the meter's SoC reach the connector; limits in W."""
    station, session = await booted(
        server, make_station, station_id=ID, dc=True, car=Car(capacity_kwh=50, soc=20)
    )
    await wait_until(
        lambda: session.state.capabilities is not None
        and session.state.capabilities.number_of_connectors == 1
    )
    capabilities = session.state.capabilities
    assert capabilities is not None
    assert capabilities.rate_units == frozenset({"W"})
    assert capabilities.connector_types == {1: {1: "cCCS2"}}
    measurands = station.model.value(("SampledDataCtrlr", "TxUpdatedMeasurands")).split(",")
    assert "SoC" in measurands  # the central system asked for it, the DC station took it

    await station.start_transaction(1)
    connector = session.state.connector(1)
    await wait_until(lambda: connector.transaction_id is not None and connector.soc == 20)
    assert connector.ev_max_power == 50_000
    assert connector.ev_energy_capacity == 50_000
    # 40 kWh, less what the car took on the real clock before it told its needs.
    assert connector.ev_energy_amount == pytest.approx(40_000, abs=100)
    assert connector.ev_departure is not None

    station.advance(360)  # 5 kWh at 50 kW: 30 %
    await station.send_meter_values(1)
    await wait_until(lambda: connector.soc == pytest.approx(30, abs=0.2))
    assert connector.power == pytest.approx(50_000)
    assert connector.voltage == 400

    await session.apply_limit(ChargingLimit(connector_id=1, value=20.0))
    payload = await station.wait_for_call(
        "SetChargingProfile",
        predicate=lambda p: p["charging_profile"]["charging_profile_purpose"] == "TxProfile",
    )
    schedule = payload["charging_profile"]["charging_schedule"][0]
    assert schedule["charging_rate_unit"] == "W"
    assert schedule["charging_schedule_period"][0]["limit"] == 13_800  # 20 A x 230 V x 3
    assert station.effective_power_limit(1) == 13_800
    assert station.power(1) == pytest.approx(13_800)
