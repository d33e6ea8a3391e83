"""2.0.1 quirks seen in the field, imitated by the simulated station, against the central system.

Each test runs over real websockets on 127.0.0.1. The server asks for no periodic
samples (TxUpdatedInterval 0), so only the messages a test sends reach it.
"""

from __future__ import annotations

import logging

import pytest

from custom_components.smart_charging.central_system.errors import ChargerRejectedError
from custom_components.smart_charging.central_system.limits import ChargingLimit
from custom_components.smart_charging.central_system.model import ConnectorStatus
from custom_components.smart_charging.central_system.session import ChargerSession
from custom_components.smart_charging.central_system.transactions import Transaction
from custom_components.smart_charging.central_system.v16.smart_charging import (
    SAFE_DEFAULT_PROFILE_ID,
)
from simulator.v201 import SimulatedStation201
from simulator.v201.quirks import (
    LOSE_STARTED,
    NO_CHARGING_STATE,
    NO_TX_METER_VALUES,
    REJECT_STATION_MAX,
    REJECT_TX_PROFILE,
    SEQ_NO_RESTARTS,
    STACK_LEVEL_ZERO_ONLY,
)

from .conftest import (
    Server,
    ServerFactory,
    StationFactory,
    booted,
    fast_settings,
    wait_until,
    warnings_of,
)

ID = "CS-1"
STATION_MAX = "ChargingStationMaxProfile"
TX_DEFAULT = "TxDefaultProfile"
TX = "TxProfile"
FULL_POWER_W = 16 * 230 * 3  # what the simulated car draws without a limit


@pytest.fixture
async def server(make_server: ServerFactory) -> Server:
    """A central system that accepts every station and wants no periodic samples."""
    return await make_server(settings=fast_settings(meter_interval=0))


async def charging(
    server: Server, make_station: StationFactory, **options: object
) -> tuple[SimulatedStation201, ChargerSession, str]:
    """A booted station with a transaction on EVSE 1 that the central system knows."""
    station, session = await booted(server, make_station, **options)
    external = await station.start_transaction(1)
    await wait_until(lambda: session.state.connector(1).transaction_id is not None)
    return station, session, external


def profiles_sent(station: SimulatedStation201) -> list[tuple[int, str, int]]:
    """(evseId, purpose, stackLevel) of every SetChargingProfile the station answered."""
    return [
        (
            payload["evse_id"],
            payload["charging_profile"]["charging_profile_purpose"],
            payload["charging_profile"]["stack_level"],
        )
        for action, payload in station.calls
        if action == "SetChargingProfile"
    ]


def the_transaction(server: Server, external_id: str) -> Transaction:
    """The ledger's transaction for the station's id."""
    transaction = server.system.ledger.find_external(ID, external_id)
    assert transaction is not None
    return transaction


# -- 1. W only ---------------------------------------------------------------------------------


async def test_w_only_station_follows_a_limit_in_watts(
    server: Server, make_station: StationFactory
) -> None:
    """RateUnit W: 10 A for the running transaction goes out as 6900 W; the car follows."""
    station, session, _ = await charging(server, make_station, rate_unit="W")
    capabilities = session.state.capabilities
    assert capabilities is not None
    assert capabilities.rate_units == frozenset({"W"})
    await session.apply_limit(ChargingLimit(connector_id=1, value=10.0))
    payload = await station.wait_for_call("SetChargingProfile")
    profile = payload["charging_profile"]
    schedule = profile["charging_schedule"][0]
    assert (profile["charging_profile_purpose"], schedule["charging_rate_unit"]) == (TX, "W")
    assert schedule["charging_schedule_period"][0]["limit"] == 6900.0
    assert station.effective_limit(1) == pytest.approx(10.0)
    assert station.draw(1) == pytest.approx(10.0)
    assert session.limit_purposes == {"tx": TX}


# -- 2. Stack level or purpose rejected --------------------------------------------------------


async def test_profile_stack_level_zero_gets_stack_level_zero(
    server: Server, make_station: StationFactory
) -> None:
    """ProfileStackLevel 0 (and only 0 accepted): every profile at stack level 0, accepted."""
    station, session, _ = await charging(
        server, make_station, max_stack_level=0, quirks=frozenset({STACK_LEVEL_ZERO_ONLY})
    )
    capabilities = session.state.capabilities
    assert capabilities is not None
    assert capabilities.max_stack_level == 0
    await session.apply_limit(ChargingLimit(connector_id=1, value=9.0))
    await session.apply_limit(ChargingLimit(connector_id=0, value=12.0))
    await session.apply_limit(ChargingLimit(connector_id=0, value=6.0, safe_default=True))
    assert profiles_sent(station) == [(1, TX, 0), (0, STATION_MAX, 0), (0, TX_DEFAULT, 0)]
    assert station.effective_limit(1) == 9.0
    assert session.limit_purposes == {"tx": TX, "station": STATION_MAX, "safe": TX_DEFAULT}


async def test_stack_level_zero_only_while_advertising_eight(
    server: Server, make_station: StationFactory
) -> None:
    """ABB-like: ProfileStackLevel 8 but only 0 accepted: each purpose tried once, then refused.

    This is what the central system does (as on 1.6): it falls back purpose by purpose,
    never to a lower stack level; nothing is remembered, the station stays unlimited.
    """
    station, session, _ = await charging(
        server, make_station, quirks=frozenset({STACK_LEVEL_ZERO_ONLY})
    )
    with pytest.raises(ChargerRejectedError) as caught:
        await session.apply_limit(ChargingLimit(connector_id=0, value=10.0))
    assert (caught.value.action, caught.value.status) == ("SetChargingProfile", "Rejected")
    with pytest.raises(ChargerRejectedError):
        await session.apply_limit(ChargingLimit(connector_id=1, value=10.0))
    assert profiles_sent(station) == [
        (0, STATION_MAX, 2),
        (0, TX_DEFAULT, 2),
        (1, TX, 2),
        (1, TX_DEFAULT, 2),
    ]
    assert session.limit_purposes == {}
    assert station.effective_limit(1) is None
    assert session.state.connector(1).transaction_id is not None


async def test_station_max_rejected_falls_back_to_tx_default(
    server: Server, make_station: StationFactory
) -> None:
    """ChargingStationMaxProfile Rejected (Alfen, Grizzl-E): EVSE-0 TxDefaultProfile, remembered."""
    station, session = await booted(server, make_station, quirks=frozenset({REJECT_STATION_MAX}))
    await session.apply_limit(ChargingLimit(connector_id=0, value=13.0))
    await session.apply_limit(ChargingLimit(connector_id=0, value=14.0))
    assert profiles_sent(station) == [(0, STATION_MAX, 2), (0, TX_DEFAULT, 2), (0, TX_DEFAULT, 2)]
    assert session.limit_purposes == {"station": TX_DEFAULT}
    await station.start_transaction(1)
    assert station.effective_limit(1) == 14.0
    assert station.draw(1) == 14.0


async def test_tx_profile_rejected_falls_back_to_tx_default(
    server: Server, make_station: StationFactory
) -> None:
    """TxProfile Rejected: the EVSE's TxDefaultProfile, remembered for the next limit."""
    station, session, _ = await charging(
        server, make_station, quirks=frozenset({REJECT_TX_PROFILE})
    )
    await session.apply_limit(ChargingLimit(connector_id=1, value=10.0))
    await session.apply_limit(ChargingLimit(connector_id=1, value=11.0))
    assert profiles_sent(station) == [(1, TX, 2), (1, TX_DEFAULT, 2), (1, TX_DEFAULT, 2)]
    assert session.limit_purposes == {"tx": TX_DEFAULT}
    assert station.draw(1) == 11.0


async def test_safe_default_survives_on_a_stack_level_zero_station(
    server: Server, make_station: StationFactory
) -> None:
    """ProfileStackLevel 0 and no ChargingStationMaxProfile: the safe default still holds later.

    A station-wide live limit could only be a TxDefaultProfile on EVSE 0 at level 0, which
    would replace the safe default: it is refused instead. An EVSE's live limit (TxProfile)
    works, and when it lapses the safe default takes over.
    """
    station, session, _ = await charging(
        server,
        make_station,
        max_stack_level=0,
        quirks=frozenset({STACK_LEVEL_ZERO_ONLY, REJECT_STATION_MAX}),
    )
    await session.apply_limit(ChargingLimit(connector_id=0, value=8.0, safe_default=True))
    with pytest.raises(ChargerRejectedError):
        await session.apply_limit(ChargingLimit(connector_id=0, value=16.0, duration=120))
    installed = [profile["id"] for profile in station.profiles.find(0).get(0, [])]
    assert installed == [SAFE_DEFAULT_PROFILE_ID]
    await session.apply_limit(ChargingLimit(connector_id=1, value=16.0, duration=120))
    assert station.effective_limit(1) == 16.0
    station.advance(200)  # the live limit lapses: the safe default takes over
    assert station.effective_limit(1) == 8.0


# -- 3. TransactionEvents without meter values -------------------------------------------------


async def test_events_without_meter_values_open_and_close(
    server: Server, make_station: StationFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """No meterValue in Started/Updated/Ended, nor any MeterValues: opened, closed, 0 Wh."""
    station, session, external = await charging(
        server, make_station, quirks=frozenset({NO_TX_METER_VALUES})
    )
    station.advance(1800)
    await station.stop_transaction(1)
    await wait_until(lambda: session.state.connector(1).transaction_id is None)
    transaction = the_transaction(server, external)
    assert transaction.stopped_at is not None
    assert transaction.energy == 0.0
    assert server.system.ledger.open_transactions(ID) == []
    await wait_until(lambda: session.state.connector(1).status is ConnectorStatus.AVAILABLE)
    assert warnings_of(caplog) == []


async def test_energy_from_meter_values_beside_the_transaction(
    server: Server, make_station: StationFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """MeterValues on the EVSE during the transaction: the register follows them."""
    station, session = await booted(server, make_station, quirks=frozenset({NO_TX_METER_VALUES}))
    station.evse(1).register_wh = 5000.0
    await station.send_meter_values(1)  # idle: MeterValues, register 5000 Wh
    await wait_until(lambda: session.state.connector(1).energy == 5000.0)
    external = await station.start_transaction(1)
    await wait_until(lambda: session.state.connector(1).transaction_id is not None)
    assert the_transaction(server, external).meter_start == 5000.0
    station.advance(1800)
    await station.send_meter_values(1)
    expected = station.energy_wh(1)
    await wait_until(lambda: session.state.connector(1).energy == pytest.approx(expected, abs=2))
    await station.stop_transaction(1)
    await wait_until(lambda: session.state.connector(1).transaction_id is None)
    # The Ended (no meterValue) must not pull the total back to the transaction's start.
    assert session.state.connector(1).energy == pytest.approx(expected, abs=2)
    assert warnings_of(caplog) == []


async def test_transaction_energy_from_meter_values_beside_it(
    server: Server, make_station: StationFactory
) -> None:
    """The session's energy is what the separate MeterValues said (5520 Wh in half an hour)."""
    station, session = await booted(server, make_station, quirks=frozenset({NO_TX_METER_VALUES}))
    external = await station.start_transaction(1)
    await wait_until(lambda: session.state.connector(1).transaction_id is not None)
    station.advance(1800)
    await station.send_meter_values(1)
    expected = station.energy_wh(1)
    assert expected == pytest.approx(FULL_POWER_W / 2, abs=60)  # real time adds on a busy machine
    await wait_until(lambda: session.state.connector(1).energy == pytest.approx(expected, abs=2))
    assert session.state.connector(1).session_energy == pytest.approx(expected, abs=2)
    await station.stop_transaction(1)
    await wait_until(lambda: session.state.connector(1).transaction_id is None)
    assert the_transaction(server, external).energy == pytest.approx(expected, abs=2)


# -- 4. Ended without a Started ----------------------------------------------------------------


async def test_ended_without_started_is_answered_and_logged(
    server: Server, make_station: StationFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """The Started was lost: the Ended is answered, logged, nothing recorded; later ones work."""
    caplog.set_level(logging.INFO, logger="custom_components.smart_charging")
    station, session = await booted(server, make_station, quirks=frozenset({LOSE_STARTED}))
    external = await station.start_transaction(1)
    station.advance(600)
    await station.stop_transaction(1)  # raises if the CSMS answers with a CallError
    await wait_until(lambda: session.state.connector(1).status is ConnectorStatus.AVAILABLE)
    assert server.system.ledger.find_external(ID, external) is None
    assert server.system.ledger.open_transactions(ID) == []
    assert session.state.connector(1).transaction_id is None
    assert any(
        record.getMessage()
        == f"{ID}: TransactionEvent Ended for unknown transaction {external} accepted"
        for record in caplog.records
    )
    assert warnings_of(caplog) == []

    station.quirks = frozenset()  # the station works normally again
    again = await station.start_transaction(1)
    await wait_until(lambda: session.state.connector(1).transaction_id is not None)
    assert the_transaction(server, again).stopped_at is None


# -- 5. seqNo restarting at 0 mid-transaction --------------------------------------------------


async def test_seq_no_restarting_after_a_reboot_counts_energy_once(
    server: Server, make_station: StationFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """Reboot mid-transaction, seqNo from 0 again (1 repeats): every Wh counted once."""
    station, session, external = await charging(
        server, make_station, quirks=frozenset({SEQ_NO_RESTARTS})
    )
    start = the_transaction(server, external).meter_start
    station.advance(1800)
    await station.send_meter_values(1)  # seqNo 1
    station.advance(600)
    await station.send_meter_values(1)  # seqNo 2
    await station.reboot()
    assert station.evse(1).transaction_id == external
    station.advance(600)
    await station.send_meter_values(1)  # seqNo 0 again
    station.advance(600)
    await station.send_meter_values(1)  # seqNo 1 again
    expected = station.energy_wh(1) - start
    # One hour at full power (the station's clock also runs in real time: a loaded machine adds).
    assert expected == pytest.approx(FULL_POWER_W, abs=60)
    await wait_until(
        lambda: session.state.connector(1).session_energy == pytest.approx(expected, abs=1)
    )
    assert session.state.connector(1).transaction_id is not None
    station.advance(600)
    await station.stop_transaction(1)
    await wait_until(lambda: session.state.connector(1).transaction_id is None)
    transaction = the_transaction(server, external)
    assert transaction.energy == pytest.approx(station.energy_wh(1) - start, abs=1)
    assert transaction.energy == pytest.approx(FULL_POWER_W * 70 / 60, abs=60)
    assert server.system.ledger.open_transactions(ID) == []
    assert warnings_of(caplog) == []


# -- 6. The charging state only in StatusNotification ------------------------------------------


async def test_no_charging_state_follows_status_notifications(
    server: Server, make_station: StationFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """No chargingState at all: Charging once power flows, kept by Occupied, then Available."""
    station, session = await booted(server, make_station, quirks=frozenset({NO_CHARGING_STATE}))
    await wait_until(lambda: session.state.connector(1).status is ConnectorStatus.AVAILABLE)
    external = await station.start_transaction(1)
    await wait_until(lambda: session.state.connector(1).transaction_id is not None)
    # Plugged in; it charges once the meter shows the car drawing.
    assert session.state.connector(1).status is ConnectorStatus.PREPARING
    station.advance(60)
    await station.send_meter_values(1)
    await wait_until(lambda: session.state.connector(1).status is ConnectorStatus.CHARGING)
    await station.send_status(1, "Occupied")  # repeated: keeps the transaction's state
    assert session.state.connector(1).status is ConnectorStatus.CHARGING
    assert session.state.connector(1).transaction_id is not None
    await station.stop_transaction(1)
    await wait_until(lambda: session.state.connector(1).status is ConnectorStatus.AVAILABLE)
    assert the_transaction(server, external).stopped_at is not None
    assert warnings_of(caplog) == []


async def test_no_charging_state_still_shows_charging(
    server: Server, make_station: StationFactory
) -> None:
    """A running transaction whose meter shows power is Charging, chargingState or not."""
    station, session, _ = await charging(
        server, make_station, quirks=frozenset({NO_CHARGING_STATE})
    )
    station.advance(60)
    await station.send_meter_values(1)
    await wait_until(lambda: session.state.connector(1).status is ConnectorStatus.CHARGING)
