"""A charger offline for an hour replays what it queued: each message counts once.

The chargers (`benchmarks.replay_chargers`) are the `ocpp` library's client ChargePoint:
every frame is the library's. They queue their MeterValues / StopTransaction (1.6) and
TransactionEvents (2.0.1) while offline and replay them late, out of order, with gaps and
twice. The session's energy must be meterStop - meterStart, each stop must count once,
and what the connector shows live (the load balancer's input: power, currents, the time
of the reading) must stay the newest reading, whatever old reading comes after it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta
import random
from typing import Any

import aiohttp
import pytest

from benchmarks.fault_harness import CountingLedger, ledger_entry
from benchmarks.replay_chargers import T0, Charger16, ReplayCharger, SessionTruth, Station201
from custom_components.smart_charging.central_system.meter_values import (
    MeterReading,
    Sample,
    apply_reading,
    stop_flow,
)
from custom_components.smart_charging.central_system.model import ConnectorState, ConnectorStatus
from custom_components.smart_charging.central_system.transactions import (
    Transaction,
    TransactionLedger,
)

from .conftest import Server, ServerFactory

ONLINE_W = 7360.0  # 10.7 A on three phases: what the car drew before going offline
OFFLINE_W = 11040.0  # 16 A: what it drew while offline (queued readings)
LIVE_W = 3680.0  # 5.3 A: what it draws after the reconnect (the newest reading)

ChargerFactory = Callable[..., Any]
NONE = (None, None, None)  # a sample's phase, location and context


@pytest.fixture
async def counted(make_server: ServerFactory) -> tuple[Server, Counter[int]]:
    """A central system whose ledger counts every real stop."""
    server = await make_server()
    closures: Counter[int] = Counter()
    server.system.ledger = CountingLedger(closures)
    return server, closures


@pytest.fixture
async def chargers(counted: tuple[Server, Counter[int]]) -> AsyncIterator[ChargerFactory]:
    """Build library chargers on the counted central system (closed at the end)."""
    server, _ = counted
    built: list[ReplayCharger] = []
    async with aiohttp.ClientSession() as http:

        def build(kind: type[ReplayCharger], charger_id: str, **options: Any) -> ReplayCharger:
            charger = kind(charger_id, server.url, http, register_wh=10_000, **options)
            built.append(charger)
            return charger

        yield build
        for charger in built:
            await charger.close()


async def online_then_offline_hour(charger: ReplayCharger) -> SessionTruth:
    """Connect, start, one live reading; then an hour offline, a reading every 5 minutes."""
    await charger.connect()
    truth = await charger.start_session()
    charger.run(60, ONLINE_W)
    await charger.send(charger.meter_message())
    await charger.disconnect()
    for _ in range(12):
        charger.run(300, OFFLINE_W)
        await charger.send(charger.meter_message())
    assert len(charger.outbox) == 12
    return truth


def shuffled_with_repeats(count: int, seed: int, *, skip: int | None = None) -> list[int]:
    """Every index of `count` (but `skip`) in a shuffled order, a third of them twice."""
    rng = random.Random(seed)  # noqa: S311 - a reproducible order, not a secret
    order = [index for index in range(count) if index != skip]
    order += rng.sample(order, len(order) // 3)
    rng.shuffle(order)
    return order


def transaction_of(server: Server, charger: ReplayCharger, truth: SessionTruth) -> Transaction:
    """The ledger's transaction for the session."""
    transaction = ledger_entry(server.system.ledger, charger, truth)
    assert transaction is not None, truth
    return transaction


def assert_counted_once(
    server: Server, closures: Counter[int], charger: ReplayCharger, truth: SessionTruth
) -> Transaction:
    """Stopped once, its energy what the charger metered, its register the charger's."""
    transaction = transaction_of(server, charger, truth)
    assert closures[transaction.transaction_id] == 1
    assert transaction.stopped_at is not None
    assert (transaction.meter_start, transaction.meter_stop) == (
        truth.meter_start,
        truth.meter_stop,
    )
    assert transaction.energy == truth.energy
    ledger = server.system.ledger.as_dict()
    runs = [
        item
        for item in (*ledger["open"], *ledger["finished"])
        if item["charger_id"] == charger.charger_id
    ]
    assert len(runs) == len(charger.sessions)
    connector = connector_of(server, charger)
    assert connector.energy == charger.register_wh
    return transaction


def connector_of(server: Server, charger: ReplayCharger) -> ConnectorState:
    """The charger's connector (EVSE) 1 as the central system shows it."""
    return server.session(charger.charger_id).state.connector(1)


def assert_nothing_flows(connector: ConnectorState) -> None:
    """A session that ended draws nothing: the balancer must not count its car."""
    assert connector.transaction_id is None
    assert connector.power == 0.0
    assert connector.current_import == 0.0
    assert connector.current_phases.as_tuple() == (0.0, 0.0, 0.0)


def assert_live(connector: ConnectorState, charger: ReplayCharger, power: float) -> None:
    """The connector shows the newest reading (its time, power and currents)."""
    newest = max(charger.readings, key=lambda reading: reading.at)
    assert newest.power_w == power
    assert connector.meter_timestamp == newest.at
    assert connector.power == power
    amps = round(power / 690, 1)
    assert connector.current_import == amps
    assert connector.current_phases.as_tuple() == (amps, amps, amps)


# --- the pieces -------------------------------------------------------------------------------


def at(minutes: int) -> datetime:
    """A time `minutes` after the chargers' start."""
    return T0 + timedelta(minutes=minutes)


def test_a_displaced_session_ends_where_the_next_one_starts() -> None:
    """Its stop lost or still queued: the session keeps the energy up to the next start."""
    ledger = TransactionLedger()
    old, _ = ledger.start("A", 1, "TAG", 1000.0, at(0))
    ledger.record_meter(old.transaction_id, 1500.0, at(10))
    new, displaced = ledger.start("A", 1, "TAG", 9000.0, at(70))
    assert displaced == [old]
    assert (old.meter_stop, old.energy, old.stop_reason) == (9000.0, 8000.0, "DeAuthorized")
    assert new.meter_start == 9000.0
    # Its StopTransaction, replayed now, is a repeat.
    assert ledger.stop(old.transaction_id, 9000.0, at(60), "Local").duplicate is True
    assert old.energy == 8000.0


def test_a_stop_without_reading_takes_the_readings_queued_before_it() -> None:
    """2.x: an Ended without meter values, then the Updated events queued before it."""
    ledger = TransactionLedger()
    transaction, _ = ledger.start("A", 1, "TAG", 1000.0, at(0))
    ledger.record_meter(transaction.transaction_id, 1200.0, at(1))
    outcome = ledger.stop(transaction.transaction_id, None, at(60), "Local")
    assert (outcome.duplicate, transaction.meter_stop, transaction.energy) == (False, 1200.0, 200.0)
    for minute, wh in ((30, 5000.0), (59, 9000.0), (45, 7000.0)):
        assert ledger.record_meter(transaction.transaction_id, wh, at(minute)) is transaction
    assert (transaction.meter_stop, transaction.energy) == (9000.0, 8000.0)
    # Nothing after its end; nothing once a stop pinned a reading.
    assert ledger.record_meter(transaction.transaction_id, 9500.0, at(61)) is None
    pinned, _ = ledger.start("A", 2, "TAG", 0.0, at(0))
    ledger.stop(pinned.transaction_id, 500.0, at(60), "Local")
    assert ledger.record_meter(pinned.transaction_id, 400.0, at(59)) is None
    assert pinned.energy == 500.0


def test_a_late_start_moves_the_transaction_back() -> None:
    """2.x: the Started came after an Updated that opened the transaction."""
    ledger = TransactionLedger()
    transaction, _ = ledger.start("A", 1, "", 5000.0, at(30), "tx-1")
    ledger.record_meter(transaction.transaction_id, 6000.0, at(40))
    assert ledger.note_start(transaction, 1000.0, at(0)) is True
    assert (transaction.meter_start, transaction.started_at) == (1000.0, at(0).isoformat())
    assert transaction.energy == 5000.0
    assert ledger.note_start(transaction, 500.0, at(0)) is False
    assert ledger.note_start(transaction, None, at(5)) is False
    assert transaction.meter_start == 1000.0


def test_readings_until_the_end_of_a_session_are_history() -> None:
    """After the stop, a reading taken until then (even at its very second) shows nothing."""
    connector = ConnectorState(1, power=11040.0, current_import=16.0, meter_timestamp=at(10))
    stop_flow(connector)
    assert (connector.power, connector.current_import) == (0.0, 0.0)
    for minute in (30, 60):
        old = MeterReading(at(minute), [Sample("Power.Active.Import", 11040.0, "W", *NONE)])
        assert apply_reading(connector, old, session_ended=at(60)) is None
        assert (connector.power, connector.meter_timestamp) == (0.0, at(10))
    fresh = MeterReading(at(61), [Sample("Power.Active.Import", 3680.0, "W", *NONE)])
    apply_reading(connector, fresh, session_ended=at(60))
    assert (connector.power, connector.meter_timestamp) == (3680.0, at(61))


# --- OCPP 1.6 ---------------------------------------------------------------------------------


async def test_16_hour_offline_replayed_in_order_then_again(
    counted: tuple[Server, Counter[int]], chargers: ChargerFactory
) -> None:
    """The queue of an hour, replayed as queued and then all over again: counted once."""
    server, closures = counted
    charger = chargers(Charger16, "CP-HOUR")
    truth = await online_then_offline_hour(charger)
    charger.run(120, OFFLINE_W)
    await charger.send(charger.stop_message("EVDisconnected"))
    queued = list(charger.outbox)

    await charger.connect()
    assert await charger.replay() == 13
    charger.outbox = queued
    assert await charger.replay() == 13

    assert truth.energy == 11_531
    assert_counted_once(server, closures, charger, truth)
    connector = connector_of(server, charger)
    assert connector.session_energy == truth.energy
    assert_nothing_flows(connector)


async def test_16_out_of_order_and_twice_stop_without_transaction_data(
    counted: tuple[Server, Counter[int]], chargers: ChargerFactory
) -> None:
    """Readings and the stop shuffled, a third twice: once; old readings revive no car.

    The stop carries no transactionData, so nothing but its own time tells the readings
    queued before it from a live one.
    """
    server, closures = counted
    charger = chargers(Charger16, "CP-SHUFFLE")
    truth = await online_then_offline_hour(charger)
    charger.run(120, OFFLINE_W)
    await charger.send(charger.stop_message("EVDisconnected", with_meter=False))

    await charger.connect()
    order = shuffled_with_repeats(len(charger.outbox), seed=16)
    assert order.index(12) < max(order.index(index) for index in range(12))
    await charger.replay(order)

    assert_counted_once(server, closures, charger, truth)
    assert_nothing_flows(connector_of(server, charger))


async def test_16_live_reading_stays_while_old_ones_replay(
    counted: tuple[Server, Counter[int]], chargers: ChargerFactory
) -> None:
    """Back online the car draws less: the hour's old readings must not replace that."""
    server, closures = counted
    charger = chargers(Charger16, "CP-LIVE")
    truth = await online_then_offline_hour(charger)
    await charger.connect()
    charger.run(60, LIVE_W)
    await charger.send(charger.meter_message())
    connector = connector_of(server, charger)
    assert_live(connector, charger, LIVE_W)
    live_status = connector.status_timestamp

    await charger.replay(shuffled_with_repeats(len(charger.outbox), seed=1))
    assert_live(connector, charger, LIVE_W)
    assert connector.status_timestamp == live_status
    assert connector.status is ConnectorStatus.CHARGING
    transaction = transaction_of(server, charger, truth)
    assert transaction.last_meter == charger.register_wh
    assert connector.session_energy == charger.register_wh - truth.meter_start

    charger.run(60, LIVE_W)
    await charger.send(charger.stop_message())
    assert_counted_once(server, closures, charger, truth)


async def test_16_stop_replayed_after_the_next_session_started(
    counted: tuple[Server, Counter[int]], chargers: ChargerFactory
) -> None:
    """The stop of the offline session comes after the next session's start.

    The next start closes the old session where the register stands then (the car left
    with that reading); the stop, when it comes, is a repeat. Nothing is lost either way.
    """
    server, closures = counted
    charger = chargers(Charger16, "CP-NEXT")
    first = await online_then_offline_hour(charger)
    charger.run(120, OFFLINE_W)
    await charger.send(charger.stop_message("EVDisconnected"))
    late = charger.outbox
    charger.outbox = []

    charger.run(600)
    await charger.connect()
    second = await charger.start_session()
    charger.run(600, ONLINE_W)
    await charger.send(charger.meter_message())
    charger.outbox = late
    await charger.replay(shuffled_with_repeats(len(late), seed=3))

    transaction = transaction_of(server, charger, first)
    assert closures[transaction.transaction_id] == 1
    assert transaction.energy == first.energy
    running = transaction_of(server, charger, second)
    assert running.stopped_at is None
    assert running.energy == charger.register_wh - second.meter_start
    connector = connector_of(server, charger)
    assert connector.transaction_id == running.transaction_id
    assert_live(connector, charger, ONLINE_W)


# --- OCPP 2.0.1 -------------------------------------------------------------------------------


async def test_201_offline_events_with_gap_repeats_and_out_of_order(
    counted: tuple[Server, Counter[int]], chargers: ChargerFactory
) -> None:
    """offline=true events shuffled, one never sent (a seqNo gap), Ended twice: once."""
    server, closures = counted
    station = chargers(Station201, "CS-HOUR")
    truth = await online_then_offline_hour(station)
    station.run(120, OFFLINE_W)
    await station.send(station.stop_message("EVDisconnected"))
    assert all(event.offline for event in station.outbox)

    await station.connect()
    order = shuffled_with_repeats(len(station.outbox), seed=201, skip=5)
    order.append(12)  # the Ended once more at the end
    await station.replay(order)

    transaction = assert_counted_once(server, closures, station, truth)
    assert transaction.last_seq_no == station.seq_no - 1 == 14
    assert_nothing_flows(connector_of(server, station))


async def test_201_ended_without_reading_before_the_last_updates(
    counted: tuple[Server, Counter[int]], chargers: ChargerFactory
) -> None:
    """An Ended that carries no reading comes before the Updated events queued before it.

    Its last Updated holds the register at the stop (the car had stopped drawing a second
    before): the session's energy is that, and no replayed reading brings the car back.
    """
    server, closures = counted
    station = chargers(Station201, "CS-BARE-END")
    truth = await online_then_offline_hour(station)
    station.run(1, 0.0)
    await station.send(station.stop_message("EVDisconnected", with_meter=False))
    assert truth.meter_stop == station.readings[-2].register_wh

    await station.connect()
    await station.replay([12, *range(12), 12])

    transaction = transaction_of(server, station, truth)
    assert closures[transaction.transaction_id] == 1
    assert transaction.energy == truth.energy
    assert connector_of(server, station).energy == station.register_wh
    assert_nothing_flows(connector_of(server, station))


async def test_201_started_offline_replayed_after_its_updates(
    counted: tuple[Server, Counter[int]], chargers: ChargerFactory
) -> None:
    """The whole session happened offline; its Started comes after some of its Updated."""
    server, closures = counted
    station = chargers(Station201, "CS-OFF-START")
    await station.connect()
    await station.disconnect()
    station.run(60)
    await station.send(station.begin_session())
    truth = station.sessions[-1]
    for _ in range(6):
        station.run(300, OFFLINE_W)
        await station.send(station.meter_message())
    station.run(60, OFFLINE_W)
    await station.send(station.stop_message("EVDisconnected"))

    await station.connect()
    await station.replay([2, 1, 0, 4, 3, 6, 5, 7, 0, 7])

    assert_counted_once(server, closures, station, truth)
    assert connector_of(server, station).session_start == truth.started_at
    assert_nothing_flows(connector_of(server, station))


async def test_201_replayed_ended_leaves_the_next_session_alone(
    counted: tuple[Server, Counter[int]], chargers: ChargerFactory
) -> None:
    """An Ended of the last session, replayed during the next one, changes nothing of it."""
    server, closures = counted
    station = chargers(Station201, "CS-NEXT")
    await station.connect()
    first = await station.start_session()
    station.run(600, ONLINE_W)
    ended = station.stop_message()
    await station.send(ended)
    station.run(300)
    second = await station.start_session()
    station.run(60, ONLINE_W)
    await station.send(station.meter_message())
    connector = connector_of(server, station)
    answer = await station.call(
        station.charging_needs(station.now + timedelta(hours=8), energy_wh=20_000)
    )
    assert answer.status == "Accepted"
    assert connector.ev_departure is not None
    status = (connector.status, connector.status_timestamp)

    await station.send(ended)

    assert closures[transaction_of(server, station, first).transaction_id] == 1
    assert connector.transaction_id == transaction_of(server, station, second).transaction_id
    assert connector.ev_departure is not None
    assert connector.ev_energy_amount == 20_000
    assert (connector.status, connector.status_timestamp) == status
    assert_live(connector, station, ONLINE_W)


async def test_201_live_reading_stays_while_old_ones_replay(
    counted: tuple[Server, Counter[int]], chargers: ChargerFactory
) -> None:
    """Back online, a live Updated; the hour's queued ones after it change nothing live."""
    server, closures = counted
    station = chargers(Station201, "CS-LIVE")
    truth = await online_then_offline_hour(station)
    queued = station.outbox
    station.outbox = []
    await station.connect()
    station.run(60, LIVE_W)
    await station.send(station.meter_message())
    connector = connector_of(server, station)
    assert_live(connector, station, LIVE_W)

    station.outbox = queued
    await station.replay(shuffled_with_repeats(len(queued), seed=2))
    assert_live(connector, station, LIVE_W)
    assert connector.status is ConnectorStatus.CHARGING
    assert transaction_of(server, station, truth).last_meter == station.register_wh

    station.run(60, LIVE_W)
    await station.send(station.stop_message())
    assert_counted_once(server, closures, station, truth)
