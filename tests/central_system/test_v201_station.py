"""A simulated 2.0.1 station against the central system: failsafe, restarts, offline replays."""

from __future__ import annotations

from typing import Any

import pytest

from custom_components.smart_charging.central_system.capabilities import (
    capabilities_as_dict,
    capabilities_from_dict,
)
from custom_components.smart_charging.central_system.charger_maximum import charger_maximum
from custom_components.smart_charging.central_system.limits import ChargingLimit
from custom_components.smart_charging.central_system.model import Capabilities
from custom_components.smart_charging.central_system.policy import (
    AccessPolicy,
    UnknownChargerPolicy,
)
from custom_components.smart_charging.central_system.v201.inventory import note_report

from .conftest import MemoryPersistence, Server, ServerFactory, StationFactory, booted, wait_until

ID = "CS-1"


async def test_failsafe_as_on_16(server: Server, make_station: StationFactory) -> None:
    """Safe default below, a live limit with a short validity above: when it lapses, safe."""
    station, session = await booted(server, make_station)
    await station.start_transaction(1)
    await wait_until(lambda: session.state.connector(1).transaction_id is not None)
    await session.apply_limit(ChargingLimit(connector_id=0, value=8.0, safe_default=True))
    payload = await station.wait_for_call("SetChargingProfile")
    safe = payload["charging_profile"]
    assert (payload["evse_id"], safe["charging_profile_purpose"]) == (0, "TxDefaultProfile")
    assert safe["stack_level"] == 1
    assert "valid_to" not in safe
    assert "duration" not in safe["charging_schedule"][0]

    await session.apply_limit(ChargingLimit(connector_id=1, value=16.0, duration=120))
    assert station.effective_limit(1) == 16.0
    # Home Assistant stops renewing the live limit: after its validity the safe default holds.
    station.advance(200)
    assert station.effective_limit(1) == 8.0
    assert station.draw(1) == 8.0


async def test_a_w_only_station_gets_watts(server: Server, make_station: StationFactory) -> None:
    """RateUnit W: limits in W (A x 230 V x phases)."""
    station, session = await booted(server, make_station, rate_unit="W")
    capabilities = session.state.capabilities
    assert capabilities is not None
    assert capabilities.rate_units == frozenset({"W"})
    await session.apply_limit(ChargingLimit(connector_id=0, value=10.0))
    payload = await station.wait_for_call("SetChargingProfile")
    schedule = payload["charging_profile"]["charging_schedule"][0]
    assert (schedule["charging_rate_unit"], schedule["charging_schedule_period"][0]["limit"]) == (
        "W",
        6900.0,
    )
    assert station.effective_limit(1) == pytest.approx(10.0)


async def test_a_restart_keeps_the_transaction(
    make_server: ServerFactory, make_station: StationFactory
) -> None:
    """Stop and start with the saved data: the open transaction, its seqNo and energy stay."""
    store = MemoryPersistence()
    first = await make_server(persistence=store)
    station, session = await booted(first, make_station)
    external = await station.start_transaction(1)
    station.advance(1800)
    await station.send_meter_values(1)
    await wait_until(lambda: (session.state.connector(1).session_energy or 0) > 0)
    running = session.state.connector(1).transaction_id
    await station.close()
    await first.system.stop()

    policy = AccessPolicy(unknown_chargers=UnknownChargerPolicy.REJECT, approved={ID})
    second = await make_server(persistence=store, policy=policy)
    restored = second.session(ID)
    assert restored.state.connector(1).transaction_id == running
    transaction = second.system.ledger.find_external(ID, external)
    assert transaction is not None
    assert transaction.last_seq_no is not None

    station.url = second.url
    assert await station.connect(boot=False) is None
    station.advance(1800)
    await station.stop_transaction(1)
    await wait_until(lambda: restored.state.connector(1).transaction_id is None)
    finished = second.system.ledger.get(transaction.transaction_id)
    assert finished is not None
    assert finished.energy == pytest.approx(station.energy_wh(1), abs=1)


async def test_the_inventory_tells_each_evses_maximum(
    server: Server, make_station: StationFactory
) -> None:
    """GetBaseReport once; EVSE Power maxLimit (W) becomes each EVSE's maximum (A)."""
    station, session = await booted(server, make_station, evses=2, max_current=32.0)
    await wait_until(
        lambda: session.state.capabilities is not None
        and session.state.capabilities.number_of_connectors == 2
    )
    capabilities = session.state.capabilities
    assert capabilities is not None
    assert capabilities.vendor_max_current == {1: 32.0, 2: 32.0}
    assert charger_maximum(session.state, 2) == 32.0
    assert [action for action, _ in station.calls].count("GetBaseReport") == 1
    assert capabilities.connector_types == {1: {1: "cType2"}, 2: {1: "cType2"}}
    assert capabilities_from_dict(capabilities_as_dict(capabilities)) == capabilities


def test_connector_types_from_report_parts() -> None:
    """Connectors of an EVSE gathered across parts; the Actual value; junk left out."""
    capabilities = Capabilities()

    def connector(evse: int, connector_id: object, *attributes: dict[str, str]) -> dict[str, Any]:
        return {
            "component": {"name": "Connector", "evse": {"id": evse, "connector_id": connector_id}},
            "variable": {"name": "ConnectorType"},
            "variable_attribute": list(attributes),
        }

    assert note_report(capabilities, [connector(1, 1, {"type": "Actual", "value": "cCCS2"})])
    assert note_report(
        capabilities,
        [
            connector(1, 2, {"type": "Target", "value": "x"}, {"type": "Actual", "value": "cG105"}),
            connector(2, None, {"value": "sType2"}),  # no connector id
            connector(0, 1, {"value": "sType2"}),  # the station is no EVSE
            connector(3, 1, {"type": "Target", "value": "sType2"}),  # no Actual value
        ],
    )
    assert capabilities.connector_types == {1: {1: "cCCS2", 2: "cG105"}}
    assert not note_report(capabilities, [connector(1, 1, {"value": "cCCS2"})])


def test_a_report_part_without_evses_changes_nothing() -> None:
    """Controllers only, junk values, a tiny EVSE: nothing learned that cannot charge."""
    capabilities = Capabilities()
    assert not note_report(capabilities, [{"component": {"name": "OCPPCommCtrlr"}}])
    part = [
        {
            "component": {"name": "EVSE", "evse": {"id": 1}},
            "variable": {"name": "Power"},
            "variable_characteristics": {"max_limit": 1200},  # 1.7 A on 3 phases
        },
        {
            "component": {"name": "EVSE", "evse": {"id": 2}},
            "variable": {"name": "Power"},
            "variable_characteristics": {"max_limit": "junk"},
        },
        {
            "component": {"name": "EVSE", "evse": {"id": 3}},
            "variable": {"name": "SupplyPhases"},
            "variable_attribute": [{"value": "1"}],
        },
        {
            "component": {"name": "EVSE", "evse": {"id": 3}},
            "variable": {"name": "Power"},
            "variable_characteristics": {"max_limit": 7360},  # 32 A on one phase
        },
    ]
    assert note_report(capabilities, part)
    assert capabilities.number_of_connectors == 3
    assert capabilities.vendor_max_current == {3: 32.0}


async def test_measurands_the_station_lacks_are_left_out(
    server: Server, make_station: StationFactory
) -> None:
    """SoC and temperature refused: the list is grown one by one, the others kept."""
    station, session = await booted(server, make_station)
    attempts = [
        payload["set_variable_data"][0]["attribute_value"]
        for action, payload in station.calls
        if action == "SetVariables"
        and payload["set_variable_data"][0]["variable"]["name"] == "TxUpdatedMeasurands"
    ]
    assert len(attempts) > 1  # the whole list, then one measurand more each time
    value = station.model.variables[("SampledDataCtrlr", "TxUpdatedMeasurands")].value
    assert value.split(",") == [
        "Energy.Active.Import.Register",
        "Power.Active.Import",
        "Current.Import",
        "Current.Offered",
        "Voltage",
    ]
    assert "SampledDataCtrlr.TxUpdatedMeasurands" not in session.state.refused_configuration
    await station.start_transaction(1)
    station.advance(60)
    await station.send_meter_values(1)
    await wait_until(lambda: (session.state.connector(1).power or 0) > 0)
